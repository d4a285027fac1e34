"""State store cost per handled command: sections written incrementally against whole-document writes.

Usage: ``python benchmarks/store.py [--json] [--devices N] [--commands N]``

An ESME handles reads (ECS17b import energy registers, 0x0027) and critical commands (ECS43
open load switch); each outcome is committed in one transaction with its response. Printed:
the time to serialise what a commit writes (the changed sections), the commit itself (serialise
and transaction) and the state bytes written per command, and, as the peer measured in the same
run, the same for the whole state written as one JSON document per command in a transaction of
the same shape (what every command cost before sections). Then the rate of commands delivered through a
fleet (parse, route, handle, commit) with 1 device and with N devices (default 10,000).
Last, the outbox's share of a commit: one response per commit (and an alert every tenth) on an
outbox of ~60,000 rows, against the peer measured in the same run, the same store with the
outbox's earlier three full indexes (delivered/seq, eui/kind/seq, kind/seq) instead of
eui/kind/seq and the partial alerts index.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from device import open_load_switch

from smets_emu.emulator.provision import new_device_state
from smets_emu.emulator.state import DeviceState
from smets_emu.hosting.fleet import Fleet
from smets_emu.hosting.store import StateStore
from smets_emu.parties.headend import HeadEnd
from smets_emu.protocols.keystore import Keystore
from smets_emu.protocols.payloads.dlms import sample_dlms
from smets_emu.protocols.pki import generate_test_pki

SUPPLIER = bytes.fromhex("90B3D51F30010000")
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
KINDS = (("read", 0x0027, 100_000), ("critical", 0x0050, 200_000))


def command(headend: HeadEnd, eui: bytes, code: int, counter: int) -> bytes:
    payload = sample_dlms(code, 1) if code == 0x0027 else open_load_switch(counter)
    return headend.command(originator=SUPPLIER, recipient=eui, message_code=code, payload=payload, counter=counter)


def whole_document_commit(db: sqlite3.Connection, state: DeviceState, outbound: list[tuple[str, bytes, bytes]]) -> int:
    """The peer: the whole state as one JSON document, upserted with the messages in one transaction."""
    text = state.dumps()
    eui = state.eui.hex().upper()
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT INTO documents (eui, state) VALUES (?, ?) ON CONFLICT(eui) DO UPDATE SET state = excluded.state",
               (eui, text))
    for kind, recipient, message in outbound:
        db.execute("INSERT INTO messages (eui, kind, recipient, message) VALUES (?, ?, ?, ?)",
                   (eui, kind, recipient.hex().upper(), message))
    db.execute("COMMIT")
    return len(text)


def per_command(tmp: Path, headend: HeadEnd, keystore: Keystore, commands: int) -> dict[str, float]:
    """Prepare and commit costs and bytes per command, sections against whole documents."""
    eui = bytes.fromhex("00DB1234567890A0")
    fleet = Fleet(StateStore(tmp / "one.sqlite"))
    device = fleet.add(new_device_state(eui, "ESME", keystore))
    headend.register_device(device.state)
    peer = sqlite3.connect(tmp / "peer.sqlite", isolation_level=None)
    peer.execute("PRAGMA journal_mode=WAL")
    peer.execute("PRAGMA synchronous=NORMAL")
    peer.execute("CREATE TABLE documents (eui TEXT PRIMARY KEY, state TEXT NOT NULL)")
    peer.executescript("CREATE TABLE messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, eui TEXT, kind TEXT, "
                       "recipient TEXT, message BLOB, delivered INTEGER NOT NULL DEFAULT 0);"
                       "CREATE INDEX m1 ON messages (delivered, seq); CREATE INDEX m2 ON messages (eui, kind, seq);"
                       "CREATE INDEX m3 ON messages (kind, seq);")  # the outbox's shape
    store = fleet.store
    result: dict[str, float] = {}
    for kind, code, first in KINDS:
        messages = [command(headend, eui, code, counter) for counter in range(first, first + commands)]
        prepare = commit = peer_prepare = peer_commit = 0.0
        peer_bytes = 0
        written = store.stats.state_bytes
        for message in messages:
            outcome = device.process(device.state, message, NOW)
            assert outcome.accepted, outcome.reason
            rows = [(o.kind, o.recipient, o.message) for o in outcome.outbound]
            t0 = time.perf_counter()
            outcome.state.delta(store.home)
            t1 = time.perf_counter()
            outcome.state.dumps()
            t2 = time.perf_counter()
            peer_bytes += whole_document_commit(peer, outcome.state, rows)
            t3 = time.perf_counter()
            store.commit(outcome.state, rows, created=NOW.isoformat())
            t4 = time.perf_counter()
            device.adopt(outcome)
            prepare, peer_prepare = prepare + t1 - t0, peer_prepare + t2 - t1
            peer_commit, commit = peer_commit + t3 - t2, commit + t4 - t3
        n = len(messages)
        result[f"{kind}_serialise_ms"] = round(prepare / n * 1e3, 4)
        result[f"{kind}_commit_ms"] = round(commit / n * 1e3, 4)
        result[f"{kind}_state_bytes"] = round((store.stats.state_bytes - written) / n)
        result[f"{kind}_whole_document_serialise_ms"] = round(peer_prepare / n * 1e3, 4)
        result[f"{kind}_whole_document_commit_ms"] = round(peer_commit / n * 1e3, 4)
        result[f"{kind}_whole_document_bytes"] = round(peer_bytes / n)
    peer.close()
    store.close()
    return result


OLD_OUTBOX_INDEXES = (
    "DROP INDEX outbox_alerts",
    "CREATE INDEX outbox_pending ON outbox (delivered, seq)",
    "CREATE INDEX outbox_kind ON outbox (kind, seq)",
)


def outbox_cost(tmp: Path, keystore: Keystore, commits: int, devices: int = 2_000,
                fill: int = 60_000) -> dict[str, float]:
    """ms per commit that writes only outbox rows (the state unchanged), now and with the old indexes."""
    template = new_device_state(bytes.fromhex("00DB123600000000"), "ESME", keystore)
    message, recipient = bytes(range(250)), SUPPLIER
    stores: dict[str, tuple[StateStore, list[DeviceState]]] = {}
    for name in ("outbox", "outbox_three_indexes"):
        store = StateStore(tmp / f"{name}.sqlite")
        if name == "outbox_three_indexes":
            for statement in OLD_OUTBOX_INDEXES:
                store._db.execute(statement)  # noqa: SLF001 - the peer: the schema before
        states = []
        for i in range(devices):
            state = template.clone()
            state.eui = bytes.fromhex("00DB1236") + i.to_bytes(4, "big")
            states.append(state)
        store.add_all(states)
        for n in range(fill):
            store.commit(states[n % devices], outbox_rows(n, recipient, message), created=NOW.isoformat())
        stores[name] = (store, states)
    best = {name: float("inf") for name in stores}
    for attempt in range(5):  # interleaved, so both see the same machine load
        for name, (store, states) in stores.items():
            start = time.perf_counter()
            for n in range(commits):
                store.commit(states[(n * 7919 + attempt) % devices], outbox_rows(n, recipient, message),
                             created=NOW.isoformat())
            best[name] = min(best[name], (time.perf_counter() - start) / commits)
    for store, _ in stores.values():
        store.close()
    return {f"{name}_commit_ms": round(value * 1e3, 4) for name, value in best.items()}


def outbox_rows(n: int, recipient: bytes, message: bytes) -> list[tuple[str, bytes, bytes]]:
    rows = [("response", recipient, message)]
    if n % 10 == 0:
        rows.append(("alert", recipient, message))
    return rows


def fleet_rate(tmp: Path, headend: HeadEnd, keystore: Keystore, devices: int, commands: int) -> dict[str, float]:
    """Commands/s delivered through a fleet on a state file, spread over *devices* ESMEs."""
    fleet = Fleet(StateStore(tmp / f"fleet{devices}.sqlite"))
    euis = [bytes.fromhex("00DB1235") + i.to_bytes(4, "big") for i in range(devices)]
    for eui in euis:
        fleet.add(new_device_state(eui, "ESME", keystore))
    result: dict[str, float] = {}
    for kind, code, first in KINDS:
        targets = [euis[i % devices] for i in range(commands)]
        for eui in set(targets):
            headend.register_device(fleet.devices[eui].state)
        messages = [command(headend, eui, code, first + i) for i, eui in enumerate(targets)]
        start = time.perf_counter()
        answered = sum(bool(fleet.deliver(m, NOW)) for m in messages)
        result[f"{kind}s_per_s_{devices}_devices"] = round(len(messages) / (time.perf_counter() - start), 1)
        assert answered == len(messages), answered
    fleet.store.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--commands", type=int, default=2_000, help="commands per measurement")
    args = parser.parse_args()
    pki = generate_test_pki(seed=1)
    headend = HeadEnd(pki.keystore)
    with tempfile.TemporaryDirectory() as tmp:
        result = per_command(Path(tmp), headend, pki.keystore, args.commands)
        for size in (1, args.devices):
            result.update(fleet_rate(Path(tmp), headend, pki.keystore, size, args.commands))
        result.update(outbox_cost(Path(tmp), pki.keystore, args.commands))
    if not args.json:
        for key, value in result.items():
            print(f"{key:42} {value}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
