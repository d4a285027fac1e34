"""Bridge figures: pty payload throughput against the framing's line-rate maximum and added latency; TCP front.

Usage: ``python benchmarks/bridge.py [--json] [--quick] [--baud 115200] [--frames 2000] [--framing binary|gfi]...
[--devices 1,100,10000] [--seconds 5] [--connections 4] [--tcp-framing gfi|binary]``

``--quick`` runs 300 pty frames per framing and the TCP front with 1 and 100 devices for 2 s each.

Serial part: a pty pair at ``--baud`` (termios speed set on the slave, which pyserial opens);
frames go slave -> master through the real port factory, framing and decoder. A pty is not
limited by its baud rate, so the sender paces itself like a UART (each frame is released when
8N1 at the baud rate would have finished clocking it out). Figures per framing:

- ``line_rate_fraction``: measured payload bytes/s over the framing's theoretical maximum
  ``baud / 10 * framing_efficiency`` (target >= 0.95);
- ``framing_efficiency``: payload bytes / wire bytes;
- ``latency_p50_ms`` / ``latency_p99_ms``: from the write of a frame to its decoded arrival, i.e. the
  latency the stack adds on top of the line time;
- ``unpaced_bytes_per_s``: payload rate with no pacing (what the pty and stack can do).

TCP part (:func:`tcp_benchmark`, per fleet size, 1, 100 and 10,000 devices by default): a lab (the
default premises ESME, GSME, CHF, GPF repeated up to N devices) is served in-process by the same
:class:`~smets_emu.tools.service.LabService` as ``smets-emu run``. ``--connections`` TCP connections
each send protected ECS52 / GCS38 reads (built beforehand, so the client's own crypto is not timed)
round-robin over the fleet's meters, one command at a time per connection, for ``--seconds``, and
time each command from its write to its response. Every command goes through the hw framing,
routing, the device's MAC check and handler, the SQLite commit and the MACed response. Figures:
``commands_per_s``, ``latency_p50_ms``, ``latency_p99_ms`` (plus ``answered``, ``provision_s``).

With ``--json`` the last line is one JSON object: ``{"baudrate", "serial": {framing: {...}},
"tcp": {devices: {...}}}``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import sys
import tempfile
import time
from typing import Any

from smets_emu.hw.framing import FRAMINGS, framing_for
from smets_emu.hw.link import FrameLink
from smets_emu.hw.ports import open_fd, open_port, open_pty
from smets_emu.hw.selftest import random_payloads, run_link_selftest
from smets_emu.tools.fleet_file import default_fleet
from smets_emu.tools.lab import open_lab
from smets_emu.tools.service import LabService, ServiceConfig
from smets_emu.tools.wan_client import RemoteParty, WanClient

TCP_DEVICE_COUNTS = (1, 100, 10_000)
QUICK_DEVICE_COUNTS = (1, 100)
_MAX_PLANNED_COMMANDS = 200_000


async def serial_benchmark(
    framing_name: str, *, baudrate: int, frames: int, min_size: int, max_size: int, pace: bool
) -> dict[str, Any]:
    """One pty-pair run (see the module docstring); returns the self-test report as a dict."""
    pty = open_pty()
    try:
        tx_streams = await open_port(pty.path, baudrate=baudrate)
        rx_streams = await open_fd(pty.master_fd)
        framing = framing_for(framing_name)
        tx = FrameLink(*tx_streams, framing, name="pty-slave")
        rx = FrameLink(*rx_streams, framing, name="pty-master")
        payloads = random_payloads(frames, min_size=min_size, max_size=max_size, seed=1)
        try:
            report = await run_link_selftest(tx, rx, payloads, url="pty", baudrate=baudrate, pace=pace)
        finally:
            await tx.close()
            await rx.close()
        return report.as_dict()
    finally:
        pty.close()


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


async def tcp_benchmark(
    devices: int, *, seconds: float = 5.0, connections: int = 4, framing: str = "gfi"
) -> dict[str, Any]:
    """Commands/s and latency p50/p99 (ms) through the fleet's TCP front with *devices* devices.

    A short warm-up (not counted) sizes the batch of commands built beforehand so the timed run
    lasts about *seconds*; returns ``{"devices", "commands_per_s", "latency_p50_ms", "latency_p99_ms", ...}``.
    """
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        lab = open_lab(folder, default_fleet(devices), synchronous="OFF")
        provision_s = time.perf_counter() - started
        service = LabService(lab, ServiceConfig(port=0, binary_port=0, http_port=None, clock="virtual",
                                                start=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), tick_interval=3600))
        try:
            endpoints = await service.start()
            host, port = endpoints.gfi if framing == "gfi" else endpoints.binary  # type: ignore[misc]
            party = RemoteParty(lab.keystore, None)  # type: ignore[arg-type]
            meters = [(eui, 0x0059 if d.state.device_type == "ESME" else 0x0084)
                      for eui, d in lab.fleet.devices.items() if d.state.device_type in ("ESME", "GSME")]
            position = 0

            def build(n: int) -> list[bytes]:
                nonlocal position
                out = []
                for _ in range(n):
                    eui, code = meters[position % len(meters)]
                    position += 1
                    out.append(party.build(code, to=eui, as_party="supplier"))
                return out

            clients = [await WanClient.connect(host, port, framing) for _ in range(connections)]
            latencies: list[float] = []
            answered = 0

            async def worker(client: WanClient, share: list[bytes], deadline: float) -> None:
                nonlocal answered
                for data in share:
                    if time.perf_counter() >= deadline:
                        return
                    t0 = time.perf_counter()
                    exchange = await client.exchange(data)
                    latencies.append(time.perf_counter() - t0)
                    answered += exchange.response is not None

            async def run(batch: list[bytes], limit: float) -> float:
                t0 = time.perf_counter()
                await asyncio.gather(*(worker(c, batch[i::connections], t0 + limit) for i, c in enumerate(clients)))
                return time.perf_counter() - t0

            try:
                warm = build(25 * connections)
                warm_s = await run(warm, math.inf)
                planned = min(_MAX_PLANNED_COMMANDS, math.ceil(len(warm) / warm_s * seconds * 2) + connections)
                batch = build(planned)
                latencies.clear()
                answered = 0
                elapsed = await run(batch, seconds)
            finally:
                for client in clients:
                    await client.close()
        finally:
            await service.stop()
            lab.close()
    done = len(latencies)
    return {
        "devices": devices,
        "framing": framing,
        "connections": connections,
        "commands": done,
        "answered": answered,
        "seconds": round(elapsed, 2),
        "commands_per_s": round(done / elapsed, 1),
        "latency_p50_ms": round(_percentile(latencies, 50) * 1000, 2),
        "latency_p99_ms": round(_percentile(latencies, 99) * 1000, 2),
        "provision_s": round(provision_s, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--baud", type=int, default=115200)
    parser.add_argument("--frames", type=int, default=2000)
    parser.add_argument("--min-size", type=int, default=64)
    parser.add_argument("--max-size", type=int, default=512)
    parser.add_argument("--framing", choices=sorted(FRAMINGS), action="append", help="pty framings (default both)")
    parser.add_argument("--quick", action="store_true", help="fewer pty frames; TCP with 1 and 100 devices, 2 s each")
    parser.add_argument("--devices", help="comma-separated TCP fleet sizes (default 1,100,10000)")
    parser.add_argument("--seconds", type=float, help="timed TCP run per fleet size (default 5, quick 2)")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--tcp-framing", choices=sorted(FRAMINGS), default="gfi")
    args = parser.parse_args(argv)
    if args.quick and args.frames == parser.get_default("frames"):
        args.frames = 300
    sizes = (
        tuple(int(n) for n in args.devices.split(","))
        if args.devices
        else (QUICK_DEVICE_COUNTS if args.quick else TCP_DEVICE_COUNTS)
    )
    seconds = args.seconds if args.seconds is not None else (2.0 if args.quick else 5.0)
    report = sys.stderr if args.json else sys.stdout
    out: dict[str, Any] = {"baudrate": args.baud, "serial": {}, "tcp": {}}
    for name in args.framing or ["binary", "gfi"]:
        paced = asyncio.run(
            serial_benchmark(
                name,
                baudrate=args.baud,
                frames=args.frames,
                min_size=args.min_size,
                max_size=args.max_size,
                pace=True,
            )
        )
        unpaced = asyncio.run(
            serial_benchmark(
                name,
                baudrate=args.baud,
                frames=args.frames,
                min_size=args.min_size,
                max_size=args.max_size,
                pace=False,
            )
        )
        fig = {
            key: paced[key]
            for key in (
                "frames_sent",
                "frames_ok",
                "bytes_per_s",
                "max_payload_bytes_per_s",
                "line_rate_fraction",
                "framing_efficiency",
                "latency_p50_ms",
                "latency_p99_ms",
            )
        }
        fig["unpaced_bytes_per_s"] = unpaced["bytes_per_s"]
        fig["unpaced_frames_ok"] = unpaced["frames_ok"]
        out["serial"][name] = fig
        print(
            f"pty {args.baud} baud {name}: {fig['bytes_per_s']:.0f} payload B/s "
            f"of {fig['max_payload_bytes_per_s']:.0f} max = {fig['line_rate_fraction']:.3f}; "
            f"efficiency {fig['framing_efficiency']:.3f}; "
            f"added latency p50 {fig['latency_p50_ms']:.2f} ms p99 {fig['latency_p99_ms']:.2f} ms; "
            f"unpaced {fig['unpaced_bytes_per_s']:.0f} B/s",
            file=report,
        )
    for devices in sizes:
        fig = asyncio.run(
            tcp_benchmark(devices, seconds=seconds, connections=args.connections, framing=args.tcp_framing)
        )
        out["tcp"][str(devices)] = fig
        print(
            f"tcp {fig['framing']} {devices} devices: {fig['commands_per_s']:.0f} commands/s "
            f"({fig['answered']}/{fig['commands']} answered, {fig['connections']} connections); "
            f"latency p50 {fig['latency_p50_ms']:.2f} ms p99 {fig['latency_p99_ms']:.2f} ms; "
            f"provisioned in {fig['provision_s']:.1f} s",
            file=report,
        )
    if args.json:
        print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
