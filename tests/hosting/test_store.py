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
