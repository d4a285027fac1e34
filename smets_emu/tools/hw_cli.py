"""``smets-emu hw``: serial self-test, an echo bridge for rig checks, and the TCP <-> serial forwarder."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from smets_emu.errors import TransportError
from smets_emu.hw.bridge import forward, serve_link
from smets_emu.hw.framing import FRAMINGS, framing_for
from smets_emu.hw.link import FrameLink
from smets_emu.hw.ports import DEFAULT_BAUDRATE, open_fd, open_port, open_pty
from smets_emu.hw.selftest import PTY_URL, SelftestReport, selftest
from smets_emu.tools.arg_types import int_in, seconds_up_to

MAX_SELFTEST_BYTES = 64 * 1024 * 1024
"""``hw selftest`` builds every payload up front: frames x largest payload is capped at this."""


_BAUD = int_in(50, 100_000_000)
_SIZE = int_in(4, 1 << 20)


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``hw selftest``, ``hw bridge`` and ``hw forward``."""
    hw = sub.add_parser("hw", help="serial lines and rigs: self-test, bridge, forward")
    commands = hw.add_subparsers(dest="hw_command", required=True)

    test = commands.add_parser(
        "selftest",
        help="send randomized frames through a loopback and report throughput, errors and latency",
        description="URL: a serial device with a TX-RX loopback plug, any pyserial URL (loop://, socket://...) "
        f"or '{PTY_URL}' for a pty pair with an echoing master.",
    )
    test.add_argument("url", metavar="URL")
    test.add_argument("--baud", type=_BAUD, nargs="+", default=[DEFAULT_BAUDRATE], metavar="B", help="baud rate(s)")
    test.add_argument("--frames", type=int_in(1, 1_000_000), default=200, metavar="N",
                      help="frames per baud rate (default 200)")
    test.add_argument("--framing", choices=sorted(FRAMINGS), default="binary")
    test.add_argument("--min-size", type=_SIZE, default=16, help="smallest payload in bytes (4 or more)")
    test.add_argument("--max-size", type=_SIZE, default=256, help="largest payload in bytes")
    test.add_argument("--seed", type=int, default=0)
    test.add_argument(
        "--pace",
        choices=("auto", "on", "off"),
        default="auto",
        help="pace the sender to the baud rate (auto: only on ptys and URL ports, which ignore the baud rate)",
    )
    test.add_argument("--timeout", type=seconds_up_to(3600), default=2.0, help="seconds to wait for stragglers")
    test.add_argument("--json", action="store_true", help="end with one JSON line (worst run, totals, all runs)")
    test.set_defaults(func=run_selftest)

    bridge = commands.add_parser(
        "bridge",
        help="answer every frame on a serial line by echoing it (rig wiring check; `run` serves the fleet)",
    )
    bridge.add_argument("url", metavar="URL", help=f"serial URL, or '{PTY_URL}' to create a pty and print its path")
    bridge.add_argument("--framing", choices=sorted(FRAMINGS), default="gfi")
    bridge.add_argument("--baud", type=_BAUD, default=DEFAULT_BAUDRATE)
    bridge.set_defaults(func=run_bridge)

    fwd = commands.add_parser("forward", help="relay frames between a TCP head-end and a device on a serial port")
    fwd.add_argument("url", metavar="SERIAL_URL")
    where = fwd.add_mutually_exclusive_group(required=True)
    where.add_argument("--listen", type=_address, metavar="HOST:PORT", help="accept a head-end connection here")
    where.add_argument("--connect", type=_address, metavar="HOST:PORT",
                       help="dial the head-end (e.g. the fleet's TCP front)")
    fwd.add_argument("--framing", choices=sorted(FRAMINGS), default="gfi", help="framing on the serial line")
    fwd.add_argument("--tcp-framing", choices=sorted(FRAMINGS), default="gfi", help="framing on the TCP side")
    fwd.add_argument("--baud", type=_BAUD, default=DEFAULT_BAUDRATE)
    fwd.set_defaults(func=run_forward)


def _address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``:PORT`` for 127.0.0.1) as an argparse type: a usage error (exit 2) otherwise."""
    host, _, port = text.rpartition(":")
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"bad address {text!r}: want HOST:PORT, PORT in 0..65535")
    return host.strip("[]") or "127.0.0.1", int(port)


def _summary(reports: list[SelftestReport]) -> dict[str, Any]:
    worst = min(reports, key=lambda r: (r.line_rate_fraction is None, r.line_rate_fraction or 0.0, -r.error_rate))
    out = worst.as_dict()
    out["frames_sent"] = sum(r.frames_sent for r in reports)
    out["frames_ok"] = sum(r.frames_ok for r in reports)
    out["error_rate"] = (out["frames_sent"] - out["frames_ok"]) / out["frames_sent"] if out["frames_sent"] else 0.0
    out["runs"] = [r.as_dict() for r in reports]
    return out


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def run_selftest(args: argparse.Namespace) -> int:
    if args.min_size > args.max_size:
        print(f"smets-emu hw selftest: --min-size {args.min_size} is above --max-size {args.max_size}", file=sys.stderr)
        return 2
    if args.frames * args.max_size > MAX_SELFTEST_BYTES:
        print(f"smets-emu hw selftest: {args.frames} frames of up to {args.max_size} bytes exceed "
              f"{MAX_SELFTEST_BYTES} bytes of payload; send fewer or smaller frames", file=sys.stderr)
        return 2
    pace = {"auto": None, "on": True, "off": False}[args.pace]
    reports: list[SelftestReport] = []
    for baud in args.baud:
        try:
            report = asyncio.run(
                selftest(
                    args.url,
                    framing_for(args.framing),
                    baudrate=baud,
                    frames=args.frames,
                    min_size=args.min_size,
                    max_size=args.max_size,
                    seed=args.seed,
                    pace=pace,
                    timeout=args.timeout,
                )
            )
        except TransportError as exc:
            print(f"smets-emu hw selftest: {exc}", file=sys.stderr)
            return 2
        reports.append(report)
        print(
            f"{report.url} {report.framing} {baud} baud{' (paced)' if report.paced else ''}: "
            f"{report.frames_ok}/{report.frames_sent} frames ok, error rate {report.error_rate:.4f}, "
            f"{report.bytes_per_s:.0f} payload B/s, line rate fraction {_fmt(report.line_rate_fraction, '.3f')}, "
            f"framing efficiency {report.framing_efficiency:.3f}, "
            f"latency p50 {_fmt(report.latency_p50_ms, '.2f')} ms p99 {_fmt(report.latency_p99_ms, '.2f')} ms",
            file=sys.stderr if args.json else sys.stdout,
        )
    if args.json:
        print(json.dumps(_summary(reports)))
    return 0 if all(r.frames_ok == r.frames_sent for r in reports) else 1


async def _echo(message: bytes) -> list[bytes]:
    return [message]


async def _bridge(args: argparse.Namespace) -> None:
    framing = framing_for(args.framing)
    if args.url == PTY_URL:
        pty = open_pty()
        print(pty.path, flush=True)
        try:
            reader, writer = await open_fd(pty.master_fd)
            await serve_link(FrameLink(reader, writer, framing, name=pty.path), _echo)
        finally:
            pty.close()
        return
    reader, writer = await open_port(args.url, baudrate=args.baud)
    link = FrameLink(reader, writer, framing, name=args.url)
    try:
        await serve_link(link, _echo)
    finally:
        await link.close()


def run_bridge(args: argparse.Namespace) -> int:
    asyncio.run(_bridge(args))  # a TransportError: the command line's message and exit 2
    return 0


def run_forward(args: argparse.Namespace) -> int:
    def ready(address: tuple[str, int]) -> None:
        print(f"{address[0]}:{address[1]}", flush=True)

    try:
        asyncio.run(
            forward(
                args.url,
                framing_for(args.framing),
                framing_for(args.tcp_framing),
                baudrate=args.baud,
                listen=args.listen,
                connect=args.connect,
                ready=ready,
            )
        )
    except (TransportError, OSError) as exc:
        print(f"smets-emu hw forward: {exc}", file=sys.stderr)
        return 2
    return 0
