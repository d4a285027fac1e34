"""End to end over real carriers and a bank of fault-injecting writers.

Carriers: pyserial ``loop://`` (polling path), a pty pair (descriptor path), an asyncio TCP
socket pair, and pyserial ``socket://`` against a TCP server. Every intact frame must arrive, in
order; a damaged frame must never be accepted (GFI has no check field, so a bit flip that keeps
a hex digit a hex digit is the one documented exception). The ``hardware`` test runs the same
body on a physical TX-RX loopback plug given with ``--rig-port``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from smets_emu.hw.bridge import serve_link
from smets_emu.hw.faults import FAULT_BANK, CorruptBits, FaultyWriter, Garbage
from smets_emu.hw.framing import Framing, framing_for
from smets_emu.hw.link import FrameLink
from smets_emu.hw.ports import Streams, open_fd, open_port, open_pty
from smets_emu.hw.selftest import random_payloads

FRAMES = 60
IDLE = 0.2
TIMEOUT = 10.0
LOOPBACK = ("loop", "rig")


@contextlib.asynccontextmanager
async def carrier(kind: str, rig_url: str | None = None) -> AsyncIterator[tuple[Streams, Streams]]:
    """(side A, side B) streams; on a loopback both sides are the same port."""
    if kind in LOOPBACK:
        streams = await open_port(rig_url or "loop://", baudrate=115200)
        try:
            yield streams, streams
        finally:
            streams[1].close()
        return
    if kind == "pty":
        pty = open_pty()
        try:
            a = await open_port(pty.path, baudrate=115200)
            b = await open_fd(pty.master_fd)
            try:
                yield a, b
            finally:
                a[1].close()
                b[1].close()
        finally:
            pty.close()
        return
    accepted: asyncio.Queue[Streams] = asyncio.Queue()

    async def on_client(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        await accepted.put((r, w))

    server = await asyncio.start_server(on_client, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        if kind == "tcp":
            a = await asyncio.open_connection("127.0.0.1", port)
        else:
            a = await open_port(f"socket://127.0.0.1:{port}")
        b = await asyncio.wait_for(accepted.get(), 5)
        try:
            yield a, b
        finally:
            a[1].close()
            b[1].close()
    finally:
        server.close()


def _faults(name: str, framing: Framing) -> tuple:
    faults = FAULT_BANK[name]
    if name == "garbage":  # fake frame starts inside the garbage too
        faults = (Garbage(probability=0.5, fake_start=framing.marker),)
    return faults


async def one_way(a: Streams, b: Streams, framing: Framing, fault_name: str, seed: int = 1) -> None:
    """Send FRAMES payloads A -> B through the faults; check what B accepts."""
    faulty = FaultyWriter(a[1], _faults(fault_name, framing), seed=seed)
    tx = FrameLink(a[0], faulty, framing, name="tx", idle_timeout=IDLE)
    rx = tx if a is b else FrameLink(b[0], b[1], framing, name="rx", idle_timeout=IDLE)
    payloads = random_payloads(FRAMES, min_size=16, max_size=200, seed=seed)
    received: list[bytes] = []

    async def collect() -> None:
        while True:
            received.append(await rx.receive())

    task = asyncio.create_task(collect())
    try:
        for p in payloads:
            await tx.send(p)
        intact = [p for p, rec in zip(payloads, faulty.log, strict=True) if not rec.damaged]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TIMEOUT
        while loop.time() < deadline and not set(intact) <= set(received):
            await asyncio.sleep(0.02)
        await asyncio.sleep(IDLE + 0.1)  # anything wrongly accepted late shows up too
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    damaged = {p for p, rec in zip(payloads, faulty.log, strict=True) if rec.damaged}
    foreign = [r for r in received if r not in intact]
    assert [r for r in received if r in set(intact)] == intact, "every intact frame arrives, in order"
    if framing.integrity_check or not any(isinstance(f, CorruptBits) for f in _faults(fault_name, framing)):
        assert foreign == [], "no damaged frame is ever accepted"
    else:
        assert len(foreign) <= len(damaged)
        assert all(len(f) in {len(d) for d in damaged} for f in foreign)


async def request_response(a: Streams, b: Streams, framing: Framing, fault_name: str, seed: int = 2) -> None:
    """A client sends commands A -> B through the faults; a bridge on B answers; every intact command is answered."""

    async def handler(message: bytes) -> list[bytes]:
        await asyncio.sleep(0)
        return [b"R" + message]

    bridge_link = FrameLink(b[0], b[1], framing, name="bridge", idle_timeout=IDLE)
    bridge = asyncio.create_task(serve_link(bridge_link, handler))
    faulty = FaultyWriter(a[1], _faults(fault_name, framing), seed=seed)
    client = FrameLink(a[0], faulty, framing, name="client", idle_timeout=IDLE)
    commands = random_payloads(FRAMES, min_size=16, max_size=200, seed=seed)
    answers: set[bytes] = set()

    async def collect() -> None:
        while True:
            answers.add(await client.receive())

    reader = asyncio.create_task(collect())
    try:
        for c in commands:
            await client.send(c)
        expected = {b"R" + c for c, rec in zip(commands, faulty.log, strict=True) if not rec.damaged}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TIMEOUT
        while loop.time() < deadline and not expected <= answers:
            await asyncio.sleep(0.02)
        await asyncio.sleep(IDLE + 0.1)
    finally:
        for task in (reader, bridge):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    assert expected <= answers, f"{len(expected - answers)} intact commands unanswered; bridge {bridge_link.stats}"
    extra = answers - expected
    if framing.integrity_check or fault_name not in ("corrupt", "all"):
        assert not extra, "a damaged command was accepted"


FAULT_NAMES = list(FAULT_BANK)
FRAMING_NAMES = ["binary", "gfi"]
QUICK_FAULTS = ("clean", "corrupt")
"""Faults the default run covers over every carrier (the others wait on timers: the slow set runs them)."""


def matrix(kinds: list[str], quick_kind: str) -> list[object]:
    """Every carrier x framing x fault: the default run keeps the quick faults everywhere and garbage
    over *quick_kind* in the binary framing; the full matrix is in the slow set."""
    cases = []
    for kind in kinds:
        for framing_name in FRAMING_NAMES:
            for fault_name in FAULT_NAMES:
                case = (kind, framing_name, fault_name)
                quick = fault_name in QUICK_FAULTS or case == (quick_kind, "binary", "garbage")
                cases.append(pytest.param(kind, framing_name, fault_name, id=f"{kind}-{framing_name}-{fault_name}",
                                          marks=() if quick else pytest.mark.slow))
    return cases


@pytest.mark.parametrize(("kind", "framing_name", "fault_name"), matrix(["loop", "pty", "tcp", "socket"], "loop"))
async def test_one_way_over_fault_bank(kind: str, framing_name: str, fault_name: str) -> None:
    async with asyncio.timeout(60), carrier(kind) as (a, b):
        await one_way(a, b, framing_for(framing_name), fault_name)


@pytest.mark.parametrize(("kind", "framing_name", "fault_name"), matrix(["pty", "tcp", "socket"], "tcp"))
async def test_bridge_answers_every_intact_command(kind: str, framing_name: str, fault_name: str) -> None:
    async with asyncio.timeout(60), carrier(kind) as (a, b):
        await request_response(a, b, framing_for(framing_name), fault_name)


@pytest.mark.hardware
@pytest.mark.parametrize("fault_name", FAULT_NAMES)
@pytest.mark.parametrize("framing_name", FRAMING_NAMES)
async def test_rig_loopback_over_fault_bank(rig_port: str, framing_name: str, fault_name: str) -> None:
    async with asyncio.timeout(120), carrier("rig", rig_port) as (a, b):
        await one_way(a, b, framing_for(framing_name), fault_name)


async def test_link_closed_at_end_of_stream() -> None:
    from smets_emu.errors import LinkClosed

    async with asyncio.timeout(10), carrier("tcp") as (a, b):
        rx = FrameLink(b[0], b[1], framing_for("binary"))
        a[1].close()
        with pytest.raises(LinkClosed):
            await rx.receive()


async def test_handler_failure_is_counted_not_fatal() -> None:
    calls = 0

    async def flaky(message: bytes) -> list[bytes]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("boom")
        return [message]

    async with asyncio.timeout(10), carrier("tcp") as (a, b):
        framing = framing_for("gfi")
        bridge = asyncio.create_task(serve_link(FrameLink(b[0], b[1], framing), flaky))
        client = FrameLink(a[0], a[1], framing)
        await client.send(b"one")
        await client.send(b"two")
        assert await client.receive() == b"two"
        await client.close()
        stats = await bridge
        assert (stats.requests, stats.responses, stats.handler_errors) == (2, 1, 1)


# --------------------------------------------------------------------------------------------- limits


class _NullWriter:
    """A writer that drops what it is given (the limits tests only receive)."""

    def write(self, data: bytes) -> None:
        pass

    async def drain(self) -> None:
        pass

    def close(self) -> None:
        pass

    async def wait_closed(self) -> None:
        pass

    def is_closing(self) -> bool:
        return False

    def get_extra_info(self, name: str, default: object = None) -> object:
        return default


def _limited_link(**limits: object) -> tuple[asyncio.StreamReader, FrameLink]:
    reader = asyncio.StreamReader()
    return reader, FrameLink(reader, _NullWriter(), framing_for("binary"), name="limited", **limits)  # type: ignore[arg-type]


async def test_frame_deadline_abandons_a_trickled_frame() -> None:
    from smets_emu.hw.link import ReceiveBudget

    framing = framing_for("binary")
    wire = framing.encode(b"x" * 100, seq=3)
    budget = ReceiveBudget(1 << 20)
    reader, link = _limited_link(idle_timeout=0.3, frame_deadline=0.4, budget=budget)

    async def trickle() -> None:
        for b in wire[:-1]:  # never idle for the gap timeout, never finished
            reader.feed_data(bytes([b]))
            await asyncio.sleep(0.1 if b == wire[0] else 0.005)
            if budget.used == 0 and link.stats.expired:
                break
        reader.feed_data(framing.encode(b"after", seq=4))

    async with asyncio.timeout(10):
        feeder = asyncio.create_task(trickle())
        assert await link.receive_frame() == framing.decoder().feed(framing.encode(b"after", seq=4))[0]
        await feeder
    assert link.stats.expired == 1 and link.stats.abandoned == 1
    await link.close()
    assert budget.used == 0


async def test_quiet_timeout_closes_a_silent_link() -> None:
    from smets_emu.errors import LinkClosed

    _, link = _limited_link(quiet_timeout=0.2)
    async with asyncio.timeout(5):
        with pytest.raises(LinkClosed):
            await link.receive()
    assert link.close_reason == "idle"


async def test_garbage_limit_closes_a_noisy_link_and_throttles_it_first() -> None:
    from smets_emu.errors import LinkClosed

    reader, link = _limited_link(garbage_limit=64 * 1024)
    reader.feed_data(b"\xa5\x5a" * 40 * 1024)
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with asyncio.timeout(10):
        with pytest.raises(LinkClosed):
            await link.receive()
    assert link.close_reason == "garbage"
    assert link.stats.garbage_bytes > 64 * 1024
    assert loop.time() - started >= 0.05  # past a sixteenth of the limit it is fed one piece per NOISE_PAUSE


async def test_budget_closes_the_link_whose_frame_does_not_fit() -> None:
    from smets_emu.errors import LinkClosed
    from smets_emu.hw.link import ReceiveBudget

    framing = framing_for("binary")
    budget = ReceiveBudget(3000)
    first_reader, first = _limited_link(budget=budget)
    second_reader, second = _limited_link(budget=budget)
    first_reader.feed_data(framing.encode(b"a" * 4000)[:2000])
    second_reader.feed_data(framing.encode(b"b" * 4000)[:2000])
    async with asyncio.timeout(5):
        first_task = asyncio.create_task(first.receive())
        await asyncio.sleep(0.05)
        assert budget.used == 2000
        with pytest.raises(LinkClosed):
            await second.receive()
        assert second.close_reason == "budget" and budget.refused == 1
        await second.close()
        assert budget.used == 2000
        first_reader.feed_data(framing.encode(b"a" * 4000)[2000:])
        assert await first_task == b"a" * 4000
    assert budget.used == 0


async def test_feeding_yields_to_the_loop_between_pieces() -> None:
    """One read of noise is fed in pieces: other tasks run in between."""
    reader, link = _limited_link(feed_size=1024)
    reader.feed_data(b"\xa5\x5a" * 32 * 1024 + framing_for("binary").encode(b"end"))
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    try:
        async with asyncio.timeout(10):
            assert await link.receive() == b"end"
    finally:
        task.cancel()
    assert ticks >= 32
