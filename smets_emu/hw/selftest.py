"""Loopback self-test: randomized frames out and back through the real framing and port stack.

The port is a loopback (a TX-RX plug, ``loop://``, or ``pty``: a pty pair whose master echoes
everything, i.e. a software plug). Every payload carries its index, so the receiver checks each
frame against what was sent.

Rates. ``framing_efficiency`` is payload bytes / wire bytes of the frames sent. The framing's
theoretical maximum payload rate at a baud rate is ``baud / 10 * framing_efficiency`` (8N1: ten
bit times per byte). ``line_rate_fraction`` is the measured payload rate over that maximum.
Virtual carriers (pty, ``loop://``, ``socket://``) are not limited by the baud rate, so the sender
paces itself to the line rate there (``paced``): each frame is released when a UART would have
finished clocking it out, so a perfect carrier scores 1.0; a real UART paces itself.
Latency is from the write of a frame to its decoded arrival: on a paced virtual carrier that is
the latency the port, framing and decoder stack adds on top of the line time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import statistics
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from typing import Any

from smets_emu.errors import LinkClosed
from smets_emu.hw.framing import Framing
from smets_emu.hw.link import FrameLink
from smets_emu.hw.ports import DEFAULT_BAUDRATE, Streams, open_fd, open_port, open_pty

log = logging.getLogger(__name__)

BITS_PER_BYTE = 10  # 8N1: start bit, 8 data bits, stop bit
PTY_URL = "pty"
"""Self-test URL for a pty pair with an echoing master (a software loopback plug)."""


@dataclass
class SelftestReport:
    """Results of one self-test run (see the module docstring for the rate definitions)."""

    url: str
    framing: str
    baudrate: int | None
    paced: bool
    frames_sent: int
    frames_ok: int
    frames_bad: int
    frames_lost: int
    error_rate: float
    payload_bytes: int
    wire_bytes: int
    seconds: float
    bytes_per_s: float
    wire_bytes_per_s: float
    framing_efficiency: float
    max_payload_bytes_per_s: float | None
    line_rate_fraction: float | None
    latency_p50_ms: float | None
    latency_p99_ms: float | None
    link: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def percentile(values: list[float], q: float) -> float | None:
    """The *q*-th percentile (0-100) of *values* (inclusive method), or None when empty."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[min(98, max(0, round(q) - 1))]


def is_virtual(url: str) -> bool:
    """True for carriers that do not pace bytes to a baud rate (ptys, loop://, socket://)."""
    if url == PTY_URL or "://" in url:
        return True
    with contextlib.suppress(OSError):
        return os.path.realpath(url).startswith("/dev/pts/")
    return False


@contextlib.asynccontextmanager
async def loopback_streams(url: str, *, baudrate: int = DEFAULT_BAUDRATE) -> AsyncIterator[Streams]:
    """Streams on a loopback: the port at *url*, or for ``pty`` a pty slave whose master echoes."""
    if url != PTY_URL:
        reader, writer = await open_port(url, baudrate=baudrate)
        try:
            yield reader, writer
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 2)
        return
    pty = open_pty()
    echo_task = None
    mreader, mwriter = await open_fd(pty.master_fd)

    async def echo() -> None:
        while data := await mreader.read(1 << 16):
            mwriter.write(data)
            await mwriter.drain()

    try:
        reader, writer = await open_port(pty.path, baudrate=baudrate)
        echo_task = asyncio.create_task(echo())
        try:
            yield reader, writer
        finally:
            writer.close()
    finally:
        if echo_task is not None:
            echo_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, OSError, ConnectionError):
                await echo_task
        mwriter.close()
        pty.close()


def random_payloads(count: int, *, min_size: int = 16, max_size: int = 256, seed: int = 0) -> list[bytes]:
    """*count* random payloads; each begins with its 4-byte index so it can be matched on arrival."""
    rng = random.Random(seed)
    min_size = max(min_size, 4)
    return [
        i.to_bytes(4, "big") + rng.randbytes(rng.randint(min_size, max(min_size, max_size)) - 4) for i in range(count)
    ]


async def run_link_selftest(
    tx: FrameLink,
    rx: FrameLink,
    payloads: list[bytes],
    *,
    url: str,
    baudrate: int | None,
    pace: bool,
    timeout: float = 2.0,
) -> SelftestReport:
    """Send *payloads* on *tx*, receive them on *rx* (the same link for a loopback) and measure."""
    loop = asyncio.get_running_loop()
    framing: Framing = tx.framing
    sent_at: dict[int, float] = {}
    latencies: list[float] = []
    ok = bad = 0
    received_bytes = 0
    last_rx = 0.0
    done = asyncio.Event()
    wire_sizes = [len(p) + framing.overhead(len(p)) for p in payloads]
    byte_time = BITS_PER_BYTE / baudrate if baudrate else 0.0

    async def sender() -> None:
        start = loop.time()
        wire = 0
        for i, payload in enumerate(payloads):
            wire += wire_sizes[i]
            if pace and byte_time:
                # release each frame when a UART would have finished clocking it out
                delay = start + wire * byte_time - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
            sent_at[i] = time.perf_counter()
            await tx.send(payload)

    async def receiver() -> None:
        nonlocal ok, bad, received_bytes, last_rx
        while ok + bad < len(payloads):
            frame = await rx.receive()
            now = time.perf_counter()
            index = int.from_bytes(frame[:4], "big") if len(frame) >= 4 else -1
            if 0 <= index < len(payloads) and payloads[index] == frame:
                ok += 1
                received_bytes += len(frame)
                latencies.append(now - sent_at.get(index, now))
                last_rx = now
            else:
                bad += 1
        done.set()

    t0 = time.perf_counter()
    rx_task = asyncio.create_task(receiver())
    try:
        await sender()
        sent_done = time.perf_counter()
        with contextlib.suppress(TimeoutError, LinkClosed):
            await asyncio.wait_for(asyncio.shield(rx_task), timeout + (sent_done - t0))
    finally:
        rx_task.cancel()
        with contextlib.suppress(asyncio.CancelledError, LinkClosed):
            await rx_task
    elapsed = max((last_rx or time.perf_counter()) - t0, 1e-9)
    payload_total = sum(len(p) for p in payloads)
    wire_total = sum(wire_sizes)
    efficiency = payload_total / wire_total if wire_total else 0.0
    max_rate = baudrate / BITS_PER_BYTE * efficiency if baudrate else None
    rate = received_bytes / elapsed
    lat_ms = [x * 1000 for x in latencies]
    return SelftestReport(
        url=url,
        framing=framing.name,
        baudrate=baudrate,
        paced=bool(pace and byte_time),
        frames_sent=len(payloads),
        frames_ok=ok,
        frames_bad=bad,
        frames_lost=len(payloads) - ok - bad,
        error_rate=(len(payloads) - ok) / len(payloads) if payloads else 0.0,
        payload_bytes=received_bytes,
        wire_bytes=wire_total,
        seconds=elapsed,
        bytes_per_s=rate,
        wire_bytes_per_s=rate / efficiency if efficiency else 0.0,
        framing_efficiency=efficiency,
        max_payload_bytes_per_s=max_rate,
        line_rate_fraction=rate / max_rate if max_rate else None,
        latency_p50_ms=percentile(lat_ms, 50),
        latency_p99_ms=percentile(lat_ms, 99),
        link=rx.stats.as_dict(),
    )


async def selftest(
    url: str,
    framing: Framing,
    *,
    baudrate: int = DEFAULT_BAUDRATE,
    frames: int = 200,
    min_size: int = 16,
    max_size: int = 256,
    seed: int = 0,
    pace: bool | None = None,
    timeout: float = 2.0,
) -> SelftestReport:
    """Self-test the loopback at *url* (``pty`` for a pty pair) at *baudrate*; see :class:`SelftestReport`."""
    payloads = random_payloads(frames, min_size=min_size, max_size=max_size, seed=seed)
    if pace is None:
        pace = is_virtual(url)
    async with loopback_streams(url, baudrate=baudrate) as (reader, writer):
        link = FrameLink(reader, writer, framing, name=url)
        return await run_link_selftest(link, link, payloads, url=url, baudrate=baudrate, pace=pace, timeout=timeout)
