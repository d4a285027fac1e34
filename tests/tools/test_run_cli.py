"""``smets-emu run``: the first run creates the lab and prints what a user needs; a second run resumes."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from smets_emu.emulator.anchors import Role
from smets_emu.hosting.store import StateStore
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
        _check_control_plane(tmp_path / "smets-lab", lines)
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


def _check_control_plane(lab: Path, lines: list[str]) -> None:
    """The token file, the page URL with ?token= and the curl example that describe() prints all work."""
    text = "".join(lines)
    token_file = lab / "control-token"
    token = token_file.read_text().strip()
    assert token_file.stat().st_mode & 0o777 == 0o600
    shown = f"{lab.name}/control-token"  # as given on the command line (relative to where run started)
    assert f"control token:  {shown}" in text
    page = re.search(r"fleet page:\s+(http://\S+)", text)
    assert page and page[1].endswith(f"/?token={token}")
    assert f'curl -H "Authorization: Bearer $(cat {shown})"' in text
    base = page[1].split("/?", 1)[0]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(base + "/devices", timeout=10)
    assert refused.value.code == 401
    request = urllib.request.Request(base + "/devices", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert json.loads(resp.read())["total"] == 4
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    with opener.open(page[1], timeout=10) as resp:  # the page link sets the cookie and redirects to /
        assert resp.status == 200 and resp.url == base + "/" and ESME in resp.read().decode()
    with opener.open(base + "/devices", timeout=10) as resp:  # the page's links then work
        assert resp.status == 200


def test_no_auth_and_http_host(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "smets_emu.tools.cli", "run", "--lab", str(tmp_path / "lab"), "--port", "0",
         "--binary-port", "-1", "--http-port", "0", "--http-host", "localhost", "--no-auth", "--exit-after", "0.2"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "WARNING" in result.stderr and "NO authentication" in result.stderr
    assert "control token:  none" in result.stdout and "?token=" not in result.stdout
    assert re.search(r"control plane:\s+http://(127\.0\.0\.1|\[::1\]):\d+/", result.stdout), result.stdout
    assert not (tmp_path / "lab" / "control-token").exists()


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
