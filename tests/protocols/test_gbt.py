"""GBT block codec, segmentation and reassembly (GBCS 7.2.11)."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smets_emu.errors import EncodeError, FrameError, SmetsError
from smets_emu.protocols.envelope import (
    CraFlag,
    Envelope,
    GroupingHeader,
    OtherInfo,
    decode_envelope,
    encode_envelope,
)
from smets_emu.protocols.gbt import (
    MAX_BLOCK_NUMBER,
    GbtBlock,
    RoutingHeader,
    decode_gbt_block,
    encode_gbt_block,
    is_gbt,
    routing_header_for,
)
from smets_emu.protocols.gbt_transfer import Reassembler, segment
from smets_emu.protocols.timestamps import DlmsDateTime

RTDS = Path(__file__).resolve().parents[2] / ".." / "shared" / "rtds"

SUPPLIER = bytes.fromhex("90B3D51F30010000")
ESME = bytes.fromhex("00DB1234567890A0")


def rtds_files() -> list[Path]:
    """All RTDS message files, or [] when the folder is absent."""
    return sorted(RTDS.glob("RTDS-*/*/*.HEX"))


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


ROUTE_CMD = RoutingHeader(CraFlag.COMMAND, 1000, SUPPLIER, ESME, 0x0059)
ROUTE_RSP = RoutingHeader(CraFlag.RESPONSE, 1000, ESME, SUPPLIER, 0x0059)
ROUTE_ALERT = RoutingHeader(CraFlag.ALERT, 0x7D0, ESME, SUPPLIER, 0x00CC, security_control=0x00,
                            invocation_counter=0x01020304)

HDR_CMD = "DD 09 01 00000000000003E8 08 90B3D51F30010000 08 00DB1234567890A0 00 02 0059 00"
HDR_RSP = "DD 09 02 00000000000003E8 08 00DB1234567890A0 08 90B3D51F30010000 00 02 0059 00"
HDR_ALERT = "DD 09 03 00000000000007D0 08 00DB1234567890A0 08 90B3D51F30010000 00 02 00CC 00"

# (wire hex, block): both directions are checked from this one table.
BLOCK_TABLE = [
    pytest.param(
        HDR_CMD + " 0F 11 00000000 E0 81 0001 0000 03 DF0901",
        GbtBlock(ROUTE_CMD, block_number=1, data=h("DF0901"), last_block=True),
        id="single-last-block",
    ),
    pytest.param(
        HDR_RSP + " 0C 11 00000000 E0 05 0001 0007 00",
        GbtBlock(ROUTE_RSP, block_number=1, data=b"", last_block=False, window=5, block_number_ack=7),
        id="acknowledgement",
    ),
    pytest.param(
        HDR_CMD + " 81D5 11 00000000 E0 7F 0002 0000 81C8 " + "AB" * 200,
        GbtBlock(ROUTE_CMD, block_number=2, data=b"\xab" * 200, last_block=False, streaming=True, window=63),
        id="long-form-lengths-streaming",
    ),
    pytest.param(
        HDR_ALERT + " 0D 00 01020304 E0 C0 FFFF FFFF 01 00",
        GbtBlock(ROUTE_ALERT, block_number=0xFFFF, data=b"\x00", last_block=True, streaming=True, window=0,
                 block_number_ack=0xFFFF),
        id="alert-extremes",
    ),
]


@pytest.mark.parametrize(("wire", "block"), BLOCK_TABLE)
def test_block_table_decode(wire: str, block: GbtBlock) -> None:
    assert decode_gbt_block(h(wire)) == block


@pytest.mark.parametrize(("wire", "block"), BLOCK_TABLE)
def test_block_table_encode(wire: str, block: GbtBlock) -> None:
    assert encode_gbt_block(block) == h(wire)


def test_ciphered_content_length_covers_rest_of_block() -> None:
    wire = encode_gbt_block(GbtBlock(ROUTE_CMD, block_number=3, data=b"x" * 1000, last_block=False))
    header_len = len(h(HDR_CMD))
    assert wire[header_len] == 0x82
    assert int.from_bytes(wire[header_len + 1 : header_len + 3], "big") == len(wire) - header_len - 3


def test_editing_a_field_changes_the_bytes() -> None:
    block = decode_gbt_block(h(HDR_CMD + " 0F 11 00000000 E0 81 0001 0000 03 DF0901"))
    assert encode_gbt_block(GbtBlock(block.routing, 9, block.data, last_block=False)) == h(
        HDR_CMD + " 0F 11 00000000 E0 01 0009 0000 03 DF0901"
    )


def test_is_gbt() -> None:
    assert is_gbt(h(HDR_CMD))
    assert not is_gbt(h("DD 00 00 00 00 00 00"))
    assert not is_gbt(h("DF 09 01"))
    assert not is_gbt(b"\xdd")
    assert not is_gbt(b"")


@pytest.mark.parametrize(
    "wire",
    [
        pytest.param("", id="empty"),
        pytest.param("DD 00 00 00 00 00 00 05 11 00000000", id="mac-header-not-gbt"),
        pytest.param(HDR_CMD + " 0F 11 00000000 E0 81 0001 0000 03 DF09", id="truncated"),
        pytest.param(HDR_CMD + " 0F 11 00000000 E0 81 0001 0000 03 DF0901 00", id="trailing"),
        pytest.param(HDR_CMD + " 10 11 00000000 E0 81 0001 0000 03 DF0901 00", id="ciphered-length-too-long"),
        pytest.param(HDR_CMD + " 0E 11 00000000 E0 81 0001 0000 03 DF0901", id="ciphered-length-too-short"),
        pytest.param(HDR_CMD + " 810F 11 00000000 E0 81 0001 0000 03 DF0901", id="non-minimal-length"),
        pytest.param(HDR_CMD + " 0F 11 00000000 E1 81 0001 0000 03 DF0901", id="wrong-gbt-tag"),
        pytest.param(HDR_CMD.replace("DD 09 01", "DD 09 04") + " 0F 11 00000000 E0 81 0001 0000 03 DF0901",
                     id="bad-cra-flag"),
        pytest.param(HDR_CMD.replace("02 0059 00", "03 0059FF 00") + " 0F 11 00000000 E0 81 0001 0000 03 DF0901",
                     id="other-information-not-message-code"),
        pytest.param(HDR_CMD.replace("0059 00", "0059 01") + " 0F 11 00000000 E0 81 0001 0000 03 DF0901",
                     id="key-info-present"),
        pytest.param(HDR_CMD.replace("90A0 00 02 0059", "90A0 0C 02 0059") + " 0F 11 00000000 E0 81 0001 0000 03 DF",
                     id="date-time-present"),
        pytest.param(HDR_CMD.replace("08 90B3", "07 90B3") + " 0F 11 00000000 E0 81 0001 0000 03 DF0901",
                     id="bad-system-title-length"),
    ],
)
def test_malformed_blocks_raise_frame_error(wire: str) -> None:
    with pytest.raises(FrameError):
        decode_gbt_block(h(wire))


def test_decode_rejects_non_bytes() -> None:
    with pytest.raises(FrameError):
        decode_gbt_block("DD09")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "block",
    [
        GbtBlock(ROUTE_CMD, block_number=0x10000, data=b"x", last_block=True),
        GbtBlock(ROUTE_CMD, block_number=1, data=b"x", last_block=True, window=64),
        GbtBlock(ROUTE_CMD, block_number=1, data=b"x", last_block=True, block_number_ack=-1),
        GbtBlock(RoutingHeader(5, 1, SUPPLIER, ESME, 1), block_number=1, data=b"x", last_block=True),  # type: ignore[arg-type]
        GbtBlock(RoutingHeader(CraFlag.COMMAND, 2**64, SUPPLIER, ESME, 1), block_number=1, data=b"", last_block=True),
        GbtBlock(RoutingHeader(CraFlag.COMMAND, 1, SUPPLIER[:7], ESME, 1), block_number=1, data=b"", last_block=True),
        GbtBlock(RoutingHeader(CraFlag.COMMAND, 1, SUPPLIER, ESME, 0x10000), block_number=1, data=b"", last_block=True),
        GbtBlock(RoutingHeader(CraFlag.COMMAND, 1, SUPPLIER, ESME, 1, security_control=256), 1, b"", True),
        GbtBlock(ROUTE_CMD, block_number=1, data="text", last_block=True),  # type: ignore[arg-type]
    ],
)
def test_encode_rejects_bad_fields(block: GbtBlock) -> None:
    with pytest.raises(EncodeError):
        encode_gbt_block(block)


# --- hypothesis strategies ---------------------------------------------------------------------

euis = st.binary(min_size=8, max_size=8)
counters = st.integers(min_value=0, max_value=2**64 - 1)

routing_headers = st.builds(
    RoutingHeader,
    cra_flag=st.sampled_from(CraFlag),
    originator_counter=counters,
    originator=euis,
    recipient=euis,
    message_code=st.integers(0, 0xFFFF),
    security_control=st.integers(0, 0xFF),
    invocation_counter=st.integers(0, 2**32 - 1),
)

gbt_blocks = st.builds(
    GbtBlock,
    routing=routing_headers,
    block_number=st.integers(0, MAX_BLOCK_NUMBER),
    data=st.binary(max_size=300),
    last_block=st.booleans(),
    streaming=st.booleans(),
    window=st.integers(0, 63),
    block_number_ack=st.integers(0, MAX_BLOCK_NUMBER),
)

other_infos = st.one_of(
    st.builds(OtherInfo, message_code=st.integers(0, 0xFFFF)),
    st.builds(OtherInfo, message_code=st.integers(0, 0xFFFF), supplementary_remote_party_id=euis),
    st.builds(
        OtherInfo,
        message_code=st.integers(0, 0xFFFF),
        supplementary_remote_party_id=euis,
        supplementary_remote_party_counter=counters,
    ),
)

grouping_headers = st.builds(
    GroupingHeader,
    cra_flag=st.sampled_from(CraFlag),
    originator_counter=counters,
    originator=euis,
    recipient=euis,
    other_information=other_infos,
    date_time=st.one_of(st.none(), st.just(DlmsDateTime(2015, 1, 1, 0xFF, 0, 0, 0, 0, 0x8000, 0xFF))),
)


@st.composite
def envelopes(draw: st.DrawFn, max_content: int = 700) -> Envelope:
    """RTDS-shaped envelopes: MACed, signed-only or PRECOMMAND, signed or not."""
    header = draw(grouping_headers)
    content = draw(st.binary(max_size=max_content))
    form = draw(st.sampled_from(["maced", "signed", "precommand"]))
    signature = draw(st.one_of(st.none(), st.binary(min_size=64, max_size=64)))
    if form == "maced":
        return Envelope(header, content, signature=signature, mac=draw(st.binary(min_size=12, max_size=12)))
    if form == "signed":
        return Envelope(header, content, signature=signature)
    return Envelope(header, content, signature=None, signature_field=False)


messages = envelopes().map(encode_envelope)


@settings(max_examples=300, deadline=None)
@given(gbt_blocks)
def test_block_round_trip(block: GbtBlock) -> None:
    wire = encode_gbt_block(block)
    assert is_gbt(wire)
    assert decode_gbt_block(wire) == block
    assert encode_gbt_block(decode_gbt_block(wire)) == wire


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_raise_only_smets_error(data: bytes) -> None:
    for candidate in (data, b"\xdd\x09" + data):
        try:
            block = decode_gbt_block(candidate)
        except SmetsError:
            continue
        assert encode_gbt_block(block) == candidate


@settings(max_examples=300, deadline=None)
@given(gbt_blocks, st.data())
def test_mutated_blocks_raise_only_smets_error(block: GbtBlock, data: st.DataObject) -> None:
    wire = bytearray(encode_gbt_block(block))
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        pos = data.draw(st.integers(0, max(len(wire) - 1, 0)))
        if op == "flip" and wire:
            wire[pos] ^= data.draw(st.integers(1, 255))
        elif op == "insert":
            wire[pos:pos] = data.draw(st.binary(min_size=1, max_size=4))
        elif op == "delete" and wire:
            del wire[pos]
        elif op == "truncate":
            del wire[pos:]
    try:
        decoded = decode_gbt_block(bytes(wire))
    except SmetsError:
        return
    assert encode_gbt_block(decoded) == bytes(wire)


@settings(max_examples=150, deadline=None)
@given(messages, st.data())
def test_mutated_blocks_fed_to_reassembler_raise_only_smets_error(message: bytes, data: st.DataObject) -> None:
    blocks = segment(message, block_size=data.draw(st.integers(16, 128)))
    reassembler = Reassembler(max_gap=MAX_BLOCK_NUMBER)
    for wire in blocks:
        wire = bytearray(wire)
        if data.draw(st.booleans()) and wire:
            wire[data.draw(st.integers(0, len(wire) - 1))] ^= data.draw(st.integers(1, 255))
        try:
            result = reassembler.feed(bytes(wire))
        except SmetsError:
            continue
        if result is not None:
            decode_envelope(result)


# --- segmentation and reassembly ---------------------------------------------------------------


def reassemble(blocks: list[bytes], **kwargs: int) -> bytes:
    reassembler = Reassembler(**kwargs)
    results = [reassembler.feed(b) for b in blocks]
    done = [r for r in results if r is not None]
    assert len(done) == 1
    assert reassembler.complete and reassembler.missing() == []
    return done[0]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages, st.integers(1, 800), st.integers(1, 63), st.booleans())
def test_segment_reassemble_round_trip(message: bytes, block_size: int, window: int, streaming: bool) -> None:
    blocks = segment(message, block_size=block_size, window=window, streaming=streaming)
    assert len(blocks) == -(-len(message) // block_size)
    decoded = [decode_gbt_block(b) for b in blocks]
    assert [d.block_number for d in decoded] == list(range(1, len(blocks) + 1))
    assert [d.last_block for d in decoded] == [False] * (len(blocks) - 1) + [True]
    assert all(len(d.data) <= block_size and d.window == window for d in decoded)
    assert b"".join(d.data for d in decoded) == message
    env = decode_envelope(message)
    for d in decoded:
        assert d.routing.originator == env.header.originator
        assert d.routing.recipient == env.header.recipient
        assert d.routing.message_code == env.header.message_code
    result = reassemble(blocks, max_gap=MAX_BLOCK_NUMBER)
    assert result == message
    assert decode_envelope(result) == env


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(envelopes(max_content=120).map(encode_envelope))
def test_one_byte_blocks(message: bytes) -> None:
    blocks = segment(message, block_size=1)
    assert len(blocks) == len(message)
    assert all(len(decode_gbt_block(b).data) == 1 for b in blocks)
    assert reassemble(blocks, max_gap=MAX_BLOCK_NUMBER) == message


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages, st.integers(1, 200), st.data())
def test_shuffled_and_duplicated_blocks(message: bytes, block_size: int, data: st.DataObject) -> None:
    blocks = segment(message, block_size=block_size)
    extra = data.draw(st.lists(st.sampled_from(blocks), max_size=10))
    order = data.draw(st.permutations(blocks + extra))
    reassembler = Reassembler(max_gap=MAX_BLOCK_NUMBER)
    results = [reassembler.feed(b) for b in order]
    done = [r for r in results if r is not None]
    assert done == [message]
    assert decode_envelope(done[0]) == decode_envelope(message)


def test_streaming_bits_mark_window_ends() -> None:
    message = encode_envelope(Envelope(GroupingHeader(CraFlag.COMMAND, 1, SUPPLIER, ESME, OtherInfo(0x59)), b"c" * 60))
    blocks = [decode_gbt_block(b) for b in segment(message, block_size=10, window=3, streaming=True)]
    assert len(blocks) == 10
    assert [b.streaming for b in blocks] == [True, True, False] * 3 + [False]
    plain = [decode_gbt_block(b) for b in segment(message, block_size=10, window=3)]
    assert not any(b.streaming for b in plain)


def test_one_mebibyte_message() -> None:
    header = GroupingHeader(CraFlag.RESPONSE, 0x1234, ESME, SUPPLIER, OtherInfo(0x00B2))
    message = encode_envelope(Envelope(header, bytes(range(256)) * 4096, signature=b"\x01" * 64))
    assert len(message) > 1024 * 1024
    blocks = segment(message, block_size=1024, window=63, streaming=True)
    assert len(blocks) == -(-len(message) // 1024) == 1025
    random.Random(7).shuffle(blocks)
    assert reassemble(blocks, max_gap=MAX_BLOCK_NUMBER) == message
    with pytest.raises(EncodeError):
        segment(message, block_size=16)  # more than 65535 blocks
    with pytest.raises(FrameError):
        reassemble(segment(message, block_size=4096), max_message_size=1024 * 1024)


def small_message(content: bytes = b"\xd9" * 40, counter: int = 1000) -> bytes:
    header = GroupingHeader(CraFlag.COMMAND, counter, SUPPLIER, ESME, OtherInfo(0x0059))
    return encode_envelope(Envelope(header, content, mac=b"\x00" * 12))


def test_lost_block_reported_by_missing_and_ack() -> None:
    blocks = segment(small_message(), block_size=10)
    assert len(blocks) == 10
    reassembler = Reassembler(window=8)
    assert reassembler.missing() == [1]
    for i, wire in enumerate(blocks):
        if i != 3:
            assert reassembler.feed(wire) is None
    assert reassembler.missing() == [4]
    assert reassembler.acknowledged == 3
    ack = decode_gbt_block(reassembler.ack_block())
    assert ack.is_ack and ack.block_number_ack == 3 and ack.window == 8 and ack.block_number == 1
    assert ack.routing == reassembler.routing.reversed()
    assert decode_gbt_block(reassembler.ack_block()).block_number == 2
    assert reassembler.feed(blocks[3]) == small_message()
    assert reassembler.missing() == []
    assert decode_gbt_block(reassembler.ack_block()).block_number_ack == 10


def test_missing_before_last_block_is_known() -> None:
    blocks = segment(small_message(), block_size=10)
    reassembler = Reassembler()
    reassembler.feed(blocks[0])
    reassembler.feed(blocks[4])
    assert reassembler.missing() == [2, 3, 4, 6]


def test_duplicates_after_completion_are_ignored() -> None:
    blocks = segment(small_message(), block_size=10)
    reassembler = Reassembler()
    assert [reassembler.feed(b) for b in blocks][-1] == small_message()
    assert reassembler.feed(blocks[2]) is None
    assert reassembler.feed(blocks[-1]) is None


def test_ack_before_any_block_is_an_error() -> None:
    with pytest.raises(EncodeError):
        Reassembler().ack_block()


def rebuilt(wire: bytes, **changes: object) -> bytes:
    block = decode_gbt_block(wire)
    routing_changes = {k: v for k, v in changes.items() if hasattr(block.routing, k)}
    block_changes = {k: v for k, v in changes.items() if k not in routing_changes}
    routing = RoutingHeader(**{**block.routing.__dict__, **routing_changes})
    return encode_gbt_block(GbtBlock(**{**block.__dict__, "routing": routing, **block_changes}))


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param(lambda b: b[0], lambda b: rebuilt(b[0], data=b"XXXXXXXXXX"), id="conflicting-duplicate"),
        pytest.param(lambda b: b[0], lambda b: rebuilt(b[0], last_block=True), id="duplicate-with-last-flag"),
        pytest.param(lambda b: b[0], lambda b: rebuilt(b[1], originator_counter=1001), id="other-counter"),
        pytest.param(lambda b: b[0], lambda b: rebuilt(b[1], recipient=SUPPLIER), id="other-recipient"),
        pytest.param(lambda b: b[0], lambda b: rebuilt(b[1], message_code=0x5A), id="other-message-code"),
        pytest.param(lambda b: b[0], lambda b: rebuilt(b[1], cra_flag=CraFlag.ALERT), id="other-cra-flag"),
        pytest.param(lambda b: b[0], lambda b: rebuilt(b[1], block_number=0), id="block-number-0"),
        pytest.param(lambda b: b[0], lambda b: rebuilt(b[1], data=b""), id="empty-block"),
        pytest.param(lambda b: b[0], lambda b: rebuilt(b[1], block_number=1100), id="gap-beyond-cap"),
        pytest.param(lambda b: b[-1], lambda b: rebuilt(b[1], block_number=20), id="beyond-last-block"),
        pytest.param(lambda b: b[-1], lambda b: rebuilt(b[1], last_block=True), id="second-last-block"),
        pytest.param(lambda b: b[5], lambda b: rebuilt(b[2], last_block=True), id="last-below-highest"),
        pytest.param(lambda b: b[0], lambda b: b"\xdd\x09\x01", id="malformed"),
    ],
)
def test_reassembler_rejects(first: Callable[[list[bytes]], bytes], second: Callable[[list[bytes]], bytes]) -> None:
    blocks = segment(small_message(), block_size=10)
    reassembler = Reassembler()
    assert reassembler.feed(first(blocks)) is None
    with pytest.raises(FrameError):
        reassembler.feed(second(blocks))


def test_size_cap() -> None:
    blocks = segment(small_message(b"\x00" * 300), block_size=100)
    reassembler = Reassembler(max_message_size=250)
    reassembler.feed(blocks[0])
    reassembler.feed(blocks[1])
    with pytest.raises(FrameError):
        reassembler.feed(blocks[2])


def test_reassembled_message_must_match_routing_header() -> None:
    message = small_message()
    other = RoutingHeader(CraFlag.COMMAND, 1000, SUPPLIER, SUPPLIER, 0x0059)
    blocks = [encode_gbt_block(GbtBlock(other, 1, message, last_block=True))]
    with pytest.raises(FrameError):
        Reassembler().feed(blocks[0])


def test_reassembled_garbage_is_frame_error() -> None:
    block = GbtBlock(ROUTE_CMD, 1, b"\xdf\x09garbage", last_block=True)
    with pytest.raises(FrameError):
        Reassembler().feed(encode_gbt_block(block))


def test_nested_gbt_is_frame_error() -> None:
    inner = encode_gbt_block(GbtBlock(ROUTE_CMD, 1, b"\xdf", last_block=True))
    with pytest.raises(FrameError):
        Reassembler().feed(encode_gbt_block(GbtBlock(ROUTE_CMD, 1, inner, last_block=True)))


@pytest.mark.parametrize(
    "kwargs",
    [{"block_size": 0}, {"block_size": 10, "window": 0}, {"block_size": 10, "window": 64}, {"block_size": True}],
)
def test_segment_rejects_bad_arguments(kwargs: dict) -> None:
    with pytest.raises(EncodeError):
        segment(small_message(), **kwargs)


def test_segment_rejects_non_messages() -> None:
    with pytest.raises(FrameError):
        segment(b"\x01\x02\x03", block_size=10)
    with pytest.raises(FrameError):
        segment(segment(small_message(), block_size=10)[0], block_size=10)


def test_single_block_when_message_fits() -> None:
    message = small_message()
    (only,) = segment(message, block_size=len(message))
    block = decode_gbt_block(only)
    assert block.last_block and block.block_number == 1 and block.data == message
    assert block.routing == routing_header_for(message)


@pytest.mark.rtds
@pytest.mark.parametrize("path", rtds_files() or [None], ids=lambda p: "none" if p is None else p.name)
def test_rtds_messages_round_trip_through_gbt(path: Path | None) -> None:
    if path is None:
        pytest.skip("RTDS vectors not present")
    message = bytes.fromhex(path.read_text().strip())
    header = decode_envelope(message).header
    for block_size in (7, 64):
        blocks = segment(message, block_size=block_size, window=4, streaming=True)
        first = decode_gbt_block(blocks[0])
        assert (first.routing.cra_flag, first.routing.originator_counter, first.routing.message_code) == (
            header.cra_flag,
            header.originator_counter,
            header.message_code,
        )
        random.Random(path.name).shuffle(blocks)
        assert reassemble(blocks, max_gap=MAX_BLOCK_NUMBER) == message
