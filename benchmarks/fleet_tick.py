"""Timer tick cost with nothing due: the fleet's due-time heap against walking every device.

Usage: ``python benchmarks/fleet_tick.py [--sizes 1000,10000,100000] [--repeat N]``

Fleets of premises with four devices each (CHF, ESME, GSME, GPF). The devices are built in
memory from four provisioned templates and marked as held by the fleet's store (writing
100,000 full states first would take minutes; a tick with nothing due writes nothing either
way). Printed per size, as JSON: the time of ``Fleet.tick`` with nothing due (ms per tick), and
the peer measured in the same run, the tick as it was before the heap: every device's timers
run and committed, walking the fleet's dict; then what keeping the heap costs, the time to
index one device (``Fleet.reschedule``, paid at load and after every commit, in us).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
import time
from pathlib import Path

from smets_emu.emulator.device import Device, Outbound
from smets_emu.emulator.devices import device_for
from smets_emu.emulator.provision import new_device_state
from smets_emu.emulator.state import DeviceState
from smets_emu.hosting.fleet import Fleet
from smets_emu.hosting.store import StateStore
from smets_emu.protocols.pki import generate_test_pki

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
KINDS = ("CHF", "ESME", "GSME", "GPF")


def build(store: StateStore, templates: list[DeviceState], size: int) -> Fleet:
    """A fleet of *size* devices, states shared with the templates until changed."""
    fleet = Fleet(store)
    for n in range(size):
        state = templates[n % len(templates)].clone()
        state.eui = (0x00DB_0000_0000_0000 + n).to_bytes(8, "big")
        device = device_for(state)
        device.state.saved(store.home)  # as if loaded from the store
        fleet._put(device)  # noqa: SLF001 - the devices are built in memory, not loaded
    return fleet


def walk(fleet: Fleet, now: dt.datetime) -> list[Outbound]:
    """The peer: the tick before the heap, every device's timers run and committed."""
    sent: list[Outbound] = []
    for device in list(fleet.devices.values()):
        outcome = device.timers(device.state, now)
        fleet.store.commit(outcome.state, [(o.kind, o.recipient, o.message) for o in outcome.outbound],
                           created=now.isoformat())
        device.adopt(outcome)
        sent.extend(outcome.outbound)
    return sent


def timed(fn: object, repeat: int) -> float:
    """Seconds per call of *fn* (the best of *repeat* calls)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best


def measure(tmp: Path, templates: list[DeviceState], size: int, repeat: int) -> dict[str, float]:
    store = StateStore(tmp / f"tick{size}.sqlite")
    fleet = build(store, templates, size)
    later = NOW + dt.timedelta(days=1)
    assert walk(fleet, later) == [] and fleet.tick(later) == []
    devices: list[Device] = list(fleet.devices.values())
    peer = timed(lambda: walk(fleet, later), max(1, min(repeat, 100_000 // size)))
    heap = timed(lambda: fleet.tick(later), repeat * 100)
    sample = devices[: min(size, 10_000)]

    def index() -> None:
        for device in sample:
            fleet.reschedule(device)

    reschedule = timed(index, repeat) / len(sample)
    store.close()
    return {"devices": size, "tick_ms": round(heap * 1e3, 4), "peer_walk_ms": round(peer * 1e3, 1),
            "peer_per_device_us": round(peer / size * 1e6, 2), "ratio": round(peer / heap, 0),
            "reschedule_us": round(reschedule * 1e6, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    pki = generate_test_pki(seed=3)
    templates = [new_device_state(bytes([0, 0xDB, 0xFF, 0, 0, 0, 0, n]), kind, pki.keystore, pki=pki)
                 for n, kind in enumerate(KINDS)]
    with tempfile.TemporaryDirectory() as tmp:
        results = [measure(Path(tmp), templates, int(size), args.repeat) for size in args.sizes.split(",")]
    print(json.dumps({"benchmark": "fleet_tick", "nothing_due": results}))


if __name__ == "__main__":
    main()
