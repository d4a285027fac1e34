"""Envelope codec: both directions from one table, RTDS round trip, edits, hostile input."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smets_emu.errors import EncodeError, FrameError, SmetsError
from smets_emu.protocols.envelope import (
    CraFlag,
    Envelope,
    EnvelopeForm,
    GroupingHeader,
    OtherInfo,
    decode_envelope,
    decode_envelope_with_spans,
    encode_envelope,
    encode_signed_span,
)
from smets_emu.protocols.lengths import encode_length
from smets_emu.protocols.timestamps import DlmsDateTime
from tests_support import RTDS_FILES, rtds_ids

SUPPLIER = bytes.fromhex("90B3D51F30010000")
ESME = bytes.fromhex("00DB1234567890A0")
ACB = bytes.fromhex("90B3D51F30000002")
CONTENT = bytes.fromhex("D9200003E800010100010000000201FF020100")


def _header(**kw: object) -> GroupingHeader:
    base = dict(
        cra_flag=CraFlag.COMMAND,
        originator_counter=1000,
        originator=SUPPLIER,
        recipient=ESME,
        other_information=OtherInfo(0x0059),
    )
    base.update(kw)
    return GroupingHeader(**base)  # type: ignore[arg-type]


def _signing(header_bytes: str, content: bytes, sig: str) -> bytes:
    return bytes.fromhex(header_bytes) + encode_length(len(content)) + content + bytes.fromhex(sig)


GH = "DF0901" + "00000000000003E8" + "08" + SUPPLIER.hex() + "08" + ESME.hex() + "00" + "020059"
SIG = bytes(range(64))

TABLE = [
    (
        "maced non-critical command",
        Envelope(_header(), CONTENT, None, bytes(range(12))),
        bytes.fromhex("DD000000000000") + encode_length(5 + len(_signing(GH, CONTENT, "00")) + 12)
        + bytes.fromhex("1100000000") + _signing(GH, CONTENT, "00") + bytes(range(12)),
    ),
    (
        "maced signed command",
        Envelope(_header(), CONTENT, SIG, bytes(12)),
        bytes.fromhex("DD000000000000") + encode_length(5 + len(_signing(GH, CONTENT, "40")) + 64 + 12)
        + bytes.fromhex("1100000000") + _signing(GH, CONTENT, "40") + SIG + bytes(12),
    ),
    ("precommand", Envelope(_header(), CONTENT, None, None, signature_field=False), _signing(GH, CONTENT, "")),
    ("signed-only", Envelope(_header(), CONTENT, SIG, None), _signing(GH, CONTENT, "40") + SIG),
    (
        "response with date-time and 18-byte other information",
        Envelope(
            _header(
                cra_flag=CraFlag.RESPONSE,
                originator=ESME,
                recipient=ACB,
                date_time=DlmsDateTime(2015, 1, 1, 0xFF, 0, 0, 0, 0, 0x8000, 0xFF),
                other_information=OtherInfo(0x0013, SUPPLIER, 0x1234),
            ),
            b"\x05\x00",
            None,
            None,
        ),
        bytes.fromhex(
            "DF0902" "00000000000003E8" "08" + ESME.hex() + "08" + ACB.hex()
            + "0C07DF01 01FF0000 00008000 FF".replace(" ", "")
            + "12" "0013" + SUPPLIER.hex() + "0000000000001234" + "02" "0500" "00"
        ),
    ),
    (
        "26-byte other information",
        Envelope(_header(other_information=OtherInfo(0x0034, SUPPLIER, 7, 9)), b"\x05\x00", None, None),
        bytes.fromhex(
            "DF0901" "00000000000003E8" "08" + SUPPLIER.hex() + "08" + ESME.hex() + "00"
            + "1A" "0034" + SUPPLIER.hex() + "0000000000000007" "0000000000000009" "02" "0500" "00"
        ),
    ),
]


@pytest.mark.parametrize(("name", "env", "wire"), TABLE, ids=[t[0] for t in TABLE])
def test_table_both_directions(name: str, env: Envelope, wire: bytes) -> None:
    assert encode_envelope(env) == wire
    assert decode_envelope(wire) == env


def test_forms_and_precommand_flag() -> None:
    assert TABLE[0][1].form is EnvelopeForm.MACED
    assert TABLE[2][1].is_precommand
    assert not TABLE[3][1].is_precommand


def test_long_content_uses_long_length_form() -> None:
    env = Envelope(_header(), bytes(300), None, bytes(12))
    wire = encode_envelope(env)
    assert wire[7:10] == bytes([0x82, 0x01, 0x62])  # 5 + 337-byte signing APDU + 12
    assert decode_envelope(wire) == env


def test_signed_span_excludes_tag_and_signature() -> None:
    env = TABLE[3][1]
    wire = TABLE[3][2]
    assert encode_signed_span(env) == wire[1:-65]
    assert decode_envelope_with_spans(wire)[1].signed == wire[1:-65]


@pytest.mark.parametrize(
    "bad",
    [
        b"",
        b"\x00",
        bytes.fromhex("DD09"),
        TABLE[0][2] + b"\x00",
        TABLE[0][2][:-1],
        TABLE[3][2][:-1],
        TABLE[3][2].replace(bytes.fromhex("DF0901"), bytes.fromhex("DF0904"), 1),
        # non-minimal length: 0x81 0x13 for content length 19
        TABLE[2][2].replace(bytes.fromhex("02005913"), bytes.fromhex("0200598113"), 1),
    ],
)
def test_malformed_raises_frame_error(bad: bytes) -> None:
    with pytest.raises(FrameError):
        decode_envelope(bad)


def test_bad_field_values_raise_encode_error() -> None:
    with pytest.raises(EncodeError):
        encode_envelope(Envelope(_header(originator=b"\x01"), CONTENT))
    with pytest.raises(EncodeError):
        encode_envelope(Envelope(_header(), CONTENT, b"\x01" * 63, None))
    with pytest.raises(EncodeError):
        encode_envelope(Envelope(_header(originator_counter=1 << 64), CONTENT))


@pytest.mark.parametrize("item", RTDS_FILES, ids=rtds_ids(RTDS_FILES))
def test_rtds_round_trip_and_edit(item) -> None:  # type: ignore[no-untyped-def]
    data = item.read()
    env = decode_envelope(data)
    assert encode_envelope(env) == data
    edited = replace(env, header=replace(env.header, originator_counter=env.header.originator_counter ^ 0x55))
    rebuilt = encode_envelope(edited)
    assert rebuilt != data and decode_envelope(rebuilt) == edited


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_raise_only_project_errors(data: bytes) -> None:
    try:
        env = decode_envelope(data)
    except SmetsError:
        return
    assert encode_envelope(env) == data


@settings(max_examples=300, deadline=None)
@given(
    counter=st.integers(0, (1 << 64) - 1),
    cra=st.sampled_from(list(CraFlag)),
    code=st.integers(0, 0xFFFF),
    content=st.binary(max_size=600),
    sig=st.one_of(st.none(), st.binary(min_size=64, max_size=64)),
    mac=st.one_of(st.none(), st.binary(min_size=12, max_size=12)),
)
def test_generated_envelopes_round_trip(counter, cra, code, content, sig, mac) -> None:  # type: ignore[no-untyped-def]
    header = _header(originator_counter=counter, cra_flag=cra, other_information=OtherInfo(code))
    env = Envelope(header, content, sig, mac)
    assert decode_envelope(encode_envelope(env)) == env


def test_bytes_between_signature_field_and_mac_are_rejected() -> None:
    wire = bytearray(TABLE[0][2])
    # grow the ciphered length by two and slip two bytes in before the MAC
    wire[7] += 2
    wire[-12:-12] = b"\x01\x02"
    with pytest.raises(FrameError):
        decode_envelope(bytes(wire))
