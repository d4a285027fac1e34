"""Tests for ZCL framing (zcl.py) and the Smart Energy cluster command grammars (zcl_clusters.py)."""

from __future__ import annotations

import pytest
from construct import ConstructError, FocusedSeq, Terminated
from hypothesis import given, settings
from hypothesis import strategies as st

from smets_emu.errors import EncodeError, FrameError
from smets_emu.protocols.payloads.zcl import (
    PROFILE_WIDE_COMMANDS,
    TypedValue,
    ZclDirection,
    ZclFrameType,
    ZclHeader,
    ZclStatus,
    plain,
)
from smets_emu.protocols.payloads.zcl_clusters import (
    CLUSTER_COMMANDS,
    annotate,
    attribute_name,
    cluster_name,
    command_name,
    decode_command,
    encode_command,
    example_fields,
)

PW, CS = ZclFrameType.PROFILE_WIDE, ZclFrameType.CLUSTER_SPECIFIC
C2S, S2C = ZclDirection.CLIENT_TO_SERVER, ZclDirection.SERVER_TO_CLIENT

HEADERS = [
    ("000000", ZclHeader(PW, C2S, 0, 0x00)),
    ("080001", ZclHeader(PW, S2C, 0, 0x01)),
    ("01020B", ZclHeader(CS, C2S, 2, 0x0B)),
    ("090305", ZclHeader(CS, S2C, 3, 0x05)),
    ("190006", ZclHeader(CS, S2C, 0, 0x06, disable_default_response=True)),
    ("180001", ZclHeader(PW, S2C, 0, 0x01, disable_default_response=True)),
    ("0D34127F01", ZclHeader(CS, S2C, 0x7F, 0x01, manufacturer_code=0x1234)),
    ("E2AA00", ZclHeader(ZclFrameType.RESERVED_2, C2S, 0xAA, 0x00, reserved=7)),
]


@pytest.mark.parametrize(("hex_bytes", "header"), HEADERS)
def test_header_both_directions(hex_bytes: str, header: ZclHeader) -> None:
    assert header.to_bytes() == bytes.fromhex(hex_bytes)
    assert ZclHeader.from_bytes(bytes.fromhex(hex_bytes)) == header
    assert ZclHeader.from_json(header.to_json()) == header


def test_header_rejects_trailing_and_truncated() -> None:
    with pytest.raises(FrameError):
        ZclHeader.from_bytes(bytes.fromhex("00000000"))
    with pytest.raises(FrameError):
        ZclHeader.from_bytes(bytes.fromhex("0400"))


@given(
    frame_type=st.sampled_from(list(ZclFrameType)),
    direction=st.sampled_from(list(ZclDirection)),
    seq=st.integers(0, 255),
    command=st.integers(0, 255),
    ddr=st.booleans(),
    manufacturer=st.none() | st.integers(0, 0xFFFF),
    reserved=st.integers(0, 7),
)
@settings(max_examples=300)
def test_header_property(frame_type, direction, seq, command, ddr, manufacturer, reserved) -> None:
    header = ZclHeader(frame_type, direction, seq, command, ddr, manufacturer, reserved)
    assert ZclHeader.from_bytes(header.to_bytes()) == header


TYPED_VALUES = [
    ("2001", {"type": "UINT8", "value": 1}),
    ("21E803", {"type": "UINT16", "value": 1000}),
    ("22010000", {"type": "UINT24", "value": 1}),
    ("23E0673500", {"type": "UINT32", "value": 3500000}),
    ("25A08601000000", {"type": "UINT48", "value": 100000}),
    ("2BC0B4B3FF", {"type": "INT32", "value": -5000000}),
    ("1850", {"type": "BITMAP8", "value": 0x50}),
    ("19970C", {"type": "BITMAP16", "value": 0x0C97}),
    ("3001", {"type": "ENUM8", "value": 1}),
    ("1001", {"type": "BOOLEAN", "value": 1}),
    ("410401 23ABCD".replace(" ", ""), {"type": "OCTET_STRING", "value": "0123ABCD"}),
    ("420431323334", {"type": "CHARACTER_STRING", "value": "1234"}),
    ("43020000FF", {"type": "LONG_OCTET_STRING", "value": "00FF"}),
    ("E2804A371C", {"type": "UTC_TIME", "value": {"utc": 0x1C374A80, "iso": "2015-01-01T00:00:00Z"}}),
    ("F00102030405060708", {"type": "IEEE_ADDRESS", "value": "0102030405060708"}),
    ("390000803F", {"type": "SINGLE_FLOAT", "value": "0000803F"}),
    ("00", {"type": "NO_DATA", "value": None}),
    ("48200200 0102".replace(" ", ""), {"type": "ARRAY", "value": {"element_type": "UINT8", "elements": [1, 2]}}),
    ("4C0200 2005 4200".replace(" ", ""), {"type": "STRUCTURE", "value": {"members": [
        {"type": "UINT8", "value": 5}, {"type": "CHARACTER_STRING", "value": ""}]}}),
]


@pytest.mark.parametrize(("hex_bytes", "value"), TYPED_VALUES)
def test_typed_values_both_directions(hex_bytes: str, value: dict) -> None:
    data = bytes.fromhex(hex_bytes)
    assert plain(TypedValue.parse(data)) == value
    assert TypedValue.build(value) == data


def test_nested_value_depth_is_capped() -> None:
    data = bytes.fromhex("4848") + b"".join([bytes.fromhex("010048")] * 20) + bytes.fromhex("0000")
    whole = FocusedSeq("v", "v" / TypedValue, Terminated)
    with pytest.raises(ConstructError, match="deeply"):
        whole.parse(data)


PROFILE_WIDE_TABLE = [
    (0x00, "020301030003 0000", {"attribute_ids": [0x0302, 0x0301, 0x0300, 0x0000]}),
    (0x01, "0602 00 41 04 0123ABCD", {"records": [{"attribute_id": 0x0206, "status": "SUCCESS",
                                                   "type": "OCTET_STRING", "value": "0123ABCD"}]}),
    (0x01, "0400C0", {"records": [{"attribute_id": 4, "status": "HARDWARE_FAILURE", "type": None, "value": None}]}),
    (0x0B, "068B", {"command_id": 6, "status": "NOT_FOUND"}),
    (0x04, "00", {"records": [{"status": "SUCCESS", "attribute_id": None}]}),
    (0x04, "860300", {"records": [{"status": "UNSUPPORTED_ATTRIBUTE", "attribute_id": 3}]}),
    (0x02, "0000 23 01000000", {"records": [{"attribute_id": 0, "type": "UINT32", "value": 1}]}),
    (0x06, "00 0000 25 0100 1000 010000000000", {"records": [{
        "direction": 0, "attribute_id": 0, "type": "UINT48", "minimum_interval": 1, "maximum_interval": 16,
        "reportable_change": 1, "timeout_period": None}]}),
    (0x06, "01 0000 3C00", {"records": [{
        "direction": 1, "attribute_id": 0, "type": None, "minimum_interval": None, "maximum_interval": None,
        "reportable_change": None, "timeout_period": 60}]}),
    (0x0C, "000010", {"start_attribute_id": 0, "maximum_attribute_ids": 16}),
    (0x12, "01 00 01 02", {"discovery_complete": 1, "command_ids": [0, 1, 2]}),
]


@pytest.mark.parametrize(("command", "hex_bytes", "fields"), PROFILE_WIDE_TABLE)
def test_profile_wide_both_directions(command: int, hex_bytes: str, fields: dict) -> None:
    data = bytes.fromhex(hex_bytes.replace(" ", ""))
    header = ZclHeader(PW, S2C, 0, command)
    assert decode_command(0x0702, header, data) == fields
    assert encode_command(0x0702, header, fields) == data
    assert command in PROFILE_WIDE_COMMANDS


CLUSTER_TABLE = [
    # CS01b top-up (digest 5.12): originating device, 20 UTRN digits
    (0x0705, C2S, 0x04, "0014" + b"73943165676475758640".hex(),
     {"originating_device": 0, "top_up_code": "73943165676475758640"}),
    # CS11 clear event log
    (0x0709, C2S, 0x01, "03", {"log_id": 3}),
    (0x0709, S2C, 0x02, "08", {"cleared_event_logs": 8}),
    (0x0707, S2C, 0x02, "00000000804A371C804A371C0101010101010202", {
        "provider_id": 0, "issuer_event_id": 0x1C374A80, "issuer_calendar_id": 0x1C374A80, "week_id": 1,
        "day_id_ref_monday": 1, "day_id_ref_tuesday": 1, "day_id_ref_wednesday": 1, "day_id_ref_thursday": 1,
        "day_id_ref_friday": 1, "day_id_ref_saturday": 2, "day_id_ref_sunday": 2}),
    (0x0702, S2C, 0x0D, "0200", {"sample_id": 2}),
    (0x0708, S2C, 0x04, "804A371C000000000800010E81", {
        "issuer_event_id": 0x1C374A80, "start_date_time": {"utc": 0, "iso": "2000-01-01T00:00:00Z"},
        "event_configuration": 8, "configuration_control": 0, "selection": {"event_ids": [0x810E]}}),
]


@pytest.mark.parametrize(("cluster", "direction", "command", "hex_bytes", "fields"), CLUSTER_TABLE)
def test_cluster_commands_both_directions(cluster, direction, command, hex_bytes, fields) -> None:
    header = ZclHeader(CS, direction, 0, command)
    data = bytes.fromhex(hex_bytes)
    assert decode_command(cluster, header, data) == fields
    assert encode_command(cluster, header, fields) == data


@pytest.mark.parametrize("key", sorted(CLUSTER_COMMANDS), ids=lambda k: f"{k[0]:04X}-{int(k[1])}-{k[2]:02X}")
def test_every_grammar_round_trips_its_example(key) -> None:
    cluster, direction, command = key
    name, grammar = CLUSTER_COMMANDS[key]
    header = ZclHeader(CS, direction, 0, command)
    data = encode_command(cluster, header, example_fields(grammar))
    fields = decode_command(cluster, header, data)
    assert fields is not None, name
    assert encode_command(cluster, header, fields) == data
    assert command_name(cluster, CS, direction, command) == name


def test_publish_price_optional_tail() -> None:
    header = ZclHeader(CS, S2C, 0, 0x00)
    data = bytes.fromhex("0000000000804A371C804A371C013A03514100000000A00580250000")
    fields = decode_command(0x0700, header, data)
    assert fields["currency"] == 826 and fields["price"] == 0x2580 and fields["price_ratio"] is None
    longer = encode_command(0x0700, header, {**fields, "price_ratio": 0xFF})
    assert longer == data + b"\xff"


def test_unknown_or_misfit_payloads_stay_raw() -> None:
    assert decode_command(0x0702, ZclHeader(CS, C2S, 0, 0x7F), b"\x01") is None  # no grammar
    assert decode_command(0x0702, ZclHeader(CS, C2S, 0, 0x06, manufacturer_code=1), b"") is None
    assert decode_command(0x0709, ZclHeader(CS, C2S, 0, 0x01), b"\x03\x00") is None  # trailing byte
    with pytest.raises(EncodeError):
        encode_command(0x0702, ZclHeader(CS, C2S, 0, 0x7F), {})
    with pytest.raises(EncodeError):
        encode_command(0x0709, ZclHeader(CS, C2S, 0, 0x01), {"log_id": 300})


def test_editing_attribute_changes_bytes() -> None:
    header = ZclHeader(PW, S2C, 0, 0x01)
    data = bytes.fromhex("060200410401 23ABCD".replace(" ", ""))
    fields = decode_command(0x0702, header, data)
    fields["records"][0]["attribute_id"] = 0x0207
    assert encode_command(0x0702, header, fields) == bytes.fromhex("0702004104 0123ABCD".replace(" ", ""))
    fields["records"][0]["value"] = "FF"
    assert encode_command(0x0702, header, fields) == bytes.fromhex("07020041 01FF".replace(" ", ""))


def test_names_and_annotations() -> None:
    assert cluster_name(0x0702) == "Metering"
    assert attribute_name(0x0702, 0x0B10) == "UncontrolledFlowThreshold"
    assert attribute_name(0x0705, 0x0239) == "DebtRecoveryTopUpPercentage3"
    header = ZclHeader(PW, C2S, 0, 0x0B)
    out = annotate(0x0700, header, {"command_id": 5, "status": "SUCCESS"})
    assert out["command"] == "Publish Price Matrix"
    assert ZclStatus.NOT_FOUND == 0x8B


@given(st.binary(max_size=64), st.sampled_from(sorted(CLUSTER_COMMANDS) + [(0x0702, S2C, -1)]))
@settings(max_examples=400)
def test_random_payloads_decode_or_stay_raw(data: bytes, key) -> None:
    cluster, direction, command = key
    header = ZclHeader(PW, direction, 0, 0x01) if command < 0 else ZclHeader(CS, direction, 0, command)
    fields = decode_command(cluster, header, data)
    if fields is not None:
        assert encode_command(cluster, header, fields) == data


@given(st.lists(st.tuples(st.integers(0, 0xFFFF), st.sampled_from([
    ("UINT8", st.integers(0, 255)), ("INT32", st.integers(-(2**31), 2**31 - 1)),
    ("UINT48", st.integers(0, 2**48 - 1)), ("CHARACTER_STRING", st.text(st.characters(max_codepoint=255),
                                                                        max_size=20)),
])).flatmap(lambda t: st.tuples(st.just(t[0]), st.just(t[1][0]), t[1][1])), max_size=5))
@settings(max_examples=300)
def test_read_attributes_response_property(records) -> None:
    header = ZclHeader(PW, S2C, 0, 0x01)
    fields = {"records": [{"attribute_id": a, "status": "SUCCESS", "type": t, "value": v} for a, t, v in records]}
    data = encode_command(0x0702, header, fields)
    assert decode_command(0x0702, header, data) == fields
