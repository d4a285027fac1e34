"""Finding 7: WAN clients cannot exhaust memory or file descriptors.

Before: half-sent frames trickled one byte per 0.3 s were held for ever (about 5 MiB per
connection, no cap), a connection that never read had every alert queued for it without limit,
and 1,100 idle connections used up the file descriptors. Now (``WanLimits``): a connection holds
at most one frame, all connections together at most ``receive_budget`` bytes, a frame must be
complete by ``frame_deadline``, silent connections close after ``idle_timeout``, connections
past ``max_connections`` are refused, and a connection with more than ``send_queue_limit``
bytes waiting is closed as a slow reader. The limits are small here so the attacks take seconds.
"""

from __future__ import annotations

import asyncio
import binascii
import datetime as dt
import socket
import struct
import time
from collections.abc import AsyncIterator

import pytest

from smets_emu.hosting.runtime import Runtime, VirtualClock
from smets_emu.tools.lab import Lab
from smets_emu.tools.wan_client import RemoteParty, WanClient
from smets_emu.tools.wan_server import WanFront, WanLimits, wan_framing

ESME = bytes.fromhex("00DB1234567890A0")
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
MAX_MESSAGE = 64 * 1024


@pytest.fixture
async def runtime(lab: Lab) -> AsyncIterator[Runtime]:
    async with Runtime(lab.fleet, VirtualClock(START), tick_interval=3600) as rt:
        yield rt


async def _front(runtime: Runtime, **limits: object) -> tuple[WanFront, tuple[str, int], tuple[str, int]]:
    front = WanFront(runtime, limits=WanLimits(max_message=MAX_MESSAGE, **limits))  # type: ignore[arg-type]
    gfi = await front.listen("gfi")
    binary = await front.listen("binary")
    return front, gfi, binary


def _header(length: int, seq: int = 1) -> bytes:
    head = struct.pack(">2sII", b"\xa5\x5a", seq, length)
    return head + struct.pack(">H", binascii.crc_hqx(head, 0xFFFF))


async def _wait_for(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        await asyncio.sleep(0.02)
    return bool(condition())  # type: ignore[operator]


async def _honest_command(lab: Lab, address: tuple[str, int]) -> bool:
    async with await WanClient.connect(*address, "gfi") as client:
        party = RemoteParty(lab.keystore, client.exchange)
        reply = await party.command(0x0059, to=ESME)
        return reply.response is not None and reply.security["mac"] == "valid"


async def test_trickled_frames_are_capped_budgeted_and_dropped_at_the_deadline(runtime: Runtime, lab: Lab) -> None:
    cap = wan_framing("binary", MAX_MESSAGE).max_frame_size()
    front, gfi, binary = await _front(runtime, receive_budget=4 * cap, frame_deadline=1.0, garbage_limit=None)
    writers: list[asyncio.StreamWriter] = []
    try:
        # eight connections each start a frame of the largest size, send most of it, then trickle
        for _ in range(8):
            _, writer = await asyncio.open_connection(*binary)
            writer.write(_header(MAX_MESSAGE) + bytes(MAX_MESSAGE - 100))
            await writer.drain()
            writers.append(writer)
        peak = 0
        started = time.monotonic()
        while time.monotonic() - started < 0.8:  # one byte per 0.1 s: never idle long enough for the gap timeout
            for writer in writers:
                if not writer.is_closing():
                    writer.write(b"\x00")
            await asyncio.sleep(0.1)
            peak = max(peak, front.stats.receive_buffered)
        stats = front.stats
        assert peak <= front.limits.receive_budget, "all connections together stay inside the budget"
        assert stats.budget_closed == 4, "the frames that did not fit closed their connections"
        assert stats.active_connections == 4
        # the deadline abandons the trickled frames and the bytes are returned
        assert await _wait_for(lambda: front.stats.frames_expired == 4, 3.0)
        assert await _wait_for(lambda: front.stats.receive_buffered < 100, 1.0)
        assert await _honest_command(lab, gfi)
    finally:
        for writer in writers:
            writer.close()
        await front.close()


async def test_one_connection_holds_at_most_one_frame(runtime: Runtime, lab: Lab) -> None:
    front, gfi, binary = await _front(runtime)
    try:
        _, writer = await asyncio.open_connection(*binary)
        writer.write(_header(MAX_MESSAGE + 1) + bytes(4 * MAX_MESSAGE))  # declared past the maximum: dropped at once
        await writer.drain()
        assert await _wait_for(lambda: front.stats.frames_oversize == 1, 2.0)
        assert front.stats.receive_buffered <= wan_framing("binary", MAX_MESSAGE).max_frame_size()
        writer.close()
        _, writer = await asyncio.open_connection(*gfi)
        writer.write(b"GBCS:DATA#1:%d:" % (MAX_MESSAGE + 1) + b"00" * 1000)
        await writer.drain()
        assert await _wait_for(lambda: front.stats.frames_oversize == 2, 2.0)
        writer.close()
        assert await _honest_command(lab, gfi)
    finally:
        await front.close()


async def test_connections_past_the_cap_are_refused_and_idle_ones_closed(runtime: Runtime, lab: Lab) -> None:
    front, gfi, binary = await _front(runtime, max_connections=5, idle_timeout=1.0)
    honest = await WanClient.connect(*gfi, "gfi")
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    try:
        party = RemoteParty(lab.keystore, honest.exchange)
        for _ in range(12):
            idle.append(await asyncio.open_connection(*binary))
        # the first four fill the cap with the honest client; the other eight are closed at once
        ends = await asyncio.gather(*(asyncio.wait_for(r.read(1), 0.5) for r, _ in idle[4:]))
        assert ends == [b""] * 8
        assert front.stats.refused_connections == 8
        assert front.stats.active_connections == 5
        assert (await party.command(0x0059, to=ESME)).response is not None  # the honest client is still served
        # silent connections are closed after the idle timeout; the honest one keeps going with a ping
        await asyncio.sleep(0.6)
        await honest.exchange(b"")
        assert await _wait_for(lambda: front.stats.idle_closed == 4, 2.0)
        assert front.stats.active_connections == 1
        assert (await party.command(0x0059, to=ESME)).response is not None
        assert await _honest_command(lab, gfi)  # room again for new clients
    finally:
        for _, writer in idle:
            writer.close()
        await honest.close()
        await front.close()


async def test_a_client_that_never_reads_is_disconnected_others_continue(runtime: Runtime, lab: Lab) -> None:
    front, gfi, binary = await _front(runtime, send_queue_limit=16 * 1024, socket_send_buffer=4096)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, gfi)
    _, never_reads = await asyncio.open_connection(sock=sock)  # subscribed to alerts, never reads
    listener = await WanClient.connect(*binary, "binary")  # reads every alert
    client = await WanClient.connect(*gfi, "gfi")
    try:
        party = RemoteParty(lab.keystore, client.exchange)
        sent = 0
        while front.stats.slow_reader_closed == 0 and sent < 600:
            bad = bytearray(party.build(0x0059, to=ESME))
            bad[-1] ^= 0x55  # the MAC fails: the ESME raises a security alert, sent to every connection
            reply = await client.exchange(bytes(bad))
            assert reply.response is None and len(reply.alerts) == 1
            sent += 1
        assert front.stats.slow_reader_closed == 1, f"not disconnected after {sent} alerts"
        assert front.stats.active_connections == 2
        for _ in range(5):  # the others go on
            bad = bytearray(party.build(0x0059, to=ESME))
            bad[-1] ^= 0x55
            await client.exchange(bytes(bad))
            sent += 1
        assert (await party.command(0x0059, to=ESME)).response is not None
        assert await _wait_for(lambda: listener.unsolicited.qsize() == sent, 3.0), "the reading listener got them all"
    finally:
        never_reads.close()
        await listener.close()
        await client.close()
        await front.close()
