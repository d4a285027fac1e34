"""SIGKILL at random points, restart: every section of the state is a committed prefix (benchmarks/kill_restart.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "kill_restart.py"


@pytest.mark.slow
def test_fifty_kills_leave_committed_prefixes() -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--trials", "50", "--json"],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["ok"], summary["problems"]
    assert summary["trials"] == 50
    assert summary["anchor_updates_in_script"] > 10
    assert summary["anchors_and_counters_in_one_command"] > 10  # one command, several sections, one transaction
    assert summary["killed_mid_script"] >= 30
    assert summary["distinct_prefixes"] >= 10
    assert summary["replays_refused"] > 0
