"""Direct readers on the decode path agree with the constructs they mirror (RTDS and hostile input)."""

from __future__ import annotations

from typing import Any

import pytest
from codec_reference import (
    decode_asn1_in_declared_order,
    decode_dlms_with_constructs,
    decode_gbz_with_constructs,
    mutations,
    parse_envelope_with_constructs,
)
from construct import FocusedSeq, Terminated
from hypothesis import given, settings
from hypothesis import strategies as st

from smets_emu.errors import SmetsError
from smets_emu.protocols import envelope_read
from smets_emu.protocols.envelope import decode_envelope
from smets_emu.protocols.message import payload_context
from smets_emu.protocols.payloads import dlms, gbz, payload_family
from smets_emu.protocols.payloads import zcl_clusters as clusters
from smets_emu.protocols.payloads.dlms_data import DataTag, decode_data, dlms_data
from smets_emu.protocols.payloads.zcl import plain
from tests_support import RTDS_FILES

MESSAGES = [f.read() for f in RTDS_FILES]


def _outcome(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except SmetsError as exc:
        return type(exc).__name__


def _dlms_contents() -> list[bytes]:
    out = []
    for data in MESSAGES:
        content = decode_envelope(data).content
        if payload_family(content) == "dlms":
            out.append(content)
    return out


def _zcl_payloads() -> list[tuple[Any, bytes]]:
    out = []
    for data in MESSAGES:
        env = decode_envelope(data)
        if payload_family(env.content) != "gbz" or env.header.cra_flag == 3:
            continue
        for component in gbz.GbzCommandStruct.parse(env.content).components:
            if component.control.encrypted:
                continue
            header = gbz.ZclHeader.from_container(component.body.zcl_header)
            _, grammar = clusters.command_grammar(component.cluster_id, header)
            if grammar is not None:
                out.append((grammar, bytes(component.body.zcl_payload)))
    return out



@pytest.mark.skipif(not MESSAGES, reason="RTDS corpus not present")
def test_envelope_reader_matches_constructs_on_rtds() -> None:
    for data in MESSAGES:
        assert envelope_read._parse(data) == parse_envelope_with_constructs(data)


@pytest.mark.skipif(not MESSAGES, reason="RTDS corpus not present")
@settings(max_examples=300, deadline=None)
@given(index=st.integers(0, 1 << 16), data=st.data())
def test_envelope_reader_matches_constructs_onmutations(index: int, data: st.DataObject) -> None:
    wire = data.draw(mutations(MESSAGES[index % len(MESSAGES)]))
    assert _outcome(envelope_read._parse, wire) == _outcome(parse_envelope_with_constructs, wire)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120))
def test_envelope_reader_matches_constructs_on_random_bytes(wire: bytes) -> None:
    assert _outcome(envelope_read._parse, wire) == _outcome(parse_envelope_with_constructs, wire)


@pytest.mark.skipif(not MESSAGES, reason="RTDS corpus not present")
def test_dlms_reader_matches_constructs_on_rtds() -> None:
    contents = _dlms_contents()
    assert contents
    for content in contents:
        fast, reference = dlms.decode_dlms(content), decode_dlms_with_constructs(content)
        assert fast == reference
        assert fast.to_json() == reference.to_json()


@pytest.mark.skipif(not MESSAGES, reason="RTDS corpus not present")
@settings(max_examples=300, deadline=None)
@given(index=st.integers(0, 1 << 16), data=st.data())
def test_dlms_reader_matches_constructs_onmutations(index: int, data: st.DataObject) -> None:
    contents = _DLMS_CONTENTS
    content = data.draw(mutations(contents[index % len(contents)]))
    fast = _outcome(dlms.decode_dlms, content)
    reference = _outcome(decode_dlms_with_constructs, content) if content else "FrameError"
    assert fast == reference
    if not isinstance(fast, str):
        assert fast.to_json() == reference.to_json()


_DLMS_CONTENTS = _dlms_contents() if MESSAGES else []


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=60))
def test_dlms_data_reader_matches_construct(raw: bytes) -> None:
    def reference(data: bytes) -> Any:
        try:
            import io

            stream = io.BytesIO(data)
            value = dlms_data.parse_stream(stream)
        except Exception:  # noqa: BLE001 - the construct raises several library types
            return "FrameError"
        return value if stream.tell() == len(data) else "FrameError"

    for data in (raw, bytes([DataTag.STRUCTURE]) + raw, bytes([DataTag.COMPACT_ARRAY]) + raw):
        assert _outcome(decode_data, data) == reference(data)


@pytest.mark.skipif(not MESSAGES, reason="RTDS corpus not present")
@settings(max_examples=300, deadline=None)
@given(index=st.integers(0, 1 << 16), data=st.data())
def test_compiled_zcl_grammars_match_interpreted(index: int, data: st.DataObject) -> None:
    grammar, payload = _ZCL_PAYLOADS[index % len(_ZCL_PAYLOADS)]
    candidate = data.draw(st.one_of(st.just(payload), mutations(payload) if payload else st.just(payload)))
    interpreted = FocusedSeq("v", "v" / grammar, Terminated)

    def decode(whole: Any) -> Any:
        try:
            fields = plain(whole.parse(candidate))
            return fields if whole.build(fields) == candidate else None
        except Exception:  # noqa: BLE001 - mirrors decode_command's "keep the bytes raw"
            return None

    assert decode(clusters._whole_payload(grammar)) == decode(interpreted)


_ZCL_PAYLOADS = _zcl_payloads() if MESSAGES else []


@pytest.mark.skipif(not MESSAGES, reason="RTDS corpus not present")
def test_payload_contexts_do_not_change_dlms_agreement() -> None:
    for data in MESSAGES[:200]:
        env = decode_envelope(data)
        if payload_family(env.content) != "dlms":
            continue
        ctx = payload_context(env.header)
        assert dlms.decode_dlms(env.content, ctx) == decode_dlms_with_constructs(env.content, ctx)


def _gbz_cases() -> list[tuple[bytes, int, int]]:
    out = []
    for data in MESSAGES:
        env = decode_envelope(data)
        if payload_family(env.content) == "gbz":
            out.append((env.content, env.header.message_code, int(env.header.cra_flag)))
    return out


_GBZ_CASES = _gbz_cases() if MESSAGES else []
_ALERT_CODES = (0x00CD, 0x00CF, 0x00F2, 0x008B, 0x1000)


def _fake_decrypt(blob: bytes) -> bytes:
    from smets_emu.errors import DecryptionError

    if len(blob) < 17 or blob[-1] & 1:
        raise DecryptionError("tag mismatch")
    return blob[5:-12]


def _gbz_agree(content: bytes, code: int, cra: int, decrypt: Any = None) -> None:
    from smets_emu.protocols.payloads.base import PayloadContext

    ctx = PayloadContext(code, cra, decrypt)
    fast = _outcome(gbz.decode_gbz, content, ctx)
    reference = _outcome(decode_gbz_with_constructs, content, ctx)
    assert fast == reference
    if not isinstance(fast, str):
        assert fast.to_json() == reference.to_json()


@pytest.mark.skipif(not MESSAGES, reason="RTDS corpus not present")
def test_gbz_reader_matches_constructs_on_rtds() -> None:
    assert _GBZ_CASES
    for content, code, cra in _GBZ_CASES:
        _gbz_agree(content, code, cra)
        _gbz_agree(content, code, cra, _fake_decrypt)


@pytest.mark.skipif(not MESSAGES, reason="RTDS corpus not present")
@settings(max_examples=400, deadline=None)
@given(index=st.integers(0, 1 << 16), data=st.data(), cra=st.sampled_from((1, 2, 3, None)),
       code=st.sampled_from(_ALERT_CODES), decrypt=st.booleans())
def test_gbz_reader_matches_constructs_onmutations(
    index: int, data: st.DataObject, cra: int | None, code: int, decrypt: bool,
) -> None:
    content, real_code, real_cra = _GBZ_CASES[index % len(_GBZ_CASES)]
    wire = data.draw(mutations(content))
    _gbz_agree(wire, real_code if cra is None else code, real_cra if cra is None else cra,
               _fake_decrypt if decrypt else None)


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=60), cra=st.sampled_from((1, 2, 3)), code=st.sampled_from(_ALERT_CODES),
       head=st.sampled_from((b"", b"\x01\x09", b"\x01\x09\x01", b"\x01\x09\x01\x8f\x66\x00\x00\x00\x01\x0e")))
def test_gbz_reader_matches_constructs_on_random_bytes(body: bytes, cra: int, code: int, head: bytes) -> None:
    _gbz_agree(head + body, code, cra, _fake_decrypt)


def _asn1_cases() -> list[tuple[bytes, int, int]]:
    out = []
    for data in MESSAGES:
        env = decode_envelope(data)
        if payload_family(env.content) == "asn1":
            out.append((env.content, env.header.message_code, int(env.header.cra_flag)))
    return out


_ASN1_CASES = _asn1_cases() if MESSAGES else []


def _asn1_agree(content: bytes, code: int, cra: int) -> None:
    from smets_emu.protocols.payloads import asn1
    from smets_emu.protocols.payloads.base import PayloadContext

    ctx = PayloadContext(code, cra)
    assert _outcome(asn1.decode_asn1, content, ctx) == _outcome(decode_asn1_in_declared_order, content, ctx)


@pytest.mark.skipif(not MESSAGES, reason="RTDS corpus not present")
def test_asn1_style_order_matches_declared_order_on_rtds() -> None:
    assert _ASN1_CASES
    for content, code, cra in _ASN1_CASES:
        _asn1_agree(content, code, cra)


@pytest.mark.skipif(not MESSAGES, reason="RTDS corpus not present")
@settings(max_examples=200, deadline=None)
@given(index=st.integers(0, 1 << 16), data=st.data(), head=st.sampled_from((b"", b"\x30\x82\x00", b"\x0f\x82\x00")))
def test_asn1_style_order_matches_declared_order_onmutations(index: int, data: st.DataObject, head: bytes) -> None:
    content, code, cra = _ASN1_CASES[index % len(_ASN1_CASES)]
    wire = data.draw(mutations(content))
    if head and len(wire) > 3:
        wire = head + wire[3:]
    for ctx in ((code, cra), (0x00D5, 3), (0x000B, 1), (0xFFFF, 1)):
        _asn1_agree(wire, *ctx)
