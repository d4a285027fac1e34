"""Commands per second and latency through the WAN front over TCP, with 1, 100 and 10,000 devices.

Usage: ``python benchmarks/tcp_front.py [--json] [--devices 1,100,10000] [--commands N]
[--connections C] [--framing gfi|binary]``

A lab (default premises ESME, GSME, CHF, GPF repeated up to N devices) is served in-process by
the same :class:`~smets_emu.tools.service.LabService` as ``smets-emu run``. C TCP connections
each send protected ECS52 / GCS38 reads (built beforehand, so the client's own crypto is not
timed) round-robin over the fleet's meters, one command at a time per connection, and time each
command from the write to its response. Every command goes through framing, routing, the
device's MAC check and handler, the SQLite commit and the MACed response.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
import tempfile
import time

from smets_emu.tools.fleet_file import default_fleet
from smets_emu.tools.lab import open_lab
from smets_emu.tools.service import LabService, ServiceConfig
from smets_emu.tools.wan_client import RemoteParty, WanClient


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


async def _run(devices: int, commands: int, connections: int, framing: str) -> dict[str, float | int | str]:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        lab = open_lab(folder, default_fleet(devices), synchronous="OFF")
        provision_s = time.perf_counter() - started
        service = LabService(lab, ServiceConfig(port=0, binary_port=0, http_port=None, clock="virtual",
                                                start=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), tick_interval=3600))
        endpoints = await service.start()
        host, port = endpoints.gfi if framing == "gfi" else endpoints.binary  # type: ignore[misc]
        party = RemoteParty(lab.keystore, None)  # type: ignore[arg-type]
        meters = [(e, 0x0059 if d.state.device_type == "ESME" else 0x0084)
                  for e, d in lab.fleet.devices.items() if d.state.device_type in ("ESME", "GSME")]
        built = [party.build(code, to=eui, as_party="supplier") for eui, code in
                 (meters[i % len(meters)] for i in range(commands))]
        clients = [await WanClient.connect(host, port, framing) for _ in range(connections)]
        latencies: list[float] = []
        answered = 0

        async def worker(client: WanClient, share: list[bytes]) -> None:
            nonlocal answered
            for data in share:
                t0 = time.perf_counter()
                exchange = await client.exchange(data)
                latencies.append(time.perf_counter() - t0)
                answered += exchange.response is not None

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(c, built[i::connections]) for i, c in enumerate(clients)))
        elapsed = time.perf_counter() - t0
        for client in clients:
            await client.close()
        await service.stop()
        lab.close()
    return {
        "devices": devices,
        "framing": framing,
        "connections": connections,
        "commands": commands,
        "answered": answered,
        "commands_per_s": round(commands / elapsed, 1),
        "p50_ms": round(_percentile(latencies, 50) * 1000, 2),
        "p99_ms": round(_percentile(latencies, 99) * 1000, 2),
        "provision_s": round(provision_s, 2),
    }


def tcp_benchmark(
    devices: tuple[int, ...] = (1, 100, 10_000), *, commands: int = 2000, connections: int = 4, framing: str = "gfi"
) -> list[dict[str, float | int | str]]:
    """Run the TCP front benchmark for each fleet size (usable from other benchmark scripts)."""
    return [asyncio.run(_run(n, commands, connections, framing)) for n in devices]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--devices", default="1,100,10000", help="comma-separated fleet sizes")
    parser.add_argument("--commands", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--framing", choices=("gfi", "binary"), default="gfi")
    args = parser.parse_args(argv)
    sizes = tuple(int(n) for n in args.devices.split(","))
    results = tcp_benchmark(sizes, commands=args.commands, connections=args.connections, framing=args.framing)
    if args.json:
        json.dump({"tcp_front": results}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for r in results:
            print(f"{r['devices']:>6} devices  {r['framing']:<6} {r['commands_per_s']:>8} commands/s  "
                  f"p50 {r['p50_ms']} ms  p99 {r['p99_ms']} ms  ({r['answered']}/{r['commands']} answered, "
                  f"provisioned in {r['provision_s']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
