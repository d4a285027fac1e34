"""State store: atomic commits, reload, outbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from smets_emu.emulator.provision import new_device_state
from smets_emu.emulator.state import DeviceState
from smets_emu.hosting.store import OutboxRetention, StateStore, StoreError
from smets_emu.protocols.pki import generate_test_pki

EUI = bytes.fromhex("00DB1234567890A0")


@pytest.fixture(scope="module")
def state() -> DeviceState:
    return new_device_state(EUI, "ESME", generate_test_pki(seed=2).keystore)


def test_state_json_round_trip(state: DeviceState) -> None:
    assert DeviceState.loads(state.dumps()) == state


def test_commit_reload_and_outbox(tmp_path: Path, state: DeviceState) -> None:
    path = tmp_path / "s.sqlite"
    with StateStore(path) as store:
        work = state.clone()
        work.counters[2] = 1234
        store.commit(work, [("response", bytes(8), b"\x01\x02")], created="t")
    with StateStore(path) as store:
        loaded = store.load(EUI)
        assert loaded is not None and loaded.counters[2] == 1234
        assert [m.message for m in store.outbox()] == [b"\x01\x02"]
        store.mark_delivered([store.outbox()[0].seq])
        assert store.outbox(undelivered_only=True) == []


def test_failed_commit_changes_nothing(tmp_path: Path, state: DeviceState) -> None:
    with StateStore(tmp_path / "s.sqlite") as store:
        store.commit(state)
        bad = state.clone()
        bad.counters[2] = 99
        with pytest.raises(StoreError):
            store.commit(bad, [("response", bytes(8), object())])  # type: ignore[list-item]
        assert store.load(EUI) == state
        assert store.outbox() == []


def test_outbox_retention_bounds_the_whole_store(tmp_path: Path, state: DeviceState) -> None:
    policy = OutboxRetention(alerts_per_device=5, responses_per_device=2, max_rows=30, trim_every=1)
    with StateStore(tmp_path / "s.sqlite", retention=policy) as store:
        for n in range(40):
            work = state.clone()
            work.eui = n.to_bytes(8, "big")
            store.commit(work, [("alert", bytes(8), b"a%d" % n), ("response", bytes(8), b"r%d" % n)])
        assert store.outbox_rows() <= 30
        assert store.recent_alerts(1)[0].message == b"a39"
        for n in range(3):
            store.commit(state, [("alert", bytes(8), b"x%d" % n)] * 3)
        assert [m.message for m in store.recent_alerts(10, EUI)] == [b"x1", b"x1", b"x2", b"x2", b"x2"]
        assert store.recent_alerts(0) == []


def test_outbox_retention_rejects_nonsense() -> None:
    with pytest.raises(StoreError):
        OutboxRetention(alerts_per_device=-1)
    with pytest.raises(StoreError):
        OutboxRetention(trim_every=0)


# --- sections written incrementally ----------------------------------------------------------------


def test_a_counter_change_writes_the_counters_section_only(tmp_path: Path, state: DeviceState) -> None:
    with StateStore(tmp_path / "s.sqlite") as store:
        base = state.clone()
        store.commit(base)
        work = base.clone()
        work.counters[2] = 77
        assert work.objects == {} and work.anchors == base.anchors  # used, not changed
        assert set(work.delta(store.home).sections) == {"counters"}
        before = store.stats.state_bytes
        store.commit(work)
        assert 0 < store.stats.state_bytes - before < 1024
        assert store.commit(work.clone()) == [] and store.stats.commits == 2  # nothing changed: no transaction
        loaded = store.load(EUI)
        assert loaded == work and loaded.counters[2] == 77


def test_a_working_copy_shares_nothing_it_changes(state: DeviceState) -> None:
    parent = state.clone()
    parent.objects["cosem"] = {"a": {"2": 1}}
    child = parent.clone()
    child.objects["cosem"]["a"]["2"] = 2
    child.pending.append({"kind": "x"})
    assert parent.objects["cosem"]["a"]["2"] == 1 and parent.pending == []
    grandchild = child.clone()  # an uncommitted parent's changes travel with the copy
    assert grandchild.delta(0).full  # never stored anywhere
    assert grandchild.objects == child.objects


def test_changes_of_an_uncommitted_parent_are_written_with_the_child(tmp_path: Path, state: DeviceState) -> None:
    with StateStore(tmp_path / "s.sqlite") as store:
        base = state.clone()
        store.commit(base)
        middle = base.clone()
        middle.firmware["version"] = "0002"
        child = middle.clone()
        child.lifecycle = "suspended"
        assert set(child.delta(store.home).sections) == {"firmware", "counters"}
        store.commit(child)
        loaded = store.load(EUI)
        assert loaded is not None and loaded.firmware["version"] == "0002" and loaded.lifecycle == "suspended"


def test_security_log_is_appended_as_bounded_rows(tmp_path: Path, state: DeviceState) -> None:
    with StateStore(tmp_path / "s.sqlite") as store:
        work = state.clone()
        store.commit(work)
        for n in range(230):
            work = work.clone()
            work.log_security_event(0x8F53, f"t{n}", "replayed counter")
            store.commit(work)
        rows = store._db.execute("SELECT count(*) FROM security_log WHERE eui = ?", (EUI.hex().upper(),))
        assert rows.fetchone()[0] == 200
        loaded = store.load(EUI)
        assert loaded is not None and loaded == work and loaded.security_log[-1]["time"] == "t229"
        assert loaded.security_seq == 230  # numbering continues from the stored rows
        after = loaded.clone()
        after.log_security_event(0x8F1E, "x", "after reload")
        store.commit(after)
        reloaded = store.load(EUI)
        assert reloaded is not None and reloaded.security_log[-2:] == work.security_log[-1:] + after.security_log[-1:]


def test_a_state_moved_to_another_store_is_written_whole(tmp_path: Path, state: DeviceState) -> None:
    first, second = StateStore(tmp_path / "a.sqlite"), StateStore(tmp_path / "b.sqlite")
    with first, second:
        work = state.clone()
        first.commit(work)
        second.commit(work)
        assert second.load(EUI) == work
        assert second.load_all().__next__() == work and second.euis() == [EUI]


# --- conversion of a store holding one JSON document per device -------------------------------------

OLD_SCHEMA = """
CREATE TABLE devices (eui TEXT PRIMARY KEY, device_type TEXT NOT NULL, state TEXT NOT NULL,
                      version INTEGER NOT NULL DEFAULT 0);
CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, eui TEXT NOT NULL, kind TEXT NOT NULL,
                     recipient TEXT NOT NULL, message BLOB NOT NULL, created TEXT NOT NULL,
                     delivered INTEGER NOT NULL DEFAULT 0);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def _old_store(path: Path, states: list[DeviceState], *, extra: tuple[str, str] | None = None) -> None:
    import sqlite3

    db = sqlite3.connect(path)
    db.executescript(OLD_SCHEMA)
    rows = [(s.eui.hex().upper(), s.device_type, s.dumps(), 3) for s in states]
    db.executemany("INSERT INTO devices VALUES (?, ?, ?, ?)", rows + ([(*extra, "{", 1)] if extra else []))
    db.execute("INSERT INTO outbox (eui, kind, recipient, message, created) VALUES (?, 'alert', ?, ?, 't')",
               (EUI.hex().upper(), "00" * 8, b"\x01"))
    db.commit()
    db.close()


def test_a_store_of_whole_documents_is_converted_on_open(tmp_path: Path, state: DeviceState) -> None:
    path = tmp_path / "old.sqlite"
    logged = state.clone()
    for n in range(3):
        logged.log_security_event(0x8F3D, f"t{n}", "bad MAC")
    other = DeviceState.loads(logged.dumps())
    other.eui = bytes.fromhex("00DB1234567890A1")
    _old_store(path, [logged, other])
    with StateStore(path) as store:
        assert store.euis() == [EUI, other.eui]
        assert store.load(EUI) == logged and store.load(other.eui) == other
        assert [m.message for m in store.outbox()] == [b"\x01"]
        tables = {r[0] for r in store._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "devices" not in tables
        work = store.load(EUI)
        assert work is not None
        work = work.clone()
        work.counters[2] = 5
        store.commit(work)
    with StateStore(path) as store:  # converted once; later opens read the sections
        loaded = store.load(EUI)
        assert loaded is not None and loaded.counters[2] == 5 and loaded.security_log == logged.security_log


def test_a_conversion_that_fails_changes_nothing(tmp_path: Path, state: DeviceState) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite"
    _old_store(path, [state], extra=("00DB1234567890A9", "ESME"))
    with pytest.raises(StoreError, match="cannot convert"):
        StateStore(path)
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM devices").fetchone()[0] == 2
    assert db.execute("SELECT count(*) FROM device_sections").fetchone()[0] == 0
    db.close()
