"""Stream framings: one table both ways, stream feeding patterns, property tests and a fuzz target."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smets_emu.errors import EncodeError
from smets_emu.hw.framing import (
    BinaryFraming,
    Frame,
    Framing,
    GfiFraming,
    ParseStatus,
    framing_for,
)

# (framing, payload, seq, wire bytes)
TABLE = [
    ("gfi", bytes.fromhex("DD0000"), 0, b"GBCS:DATA#0:3:DD0000\r\n"),
    ("gfi", b"\x01\xab", 42, b"GBCS:DATA#42:2:01AB\r\n"),
    ("gfi", b"", 0, b"GBCS:DATA#0:0:\r\n"),
    # A5 5A | SEQ u32 | LEN u32 | HCRC u16 | payload | CRC-32
    ("binary", b"\x01\x02hello", 0, bytes.fromhex("a55a 00000000 00000007 6d28 01026865 6c6c6f a052fc2b")),
    ("binary", b"\x01\x02hello", 42, bytes.fromhex("a55a 0000002a 00000007 2332 01026865 6c6c6f 442aab1e")),
    ("binary", b"", 0xFFFFFFFF, bytes.fromhex("a55a ffffffff 00000000 22e1 6d5b8380")),
]

FRAMINGS = [GfiFraming(), BinaryFraming()]
IDS = [f.name for f in FRAMINGS]


@pytest.mark.parametrize(("name", "payload", "seq", "wire"), TABLE)
def test_table_both_directions(name: str, payload: bytes, seq: int, wire: bytes) -> None:
    framing = framing_for(name)
    assert framing.encode(payload, seq=seq) == wire
    decoder = framing.decoder()
    assert decoder.feed(wire) == [Frame(payload, seq)]
    assert decoder.buffered == 0 and decoder.stats.dropped == 0


@pytest.mark.parametrize(("name", "payload", "seq", "wire"), TABLE)
def test_stream_patterns(name: str, payload: bytes, seq: int, wire: bytes) -> None:
    framing = framing_for(name)
    expected = Frame(payload, seq)
    # byte by byte: incomplete until the last byte
    decoder = framing.decoder()
    for i, b in enumerate(wire):
        assert decoder.feed(bytes([b])) == ([expected] if i == len(wire) - 1 else [])
    # trailing data: the frame, then a partial one held back
    decoder = framing.decoder()
    assert decoder.feed(wire + wire[:5]) == [expected]
    assert decoder.in_frame or decoder.buffered
    assert decoder.feed(wire[5:]) == [expected]
    # garbage in front
    decoder = framing.decoder()
    assert decoder.feed(b"\x00\xff\r\nGBCS:junk\xa5\x5a\x00" + wire) == [expected]
    assert decoder.stats.garbage_bytes > 0


def test_gfi_parse_tells_incomplete_from_invalid() -> None:
    gfi = GfiFraming()
    assert gfi.parse(b"GBCS:DATA#0:2:01", 0).status is ParseStatus.INCOMPLETE
    assert gfi.parse(b"GBCS:DATA#0:2:01A", 0).status is ParseStatus.INCOMPLETE
    for bad in (
        b"GBCS:DATA#0:2:01AG\r\n",  # non-hex
        b"GBCS:DATA#0:2:01\r\n",  # fewer hex digits than the length
        b"GBCS:DATA#0:2:01ABCD\r\n",  # more
        b"GBCS:DATA#0:2:01AB\n\r",  # wrong line end
        b"GBCS:DATA#x:2:01AB\r\n",
        b"GBCS:DATA#:2:01AB\r\n",
        b"GBCS:DATA#0::\r\n",
        b"GBCS:DATA#99999999999:2:01AB\r\n",
        b"GBCS:DATA#0:-2:01AB\r\n",
    ):
        assert gfi.parse(bad, 0).status is ParseStatus.INVALID, bad
    assert GfiFraming(max_length=10).parse(b"GBCS:DATA#0:11:", 0).status is ParseStatus.INVALID


def test_gfi_accepts_lower_case_hex() -> None:
    assert GfiFraming().decoder().feed(b"GBCS:DATA#7:2:abcd\r\n") == [Frame(b"\xab\xcd", 7)]


def test_gfi_damaged_length_fails_at_line_end_not_after_it() -> None:
    decoder = GfiFraming().decoder()
    good = GfiFraming().encode(b"\x11" * 4)
    # length 9 instead of 4: invalid as soon as CR shows up, so the next frame is not swallowed
    assert decoder.feed(b"GBCS:DATA#0:9:11111111\r\n" + good) == [Frame(b"\x11" * 4)]
    assert decoder.stats.dropped == 1


def test_binary_damaged_header_and_crc() -> None:
    binary = BinaryFraming()
    wire = bytearray(binary.encode(b"abc", seq=7))
    assert binary.parse(bytes(wire[:11]), 0).status is ParseStatus.INCOMPLETE
    for index in (5, 9):  # sequence number, then length: the header CRC fails at once
        wire[index] ^= 0x80
        result = binary.parse(bytes(wire[:12]), 0)
        assert result.status is ParseStatus.INVALID and result.crc_error
        wire[index] ^= 0x80
    wire[-1] ^= 1
    result = binary.parse(bytes(wire), 0)
    assert result.status is ParseStatus.INVALID and result.crc_error


def test_sequence_number_range() -> None:
    for framing in FRAMINGS:
        with pytest.raises(EncodeError):
            framing.encode(b"x", seq=1 << 32)
        with pytest.raises(EncodeError):
            framing.encode(b"x", seq=-1)


def test_oversize_rejected() -> None:
    with pytest.raises(EncodeError):
        BinaryFraming(max_length=4).encode(b"12345")
    with pytest.raises(EncodeError):
        GfiFraming().encode(b"", seq=-1)
    big = BinaryFraming().encode(b"x" * 100)
    decoder = BinaryFraming(max_length=50).decoder()
    assert decoder.feed(big + BinaryFraming().encode(b"ok")) == [Frame(b"ok")]
    assert decoder.stats.dropped == 1


def test_abandon_rescans_past_a_truncated_frame() -> None:
    binary = BinaryFraming()
    truncated = binary.encode(b"A" * 100)[:-30]
    short = binary.encode(b"short")
    decoder = binary.decoder()
    assert decoder.feed(truncated + short) == []  # the short frame hides inside the pending one
    assert decoder.in_frame
    assert decoder.abandon() == [Frame(b"short")]
    assert decoder.stats.abandoned == 1


# --------------------------------------------------------------------------- properties

payloads = st.binary(min_size=0, max_size=300)
framings = st.sampled_from(FRAMINGS)


def _chunks(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    out, prev = [], 0
    for p in [*points, len(data)]:
        out.append(data[prev:p])
        prev = p
    return out


@given(framing=framings, messages=st.lists(payloads, max_size=8), cuts=st.lists(st.integers(0, 10_000), max_size=20))
def test_round_trip_any_chunking(framing: Framing, messages: list[bytes], cuts: list[int]) -> None:
    wire = b"".join(framing.encode(m) for m in messages)
    decoder = framing.decoder()
    got = [f.payload for chunk in _chunks(wire, cuts) for f in decoder.feed(chunk)]
    assert got == messages
    assert decoder.stats.dropped == 0


@given(framing=framings, message=payloads, seq=st.integers(0, 0xFFFFFFFF))
def test_round_trip_sequence_numbers(framing: Framing, message: bytes, seq: int) -> None:
    wire = framing.encode(message, seq=seq)
    assert framing.decoder().feed(wire) == [Frame(message, seq)]
    if seq:  # the number is built from the field, not cached: another number, other bytes
        assert framing.encode(message, seq=seq - 1) != wire


@given(framing=framings, message=payloads, prefix=st.binary(max_size=64), suffix=st.binary(max_size=64))
def test_garbage_prefix_and_suffix(framing: Framing, message: bytes, prefix: bytes, suffix: bytes) -> None:
    decoder = framing.decoder()
    frames = decoder.feed(prefix + framing.encode(message) + suffix)
    frames += decoder.abandon()
    assert message in [f.payload for f in frames]
    # garbage alone can only yield a frame by containing a whole valid one (vanishingly unlikely here)
    assert len(frames) <= 1 + (framing.marker in prefix) + (framing.marker in suffix)


@given(message=st.binary(min_size=1, max_size=300), data=st.data())
def test_binary_bit_errors_never_accepted(message: bytes, data: st.DataObject) -> None:
    binary = BinaryFraming()
    wire = bytearray(binary.encode(message))
    flips = data.draw(st.sets(st.integers(0, len(wire) * 8 - 1), min_size=1, max_size=3))
    for b in flips:
        wire[b // 8] ^= 1 << (b % 8)
    trailer = binary.encode(b"next")
    decoder = binary.decoder()
    frames = decoder.feed(bytes(wire) + trailer) + decoder.abandon()
    assert [f.payload for f in frames] == [b"next"]


@given(message=st.binary(min_size=1, max_size=200), data=st.data())
def test_gfi_bit_errors_outside_hex_digits_never_accepted(message: bytes, data: st.DataObject) -> None:
    """GFI has no check field: a flip that keeps a hex digit a hex digit is undetectable by design."""
    gfi = GfiFraming()
    wire = bytearray(gfi.encode(message, seq=0))
    bit = data.draw(st.integers(0, len(wire) * 8 - 1))
    wire[bit // 8] ^= 1 << (bit % 8)
    decoder = gfi.decoder()
    frames = decoder.feed(bytes(wire) + gfi.encode(b"next")) + decoder.abandon()
    payloads_seen = [f.payload for f in frames]
    assert payloads_seen[-1] == b"next"
    if len(payloads_seen) == 2:  # accepted only as a same-length hex-digit substitution
        header = len(b"GBCS:DATA#0:") + len(str(len(message))) + 1
        assert header <= bit // 8 < header + 2 * len(message) or bit // 8 == len(b"GBCS:DATA#")
        assert len(payloads_seen[0]) == len(message)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(framing=framings, data=st.binary(max_size=2000), cuts=st.lists(st.integers(0, 5000), max_size=10))
def test_fuzz_decoder_never_raises(framing: Framing, data: bytes, cuts: list[int]) -> None:
    decoder = framing.decoder()
    for chunk in _chunks(data, cuts):
        for frame in decoder.feed(chunk):
            assert isinstance(frame.payload, bytes)
    decoder.abandon()
    assert decoder.buffered <= len(data)


# --------------------------------------------------------------------------- linear work, bounded buffers


def test_binary_header_checks_agree_with_the_construct_reference() -> None:
    """The decoder reads headers with struct; the construct definitions stay the reference."""
    import binascii
    import random
    import struct

    from construct import ConstructError

    from smets_emu.hw.framing import BinaryFrame, BinaryHeader

    rng = random.Random(9)
    binary = BinaryFraming(max_length=1 << 16)
    for _ in range(2000):
        head = b"\xa5\x5a" + rng.randbytes(8)
        hcrc = binascii.crc_hqx(head, 0xFFFF) if rng.random() < 0.5 else rng.randrange(1 << 16)
        header = head + struct.pack(">H", hcrc)
        try:
            reference = BinaryHeader.parse(header).head.value
        except ConstructError:
            reference = None
        result = binary.parse(header, 0)
        if reference is None:
            assert result.status is ParseStatus.INVALID and result.crc_error
        elif reference.length > binary.max_length:
            assert result.status is ParseStatus.INVALID and result.oversize
        else:
            assert result.status is ParseStatus.INCOMPLETE
    for _ in range(200):
        wire = binary.encode(rng.randbytes(rng.randrange(300)), seq=rng.randrange(1 << 32))
        parsed = BinaryFrame.parse(wire).body.value
        assert binary.parse(wire, 0).frame == Frame(parsed.payload, parsed.header.head.value.seq)


def test_gfi_resume_skips_what_was_checked_and_reports_progress() -> None:
    gfi = GfiFraming()
    line = gfi.encode(bytes(range(50)), seq=5)
    partial = line[:60]
    result = gfi.parse(partial, 0)
    assert result.status is ParseStatus.INCOMPLETE and result.checked == 60
    # bytes before *resume* are not looked at again (they were checked by the earlier call)
    damaged = b"GBCS:DATA#5:50:" + b"ZZ" + line[17:60]
    assert gfi.parse(damaged, 0).status is ParseStatus.INVALID
    assert gfi.parse(damaged, 0, resume=20).status is ParseStatus.INCOMPLETE
    # and a whole frame still never raises, whatever *resume* says
    assert gfi.parse(b"GBCS:DATA#5:50:" + b"ZZ" + line[17:], 0, resume=20).status is ParseStatus.INVALID


@pytest.mark.parametrize("framing", FRAMINGS, ids=IDS)
def test_max_frame_size_is_the_longest_wire_frame(framing: Framing) -> None:
    small = type(framing)(max_length=1000)
    assert len(small.encode(bytes(1000), seq=0xFFFFFFFF)) == small.max_frame_size()


def test_gfi_length_field_caps_the_maximum() -> None:
    assert GfiFraming(max_length=1 << 30).max_length == 9_999_999


@given(framing=framings, data=st.binary(max_size=3000), cuts=st.lists(st.integers(0, 5000), max_size=10))
def test_decoder_holds_at_most_one_frame(framing: Framing, data: bytes, cuts: list[int]) -> None:
    small = type(framing)(max_length=100)
    decoder = small.decoder()
    for chunk in _chunks(small.encode(b"x" * 100) + data + small.encode(b"y" * 50), cuts):
        decoder.feed(chunk)
        assert decoder.buffered <= small.max_frame_size()


def test_nested_headers_are_rechecked_within_the_credit_then_skipped() -> None:
    import binascii
    import struct

    binary = BinaryFraming()
    total = 32 * 1024
    nested = bytearray()
    while len(nested) + 16 <= total - 4:
        head = struct.pack(">2sII", b"\xa5\x5a", 1, total - len(nested) - 16)
        nested += head + struct.pack(">H", binascii.crc_hqx(head, 0xFFFF)) + bytes(4)
    stream = bytes(nested.ljust(total, b"\x00")) + binary.encode(b"after")
    decoder = binary.decoder()
    frames = [f for i in range(0, len(stream), 1024) for f in decoder.feed(stream[i : i + 1024])]
    assert frames == [Frame(b"after")]
    assert decoder.stats.skipped_frames >= 1
    assert decoder.stats.crc_errors < 10  # not one CRC-32 run per nested header


def test_a_resync_run_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    decoder = BinaryFraming().decoder()
    with caplog.at_level(logging.INFO, logger="smets_emu.hw.frame_decoder"):
        for _ in range(10):
            decoder.feed(b"\xa5\x5a" * 1000)
        decoder.feed(BinaryFraming().encode(b"good"))
        decoder.feed(b"\xa5\x5a" * 1000)
    assert decoder.stats.dropped > 9000
    assert len([r for r in caplog.records if r.levelno >= logging.INFO]) == 2  # one per run
