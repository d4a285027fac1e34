"""Direct writers (and the ZCL/ASN.1 fast readers) agree with the constructs and asn1crypto they mirror.

RTDS messages, the project's sample payloads and hypothesis-made values, well-typed and not: the
direct path must give the same bytes, or hand over to the definition, which gives the same error.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from codec_reference import decode_asn1_with_asn1crypto, encode_asn1_with_asn1crypto, mutations
from construct import FocusedSeq, Terminated
from hypothesis import given, settings
from hypothesis import strategies as st

from smets_emu.errors import SmetsError
from smets_emu.protocols import envelope_write
from smets_emu.protocols.envelope import (
    CraFlag,
    Envelope,
    GroupingHeader,
    OtherInfo,
    decode_envelope_with_spans,
    encode_envelope,
    encode_maced,
    encode_signed_span,
    encode_signing_apdu,
)
from smets_emu.protocols.lengths import read_length
from smets_emu.protocols.message import decode_message, payload_context
from smets_emu.protocols.payloads import asn1, asn1_schemas, dlms, dlms_data, dlms_data_types, gbz, payload_family
from smets_emu.protocols.payloads import zcl_clusters as clusters
from smets_emu.protocols.payloads.asn1_der import LENGTH_STYLES, encode_tree
from smets_emu.protocols.payloads.base import PayloadContext
from smets_emu.protocols.payloads.zcl import ZclDirection, ZclFrameType, ZclHeader, plain
from smets_emu.protocols.timestamps import DlmsDateTime
from tests_support import RTDS_FILES

MESSAGES = [f.read() for f in RTDS_FILES]
needs_rtds = pytest.mark.skipif(not MESSAGES, reason="RTDS corpus not present")


def _outcome(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except SmetsError as exc:
        return type(exc).__name__


# --- envelope ---------------------------------------------------------------------------------


@needs_rtds
def test_envelope_writers_rebuild_every_rtds_message() -> None:
    for data in MESSAGES:
        env, spans = decode_envelope_with_spans(data)
        assert encode_envelope(env) == data
        assert envelope_write._build_with_constructs(env) == data
        assert encode_signing_apdu(env) == spans.signing_apdu
        assert encode_signed_span(env) == spans.signed
        if env.mac is not None:
            assert encode_maced(spans.signing_apdu, env.mac) == data


@needs_rtds
def test_envelope_bytes_follow_the_fields() -> None:
    env, _ = decode_envelope_with_spans(MESSAGES[0])
    header = replace(env.header, originator_counter=env.header.originator_counter + 1)
    changed = replace(env, header=header, content=env.content + b"\x00")
    decoded = decode_envelope_with_spans(encode_envelope(changed))[0]
    assert decoded.header.originator_counter == header.originator_counter
    assert decoded.content == changed.content


_EUIS = st.one_of(st.binary(min_size=8, max_size=8), st.binary(max_size=10), st.integers(0, 3))
_COUNTERS = st.one_of(st.integers(0, (1 << 64) - 1), st.integers(-2, 1 << 65), st.booleans())
_OPTIONAL_COUNTERS = st.one_of(st.none(), _COUNTERS)


@st.composite
def _envelopes(draw: st.DrawFn) -> Envelope:
    srp = draw(st.one_of(st.none(), _EUIS))
    other = OtherInfo(
        message_code=draw(st.one_of(st.integers(0, 0xFFFF), st.integers(-1, 0x10001))),
        supplementary_remote_party_id=srp,
        supplementary_remote_party_counter=draw(_OPTIONAL_COUNTERS),
        supplementary_originator_counter=draw(_OPTIONAL_COUNTERS),
        certificate=draw(st.one_of(st.none(), st.binary(max_size=40))),
    )
    date_time = draw(st.one_of(st.none(), st.builds(
        DlmsDateTime, st.integers(0, 0x10000), st.integers(0, 256), st.integers(1, 31))))
    header = GroupingHeader(
        cra_flag=draw(st.one_of(st.sampled_from(CraFlag), st.integers(0, 300))),
        originator_counter=draw(_COUNTERS),
        originator=draw(_EUIS),
        recipient=draw(_EUIS),
        other_information=other,
        date_time=date_time,
    )
    return Envelope(
        header=header,
        content=draw(st.one_of(st.binary(max_size=300), st.just(bytearray(b"\x01\x02")))),
        signature=draw(st.one_of(st.none(), st.binary(min_size=64, max_size=64), st.binary(max_size=70))),
        mac=draw(st.one_of(st.none(), st.binary(min_size=12, max_size=12), st.binary(max_size=13))),
        signature_field=draw(st.booleans()),
    )


@settings(max_examples=400, deadline=None)
@given(_envelopes())
def test_envelope_writer_matches_the_constructs(env: Envelope) -> None:
    fast = _outcome(encode_envelope, env)
    assert fast == _outcome(envelope_write._build_with_constructs, env)
    if isinstance(fast, bytes):
        reference = envelope_write._build_with_constructs(env)
        apdu = reference[read_length(reference, 7)[1] + 5:-12] if env.mac is not None else reference
        assert encode_signing_apdu(env) == apdu


# --- payloads ---------------------------------------------------------------------------------


def _payloads(family: str) -> list[Any]:
    out = []
    for data in MESSAGES:
        message = decode_message(data)
        if message.payload.family == family:
            out.append(message.payload)
    return out


@needs_rtds
def test_dlms_writers_match_the_constructs_on_rtds() -> None:
    payloads = _payloads("dlms")
    assert payloads
    for payload in payloads:
        assert payload.encode() == payload._build_with_constructs()


_SIMPLE = st.one_of(
    st.builds(dlms_data.IntegerData, st.sampled_from(sorted(dlms_data_types.INTEGER_CODECS)),
              st.integers(-(1 << 64), 1 << 64)),
    st.builds(dlms_data.OctetStringData, st.binary(max_size=140)),
    st.builds(dlms_data.BooleanData, st.integers(-1, 256)),
    st.builds(dlms_data.StringData, st.sampled_from(list(dlms_data.DataTag)), st.binary(max_size=5)),
    st.builds(dlms_data.BitStringData, st.integers(-1, 20), st.binary(max_size=3)),
    st.builds(dlms_data.FloatData, st.sampled_from(list(dlms_data.DataTag)), st.binary(max_size=9)),
    st.builds(dlms_data.DateTimeData, st.sampled_from(list(dlms_data.DataTag)), st.binary(max_size=13)),
    st.just(dlms_data.NullData()),
)
_DATA = st.recursive(_SIMPLE, lambda inner: st.one_of(
    st.builds(dlms_data.StructureData, st.lists(inner, max_size=4).map(tuple)),
    st.builds(dlms_data.ArrayData, st.lists(inner, max_size=4).map(tuple)),
), max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(_DATA)
def test_dlms_data_writer_matches_the_construct(value: dlms_data.DlmsData) -> None:
    def reference(v: dlms_data.DlmsData) -> Any:
        try:
            return dlms_data.dlms_data.build(v)
        except Exception:  # noqa: BLE001 - the construct raises several library types
            return "EncodeError"

    assert _outcome(value.encode) == reference(value)


@settings(max_examples=200, deadline=None)
@given(invoke=st.integers(-1, 1 << 24), reserved=st.integers(-1, 16), flags=st.lists(st.booleans(), min_size=4,
       max_size=4), date_time=st.binary(max_size=13), body=_DATA, member=st.integers(-130, 130))
def test_dlms_apdu_writers_match_the_constructs(
    invoke: int, reserved: int, flags: list[bool], date_time: bytes, body: dlms_data.DlmsData, member: int,
) -> None:
    inv = dlms.InvokeIdAndPriority(invoke, *flags, reserved=reserved)
    spec = dlms.AccessRequestSpec(dlms.AccessRequestKind.GET, 8, dlms.ObisCode(0, 0, 1, 0, 0, 255), member)
    selective = dlms.AccessRequestSpec(dlms.AccessRequestKind.GET_WITH_SELECTION, 7,
                                       dlms.ObisCode(1, 0, 99, 1, 0, 255), 2, 1, body)
    for payload in (
        dlms.DataNotification(inv, body, date_time),
        dlms.AccessRequest(inv, (spec, selective), (body, dlms_data.NullData()), date_time),
        dlms.AccessResponse(inv, (body,), (dlms.AccessResponseSpec(dlms.AccessResponseKind.GET, 0),), date_time,
                            (spec,)),
        dlms.AccessResponse(inv, (), (dlms.AccessResponseSpec(dlms.AccessResponseKind.ACTION, member),), date_time),
    ):
        assert _outcome(payload.encode) == _outcome(payload._build_with_constructs)


@needs_rtds
def test_gbz_writers_match_the_constructs_on_rtds() -> None:
    payloads = _payloads("gbz")
    assert payloads
    for payload in payloads:
        assert payload.encode() == payload._build_with_constructs()


@settings(max_examples=300, deadline=None)
@given(control=st.integers(-1, 0x100), cluster=st.integers(-1, 0x10000), when=st.one_of(st.none(), st.integers(
       -1, 1 << 32)), cipher=st.one_of(st.none(), st.binary(max_size=20)), extra=st.integers(-1, 256),
       seq=st.integers(-1, 256), code=st.one_of(st.none(), st.integers(-1, 0x10000)), reserved=st.integers(-1, 8),
       payload=st.binary(max_size=20), alert=st.one_of(st.none(), st.tuples(st.integers(-1, 0x10000),
                                                                          st.integers(-1, 1 << 32))))
def test_gbz_writer_matches_the_constructs(
    control: int, cluster: int, when: int | None, cipher: bytes | None, extra: int, seq: int, code: int | None,
    reserved: int, payload: bytes, alert: tuple[int, int] | None,
) -> None:
    header = ZclHeader(ZclFrameType.PROFILE_WIDE, ZclDirection(seq & 1), seq, 0x77, bool(extra & 1), code, reserved)
    component = gbz.GbzComponent(cluster, header, None, payload if cipher is None else b"", cipher, when,
                                 bool(control & 1), extra, extra, control)
    gbz_alert = None if alert is None else gbz.GbzAlert(*alert)
    value = gbz.GbzPayload(components=(component, component), alert=gbz_alert)
    assert _outcome(value.encode) == _outcome(value._build_with_constructs)


def _zcl_cases() -> list[tuple[int, ZclHeader, bytes]]:
    out = []
    for data in MESSAGES:
        env = decode_envelope_with_spans(data)[0]
        if payload_family(env.content) != "gbz" or env.header.cra_flag == 3:
            continue
        for component in gbz.decode_gbz(env.content, payload_context(env.header)).components:
            if not component.encrypted:
                out.append((component.cluster_id, component.header, component.zcl_payload()))
    return out


_ZCL_CASES = _zcl_cases() if MESSAGES else []


def _decode_with_construct(cluster_id: int, header: ZclHeader, payload: bytes) -> Any:
    _, grammar = clusters.command_grammar(cluster_id, header)
    if grammar is None:
        return None
    whole = FocusedSeq("v", "v" / grammar, Terminated)
    try:
        fields = plain(whole.parse(payload))
        return fields if whole.build(fields) == payload else None
    except Exception:  # noqa: BLE001 - any failure keeps the bytes raw
        return None


@needs_rtds
@settings(max_examples=400, deadline=None)
@given(index=st.integers(0, 1 << 16), data=st.data())
def test_zcl_fast_codecs_match_the_constructs(index: int, data: st.DataObject) -> None:
    cluster_id, header, payload = _ZCL_CASES[index % len(_ZCL_CASES)]
    candidate = data.draw(st.one_of(st.just(payload), st.binary(max_size=len(payload) + 3).map(
        lambda noise: payload[:len(noise) // 2] + noise)))
    fields = clusters.decode_command(cluster_id, header, candidate)
    assert fields == _decode_with_construct(cluster_id, header, candidate)
    if fields is not None:
        _, grammar = clusters.command_grammar(cluster_id, header)
        assert clusters.encode_command(cluster_id, header, fields) == grammar.build(fields) == candidate


def test_zcl_fast_writers_match_the_constructs_on_examples() -> None:
    for table in (clusters.CLUSTER_COMMANDS, clusters.PROFILE_WIDE_COMMANDS):
        for _, grammar in table.values():
            codec = clusters._fast_codec(grammar)
            if codec is None:
                continue
            try:
                fields = clusters.example_fields(grammar)
            except TypeError:  # no example for conditional grammars; the RTDS test covers them
                continue
            assert codec[1](fields) == grammar.build(fields)
            assert codec[0](grammar.build(fields), 0) == (plain(grammar.parse(grammar.build(fields))),
                                                          len(grammar.build(fields)))


# --- ASN.1 --------------------------------------------------------------------------------------


def _asn1_values() -> list[tuple[str, Any]]:
    out = [(p.schema, p.value) for p in _payloads("asn1")] if MESSAGES else []
    for key in asn1.SCHEMA_TABLE:
        payload = asn1.sample_asn1(*key)
        out.append((payload.schema, payload.value))
    return [(schema, value) for schema, value in out if schema in asn1_schemas.SCHEMA_CLASSES]


_ASN1_VALUES = _asn1_values()


def test_asn1_writer_matches_asn1crypto_on_corpus_and_samples() -> None:
    assert _ASN1_VALUES
    for schema, value in _ASN1_VALUES:
        for style in LENGTH_STYLES:
            spec = asn1_schemas.SCHEMA_CLASSES[schema]
            assert encode_tree(spec, value, schema, style) == encode_asn1_with_asn1crypto(schema, value, style)


def _mutate(tree: Any, draw: st.DrawFn, depth: int = 0) -> Any:
    choice = draw(st.integers(0, 9))
    if isinstance(tree, dict) and depth < 6:
        out = {k: _mutate(v, draw, depth + 1) for k, v in tree.items()}
        if choice == 0 and out:
            out.pop(draw(st.sampled_from(sorted(out))))
        elif choice == 1:
            out["unexpected"] = 1
        return out
    if isinstance(tree, list) and depth < 6:
        out_list = [_mutate(v, draw, depth + 1) for v in tree]
        if choice == 0:
            out_list.append(draw(st.one_of(st.integers(-3, 20), st.text(max_size=3))))
        return out_list
    if choice == 0:
        return draw(st.one_of(st.none(), st.integers(-(1 << 70), 1 << 70), st.booleans(), st.text(max_size=4),
                              st.lists(st.integers(-2, 12), max_size=4), st.binary(max_size=3).map(bytes.hex)))
    return tree


@settings(max_examples=300, deadline=None)
@given(index=st.integers(0, 1 << 16), style=st.sampled_from(LENGTH_STYLES), data=st.data())
def test_asn1_writer_matches_asn1crypto_on_mutated_trees(index: int, style: str, data: st.DataObject) -> None:
    schema, value = _ASN1_VALUES[index % len(_ASN1_VALUES)]
    tree = _mutate(value, data.draw)
    spec = asn1_schemas.SCHEMA_CLASSES[schema]
    assert _outcome(encode_tree, spec, tree, schema, style) == _outcome(encode_asn1_with_asn1crypto, schema, tree,
                                                                         style)


def test_asn1_decode_rejects_what_does_not_rebuild() -> None:
    ctx = PayloadContext(0x0012, 1)
    good = asn1.sample_asn1(0x0012, 1).encode()
    assert asn1.decode_asn1(good, ctx).encode() == good
    with pytest.raises(SmetsError):
        asn1.decode_asn1(good[:2] + b"\x81" + good[3:], ctx)


def _asn1_cases() -> list[tuple[bytes, PayloadContext]]:
    out = []
    for data in MESSAGES:
        env = decode_envelope_with_spans(data)[0]
        if payload_family(env.content) == "asn1":
            out.append((env.content, PayloadContext(env.header.message_code, int(env.header.cra_flag))))
    for code, cra in asn1.SCHEMA_TABLE:
        out.append((asn1.sample_asn1(code, cra).encode(), PayloadContext(code, cra)))
    return out


_ASN1_CASES = _asn1_cases()


def test_asn1_reader_matches_asn1crypto_on_corpus_and_samples() -> None:
    for content, ctx in _ASN1_CASES:
        assert asn1.decode_asn1(content, ctx) == decode_asn1_with_asn1crypto(content, ctx)


@settings(max_examples=400, deadline=None)
@given(index=st.integers(0, 1 << 16), data=st.data())
def test_asn1_reader_matches_asn1crypto_on_mutations(index: int, data: st.DataObject) -> None:
    content, ctx = _ASN1_CASES[index % len(_ASN1_CASES)]
    wire = data.draw(mutations(content))
    assert _outcome(asn1.decode_asn1, bytes(wire), ctx) == _outcome(decode_asn1_with_asn1crypto, bytes(wire), ctx)
