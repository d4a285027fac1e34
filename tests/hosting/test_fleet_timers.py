"""Fleet ticks run only the devices whose next due time has come (GBCS 5.9 future-dated commands)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

from smets_emu.emulator.device import Device, Outcome
from smets_emu.emulator.provision import new_device_state
from smets_emu.emulator.state import DeviceState
from smets_emu.hosting.fleet import Fleet
from smets_emu.hosting.store import StateStore, StoreError
from smets_emu.parties.firmware_commands import activation_command
from smets_emu.parties.headend import HeadEnd
from smets_emu.protocols.payloads.asn1 import Asn1Payload
from smets_emu.protocols.pki import TestPki, generate_test_pki

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from kill_restart import _cs02b  # noqa: E402

ESME = bytes.fromhex("00DB1234567890A0")
GSME = bytes.fromhex("00DB1234567890A1")
CHF = bytes.fromhex("00DB1234567890A2")
SUPPLIER = bytes.fromhex("90B3D51F30010000")
SUPPLIER2 = bytes.fromhex("90B3D51F30030000")
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The devices whose timers run, in order."""
    seen: list[bytes] = []
    timers = Device.timers

    def counted(self: Device, state: DeviceState, now: dt.datetime) -> Outcome:
        seen.append(self.eui)
        return timers(self, state, now)

    monkeypatch.setattr(Device, "timers", counted)
    return seen


def _fleet(path: Path) -> tuple[Fleet, HeadEnd, TestPki]:
    pki = generate_test_pki(seed=9)
    fleet = Fleet(StateStore(path))
    headend = HeadEnd(pki.keystore)
    for eui, kind in ((ESME, "ESME"), (GSME, "GSME"), (CHF, "CHF")):
        state = new_device_state(eui, kind, pki.keystore, pki=pki)
        fleet.add(state)
        headend.register_device(state)
    return fleet, headend, pki


def test_future_dated_activation_fires_at_its_time_and_nothing_else_is_touched(tmp_path: Path,
                                                                              runs: list[bytes]) -> None:
    fleet, headend, _ = _fleet(tmp_path / "f.sqlite")
    when = NOW + dt.timedelta(days=1)
    sent = fleet.deliver(activation_command(headend, ESME, bytes(32), 30, execution=when), NOW)
    assert [o.kind for o in sent] == ["response"]
    commits = fleet.store.stats.commits
    assert fleet.tick(NOW) == [] and fleet.tick(when - SECOND) == []
    assert runs == [] and fleet.store.stats.commits == commits  # nothing due: no device touched, nothing written
    fired = fleet.tick(when)
    assert runs == [ESME] and [o.message_code for o in fired] == [0x00CA]
    assert fleet.store.stats.commits == commits + 1
    assert fleet.tick(when + dt.timedelta(days=30)) == [] and runs == [ESME]  # done: not due again


def test_the_index_is_rebuilt_at_load_and_a_failed_commit_stays_due(tmp_path: Path, runs: list[bytes]) -> None:
    fleet, headend, pki = _fleet(tmp_path / "f.sqlite")
    tree = _cs02b(pki, SUPPLIER2, 2000).to_json()
    tree["value"]["executionDateTime"] = "20300101000000Z"
    command = headend.command(originator=SUPPLIER, recipient=GSME, message_code=0x0102,
                              payload=Asn1Payload.from_json(tree), counter=2000)
    assert [o.kind for o in fleet.deliver(command, NOW)] == ["response"]
    fleet.store.close()
    reopened = Fleet(StateStore(tmp_path / "f.sqlite"))
    when = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    assert reopened.tick(when - SECOND) == [] and runs == []
    commit = reopened.store.commit

    def failing(*args: object, **kwargs: object) -> list[int]:
        raise StoreError("disk full")

    reopened.store.commit = failing  # type: ignore[method-assign]
    with pytest.raises(StoreError):
        reopened.tick(when)
    reopened.store.commit = commit  # type: ignore[method-assign]
    fired = reopened.tick(when)
    assert runs == [GSME, GSME] and [o.message_code for o in fired] == [0x00CB]
    assert reopened.devices[GSME].role_of(reopened.devices[GSME].state, SUPPLIER2) is not None


def test_due_devices_run_in_fleet_order(tmp_path: Path, runs: list[bytes]) -> None:
    fleet, headend, _ = _fleet(tmp_path / "f.sqlite")
    late, early = NOW + dt.timedelta(hours=2), NOW + dt.timedelta(hours=1)
    fleet.deliver(activation_command(headend, GSME, bytes(32), 40, execution=early), NOW)
    fleet.deliver(activation_command(headend, ESME, bytes(32), 41, execution=late), NOW)
    fired = fleet.tick(late)
    assert runs == [ESME, GSME] and [o.message_code for o in fired] == [0x00CA, 0x00CA]
