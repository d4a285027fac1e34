"""Serial bridge figures: payload throughput against the framing's line-rate maximum, and added latency.

Usage: ``python benchmarks/bridge.py [--json] [--baud 115200] [--frames 2000] [--framing binary|gfi]...``

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

TCP part: :func:`tcp_benchmark` is the hook for commands/s and p99 latency against the fleet's
TCP front with 1, 100 and 10,000 devices; it reports ``null`` until implemented.
With ``--json`` the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from smets_emu.hw.framing import FRAMINGS, framing_for
from smets_emu.hw.link import FrameLink
from smets_emu.hw.ports import open_fd, open_port, open_pty
from smets_emu.hw.selftest import random_payloads, run_link_selftest

TCP_DEVICE_COUNTS = (1, 100, 10_000)


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


async def tcp_benchmark(devices: int, *, seconds: float = 5.0) -> dict[str, Any] | None:
    """Commands/s and latency p50/p99 (ms) through the fleet's TCP front with *devices* devices.

    Hook for the fleet runtime: start ``smets-emu run`` with *devices* devices, drive it with a
    head-end client for *seconds*, and return ``{"devices", "commands_per_s", "latency_p50_ms",
    "latency_p99_ms"}``. Returns None while no TCP front is wired.
    """
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--baud", type=int, default=115200)
    parser.add_argument("--frames", type=int, default=2000)
    parser.add_argument("--min-size", type=int, default=64)
    parser.add_argument("--max-size", type=int, default=512)
    parser.add_argument("--framing", choices=sorted(FRAMINGS), action="append")
    args = parser.parse_args(argv)
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
            file=sys.stderr if args.json else sys.stdout,
        )
    for devices in TCP_DEVICE_COUNTS:
        out["tcp"][str(devices)] = asyncio.run(tcp_benchmark(devices))
    if args.json:
        print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
