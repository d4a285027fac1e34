"""A-XDR Data values (DLMS Green Book 9.5; GBCS 5.11): one table for both directions, properties, robustness."""

from __future__ import annotations

import json
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smets_emu.errors import DecryptionError, EncodeError, FrameError, SmetsError
from smets_emu.protocols.payloads.dlms_data import (
    MAX_DEPTH,
    ArrayData,
    BitStringData,
    BooleanData,
    CompactArrayData,
    DataTag,
    DateTimeData,
    DlmsData,
    FloatData,
    IntegerData,
    NullData,
    OctetStringData,
    StringData,
    StructureData,
    TypeDescription,
    attach_decrypted,
    decode_data,
    describe_date_time,
)

# (bytes, value): decode(bytes) == value and value.encode() == bytes
TABLE: list[tuple[str, DlmsData]] = [
    ("00", NullData()),
    ("0100", ArrayData()),
    ("0102110112FFFF", ArrayData((IntegerData(DataTag.UNSIGNED, 1), IntegerData(DataTag.LONG_UNSIGNED, 0xFFFF)))),
    ("020203FF0300", StructureData((BooleanData(0xFF), BooleanData(0)))),
    ("0301", BooleanData(1)),
    ("040AC040", BitStringData(10, bytes.fromhex("C040"))),
    ("0400", BitStringData(0, b"")),
    ("05FFFFFFFE", IntegerData(DataTag.DOUBLE_LONG, -2)),
    ("0600000102", IntegerData(DataTag.DOUBLE_LONG_UNSIGNED, 258)),
    ("073FC00000", FloatData(DataTag.FLOATING_POINT, bytes.fromhex("3FC00000"))),
    ("09040123ABCD", OctetStringData(bytes.fromhex("0123ABCD"))),
    ("0900", OctetStringData(b"")),
    ("0A03414243", StringData(DataTag.VISIBLE_STRING, b"ABC")),
    ("0C02C3A9", StringData(DataTag.UTF8_STRING, "é".encode())),
    ("0D12", IntegerData(DataTag.BCD, 0x12)),
    ("0F80", IntegerData(DataTag.INTEGER, -128)),
    ("10FF85", IntegerData(DataTag.LONG, -123)),
    ("11FF", IntegerData(DataTag.UNSIGNED, 255)),
    ("128F66", IntegerData(DataTag.LONG_UNSIGNED, 0x8F66)),
    ("14FFFFFFFFFFFFFFFF", IntegerData(DataTag.LONG64, -1)),
    ("15FFFFFFFFFFFFFFFF", IntegerData(DataTag.LONG64_UNSIGNED, 2**64 - 1)),
    ("1602", IntegerData(DataTag.ENUM, 2)),
    ("17BF800000", FloatData(DataTag.FLOAT32, bytes.fromhex("BF800000"))),
    ("184000000000000000", FloatData(DataTag.FLOAT64, bytes.fromhex("4000000000000000"))),
    ("1907E9010FFF090000008000FF", DateTimeData(DataTag.DATE_TIME, bytes.fromhex("07E9010FFF090000008000FF"))),
    ("1A07E9010F03", DateTimeData(DataTag.DATE, bytes.fromhex("07E9010F03"))),
    ("1B0C1E00FF", DateTimeData(DataTag.TIME, bytes.fromhex("0C1E00FF"))),
    ("1CFE", IntegerData(DataTag.DELTA_INTEGER, -2)),
    ("1D0100", IntegerData(DataTag.DELTA_LONG, 256)),
    ("1E00000001", IntegerData(DataTag.DELTA_DOUBLE_LONG, 1)),
    ("1F01", IntegerData(DataTag.DELTA_UNSIGNED, 1)),
    ("200102", IntegerData(DataTag.DELTA_LONG_UNSIGNED, 258)),
    ("2100000003", IntegerData(DataTag.DELTA_DOUBLE_LONG_UNSIGNED, 3)),
    ("0981" + "80" + "AA" * 128, OctetStringData(b"\xaa" * 128)),
    # compact-array of structure {long-unsigned, octet-string}: two elements without tags
    (
        "1302021209" + "09" + "0001" + "0101" + "0002" + "020203",
        CompactArrayData(
            TypeDescription(DataTag.STRUCTURE, (TypeDescription(DataTag.LONG_UNSIGNED),
                                                TypeDescription(DataTag.OCTET_STRING))),
            (
                StructureData((IntegerData(DataTag.LONG_UNSIGNED, 1), OctetStringData(b"\x01"))),
                StructureData((IntegerData(DataTag.LONG_UNSIGNED, 2), OctetStringData(b"\x02\x03"))),
            ),
        ),
    ),
    # compact-array of array[2] of unsigned
    (
        "1301000211" + "04" + "01020304",
        CompactArrayData(
            TypeDescription(DataTag.ARRAY, (TypeDescription(DataTag.UNSIGNED),), 2),
            (
                ArrayData((IntegerData(DataTag.UNSIGNED, 1), IntegerData(DataTag.UNSIGNED, 2))),
                ArrayData((IntegerData(DataTag.UNSIGNED, 3), IntegerData(DataTag.UNSIGNED, 4))),
            ),
        ),
    ),
]


@pytest.mark.parametrize(("hex_text", "value"), TABLE, ids=[h[:24] for h, _ in TABLE])
def test_table_both_directions(hex_text: str, value: DlmsData) -> None:
    data = bytes.fromhex(hex_text)
    assert decode_data(data) == value
    assert value.encode() == data


@pytest.mark.parametrize(("hex_text", "value"), TABLE, ids=[h[:24] for h, _ in TABLE])
def test_table_json_round_trip(hex_text: str, value: DlmsData) -> None:
    tree = json.loads(json.dumps(value.to_json()))
    assert tree["type"] == value.tag.json_name
    rebuilt = DlmsData.from_json(tree)
    assert rebuilt == value
    assert rebuilt.encode() == bytes.fromhex(hex_text)


def test_informative_renderings() -> None:
    obis = OctetStringData(bytes([0, 0, 96, 1, 1, 255])).to_json()
    assert obis["obis"] == "0-0:96.1.1.255"
    stamp = OctetStringData(bytes.fromhex("07EE010FFF09000000800000")).to_json()
    assert stamp["date_time"].startswith("2030-01-15 09:00:00.00")
    text = OctetStringData(b"12345678901234567890").to_json()
    assert text["text"] == "12345678901234567890"
    assert "text" not in OctetStringData(bytes.fromhex("0123ABCD")).to_json()
    assert describe_date_time(bytes(12)) is None  # month 0 is not a date
    assert IntegerData(DataTag.LONG_UNSIGNED, 0x8F66).to_json()["hex"] == "8F66"


def test_json_edits_change_bytes() -> None:
    value = decode_data(bytes.fromhex("0202128F6609060000600101FF"))
    tree = value.to_json()
    tree["value"][0]["value"] = 0x8F67
    tree["value"][1]["value"] = "0000600102FF"
    assert DlmsData.from_json(tree).encode() == bytes.fromhex("0202128F6709060000600102FF")


def test_json_text_and_hex_forms() -> None:
    assert StringData(DataTag.VISIBLE_STRING, b"\x01\x02").to_json() == {"type": "visible-string", "hex": "0102"}
    assert DlmsData.from_json({"type": "visible-string", "value": "Hi"}).encode() == b"\x0a\x02Hi"
    assert DlmsData.from_json({"type": "boolean", "value": True}).encode() == b"\x03\xff"
    assert DlmsData.from_json({"type": "boolean", "value": False, "raw": 1}).encode() == b"\x03\x00"
    assert DlmsData.from_json({"type": "float32", "value": 1.5}).encode() == bytes.fromhex("173FC00000")
    nan = FloatData(DataTag.FLOAT32, bytes.fromhex("7FC00001"))
    assert "value" not in nan.to_json()
    assert DlmsData.from_json(nan.to_json()) == nan


@pytest.mark.parametrize(
    "hex_text",
    [
        "",  # nothing
        "08",  # unused tag
        "0B00",  # unused tag
        "FF",  # dont-care is not a Data tag
        "0902AA",  # truncated octet string
        "01021101",  # array short of one element
        "0000",  # trailing byte
        "09810A" + "00" * 10,  # non-minimal length
        "0983FFFFFF",  # huge length, no bytes
        "0184FFFFFFFF",  # unsupported length form
        "13020000",  # compact-array of empty structures: elements of no size
        "13000100",  # compact-array of null-data
        "1301FFFF0000",  # compact-array of arrays of null
        "131300",  # compact-array inside a type description
        "13110301020304",  # three unsigned elements, then a trailing byte
        "13120301020304",  # long-unsigned elements: 3 bytes is 1.5 elements
    ],
)
def test_malformed_raises_frame_error(hex_text: str) -> None:
    with pytest.raises(FrameError):
        decode_data(bytes.fromhex(hex_text))


def test_nesting_is_capped() -> None:
    ok = b"\x01\x01" * (MAX_DEPTH - 1) + b"\x00"
    assert decode_data(ok).encode() == ok
    with pytest.raises(FrameError):
        decode_data(b"\x01\x01" * (MAX_DEPTH + 5) + b"\x00")
    with pytest.raises(FrameError):
        decode_data(b"\x02\x01" * 100_000 + b"\x00")
    deep: dict = {"type": "null-data"}
    for _ in range(MAX_DEPTH + 5):
        deep = {"type": "array", "value": [deep]}
    with pytest.raises(EncodeError):
        DlmsData.from_json(deep)


@pytest.mark.parametrize(
    "value",
    [
        IntegerData(DataTag.UNSIGNED, 256),
        IntegerData(DataTag.INTEGER, -129),
        IntegerData(DataTag.OCTET_STRING, 1),
        BitStringData(9, b"\x00"),
        BooleanData(256),
        DateTimeData(DataTag.DATE_TIME, b"\x00" * 11),
        FloatData(DataTag.FLOAT64, b"\x00" * 4),
        StringData(DataTag.OCTET_STRING, b""),
        OctetStringData(b"\x00" * 0x1000000),
        CompactArrayData(TypeDescription(DataTag.UNSIGNED), (IntegerData(DataTag.LONG, 1),)),
        CompactArrayData(TypeDescription(DataTag.STRUCTURE), (StructureData(),)),
        ArrayData((1,)),  # type: ignore[arg-type]
    ],
)
def test_unencodable_values_raise_encode_error(value: DlmsData) -> None:
    with pytest.raises(EncodeError):
        value.encode()


@pytest.mark.parametrize(
    "tree",
    [
        None,
        {"type": "no-such-type"},
        {"type": "long", "value": "1"},
        {"type": "long", "value": True},
        {"type": "octet-string", "value": "XYZ"},
        {"type": "structure", "value": {}},
        {"type": "boolean", "value": 1},
        {"type": "visible-string", "value": "é"},
        {"type": "compact-array", "description": {"type": "array", "count": 1}, "value": []},
    ],
)
def test_bad_json_raises_encode_error(tree: object) -> None:
    with pytest.raises(EncodeError):
        DlmsData.from_json(tree)


# --------------------------------------------------------------------------- protected blobs


def _protected_response(blob: bytes) -> StructureData:
    options = StructureData((OctetStringData(b"\x04" + bytes(8)), OctetStringData(bytes(8)),
                             OctetStringData(bytes(8)), OctetStringData(b"")))
    params = ArrayData((StructureData((IntegerData(DataTag.ENUM, 2), options)),))
    return StructureData((params, OctetStringData(blob)))


BLOB = b"\x31\x00\x00\x00\x00" + b"\xee" * 7 + b"\x77" * 12


def test_attach_decrypted_adds_informative_plaintext() -> None:
    plaintext = bytes.fromhex("02020600000102120005")
    seen: list[bytes] = []

    def decrypt(blob: bytes) -> bytes:
        seen.append(blob)
        return plaintext

    value = attach_decrypted(_protected_response(BLOB), decrypt)
    assert seen == [BLOB]
    blob_value = value.items[1]
    assert isinstance(blob_value, OctetStringData)
    assert blob_value.decrypted == decode_data(plaintext)
    tree = json.loads(json.dumps(value.to_json()))
    assert tree["value"][1]["decrypted"]["type"] == "structure"
    assert DlmsData.from_json(tree).encode() == _protected_response(BLOB).encode()


def test_decryption_error_propagates_unchanged() -> None:
    def decrypt(blob: bytes) -> bytes:
        raise DecryptionError("bad tag")

    with pytest.raises(DecryptionError, match="bad tag"):
        attach_decrypted(_protected_response(BLOB), decrypt)


def test_plaintext_that_is_not_data_is_a_frame_error() -> None:
    with pytest.raises(FrameError):
        attach_decrypted(_protected_response(BLOB), lambda blob: b"\x08")


def test_octet_strings_without_protection_parameters_are_left_alone() -> None:
    value = StructureData((OctetStringData(BLOB),))

    def decrypt(blob: bytes) -> bytes:
        raise AssertionError("must not be called")

    assert attach_decrypted(value, decrypt) is value


# --------------------------------------------------------------------------- properties

_INT_RANGES = {
    DataTag.DOUBLE_LONG: (-(2**31), 2**31 - 1), DataTag.DOUBLE_LONG_UNSIGNED: (0, 2**32 - 1),
    DataTag.INTEGER: (-128, 127), DataTag.LONG: (-(2**15), 2**15 - 1), DataTag.UNSIGNED: (0, 255),
    DataTag.LONG_UNSIGNED: (0, 2**16 - 1), DataTag.LONG64: (-(2**63), 2**63 - 1),
    DataTag.LONG64_UNSIGNED: (0, 2**64 - 1), DataTag.ENUM: (0, 255), DataTag.BCD: (-128, 127),
}


def _scalars() -> st.SearchStrategy[DlmsData]:
    ints = st.sampled_from(sorted(_INT_RANGES)).flatmap(
        lambda tag: st.integers(*_INT_RANGES[tag]).map(lambda v: IntegerData(tag, v)))
    bits = st.integers(0, 40).flatmap(
        lambda n: st.binary(min_size=(n + 7) // 8, max_size=(n + 7) // 8).map(lambda b: BitStringData(n, b)))
    return st.one_of(
        st.just(NullData()),
        st.integers(0, 255).map(BooleanData),
        bits,
        ints,
        st.binary(max_size=200).map(OctetStringData),
        st.binary(max_size=20).map(lambda b: StringData(DataTag.VISIBLE_STRING, b)),
        st.text(max_size=10).map(lambda t: StringData(DataTag.UTF8_STRING, t.encode())),
        st.binary(min_size=4, max_size=4).map(lambda b: FloatData(DataTag.FLOAT32, b)),
        st.binary(min_size=8, max_size=8).map(lambda b: FloatData(DataTag.FLOAT64, b)),
        st.binary(min_size=12, max_size=12).map(lambda b: DateTimeData(DataTag.DATE_TIME, b)),
    )


def _compact() -> st.SearchStrategy[DlmsData]:
    element = st.sampled_from([DataTag.UNSIGNED, DataTag.LONG, DataTag.DOUBLE_LONG_UNSIGNED])
    pair = st.tuples(element, element)

    def build(tags: tuple[DataTag, DataTag], values: list[tuple[int, int]]) -> DlmsData:
        desc = TypeDescription(DataTag.STRUCTURE, (TypeDescription(tags[0]), TypeDescription(tags[1])))
        items = tuple(StructureData((IntegerData(tags[0], a % 128), IntegerData(tags[1], b % 128))) for a, b in values)
        return CompactArrayData(desc, items)

    return st.builds(build, pair, st.lists(st.tuples(st.integers(0, 1000), st.integers(0, 1000)), max_size=5))


DATA = st.recursive(
    st.one_of(_scalars(), _compact()),
    lambda children: st.one_of(
        st.lists(children, max_size=5).map(lambda xs: ArrayData(tuple(xs))),
        st.lists(children, max_size=5).map(lambda xs: StructureData(tuple(xs))),
    ),
    max_leaves=30,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(DATA)
def test_generated_values_round_trip(value: DlmsData) -> None:
    data = value.encode()
    assert decode_data(data) == value
    assert decode_data(data).encode() == data
    assert DlmsData.from_json(json.loads(json.dumps(value.to_json()))).encode() == data


@settings(max_examples=400)
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_smets_errors(data: bytes) -> None:
    try:
        value = decode_data(data)
    except SmetsError:
        return
    assert value.encode() == data


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(DATA, st.data())
def test_mutated_values_raise_only_smets_errors(value: DlmsData, draw: st.DataObject) -> None:
    data = bytearray(value.encode())
    position = draw.draw(st.integers(0, len(data)))
    action = draw.draw(st.sampled_from(["flip", "cut", "insert"]))
    if action == "flip" and position < len(data):
        data[position] ^= draw.draw(st.integers(1, 255))
    elif action == "cut":
        del data[position:]
    else:
        data.insert(position, draw.draw(st.integers(0, 255)))
    try:
        decoded = decode_data(bytes(data))
    except SmetsError:
        return
    assert decoded.encode() == bytes(data)


def test_float_helpers() -> None:
    assert FloatData.of(DataTag.FLOAT64, 2.0).raw == struct.pack(">d", 2.0)
    with pytest.raises(EncodeError):
        FloatData.of(DataTag.FLOAT32, 1e300)
