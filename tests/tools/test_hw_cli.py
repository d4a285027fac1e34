"""``smets-emu hw selftest`` end to end on loop:// and a pty pair."""

from __future__ import annotations

import json

import pytest

from smets_emu.tools.cli import main


@pytest.mark.parametrize("url", ["loop://", "pty"])
@pytest.mark.parametrize("framing", ["binary", "gfi"])
def test_selftest_json(url: str, framing: str, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(
        ["hw", "selftest", url, "--baud", "57600", "115200", "--frames", "20", "--framing", framing, "--json"]
    )
    out = capsys.readouterr().out.strip().splitlines()
    report = json.loads(out[-1])
    assert status == 0
    assert report["frames_sent"] == report["frames_ok"] == 40
    assert report["bytes_per_s"] > 0
    assert 0.5 < report["line_rate_fraction"] <= 1.05  # paced to the baud rate: never above the line rate
    assert [r["baudrate"] for r in report["runs"]] == [57600, 115200]


def test_selftest_bad_port(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hw", "selftest", "/dev/does-not-exist", "--frames", "2"]) == 2
    assert "cannot open" in capsys.readouterr().err
