"""``smets-emu send``: builds, protects and sends a command as a remote party; prints the decoded reply."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from smets_emu.testing import SmetsFleet, start_fleet
from smets_emu.tools.cli import main
from smets_emu.tools.wan_client import ClientError, message_code, party_eui


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmetsFleet]:
    with start_fleet(tmp_path_factory.mktemp("lab"), http=False) as running:
        yield running


def _send(fleet: SmetsFleet, capsys: pytest.CaptureFixture[str], *args: str, framing: str = "gfi") -> tuple[int, dict]:
    endpoint = fleet.endpoints.gfi if framing == "gfi" else fleet.endpoints.binary
    assert endpoint is not None
    status = main(["send", "--keystore", str(fleet.key_folder), "--port", str(endpoint[1]), "--framing", framing,
                   "--compact", *args])
    out = capsys.readouterr().out
    return status, json.loads(out) if out.strip() else {}


@pytest.mark.parametrize("framing", ["gfi", "binary"])
def test_read_firmware_on_esme_and_gsme(fleet: SmetsFleet, capsys: pytest.CaptureFixture[str], framing: str) -> None:
    status, reply = _send(fleet, capsys, "--to", fleet.esme.hex(), "--code", "read-firmware", framing=framing)
    assert status == 0 and reply["security"] == {"mac": "valid", "signature": "absent"}
    assert reply["response"]["header"]["other_information"]["message_code"] == "0x0059"
    assert reply["response"]["header"]["originator"] == fleet.esme.hex().upper()
    status, reply = _send(fleet, capsys, "--to", fleet.gsme.hex(), "--code", "GCS38", "--as", "supplier",
                          framing=framing)
    assert status == 0 and reply["response"]["payload"]["family"] == "gbz"


def test_payload_json_round_trip(fleet: SmetsFleet, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from smets_emu.tools.wan_client import sample_payload

    file = tmp_path / "payload.json"
    file.write_text(json.dumps(sample_payload(0x0059).to_json()))
    status, reply = _send(fleet, capsys, "--to", fleet.esme.hex(), "--code", "0x0059", "--payload-json", str(file))
    assert status == 0 and reply["answered"]


def test_refused_command_exits_1_with_alert(fleet: SmetsFleet, capsys: pytest.CaptureFixture[str]) -> None:
    # the network operator may not read the ESME firmware version: the device refuses with an alert
    status, reply = _send(fleet, capsys, "--to", fleet.esme.hex(), "--code", "0x0059", "--as", "wan-provider")
    assert status == 1 and not reply["answered"] and reply["alerts"]


def test_errors(fleet: SmetsFleet, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["send", "--keystore", str(tmp_path / "none"), "--code", "0x0059"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["send", "--keystore", str(fleet.key_folder), "--code", "NOPE99"]) == 2
    assert "unknown message code" in capsys.readouterr().err
    with pytest.raises(ClientError, match="16 hex digits"):
        party_eui("nobody")
    assert message_code("ECS52") == 0x0059 and message_code("0x84") == 0x84
    assert party_eui("supplier").hex().upper() == "90B3D51F30010000"
    assert party_eui("IS") == party_eui("supplier") and party_eui("ED") == party_eui("network-operator")


def test_firmware_version_is_not_labelled_a_time(fleet: SmetsFleet, capsys: pytest.CaptureFixture[str]) -> None:
    status, reply = _send(fleet, capsys, "--to", fleet.esme.hex(), "--code", "read-firmware")
    (result,) = reply["response"]["payload"]["results"]
    assert status == 0 and result["data"]["value"] == "01000000"
    assert "time" not in result["data"]
    assert result["request"]["object"] == "Firmware version" and result["request"]["obis"] == "0-0:0.2.1.255"


def test_dropped_command_exits_1(fleet: SmetsFleet, capsys: pytest.CaptureFixture[str]) -> None:
    fleet.fault(fleet.esme, "drop")
    status, reply = _send(fleet, capsys, "--to", fleet.esme.hex(), "--code", "read-firmware", "--timeout", "1")
    assert status == 1 and reply["answered"] is False and reply["timed_out"] is True


def test_reply_with_invalid_mac_exits_3(fleet: SmetsFleet, capsys: pytest.CaptureFixture[str]) -> None:
    fleet.fault(fleet.esme, "corrupt", direction="reply")
    status, reply = _send(fleet, capsys, "--to", fleet.esme.hex(), "--code", "read-firmware")
    assert reply["answered"] and (reply["security"]["mac"] == "invalid" or "detail" in reply["security"])
    assert status == 3


def test_no_lab_listening_exits_2(fleet: SmetsFleet, capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    status = main(["send", "--keystore", str(fleet.key_folder), "--port", str(port), "--code", "read-firmware"])
    assert status == 2 and "cannot reach the lab" in capsys.readouterr().err
