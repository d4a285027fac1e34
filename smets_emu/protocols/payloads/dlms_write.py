"""Direct writers for DLMS ``Data`` values and xDLMS APDU headers (GBCS 5.11, Green Book 9.3, 9.5).

The constructs of :mod:`.dlms_data` and :mod:`.dlms` are the definition of the A-XDR encoding.
These writers produce the same bytes from well-typed fields without construct's per-field stream
and context machinery (compact arrays too, when their type description is made of integers,
arrays and structures, as profile buffers are). Anything off that plain path (another compact
array, an out-of-range or oddly typed field, nesting past the limit) raises :class:`OffPath`, and
the caller builds through the construct instead, which also words the errors. The test suite
holds both paths to each other.
"""

from __future__ import annotations

import struct
from typing import Any

from smets_emu.protocols.lengths import encode_length
from smets_emu.protocols.payloads import dlms_values
from smets_emu.protocols.payloads.dlms_data import MAX_DEPTH
from smets_emu.protocols.payloads.dlms_data_types import (
    FIXED_OCTETS,
    FLOAT_FORMATS,
    INTEGER_CODECS,
    STRING_TAGS,
    DataTag,
)


class OffPath(Exception):
    """The value has a field the direct writer leaves to the construct."""


def _packer(codec: Any) -> struct.Struct:
    return struct.Struct(codec.fmtstr)


_PACKERS = {tag: _packer(codec) for tag, codec in INTEGER_CODECS.items()}
_FLOAT_SIZES = {tag: struct.calcsize(fmt) for tag, fmt in FLOAT_FORMATS.items()}
_TAG_BYTES = {tag: bytes((int(tag),)) for tag in list(_PACKERS) + list(_FLOAT_SIZES) + list(FIXED_OCTETS)}


_SHORT_LENGTHS = tuple(bytes((n,)) for n in range(0x80))


def _length(value: int) -> bytes:
    if 0 <= value < 0x80:
        return _SHORT_LENGTHS[value]
    try:
        return encode_length(value)
    except ValueError as exc:
        raise OffPath from exc


def _octets(value: Any) -> bytes:
    if type(value) is not bytes:
        raise OffPath
    return _length(len(value)) + value


def write_data(value: dlms_values.DlmsData, out: list[bytes], depth: int = 0) -> None:  # noqa: C901 - one branch per type
    """Append the tagged A-XDR bytes of *value* to *out* (as ``dlms_data.build``); OffPath when unsure.

    Dispatches on the exact class (subclasses are left to the construct).
    """
    if depth > MAX_DEPTH:
        raise OffPath
    cls = type(value)
    if cls is dlms_values.IntegerData:
        assert isinstance(value, dlms_values.IntegerData)
        packer = _PACKERS.get(value.tag)
        if packer is None or type(value.value) is not int:
            raise OffPath
        try:
            out += (_TAG_BYTES[value.tag], packer.pack(value.value))
        except struct.error as exc:
            raise OffPath from exc
    elif cls is dlms_values.StructureData or cls is dlms_values.ArrayData:
        assert isinstance(value, (dlms_values.StructureData, dlms_values.ArrayData))
        out += (b"\x02" if cls is dlms_values.StructureData else b"\x01", _length(len(value.items)))
        for item in value.items:
            write_data(item, out, depth + 1)
    elif cls is dlms_values.OctetStringData:
        assert isinstance(value, dlms_values.OctetStringData)
        out += (b"\x09", _octets(value.value))
    elif cls is dlms_values.NullData:
        out.append(b"\x00")
    elif cls is dlms_values.BooleanData:
        assert isinstance(value, dlms_values.BooleanData)
        if type(value.raw) is not int or not 0 <= value.raw <= 0xFF:
            raise OffPath
        out += (b"\x03", bytes((value.raw,)))
    elif cls is dlms_values.StringData:
        assert isinstance(value, dlms_values.StringData)
        if value.tag not in STRING_TAGS:
            raise OffPath
        out += (bytes((int(value.tag),)), _octets(value.value))
    elif cls is dlms_values.BitStringData:
        assert isinstance(value, dlms_values.BitStringData)
        count, data = value.bit_count, value.data
        if type(count) is not int or count < 0 or type(data) is not bytes or len(data) != (count + 7) // 8:
            raise OffPath
        out += (b"\x04", _length(count), data)
    elif cls is dlms_values.CompactArrayData:
        assert isinstance(value, dlms_values.CompactArrayData)
        desc = value.description
        head = [b"\x13"]
        _describe(desc, head, depth)
        body: list[bytes] = []
        for item in value.items:
            _write_described(desc, item, body, depth + 1)
        data = b"".join(body)
        out += (*head, _length(len(data)), data)
    elif cls is dlms_values.FloatData or cls is dlms_values.DateTimeData:
        assert isinstance(value, (dlms_values.FloatData, dlms_values.DateTimeData))
        size = (_FLOAT_SIZES if cls is dlms_values.FloatData else FIXED_OCTETS).get(value.tag)
        if size is None or type(value.raw) is not bytes or len(value.raw) != size:
            raise OffPath
        out += (_TAG_BYTES[value.tag], value.raw)
    else:
        raise OffPath


def _describe(desc: Any, out: list[bytes], depth: int) -> None:
    """A compact array's type description (integers, arrays and structures of them; OffPath otherwise)."""
    if depth > MAX_DEPTH:
        raise OffPath
    tag = desc.tag
    if tag in _PACKERS:
        out.append(_TAG_BYTES[tag])
    elif tag == DataTag.ARRAY and len(desc.elements) == 1 and 0 < desc.count <= 0xFFFF:
        out += (b"\x01", desc.count.to_bytes(2, "big"))
        _describe(desc.elements[0], out, depth + 1)
    elif tag == DataTag.STRUCTURE and desc.elements:
        out += (b"\x02", _length(len(desc.elements)))
        for element in desc.elements:
            _describe(element, out, depth + 1)
    else:
        raise OffPath


def _write_described(desc: Any, value: Any, out: list[bytes], depth: int) -> None:
    """One untagged compact-array element matching *desc* exactly (OffPath otherwise: the construct words it)."""
    if depth > MAX_DEPTH:
        raise OffPath
    cls = type(value)
    if cls is dlms_values.IntegerData:
        packer = _PACKERS.get(desc.tag)
        if packer is None or value.tag != desc.tag or type(value.value) is not int:
            raise OffPath
        try:
            out.append(packer.pack(value.value))
        except struct.error as exc:
            raise OffPath from exc
    elif cls is dlms_values.StructureData and desc.tag == DataTag.STRUCTURE:
        if len(value.items) != len(desc.elements):
            raise OffPath
        for item, element in zip(value.items, desc.elements, strict=True):
            _write_described(element, item, out, depth + 1)
    elif cls is dlms_values.ArrayData and desc.tag == DataTag.ARRAY:
        if len(value.items) != desc.count:
            raise OffPath
        element = desc.elements[0]
        for item in value.items:
            _write_described(element, item, out, depth + 1)
    else:
        raise OffPath


def invoke_bytes(invoke: Any) -> bytes:
    """Long-Invoke-Id-And-Priority: four flags, 4 reserved bits, 24-bit invoke id (Green Book 9.6)."""
    invoke_id, reserved = invoke.invoke_id, invoke.reserved
    if type(invoke_id) is not int or not 0 <= invoke_id < 1 << 24:
        raise OffPath
    if type(reserved) is not int or not 0 <= reserved < 16:
        raise OffPath
    flags = (
        (0x80 if invoke.high_priority else 0) | (0x40 if invoke.confirmed else 0)
        | (0x20 if invoke.break_on_error else 0) | (0x10 if invoke.self_descriptive else 0) | reserved
    )
    return bytes((flags,)) + invoke_id.to_bytes(3, "big")


def request_spec_bytes(spec: Any, kinds: type, out: list[bytes]) -> None:
    """One Access-Request-Specification: kind (a *kinds* member), class id, OBIS, member id, selection
    (Green Book 9.3)."""
    class_id, member = spec.class_id, spec.member_id
    if not isinstance(spec.kind, kinds):
        raise OffPath
    if type(class_id) is not int or not 0 <= class_id <= 0xFFFF or type(member) is not int or not -128 <= member <= 127:
        raise OffPath
    out += (bytes((int(spec.kind),)), class_id.to_bytes(2, "big"), spec.instance.to_bytes(),
            member.to_bytes(1, "big", signed=True))
    if spec.has_selection:
        selector, parameters = spec.access_selector, spec.access_parameters
        if type(selector) is not int or not 0 <= selector <= 0xFF or parameters is None:
            raise OffPath
        out.append(bytes((selector,)))
        write_data(parameters, out)


def response_spec_bytes(spec: Any, kinds: type) -> bytes:
    """One Access-Response-Specification: kind (a *kinds* member) and result code (Green Book 9.3)."""
    result = spec.result
    if not isinstance(spec.kind, kinds) or not isinstance(result, int) or not 0 <= result <= 0xFF:
        raise OffPath
    return bytes((int(spec.kind), int(result)))


def header_bytes(tag: int, invoke: Any, date_time: Any) -> list[bytes]:
    """APDU tag, invoke id and priority, and the length-prefixed date-time."""
    return [bytes((tag,)), invoke_bytes(invoke), _octets(date_time)]


def data_list(values: Any, out: list[bytes]) -> None:
    """A length-prefixed list of Data values."""
    out.append(_length(len(values)))
    for value in values:
        write_data(value, out)


def counted(count: int) -> bytes:
    """A BER count prefix."""
    return _length(count)
