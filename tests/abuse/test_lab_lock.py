"""Finding 5: one process owns a lab.

A second ``smets-emu run`` on a lab another process serves must not start (both would accept,
record and persist commands independently, so a command accepted through one could be replayed
through the other); offline tools such as ``firmware campaign`` must refuse too. The lock is an
OS file lock: a holder killed with SIGKILL never blocks the next opener.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from smets_emu.tools.lab import LabLockedError, open_lab

CLI = [sys.executable, "-m", "smets_emu.tools.cli"]
HOLD = (
    "import sys, time\n"
    "from smets_emu.tools.lab import open_lab\n"
    "lab = open_lab(sys.argv[1], synchronous='OFF')\n"
    "print('ready', flush=True)\n"
    "time.sleep(30)\n"
)


def _run(lab: Path, *extra: str, exit_after: str = "20") -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLI, "run", "--lab", str(lab), "--http-port", "-1", "--port", "0", "--binary-port", "0",
         "--exit-after", exit_after, *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _wait_for(proc: subprocess.Popen[str], marker: str, timeout: float = 15.0) -> None:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError(f"holder ended before {marker!r}: {proc.stderr.read() if proc.stderr else ''}")
        if marker in line:
            return
    raise AssertionError(f"no {marker!r} within {timeout} s")


def _kill(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=10)


def test_second_run_and_campaign_refused_while_run_serves(tmp_path: Path) -> None:
    lab = tmp_path / "lab"
    holder = _run(lab)
    try:
        _wait_for(holder, "serving")
        started = time.monotonic()
        second = _run(lab, exit_after="3")
        try:
            _out, err = second.communicate(timeout=15)
        finally:
            _kill(second)
        assert second.returncode == 2, err
        assert time.monotonic() - started < 10
        assert f"process {holder.pid}" in err and "in use" in err

        campaign = subprocess.run(
            [*CLI, "firmware", "campaign", "--state", str(lab), "--status"],
            capture_output=True, text=True, timeout=30, check=False,
        )
        assert campaign.returncode == 2
        assert f"process {holder.pid}" in campaign.stderr
        state_file = subprocess.run(
            [*CLI, "firmware", "versions", "--state", str(lab / "state.sqlite")],
            capture_output=True, text=True, timeout=30, check=False,
        )
        assert state_file.returncode == 2 and f"process {holder.pid}" in state_file.stderr
        assert holder.poll() is None  # the owner keeps serving
    finally:
        _kill(holder)
    # the owner is gone (SIGKILL: no clean-up ran); its lock file is left behind but does not block
    assert (lab / "lab.lock").exists()
    reopened = open_lab(lab)
    try:
        assert reopened.fleet.devices
    finally:
        reopened.close()


def test_sigkilled_holder_never_blocks(tmp_path: Path) -> None:
    lab = tmp_path / "lab"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(lab)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(holder, "ready")
        with pytest.raises(LabLockedError, match=f"process {holder.pid}") as info:
            open_lab(lab)
        assert info.value.owner["pid"] == holder.pid
    finally:
        _kill(holder)
    opened = open_lab(lab)
    opened.close()


def test_one_owner_per_process_and_endpoints_named(tmp_path: Path) -> None:
    first = open_lab(tmp_path / "lab", synchronous="OFF")
    try:
        first.record_endpoints({"control plane": "http://127.0.0.1:8059/", "WAN GFI": "tcp://127.0.0.1:4059"})
        with pytest.raises(LabLockedError) as info:
            open_lab(tmp_path / "lab")
        message = str(info.value)
        assert f"process {os.getpid()}" in message
        assert "http://127.0.0.1:8059/" in message and "tcp://127.0.0.1:4059" in message
    finally:
        first.close()
    again = open_lab(tmp_path / "lab")  # closing gave the lab up
    again.close()


def test_state_file_outside_the_lab_is_locked_too(tmp_path: Path) -> None:
    elsewhere = tmp_path / "states"
    elsewhere.mkdir()
    first = open_lab(tmp_path / "a", state_path=elsewhere / "state.sqlite", synchronous="OFF")
    try:
        with pytest.raises(LabLockedError, match="state file"):
            open_lab(tmp_path / "b", state_path=elsewhere / "state.sqlite")
        with pytest.raises(LabLockedError):
            open_lab(elsewhere)  # the same state file as that folder's default lab
    finally:
        first.close()
