"""The pytest plugin: a user's test file gets ``smets_fleet`` and ``smets_client`` from the entry point."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

USER_TESTS = '''
import datetime as dt


def test_read_firmware(smets_fleet, smets_client):
    reply = smets_client.command("read-firmware", to=smets_fleet.esme, as_role="supplier")
    assert reply.response is not None
    assert reply.security["mac"] == "valid"
    assert reply.message.header.originator == smets_fleet.esme


def test_gas_meter_and_clock(smets_fleet, smets_client):
    assert smets_client.command(0x0084, to=smets_fleet.gsme).security["mac"] == "valid"
    before = smets_fleet.now()
    smets_fleet.advance(dt.timedelta(days=1))
    assert smets_fleet.now() - before == dt.timedelta(days=1)


def test_faults_are_seen(smets_fleet, smets_client):
    smets_fleet.fault(smets_fleet.esme, "corrupt")
    reply = smets_client.command(0x0059, to=smets_fleet.esme)
    assert reply.response is None and reply.alerts
    assert smets_fleet.alerts


def test_each_test_has_its_own_fleet(smets_fleet):
    assert all(not d.state.counters for d in smets_fleet.devices.values())


def test_control_plane_with_the_token(smets_fleet):
    import urllib.error
    import urllib.request

    assert smets_fleet.token and smets_fleet.http_headers == {"Authorization": f"Bearer {smets_fleet.token}"}
    assert smets_fleet.http("GET", "/devices").body["total"] == 4
    moved = smets_fleet.http("POST", "/clock/advance", {"hours": 1})
    assert moved.status == 200 and moved.body["time"].startswith("2026-01-01T01:00")
    assert smets_fleet.http("POST", "/clock/advance", {"days": 3000000}).status == 400
    try:
        urllib.request.urlopen(smets_fleet.http_url + "/devices", timeout=10)
    except urllib.error.HTTPError as exc:
        assert exc.code == 401
    else:
        raise AssertionError("the control plane answered without the token")
'''


def _plugin_args() -> list[str]:
    registered = any(e.value == "smets_emu.testing.plugin" for e in importlib.metadata.entry_points(group="pytest11"))
    return [] if registered else ["-p", "smets_emu.testing.plugin"]


def test_fixtures_in_a_user_suite(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(USER_TESTS)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *_plugin_args(), "test_user.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout
