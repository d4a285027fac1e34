"""``smets-emu duis``: every DUIS template gets a DUIS-style response; state, roles and switches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smets_emu.protocols.duis import DuisResponse, ResponseCode, parse_request, parse_response
from smets_emu.tools.cli import main
from tests_support import sampled

TEMPLATES = Path(__file__).resolve().parents[2] / ".." / "shared" / "duis" / "templates"
TEMPLATE_FILES = sorted(TEMPLATES.glob("*.XML")) if TEMPLATES.is_dir() else []
IMPLEMENTED = {"6.15.1", "6.21", "6.23", "6.24.1", "11.1", "11.2", "11.3"}


@pytest.mark.skipif(not TEMPLATE_FILES, reason="../shared/duis/templates not present")
@pytest.mark.parametrize("path", sampled([pytest.param(p, id=p.name) for p in TEMPLATE_FILES]))
def test_every_template_answered(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["duis", "submit", str(path)])
    response = _response(capsys, str(path))
    assert status == (0 if response.response_code.is_success else 1)
    request = parse_request(path.read_bytes())
    assert response.request_id == str(request.header.request_id)
    if request.srv in IMPLEMENTED:
        assert response.response_code in (
            ResponseCode.SUCCESS,
            ResponseCode.ACKNOWLEDGEMENT,
            ResponseCode.NOT_SUPPORTED_FOR_SMETS2,
        )
    else:
        assert response.response_code is ResponseCode.NOT_SUPPORTED
        assert response.message and "not supported" in response.message


def _response(capsys: pytest.CaptureFixture[str], name: str | None = None) -> DuisResponse:
    """The one response printed: a ``== FILE: CODE description`` line, then the response XML."""
    header, _, xml = capsys.readouterr().out.partition("\n")
    response = parse_response(xml)
    assert header.startswith("== ") and f": {response.response_code.value} " in header
    assert name is None or header.startswith(f"== {name}: ")
    return response


def _code(capsys: pytest.CaptureFixture[str]) -> ResponseCode:
    return _response(capsys).response_code


@pytest.mark.skipif(not TEMPLATE_FILES, reason="../shared/duis/templates not present")
def test_state_role_and_switch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "s1.db")
    read = str(TEMPLATES / "ECS52_11.2_SUCCESS_REQUEST_DUIS.XML")
    assert main(["duis", "submit", read, "--state", db, "--as", "ED"]) == 1
    assert _code(capsys) is ResponseCode.INVALID_USER_ROLE
    assert main(["duis", "submit", read, "--state", db, "--as", "IS", "--secmp0107", "off"]) == 0
    assert _code(capsys) is ResponseCode.SUCCESS
    assert main(["duis", "submit", read, "--as", "nonsense"]) == 2
    assert "supplier (IS)" in capsys.readouterr().err  # the valid roles are listed
    assert main(["duis", "submit", read, "--state", db, "--as", "supplier"]) == 0  # the CLI spelling works too
    assert _code(capsys) is ResponseCode.SUCCESS


@pytest.mark.skipif(not TEMPLATE_FILES, reason="../shared/duis/templates not present")
def test_several_files_each_named_exit_1_on_an_error_code(capsys: pytest.CaptureFixture[str]) -> None:
    good = str(TEMPLATES / "ECS52_11.2_SUCCESS_REQUEST_DUIS.XML")
    unsupported = str(TEMPLATES / "5.2_READ_SCHEDULE_REQUEST_DUIS.XML")
    assert main(["duis", "submit", good, good]) == 0
    out = capsys.readouterr().out
    assert out.count(f"== {good}: I0 ") == 2
    assert main(["duis", "submit", "--json-lines", good, unsupported]) == 1
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["file"], r["response_code"], r["success"]) for r in records] == [
        (good, "I0", True), (unsupported, "X3", False)]
    assert parse_response(records[1]["response"]).response_code is ResponseCode.NOT_SUPPORTED


def test_bad_input_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b'<!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>')
    assert main(["duis", "submit", str(bad)]) == 1
    assert _code(capsys) is ResponseCode.REQUEST_REFUSED
    assert main(["duis", "submit", str(tmp_path / "missing.xml")]) == 1
    assert "missing.xml: no such file" in capsys.readouterr().err


def test_fleet_and_correction(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "fleet.db")
    assert main(["duis", "fleet", "--state", db, "--devices", "1000", "--wrong-no", "40"]) == 0
    planted = json.loads(capsys.readouterr().out)["wrong_network_operator"]
    assert main(["duis", "correct-no-certs", "--state", db, "--json"]) == 0
    report = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert report["found"] == planted and report["corrected_total"] == 40
    assert main(["duis", "correct-no-certs", "--state", db]) == 0
    assert "found: none" in capsys.readouterr().out
