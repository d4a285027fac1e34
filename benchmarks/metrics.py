"""What ``GET /metrics`` costs: scrape time on a large lab, and the frame observer's cost per command.

Usage: ``python benchmarks/metrics.py [--devices N] [--commands C] [--scrapes S]``

Opens a lab of the default premises scaled to ``--devices`` (default 10,000) in a temporary
folder and serves it in-process (WAN front and control plane, virtual clock). Then:

- ``commands_per_s``: ECS52 reads sent one after the other over one GFI connection, with the
  metrics observer on the front (as ``smets-emu run`` serves) and without it (the front's other
  observers stay; median of three alternating runs each);
- ``scrape_ms``: ``GET /metrics`` (with the token) p50 and max over ``--scrapes`` scrapes, and the
  size of the answer.

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
from wan_load import commands_per_s

from smets_emu.tools.fleet_file import default_fleet
from smets_emu.tools.lab import open_lab
from smets_emu.tools.metrics import WireMetrics
from smets_emu.tools.service import LabService, ServiceConfig
from smets_emu.tools.wan_client import RemoteParty


async def run(devices: int, commands: int, scrapes: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        lab = open_lab(Path(folder) / "lab", default_fleet(devices), synchronous="OFF")
        opened = time.perf_counter() - began
        service = LabService(lab, ServiceConfig(port=0, binary_port=0, http_port=0, clock="virtual",
                                                tick_interval=3600))
        await service.start()
        try:
            party = RemoteParty(lab.keystore, None)  # type: ignore[arg-type]
            await commands_per_s(service, party, 20)  # warm-up
            rates: dict[str, list[float]] = {"with": [], "without": []}
            observers = service.front._observers
            everything = list(observers._handles)
            others = [h for h in everything if not isinstance(h.callback, WireMetrics)]  # e.g. the live feed
            for _ in range(3):  # alternate, so drift in the lab's speed shows in both
                rates["with"].append(await commands_per_s(service, party, commands))
                observers._handles = others
                rates["without"].append(await commands_per_s(service, party, commands))
                observers._handles = everything
            host, port = service.endpoints.http  # type: ignore[misc]
            headers = {"Authorization": f"Bearer {service.control_token}"}
            times, size = [], 0
            async with aiohttp.ClientSession() as session:
                for _ in range(scrapes):
                    start = time.perf_counter()
                    async with session.get(f"http://{host}:{port}/metrics", headers=headers) as reply:
                        size = len(await reply.read())
                    times.append((time.perf_counter() - start) * 1000)
        finally:
            await service.stop()
            lab.close()
    return {
        "devices": devices, "lab_open_s": round(opened, 1), "commands": commands,
        "commands_per_s": {"with_metrics": round(statistics.median(rates["with"])),
                           "without_metrics": round(statistics.median(rates["without"]))},
        "scrape_ms": {"p50": round(statistics.median(times), 1), "max": round(max(times), 1)},
        "scrape_bytes": size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--commands", type=int, default=500)
    parser.add_argument("--scrapes", type=int, default=20)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.devices, args.commands, args.scrapes))))


if __name__ == "__main__":
    main()
