"""Finding 6: resynchronisation cannot exhaust the CPU or starve the other clients.

Before: every ``A5 5A`` pair on the binary port cost 30-80 µs on the event loop (a ``construct``
header parse, an INFO log line per false start), so 137 KiB/s from one connection used a whole
core and HTTP answered in seconds; a GFI frame fed in pieces was re-validated from its start on
every piece (quadratic: 5 s of CPU for 4 MiB). Now both decoders are linear in the bytes received
(a false binary start costs about a microsecond), received data is fed in small pieces with a
yield to the event loop between them, and a connection that sends only noise is closed.

Timings are compared with each other in the same process (ratios), never with absolute figures.
"""

from __future__ import annotations

import asyncio
import binascii
import datetime as dt
import struct
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable

import aiohttp

from smets_emu.hw.framing import BinaryFraming, Frame, GfiFraming
from smets_emu.tools.lab import Lab
from smets_emu.tools.service import LabService
from smets_emu.tools.wan_client import RemoteParty, WanClient

ESME = bytes.fromhex("00DB1234567890A0")
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
FLOOD_SECONDS = 3.0


def _cpu(run: Callable[[], object], repeat: int = 3) -> float:
    """The least process time of *repeat* runs (the least disturbed by other load)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        run()
        best = min(best, time.process_time() - t0)
    return max(best, 1e-6)


def _feed(make: Callable[[], object], data: bytes, chunk: int) -> Callable[[], list[Frame]]:
    def run() -> list[Frame]:
        decoder = make()
        frames: list[Frame] = []
        for i in range(0, len(data), chunk):
            frames += decoder.feed(data[i : i + chunk])  # type: ignore[attr-defined]
        return frames

    return run


def test_binary_false_starts_cost_a_header_check_and_scale_linearly() -> None:
    framing = BinaryFraming(max_length=4 << 20)
    small, big = b"\xa5\x5a" * (1 << 15), b"\xa5\x5a" * (1 << 17)  # 64 KiB and 256 KiB of false starts
    t_small = _cpu(_feed(framing.decoder, small, 4096), repeat=2)
    t_big = _cpu(_feed(framing.decoder, big, 4096), repeat=2)
    assert t_big < 8 * t_small, f"4x the input cost {t_big / t_small:.1f}x the time"
    # each false start costs about what reading a header and its CRC-16 must cost, not a parser run
    pairs = len(big) // 2

    def floor() -> None:
        head = struct.Struct(">2sIIH")
        for i in range(0, len(big) - 12, 2):
            _, _, _, hcrc = head.unpack_from(big, i)
            if binascii.crc_hqx(big[i : i + 10], 0xFFFF) == hcrc and big.find(b"\xa5\x5a", i + 1) < 0:
                break

    t_floor = _cpu(floor, repeat=2)
    per_pair_us = t_big / pairs * 1e6
    assert t_big < 12 * t_floor, f"{per_pair_us:.2f} µs per false start, {t_big / t_floor:.1f}x the bare header check"


def test_gfi_frame_fed_in_pieces_is_validated_once() -> None:
    framing = GfiFraming(max_length=8 << 20)
    small = framing.encode(b"\xab" * (1 << 20), seq=1)  # 1 MiB message, 2 MiB of hex
    big = framing.encode(b"\xab" * (4 << 20), seq=1)  # 4 MiB message, 8 MiB of hex
    t_small = _cpu(_feed(framing.decoder, small, 65536))
    t_big = _cpu(_feed(framing.decoder, big, 65536))
    assert _feed(framing.decoder, big, 65536)() == [Frame(b"\xab" * (4 << 20), 1)]
    assert t_big < 8 * t_small, f"4x the input cost {t_big / t_small:.1f}x the time"


def test_nested_headers_inside_failed_frames_stay_linear() -> None:
    """Well-formed headers every 16 bytes, each declaring a frame that ends at the same far point.

    Rescanning each failed frame for the next start would CRC the rest of the stream once per
    header (quadratic); the decoder does about the work of one frame of the same size.
    """
    framing = BinaryFraming(max_length=4 << 20)
    total = 256 << 10
    out = bytearray()
    while len(out) + 16 <= total - 4:
        head = struct.pack(">2sII", b"\xa5\x5a", 1, total - len(out) - 16)  # every frame ends at the end
        out += head + struct.pack(">H", binascii.crc_hqx(head, 0xFFFF)) + b"\x00\x00\x00\x00"
    nested = bytes(out.ljust(total, b"\x00"))
    one_frame = framing.encode(bytes(total - 16))
    t_nested = _cpu(_feed(framing.decoder, nested, 4096), repeat=5)
    t_frame = _cpu(_feed(framing.decoder, one_frame, 4096), repeat=5)
    assert t_nested < 20 * t_frame, f"{t_nested / t_frame:.0f}x the time of one frame of the same size"


# --------------------------------------------------------------------------------------------- end to end


FLOODER = textwrap.dedent("""
    import socket, sys, time
    host, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    block = b"\\xa5\\x5a" * 32768
    sent = connections = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1) as sock:
                connections += 1
                while time.monotonic() < deadline:
                    sent += sock.send(block)
        except OSError:
            time.sleep(0.01)
    print(sent, connections)
""")


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


async def test_a5_5a_flood_does_not_starve_http_or_honest_commands(service: LabService, lab: Lab) -> None:
    host, port = service.endpoints.binary  # type: ignore[misc]
    http_host, http_port = service.endpoints.http  # type: ignore[misc]
    token = getattr(service, "control_token", None)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    client = await WanClient.connect(*service.endpoints.gfi, "gfi")  # type: ignore[misc]
    party = RemoteParty(lab.keystore, client.exchange)
    commands = [party.build(0x0059, to=ESME, as_party="supplier") for _ in range(400)]
    flooder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", FLOODER, host, str(port), str(FLOOD_SECONDS), stdout=subprocess.PIPE
    )
    http_latency: list[float] = []
    command_latency: list[float] = []
    answered = 0
    try:
        async with aiohttp.ClientSession(f"http://{http_host}:{http_port}", headers=headers) as session:
            await asyncio.sleep(0.2)  # the flood is running
            deadline = time.perf_counter() + FLOOD_SECONDS - 0.4

            async def http_probe() -> None:
                while time.perf_counter() < deadline:
                    t0 = time.perf_counter()
                    async with session.get("/clock") as reply:
                        assert reply.status == 200
                        await reply.read()
                    http_latency.append(time.perf_counter() - t0)
                    await asyncio.sleep(0.01)

            async def honest() -> None:
                nonlocal answered
                for command in commands:
                    if time.perf_counter() >= deadline:
                        return
                    t0 = time.perf_counter()
                    exchange = await client.exchange(command, timeout=5)
                    command_latency.append(time.perf_counter() - t0)
                    answered += exchange.response is not None
                    await asyncio.sleep(0.01)

            await asyncio.gather(http_probe(), honest())
        out, _ = await asyncio.wait_for(flooder.communicate(), FLOOD_SECONDS + 10)
    finally:
        if flooder.returncode is None:
            flooder.kill()
            await flooder.wait()
        await client.close()
    sent, connections = (int(x) for x in out.split())
    assert sent > 1 << 20, "the flood was not a flood"
    assert len(http_latency) >= 20 and len(command_latency) >= 10
    assert answered == len(command_latency), "every honest command answered"
    # the benchmark (benchmarks/abuse.py) reports the real p99; this bound leaves room for a loaded machine
    assert _p99(http_latency) < 0.25, f"HTTP p99 {_p99(http_latency) * 1000:.0f} ms under the flood"
    assert _p99(command_latency) < 0.25, f"command p99 {_p99(command_latency) * 1000:.0f} ms under the flood"
    assert service.front.stats.garbage_closed >= 1, "a connection sending only noise is closed"
