"""Direct readers on the decode path agree with the constructs they mirror (RTDS and hostile input)."""

from __future__ import annotations

from typing import Any

import pytest
from construct import FocusedSeq, Terminated
from hypothesis import given, settings
from hypothesis import strategies as st

from smets_emu.errors import SmetsError
from smets_emu.protocols import envelope
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


def _mutations(data: bytes) -> st.SearchStrategy[bytes]:
    def mutate(ops: list[tuple[int, int, int]]) -> bytes:
        out = bytearray(data)
        for kind, where, value in ops:
            where %= max(len(out), 1)
            if kind == 0 and out:
                out[where] = value
            elif kind == 1:
                del out[where:]
            elif kind == 2:
                out.insert(where, value)
            elif out:
                del out[where]
        return bytes(out)

    op = st.tuples(st.integers(0, 3), st.integers(0, 1 << 16), st.integers(0, 255))
    return st.lists(op, min_size=1, max_size=3).map(mutate)


@pytest.mark.skipif(not MESSAGES, reason="RTDS corpus not present")
def test_envelope_reader_matches_constructs_on_rtds() -> None:
    for data in MESSAGES:
        assert envelope._parse(data) == envelope._parse_with_constructs(data)


@pytest.mark.skipif(not MESSAGES, reason="RTDS corpus not present")
@settings(max_examples=300, deadline=None)
@given(index=st.integers(0, 1 << 16), data=st.data())
def test_envelope_reader_matches_constructs_on_mutations(index: int, data: st.DataObject) -> None:
    wire = data.draw(_mutations(MESSAGES[index % len(MESSAGES)]))
    assert _outcome(envelope._parse, wire) == _outcome(envelope._parse_with_constructs, wire)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120))
def test_envelope_reader_matches_constructs_on_random_bytes(wire: bytes) -> None:
    assert _outcome(envelope._parse, wire) == _outcome(envelope._parse_with_constructs, wire)


@pytest.mark.skipif(not MESSAGES, reason="RTDS corpus not present")
def test_dlms_reader_matches_constructs_on_rtds() -> None:
    contents = _dlms_contents()
    assert contents
    for content in contents:
        fast, reference = dlms.decode_dlms(content), dlms._decode_dlms_with_constructs(content)
        assert fast == reference
        assert fast.to_json() == reference.to_json()


@pytest.mark.skipif(not MESSAGES, reason="RTDS corpus not present")
@settings(max_examples=300, deadline=None)
@given(index=st.integers(0, 1 << 16), data=st.data())
def test_dlms_reader_matches_constructs_on_mutations(index: int, data: st.DataObject) -> None:
    contents = _DLMS_CONTENTS
    content = data.draw(_mutations(contents[index % len(contents)]))
    fast = _outcome(dlms.decode_dlms, content)
    reference = _outcome(dlms._decode_dlms_with_constructs, content) if content else "FrameError"
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
    candidate = data.draw(st.one_of(st.just(payload), _mutations(payload) if payload else st.just(payload)))
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
        assert dlms.decode_dlms(env.content, ctx) == dlms._decode_dlms_with_constructs(env.content, ctx)
