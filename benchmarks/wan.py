"""WAN figures: protected reads and critical commands over the TCP front, beside the in-process rate.

Usage: ``python benchmarks/wan.py [--json] [--quick] [--devices 1,10000,100000] [--reads 3000]
[--critical 600] [--connections 4] [--framing gfi|binary]``

``--quick`` runs 1, 1,000 and 5,000 devices with a third of the commands.

Per fleet size a lab of that many ESMEs is provisioned as ``smets-emu run`` provisions fleet-file
devices (own key pairs, trust anchors from the lab's keystore, the ACB key agreement secret agreed
and kept; the states go to the store through ``Fleet.extend`` in one transaction, timed as
``provision_s``) and served by the same
:class:`~smets_emu.tools.service.LabService` as ``smets-emu run`` (GFI or binary framing, control
plane off, virtual clock). Two kinds of command are sent, each built beforehand by a
:class:`~smets_emu.tools.wan_client.RemoteParty` so the client's own crypto is not timed:

- ``reads``: ECS52 Read ESME Firmware Version (0x0059) as the supplier, MACed (GBCS 7.2.7); the device
  checks the MAC, answers with a MACed response and commits its counter;
- ``critical``: ECS43 Remotely Open the Load Switch (0x0050) as the supplier, signed and MACed (GBCS
  7.2.9, critical commands); the device checks MAC and signature, acts and answers.

Commands go round-robin over the fleet, continuing where the previous batch stopped, so at 10,000 and
100,000 devices almost every command reaches a device that has not been addressed before in the run
(as on a national fleet). Each kind runs first in-process (``Fleet.deliver`` on the calling thread:
envelope decode, routing, MAC/signature, handler, SQLite commit, protected reply) and then over
``--connections`` TCP connections from a client process of its own (the front keeps its core), one
command at a time per connection, timing each from its write to its reply.

Figures per size and kind: ``commands_per_s`` (TCP), ``latency_p50_ms`` / ``latency_p99_ms`` (TCP),
``in_process_per_s``, ``transport_ratio`` = TCP rate / in-process rate (aim >= 0.7). Across sizes:
``flatness`` = rate at the largest size / rate at 1 device, per kind, TCP and in-process (aim >= 0.8).
``tick_cpu_s``: CPU time of one runtime timer tick over the fleet with nothing due (the service here
ticks hourly; ``smets-emu run`` ticks every second). The same figures per CPU second of the serving
process (``per_cpu_s``, ``in_process_per_cpu_s``,
``transport_ratio_cpu``, ``flatness_cpu``) show the cost on one core whatever else the machine runs.
With ``--json`` the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from smets_emu.tools.fleet_file import DeviceSpec, FleetSpec
from smets_emu.tools.lab import Lab, _device_entries, open_lab, provision_state
from smets_emu.tools.service import LabService, ServiceConfig
from smets_emu.tools.wan_client import RemoteParty, WanClient

DEVICE_COUNTS = (1, 10_000, 100_000)
QUICK_DEVICE_COUNTS = (1, 1_000, 5_000)
FIRST_EUI = 0x00DB_5000_0000_0000
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
KINDS = {"reads": 0x0059, "critical": 0x0050}


def provision(folder: str, devices: int) -> tuple[Lab, float]:
    """A lab of *devices* ESMEs in *folder*; returns it and the seconds provisioning took.

    Each ESME is provisioned as ``smets-emu run`` provisions a fleet-file device of a lab whose PKI
    is given as a key folder (:func:`~smets_emu.tools.lab.provision_state`: own key pairs, trust
    anchors from the lab's keystore, the ACB key agreement secret agreed and kept), its public keys
    put where remote parties find them; the states go to the store through ``Fleet.extend`` in one
    transaction.
    """
    lab = open_lab(folder, FleetSpec(()), synchronous="OFF")
    started = time.perf_counter()
    states = []
    for i in range(devices):
        state = provision_state(DeviceSpec("ESME", (FIRST_EUI + i).to_bytes(8, "big")), lab.keystore, None)
        _device_entries(lab.keystore, state)
        states.append(state)
    lab.fleet.extend(states)
    return lab, time.perf_counter() - started


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


class Commands:
    """Protected commands built beforehand, round-robin over the fleet's devices."""

    def __init__(self, lab: Lab) -> None:
        self.party = RemoteParty(lab.keystore, None)  # type: ignore[arg-type]
        self.euis = sorted(lab.fleet.devices)
        self.position = 0

    def build(self, code: int, count: int) -> list[bytes]:
        out = []
        for _ in range(count):
            eui = self.euis[self.position % len(self.euis)]
            self.position += 1
            out.append(self.party.build(code, to=eui, as_party="supplier"))
        return out


def in_process(lab: Lab, batch: list[bytes]) -> dict[str, Any]:
    """Deliver *batch* with ``Fleet.deliver`` on this thread; rate and latencies."""
    fleet, latencies, answered = lab.fleet, [], 0
    cpu, started = time.process_time(), time.perf_counter()
    for data in batch:
        t0 = time.perf_counter()
        sent = fleet.deliver(data, START)
        latencies.append(time.perf_counter() - t0)
        answered += any(o.kind == "response" for o in sent)
    elapsed = time.perf_counter() - started
    figures = _figures(latencies, answered, elapsed)
    figures["per_cpu_s"] = round(len(batch) / (time.process_time() - cpu), 1)
    return figures


def over_tcp(host: str, port: int, framing: str, connections: int, batch: list[bytes]) -> dict[str, Any]:
    """Send *batch* over *connections* TCP connections, one command at a time each; rate and latencies.

    Runs in a process of its own, so the clients' framing and reply parsing do not share the front's core.
    """
    cpu = time.process_time()
    figures = asyncio.run(_over_tcp(host, port, framing, connections, batch))
    figures["client_cpu_s"] = round(time.process_time() - cpu, 3)
    return figures


async def _over_tcp(host: str, port: int, framing: str, connections: int, batch: list[bytes]) -> dict[str, Any]:
    clients = [await WanClient.connect(host, port, framing) for _ in range(connections)]
    latencies: list[float] = []
    answered = 0

    queue = iter(batch)  # each connection takes the next command when it is free: counters arrive in order

    async def worker(client: WanClient) -> None:
        nonlocal answered
        for data in queue:
            t0 = time.perf_counter()
            exchange = await client.exchange(data)
            latencies.append(time.perf_counter() - t0)
            answered += exchange.response is not None

    try:
        started = time.perf_counter()
        await asyncio.gather(*(worker(c) for c in clients))
        elapsed = time.perf_counter() - started
    finally:
        for client in clients:
            await client.close()
    return _figures(latencies, answered, elapsed)


def _figures(latencies: list[float], answered: int, elapsed: float) -> dict[str, Any]:
    return {
        "commands": len(latencies),
        "answered": answered,
        "seconds": round(elapsed, 3),
        "commands_per_s": round(len(latencies) / elapsed, 1),
        "latency_p50_ms": round(_percentile(latencies, 50) * 1000, 3),
        "latency_p99_ms": round(_percentile(latencies, 99) * 1000, 3),
        "latency_mean_ms": round(statistics.fmean(latencies) * 1000, 3),
    }


async def _serve_and_send(lab: Lab, framing: str, connections: int, batches: dict[str, list[bytes]]
                          ) -> dict[str, dict[str, Any]]:
    service = LabService(lab, ServiceConfig(port=0, binary_port=0, http_port=None, clock="virtual",
                                            start=START, tick_interval=3600))
    loop = asyncio.get_running_loop()
    try:
        endpoints = await service.start()
        host, port = endpoints.gfi if framing == "gfi" else endpoints.binary  # type: ignore[misc]
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as clients:
            out = {}
            for kind, batch in batches.items():
                cpu = time.process_time()
                out[kind] = await loop.run_in_executor(clients, over_tcp, host, port, framing, connections, batch)
                out[kind]["per_cpu_s"] = round(len(batch) / (time.process_time() - cpu), 1)
        return out
    finally:
        await service.stop()


def run_size(devices: int, *, reads: int, critical: int, connections: int, framing: str) -> dict[str, Any]:
    """Every figure for one fleet size."""
    counts = {"reads": reads, "critical": critical}
    with tempfile.TemporaryDirectory() as folder:
        lab, provision_s = provision(folder, devices)
        try:
            commands = Commands(lab)
            t0 = time.perf_counter()
            local = {kind: commands.build(code, counts[kind]) for kind, code in KINDS.items()}
            remote: dict[str, list[bytes]] = {"warm": commands.build(KINDS["reads"], 10 * connections)}
            remote.update({kind: commands.build(code, counts[kind]) for kind, code in KINDS.items()})
            build_s = time.perf_counter() - t0
            inproc = {kind: in_process(lab, batch) for kind, batch in local.items()}
            cpu = time.process_time()
            lab.fleet.tick(START)  # what one timer tick of the runtime costs at this size (nothing is due)
            tick_cpu_s = time.process_time() - cpu
            tcp = asyncio.run(_serve_and_send(lab, framing, connections, remote))
        finally:
            lab.close()
    out: dict[str, Any] = {"devices": devices, "provision_s": round(provision_s, 2), "build_s": round(build_s, 2),
                           "tick_cpu_s": round(tick_cpu_s, 4)}
    for kind in KINDS:
        fig = dict(tcp[kind])
        fig["in_process_per_s"] = inproc[kind]["commands_per_s"]
        fig["in_process_per_cpu_s"] = inproc[kind]["per_cpu_s"]
        fig["in_process_p50_ms"] = inproc[kind]["latency_p50_ms"]
        fig["in_process_p99_ms"] = inproc[kind]["latency_p99_ms"]
        fig["in_process_answered"] = inproc[kind]["answered"]
        fig["transport_ratio"] = round(fig["commands_per_s"] / fig["in_process_per_s"], 3)
        fig["transport_ratio_cpu"] = round(fig["per_cpu_s"] / fig["in_process_per_cpu_s"], 3)
        out[kind] = fig
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--quick", action="store_true", help="1, 1,000 and 5,000 devices, a third of the commands")
    parser.add_argument("--devices", help="comma-separated fleet sizes (default 1,10000,100000)")
    parser.add_argument("--reads", type=int, help="reads per size and path (default 3000, quick 1000)")
    parser.add_argument("--critical", type=int, help="critical commands per size and path (default 600, quick 200)")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--framing", choices=("gfi", "binary"), default="gfi")
    args = parser.parse_args(argv)
    sizes = (tuple(int(n) for n in args.devices.split(",")) if args.devices
             else QUICK_DEVICE_COUNTS if args.quick else DEVICE_COUNTS)
    reads = args.reads or (1000 if args.quick else 3000)
    critical = args.critical or (200 if args.quick else 600)
    report = sys.stderr if args.json else sys.stdout
    out: dict[str, Any] = {"framing": args.framing, "connections": args.connections, "sizes": {}}
    for devices in sizes:
        fig = run_size(devices, reads=reads, critical=critical, connections=args.connections, framing=args.framing)
        out["sizes"][str(devices)] = fig
        for kind in KINDS:
            k = fig[kind]
            print(f"{devices} devices {kind}: tcp {k['commands_per_s']:.0f}/s (p50 {k['latency_p50_ms']:.2f} ms, "
                  f"p99 {k['latency_p99_ms']:.2f} ms, {k['answered']}/{k['commands']} answered); in-process "
                  f"{k['in_process_per_s']:.0f}/s; transport_ratio {k['transport_ratio']:.2f}; per CPU second: tcp "
                  f"{k['per_cpu_s']:.0f}, in-process {k['in_process_per_cpu_s']:.0f} "
                  f"(ratio {k['transport_ratio_cpu']:.2f})", file=report)
        print(f"{devices} devices: provisioned in {fig['provision_s']:.1f} s; "
              f"one timer tick {fig['tick_cpu_s']:.3f} s CPU", file=report)
    first, last = out["sizes"][str(sizes[0])], out["sizes"][str(sizes[-1])]
    out["flatness"] = {kind: round(last[kind]["commands_per_s"] / first[kind]["commands_per_s"], 3) for kind in KINDS}
    out["flatness_in_process"] = {
        kind: round(last[kind]["in_process_per_s"] / first[kind]["in_process_per_s"], 3) for kind in KINDS}
    out["flatness_cpu"] = {kind: round(last[kind]["per_cpu_s"] / first[kind]["per_cpu_s"], 3) for kind in KINDS}
    out["transport_ratio"] = {kind: min(f[kind]["transport_ratio"] for f in out["sizes"].values()) for kind in KINDS}
    out["transport_ratio_cpu"] = {
        kind: min(f[kind]["transport_ratio_cpu"] for f in out["sizes"].values()) for kind in KINDS}
    print(f"flatness {sizes[-1]}/{sizes[0]} devices: {out['flatness']} (in-process {out['flatness_in_process']}); "
          f"lowest transport_ratio {out['transport_ratio']}; per CPU second: flatness {out['flatness_cpu']}, "
          f"lowest transport_ratio {out['transport_ratio_cpu']}", file=report)
    if args.json:
        print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
