"""What a WAN capture costs and how fast a capture replays.

Usage: ``python benchmarks/capture.py [--commands C]``

Serves a default lab in-process (WAN front, virtual clock) in a temporary folder, then:

- ``commands_per_s``: ECS52 reads sent one after the other over one GFI connection, with a
  capture recording the front and without one (median of three alternating runs each);
- ``capture_bytes_per_exchange``: file bytes per command and its response;
- ``replay_commands_per_s``: ``smets-emu replay --as-fast-as-possible`` of that capture against a
  fresh lab, and whether every answer was the same.

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import statistics
import tempfile
import time
from pathlib import Path

from wan_load import commands_per_s

from smets_emu.tools.capture import CaptureWriter
from smets_emu.tools.cli import main
from smets_emu.tools.lab import Lab, open_lab
from smets_emu.tools.service import LabService, ServiceConfig
from smets_emu.tools.wan_client import RemoteParty


def _service(lab: Lab) -> LabService:
    return LabService(lab, ServiceConfig(port=0, binary_port=None, http_port=None, clock="virtual",
                                         tick_interval=3600))


async def _measure(folder: Path, count: int) -> tuple[dict[str, float], Path, int]:
    lab = open_lab(folder / "lab", synchronous="OFF")
    service = _service(lab)
    await service.start()
    party = RemoteParty(lab.keystore, None)  # type: ignore[arg-type]
    rates: dict[str, list[float]] = {"capture": [], "none": []}
    path = folder / "bench.jsonl"
    try:
        for round_ in range(3):
            rates["none"].append(await commands_per_s(service, party, count))
            target = path if round_ == 0 else folder / f"bench{round_}.jsonl"
            writer = CaptureWriter(target, lab=str(lab.folder))
            await writer.start(service.front)
            rates["capture"].append(await commands_per_s(service, party, count))
            await writer.close()
    finally:
        await service.stop()
        lab.close()
    return {k: round(statistics.median(v), 1) for k, v in rates.items()}, path, path.stat().st_size


async def _replay(folder: Path, capture: Path) -> tuple[float, int, dict[str, int]]:
    lab = open_lab(folder / "fresh", synchronous="OFF")
    service = _service(lab)
    await service.start()
    out = io.StringIO()
    try:
        host, port = service.endpoints.gfi  # type: ignore[misc]
        args = ["replay", str(capture), "--to", f"{host}:{port}", "--keystore", str(lab.key_folder),
                "--as-fast-as-possible", "--json"]

        def run() -> int:
            with contextlib.redirect_stdout(out):
                return main(args)

        began = time.perf_counter()
        status = await asyncio.to_thread(run)
        elapsed = time.perf_counter() - began
    finally:
        await service.stop()
        lab.close()
    summary = json.loads(out.getvalue())["summary"]
    return sum(summary.values()) / elapsed, status, summary


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rates, capture, size = asyncio.run(_measure(folder, args.commands))
        replay_rate, status, summary = asyncio.run(_replay(folder, capture))
    print(json.dumps({
        "commands": args.commands,
        "commands_per_s": rates,
        "capture_bytes_per_exchange": round(size / args.commands),
        "replay_commands_per_s": round(replay_rate, 1),
        "replay_exit_status": status,
        "replay_summary": summary,
    }))


if __name__ == "__main__":
    main_bench()
