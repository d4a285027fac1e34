"""``smets-emu run``: the first run creates the lab and prints what a user needs; a second run resumes."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from smets_emu.emulator.anchors import Role
from smets_emu.emulator.store import StateStore
from smets_emu.tools.cli import main

ESME = "00DB1234567890A0"


def _start(cwd: Path, *extra: str) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "smets_emu.tools.cli", "run", "--port", "0", "--binary-port", "0", "--http-port", "0",
         *extra],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    lines: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("serving"):
            break
    else:
        pytest.fail("run exited early: " + "".join(lines) + (proc.stderr.read() if proc.stderr else ""))
    return proc, lines


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0
    return out


def _port(lines: list[str], label: str) -> int:
    match = re.search(label + r"\s+\S+://127\.0\.0\.1:(\d+)", "".join(lines))
    assert match, lines
    return int(match[1])


def test_first_run_creates_second_run_resumes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proc, lines = _start(tmp_path)
    try:
        text = "".join(lines)
        assert "(created): 4 devices" in text
        for eui in (ESME, "00DB1234567890A1", "00DB1234567890A2", "00DB1234567890A3"):
            assert eui in text
        assert "smets-lab/pki" in text and "control plane:  http://" in text
        assert (tmp_path / "smets-lab" / "state.sqlite").is_file()
        assert (tmp_path / "smets-lab" / "pki" / "root-ca.pem").is_file()
        port = _port(lines, "WAN GFI text:")
        keystore = str(tmp_path / "smets-lab" / "pki")
        assert main(["send", "--keystore", keystore, "--to", ESME, "--code", "read-firmware", "--port", str(port),
                     "--compact"]) == 0
        reply = json.loads(capsys.readouterr().out)
        assert reply["answered"] and reply["security"]["mac"] == "valid"
        counter = reply["response"]["header"]["originator_counter"]
    finally:
        out = _stop(proc)
    assert "stopped; state saved" in out
    with StateStore(tmp_path / "smets-lab" / "state.sqlite") as store:
        assert store.load(bytes.fromhex(ESME)).counters[int(Role.SUPPLIER)] == counter  # type: ignore[union-attr]

    proc, lines = _start(tmp_path)
    try:
        assert "(resumed): 4 devices" in "".join(lines)
        port = _port(lines, "WAN binary:")
        replay = bytes.fromhex(reply["command"])  # the first run's command: the resumed counter refuses it
        assert main(["send", "--keystore", str(tmp_path / "smets-lab" / "pki"), "--raw", "--hex", replay.hex(),
                     "--framing", "binary", "--port", str(port), "--compact"]) == 1
        again = json.loads(capsys.readouterr().out)
        assert not again["answered"] and again["alerts"]
    finally:
        _stop(proc)


def test_exit_after_and_scaled_fleet(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "smets_emu.tools.cli", "run", "--lab", str(tmp_path / "lab"), "--devices", "6",
         "--port", "0", "--binary-port", "-1", "--http-port", "-1", "--exit-after", "0.2", "--clock", "virtual"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "(created): 6 devices" in result.stdout and "00DB123500000001" in result.stdout
    assert "WAN binary" not in result.stdout


def test_fleet_file(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.toml"
    fleet.write_text(
        '[types.ESME]\nfirmware = "02000000"\n'
        '[[premises]]\nname = "street-{n}"\ncount = 2\nfirst_eui = "00DB000000000010"\n'
        'devices = [{ type = "ESME" }, { type = "GSME", firmware = "0A0B0C0D" }]\n'
    )
    result = subprocess.run(
        [sys.executable, "-m", "smets_emu.tools.cli", "run", "--lab", str(tmp_path / "lab"), "--fleet", str(fleet),
         "--port", "0", "--binary-port", "-1", "--http-port", "-1", "--exit-after", "0.1"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "ESME  00DB000000000010  street-0" in result.stdout
    assert "GSME  00DB000000000013  street-1" in result.stdout
    with StateStore(tmp_path / "lab" / "state.sqlite") as store:
        assert store.load(bytes.fromhex("00DB000000000012")).firmware == {"version": "02000000"}  # type: ignore[union-attr]
        assert store.load(bytes.fromhex("00DB000000000011")).firmware == {"version": "0A0B0C0D"}  # type: ignore[union-attr]


def test_bad_fleet_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fleet = tmp_path / "fleet.toml"
    fleet.write_text('[[premises]]\ndevices = [{ type = "PPMID", eui = "00DB000000000001" }]\n')
    assert main(["run", "--lab", str(tmp_path / "lab"), "--fleet", str(fleet)]) == 2
    assert "type is one of" in capsys.readouterr().err
