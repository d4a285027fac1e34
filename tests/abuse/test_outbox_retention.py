"""Finding 8: the state file stops growing.

Every answered command used to add an outbox row (~390 B) that was never deleted, so a client
sending commands in a loop grew ``state.sqlite`` without bound. The outbox is now a bounded
delivery log: per device the newest alerts and responses are kept (defaults 1,000 and 20), so
row count and file size level off, the newest alerts stay available (``/alerts`` history after
a restart) and crash safety is unchanged: after a reopen, the last accepted command is still
refused as a replay.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path

import pytest

from smets_emu.emulator.provision import new_device_state
from smets_emu.emulator.state import DeviceState
from smets_emu.hosting.fleet import Fleet
from smets_emu.hosting.store import StateStore
from smets_emu.parties.headend import HeadEnd
from smets_emu.parties.smets2_dsp import read_firmware_payload
from smets_emu.protocols.pki import generate_test_pki

ESME = bytes.fromhex("00DB1234567890A0")
OTHER = bytes.fromhex("00DB1234567890A1")
SUPPLIER = bytes.fromhex("90B3D51F30010000")
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
ANSWER = bytes(390)  # the size of a typical answered command's response
ALERT_BOUND = 1000
RESPONSE_BOUND = 20
TRIM_SLACK = 64  # trims are batched: a bound may be exceeded by a few rows between trims


@pytest.fixture(scope="module")
def pki():  # type: ignore[no-untyped-def]
    return generate_test_pki(seed=8)


@pytest.fixture(scope="module")
def esme(pki) -> DeviceState:  # type: ignore[no-untyped-def]
    return new_device_state(ESME, "ESME", pki.keystore)


def _rows(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT count(*) FROM outbox").fetchone()[0])


def _file_size(path: Path) -> int:
    """The database file's size once its write-ahead log is folded in."""
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    return sum(os.path.getsize(f"{path}{s}") for s in ("", "-wal") if os.path.exists(f"{path}{s}"))


def _flood(store: StateStore, state: DeviceState, count: int, *, kind: str = "response", start: int = 0) -> DeviceState:
    for i in range(start, start + count):
        state = state.clone()  # a committed state is changed by committing a copy
        state.counters[2] = 1000 + i
        store.commit(state, [(kind, SUPPLIER, i.to_bytes(4, "big") + ANSWER)], created=f"{i:08d}")
    return state


def test_answered_commands_do_not_grow_the_state_file(tmp_path: Path, esme: DeviceState) -> None:
    path = tmp_path / "state.sqlite"
    work = esme.clone()
    with StateStore(path, synchronous="OFF") as store:
        work = _flood(store, work, 2000)
        rows_at_bound = _rows(path)
        size_at_bound = _file_size(path)
        _flood(store, work, 4000, start=2000)
        assert _rows(path) <= RESPONSE_BOUND + TRIM_SLACK
        assert rows_at_bound <= RESPONSE_BOUND + TRIM_SLACK
        assert _file_size(path) <= size_at_bound + 16 * 1024  # 4,000 more answers: no growth (~1.6 MB before)
        newest = store.outbox(ESME)[-1]
        assert newest.message[:4] == (5999).to_bytes(4, "big")
    with StateStore(path) as store:  # the committed state (counters) is untouched by trimming
        loaded = store.load(ESME)
        assert loaded is not None and loaded.counters[2] == 1000 + 5999


def test_alert_history_keeps_the_newest_per_device(tmp_path: Path, esme: DeviceState) -> None:
    path = tmp_path / "state.sqlite"
    other = esme.clone()
    other.eui = OTHER
    with StateStore(path, synchronous="OFF") as store:
        store.commit(other, [("alert", SUPPLIER, b"quiet device alert")], created="0")
        _flood(store, esme.clone(), 2500, kind="alert")
        alerts = store.outbox(ESME)
        assert ALERT_BOUND <= len(alerts) <= ALERT_BOUND + TRIM_SLACK
        assert alerts[-1].message[:4] == (2499).to_bytes(4, "big")
        recent = store.recent_alerts(5)
        assert [m.message[:4] for m in recent] == [i.to_bytes(4, "big") for i in range(2495, 2500)]  # newest last
        assert [m.message for m in store.recent_alerts(5, OTHER)] == [b"quiet device alert"]  # a flood elsewhere
    with StateStore(path) as store:  # the history survives a restart
        assert store.recent_alerts(1)[0].message[:4] == (2499).to_bytes(4, "big")
        assert len(store.outbox(ESME)) <= ALERT_BOUND + TRIM_SLACK


def test_real_commands_through_the_fleet_and_replay_after_reopen(tmp_path: Path, pki) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "state.sqlite"
    fleet = Fleet(StateStore(path, synchronous="OFF"))
    headend = HeadEnd(pki.keystore)
    state = new_device_state(ESME, "ESME", pki.keystore)
    fleet.add(state)
    headend.register_device(state)
    last = b""
    for counter in range(100, 400):
        code, payload = read_firmware_payload("ESME", counter)
        last = headend.command(originator=SUPPLIER, recipient=ESME, message_code=code, payload=payload,
                               counter=counter)
        assert [o.kind for o in fleet.deliver(last, NOW)] == ["response"]
    assert len(fleet.store.outbox(ESME)) <= RESPONSE_BOUND + TRIM_SLACK
    fleet.store.close()
    reopened = Fleet(StateStore(path))
    try:
        assert not reopened.devices[ESME].handle(last, NOW).accepted  # still a replay after restart
    finally:
        reopened.store.close()


def test_a_grown_state_file_is_trimmed_and_compacted_on_open(tmp_path: Path, esme: DeviceState) -> None:
    path = tmp_path / "state.sqlite"
    db = sqlite3.connect(path)  # a file as earlier versions left it: no retention, no auto-vacuum
    db.executescript(
        "CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, eui TEXT NOT NULL, kind TEXT NOT NULL, "
        "recipient TEXT NOT NULL, message BLOB NOT NULL, created TEXT NOT NULL, delivered INTEGER NOT NULL DEFAULT 0);"
    )
    db.executemany(
        "INSERT INTO outbox (eui, kind, recipient, message, created) VALUES (?, 'response', ?, ?, '')",
        [(ESME.hex().upper(), SUPPLIER.hex().upper(), i.to_bytes(4, "big") + ANSWER) for i in range(12000)],
    )
    db.commit()
    db.close()
    grown = _file_size(path)
    with StateStore(path) as store:
        assert len(store.outbox(ESME)) == RESPONSE_BOUND
        assert store.outbox(ESME)[-1].message[:4] == (11999).to_bytes(4, "big")
    assert _file_size(path) < grown // 4
