"""End to end through the TCP front over fault-injecting transports (GFI and binary framings).

Every intact command is answered with a response whose MAC checks; a damaged command never
gets a response and never moves a device's anti-replay counter: framing checks drop it at the
front (binary header CRC-16 or CRC-32, GFI syntax), or the device rejects it on the GBCS MAC (a
GFI hex digit replaced by another hex digit).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from smets_emu.emulator.anchors import Role
from smets_emu.hw import Frame, StreamDecoder
from smets_emu.protocols.envelope import CraFlag, decode_envelope
from smets_emu.tools.lab import Lab
from smets_emu.tools.service import LabService
from smets_emu.tools.wan_client import RemoteParty, WanClient
from smets_emu.tools.wan_server import wan_framing
from smets_emu.tools.wire_events import WireEvent
from tests_support import RTDS_FILES

ESME = bytes.fromhex("00DB1234567890A0")
GSME = bytes.fromhex("00DB1234567890A1")
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
COMMANDS = 8


# --------------------------------------------------------------------------------------------- transports


@dataclass
class Sent:
    number: int
    command: bytes
    intact: bool


Mangler = Callable[[random.Random, str, bytes], tuple[bytes, bool]]


def _number_span(framing: str, frame: bytes) -> range:
    if framing == "gfi":
        start = frame.index(b"#") + 1
        return range(start, frame.index(b":", start))
    return range(2, 6)  # A5 5A | SEQ u32 | ...


def whole(rng: random.Random, framing: str, frame: bytes) -> tuple[bytes, bool]:
    return frame, True


def drop_frame(rng: random.Random, framing: str, frame: bytes) -> tuple[bytes, bool]:
    return (b"", False) if rng.random() < 0.4 else (frame, True)


def drop_bytes(rng: random.Random, framing: str, frame: bytes) -> tuple[bytes, bool]:
    if rng.random() < 0.5:
        return frame, True
    i = rng.randrange(len(frame))
    return frame[:i] + frame[i + rng.randint(1, 3):], False


def corrupt(rng: random.Random, framing: str, frame: bytes) -> tuple[bytes, bool]:
    """Damage one byte anywhere but the frame number (GFI cannot protect it; the binary CRC does)."""
    if rng.random() < 0.4:
        return frame, True
    protected = _number_span(framing, frame) if framing == "gfi" else range(0)
    i = rng.choice([k for k in range(len(frame)) if k not in protected])
    data = bytearray(frame)
    if framing == "gfi" and rng.random() < 0.5 and chr(data[i]) in "0123456789ABCDEF":
        data[i] = ord(rng.choice([c for c in "0123456789ABCDEF" if c != chr(data[i])]))  # still well-formed
    else:
        data[i] ^= 1 << rng.randrange(8)
    decoded = wan_framing(framing).decoder().feed(bytes(data))
    return bytes(data), bool(decoded) and decoded[0].payload == wan_framing(framing).decoder().feed(frame)[0].payload


def garbage_in_front(rng: random.Random, framing: str, frame: bytes) -> tuple[bytes, bool]:
    return bytes(rng.randrange(256) for _ in range(rng.randint(1, 20))) + b"GBCS:DA" + frame, True


MANGLERS: dict[str, Mangler] = {
    "whole": whole,
    "drop-frame": drop_frame,
    "drop-bytes": drop_bytes,
    "corrupt": corrupt,
    "garbage": garbage_in_front,
}
# how the (possibly damaged) stream is written: chunk size and pause between chunks
WRITERS = {"all-at-once": (1 << 20, 0.0), "one-byte": (1, 0.0), "split-7": (7, 0.0), "delayed": (50, 0.002)}


async def _write(writer: asyncio.StreamWriter, data: bytes, chunk: int, pause: float) -> None:
    for i in range(0, len(data), chunk):
        writer.write(data[i : i + chunk])
        await writer.drain()
        if pause:
            await asyncio.sleep(pause)
        elif chunk < 50:
            await asyncio.sleep(0)


async def _collect_until(reader: asyncio.StreamReader, decoder: StreamDecoder, last: int) -> list[Frame]:
    frames: list[Frame] = []
    while not any(f.seq == last and not f.payload for f in frames):
        data = await asyncio.wait_for(reader.read(65536), 10)
        assert data, "the front closed the connection"
        frames.extend(decoder.feed(data))
    return frames


@pytest.mark.parametrize("writer_name", list(WRITERS))
@pytest.mark.parametrize("mangler_name", list(MANGLERS))
@pytest.mark.parametrize("framing", ["gfi", "binary"])
async def test_every_intact_command_answered_no_damaged_one_accepted(
    service: LabService, lab: Lab, framing: str, mangler_name: str, writer_name: str
) -> None:
    rng = random.Random(f"{framing}-{mangler_name}-{writer_name}")
    host, port = service.endpoints.gfi if framing == "gfi" else service.endpoints.binary  # type: ignore[misc]
    party = RemoteParty(lab.keystore, None)  # type: ignore[arg-type]
    codec = wan_framing(framing)
    counters_before = dict(lab.fleet.devices[ESME].state.counters)
    sent: list[Sent] = []
    stream = b""
    for n in range(1, COMMANDS + 1):
        command = party.build(0x0059, to=ESME, as_party="supplier")
        data, intact = MANGLERS[mangler_name](rng, framing, codec.encode(command, seq=n))
        sent.append(Sent(n, command, intact))
        stream += data
    ping = COMMANDS + 100
    stream += b"\r\n" + codec.encode(b"", seq=ping)  # an empty frame: the front answers it after all the others
    reader, writer = await asyncio.open_connection(host, port)
    try:
        await _write(writer, stream, *WRITERS[writer_name])
        frames = await _collect_until(reader, codec.decoder(), ping)
    finally:
        writer.close()
    responses = [f for f in frames if f.payload and decode_envelope(f.payload).header.cra_flag is CraFlag.RESPONSE]
    answered = {decode_envelope(f.payload).header.originator_counter for f in responses}
    intact = [s for s in sent if s.intact]
    damaged = [s for s in sent if not s.intact]
    intact_counters = {decode_envelope(s.command).header.originator_counter for s in intact}
    assert answered == intact_counters, "every intact command answered, nothing else"
    for frame in responses:
        assert party.headend.verify(frame.payload).mac.value == "valid"
    assert {f.seq for f in responses} == {s.number for s in intact}
    counters = lab.fleet.devices[ESME].state.counters
    expected = max(intact_counters, default=counters_before.get(int(Role.SUPPLIER), -1))
    assert counters.get(int(Role.SUPPLIER), -1) == expected
    if damaged and mangler_name == "corrupt" and framing == "binary":
        assert service.front.stats.frames_dropped > 0  # the CRC stops them at the front


async def test_responses_and_alerts_routing(service: LabService, lab: Lab) -> None:
    host, port = service.endpoints.gfi  # type: ignore[misc]
    bhost, bport = service.endpoints.binary  # type: ignore[misc]
    a = await WanClient.connect(host, port, "gfi")
    b = await WanClient.connect(bhost, bport, "binary")
    try:
        party = RemoteParty(lab.keystore, a.exchange)
        good = await party.command(0x0084, to=GSME)
        assert good.response is not None and good.security["mac"] == "valid"
        assert decode_envelope(good.response).header.originator == GSME
        bad = bytearray(party.build(0x0059, to=ESME))
        bad[-1] ^= 0x55  # MAC no longer checks: the device raises a security alert, no response
        reply = await party.send_raw(bytes(bad))
        assert reply.response is None and len(reply.alerts) == 1
        alert = decode_envelope(reply.alerts[0]).header
        assert alert.cra_flag is CraFlag.ALERT and alert.originator == ESME
        # the other connection is subscribed to alerts and gets it unsolicited (number 0)
        assert await asyncio.wait_for(b.unsolicited.get(), 5) == reply.alerts[0]
        assert a.unsolicited.empty()
        # not a device of this fleet, and not GBCS at all: the exchange closes without a response
        other = party.build(0x0059, to=ESME).replace(ESME, bytes.fromhex("00DB0000000000FF"))
        assert (await a.exchange(other)).response is None
        assert (await a.exchange(b"\x01\x02\x03")).response is None
    finally:
        await a.close()
        await b.close()


async def test_frames_carry_their_headers_to_observers(service: LabService, lab: Lab) -> None:
    """Observers get the header the front parsed (in) and the device built (out): nothing is decoded again."""
    events: list[WireEvent] = []
    handle = service.front.observe(events.append)
    host, port = service.endpoints.gfi  # type: ignore[misc]
    client = await WanClient.connect(host, port, "gfi")
    try:
        party = RemoteParty(lab.keystore, client.exchange)
        good = await party.command(0x0059, to=ESME)
        bad = bytearray(party.build(0x0059, to=ESME))
        bad[-1] ^= 0x55
        rejected = await party.send_raw(bytes(bad))
        await client.exchange(b"\x01\x02\x03")
    finally:
        handle.cancel()
        await client.close()
    assert good.response is not None and rejected.alerts and rejected.response is None
    by_kind = {(e.direction, e.kind, e.message): e for e in events}
    for direction, kind, message in (("out", "response", good.response), ("out", "alert", rejected.alerts[0]),
                                     ("in", "command", bytes(bad))):
        event = by_kind[(direction, kind, message)]
        assert event.header == decode_envelope(message).header
    assert by_kind[("in", "command", b"\x01\x02\x03")].header is None  # not GBCS
    assert by_kind[("out", "empty", b"")].header is None


async def test_injected_faults(service: LabService, lab: Lab) -> None:
    host, port = service.endpoints.gfi  # type: ignore[misc]
    client = await WanClient.connect(host, port, "gfi")
    try:
        party = RemoteParty(lab.keystore, client.exchange)
        service.faults.add(ESME, __import__("smets_emu.tools.faults", fromlist=["Fault"]).Fault("corrupt",
                                                                                              direction="reply"))
        reply = await party.command(0x0059, to=ESME)
        assert reply.response is not None and reply.security["mac"] == "invalid"
        from smets_emu.tools.faults import Fault

        service.faults.add(ESME, Fault("corrupt"))
        reply = await party.command(0x0059, to=ESME)
        assert reply.response is None and reply.alerts
        service.faults.add(ESME, Fault("drop"))
        with pytest.raises(Exception, match="no answer"):
            await client.exchange(party.build(0x0059, to=ESME), timeout=0.2)
        service.faults.add(ESME, Fault("delay", seconds=0.01))
        assert (await party.command(0x0059, to=ESME)).security["mac"] == "valid"
        assert not service.faults.faults
    finally:
        await client.close()


@pytest.mark.parametrize("framing", ["gfi", "binary"])
def test_decoders_whole_bytewise_garbage_and_trailing(framing: str) -> None:
    codec = wan_framing(framing)
    messages = [bytes(range(i, i + 20)) for i in range(3)]
    stream = b"\x00garbage\r\n" + b"".join(codec.encode(m, seq=i + 1) for i, m in enumerate(messages)) + b"GBCS:DA"
    whole = codec.decoder().feed(stream)
    assert whole == [Frame(m, i + 1) for i, m in enumerate(messages)]
    dec = codec.decoder()
    bytewise = [f for i in range(len(stream)) for f in dec.feed(stream[i : i + 1])]
    assert bytewise == whole


async def test_truncated_frame_does_not_hide_the_next_one(service: LabService, lab: Lab) -> None:
    """A frame cut short swallows the (shorter) frame behind it until the front's idle timeout abandons it."""
    host, port = service.endpoints.binary  # type: ignore[misc]
    codec = wan_framing("binary")
    command = RemoteParty(lab.keystore, None).build(0x0059, to=ESME, as_party="supplier")  # type: ignore[arg-type]
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(codec.encode(command, seq=1)[:-30] + codec.encode(b"", seq=2))
        await writer.drain()
        frames = await _collect_until(reader, codec.decoder(), 2)
    finally:
        writer.close()
    assert frames == [Frame(b"", 2)]
    assert service.front.stats.frames_dropped >= 1


async def test_client_keepalive_outlives_the_idle_timeout(lab: Lab) -> None:
    from smets_emu.hosting.runtime import Runtime, VirtualClock
    from smets_emu.tools.wan_server import WanFront, WanLimits

    async with Runtime(lab.fleet, VirtualClock(START), tick_interval=3600) as runtime:
        front = WanFront(runtime, limits=WanLimits(idle_timeout=0.4))
        host, port = await front.listen("gfi")
        quiet = await WanClient.connect(host, port, "gfi", keepalive=None)
        listener = await WanClient.connect(host, port, "gfi", keepalive=0.15)
        try:
            await asyncio.sleep(1.0)
            assert front.stats.idle_closed == 1 and front.stats.active_connections == 1
            reply = await RemoteParty(lab.keystore, listener.exchange).command(0x0059, to=ESME)
            assert reply.response is not None
        finally:
            await quiet.close()
            await listener.close()
            await front.close()


def test_the_frame_maximum_carries_the_largest_reference_message() -> None:
    from smets_emu.protocols.lengths import MAX_LENGTH
    from smets_emu.tools.wan_server import MAX_MESSAGE, WanLimits

    assert MAX_MESSAGE > MAX_LENGTH == (1 << 24) - 1
    assert WanLimits().receive_budget >= max(wan_framing(f).max_frame_size() for f in ("gfi", "binary"))
    largest = max((len(f.path.read_bytes().strip()) // 2 for f in RTDS_FILES), default=0)
    assert largest < MAX_MESSAGE


def test_parties_made_back_to_back_never_reuse_counters(lab: Lab) -> None:
    """A burst runs ahead of the millisecond clock; the next party (the next test, the next request) starts above it."""
    first = RemoteParty(lab.keystore, None)  # type: ignore[arg-type]
    burst = [first.next_counter() for _ in range(50)]
    second = RemoteParty(lab.keystore, None)  # type: ignore[arg-type]
    assert second.next_counter() > burst[-1]
    assert burst == sorted(set(burst))
