"""The A-XDR Data construct (DLMS Green Book 9.5, 9.6 A-XDR; GBCS 5.11): :data:`dlms_data` parses and
builds :class:`~.dlms_values.DlmsData` values so that APDU structs can embed it; the definition the direct
reader and writer are held to.
"""

from __future__ import annotations

import io
import struct
from typing import Any

from construct import (
    Construct,
    Int8ub,
    SizeofError,
    stream_read,
    stream_write,
)
from construct.core import ConstructError

from smets_emu.errors import FrameError
from smets_emu.protocols.lengths import ber_length
from smets_emu.protocols.payloads import dlms_values
from smets_emu.protocols.payloads.dlms_data_read import read_tagged
from smets_emu.protocols.payloads.dlms_data_types import (
    FIXED_OCTETS,
    FLOAT_FORMATS,
    INTEGER_CODECS,
    MAX_DEPTH,
    STRING_TAGS,
    DataError,
    DataTag,
    TypeDescription,
    build_description,
    check_description_sizes,
    parse_description,
)

# --------------------------------------------------------------------------- parsing and building


def _parse_body(tag: DataTag, stream: Any, path: str, depth: int) -> dlms_values.DlmsData:
    """Contents of a value of type *tag* (the tag itself already read)."""
    if tag == DataTag.NULL_DATA:
        return dlms_values.NullData()
    if tag in (DataTag.ARRAY, DataTag.STRUCTURE):
        if depth >= MAX_DEPTH:
            raise DataError("DLMS data nested too deeply", path=path)
        n = ber_length._parsereport(stream, {}, path)
        items = tuple(_parse_tagged(stream, path, depth + 1) for _ in range(n))
        return dlms_values.ArrayData(items) if tag == DataTag.ARRAY else dlms_values.StructureData(items)
    if tag == DataTag.COMPACT_ARRAY:
        return _parse_compact(stream, path, depth)
    return _parse_simple(tag, stream, path)


def _parse_simple(tag: DataTag, stream: Any, path: str) -> dlms_values.DlmsData:
    if tag in INTEGER_CODECS:
        return dlms_values.IntegerData(tag, INTEGER_CODECS[tag]._parsereport(stream, {}, path))
    if tag == DataTag.BOOLEAN:
        return dlms_values.BooleanData(stream_read(stream, 1, path)[0])
    if tag == DataTag.BIT_STRING:
        bits = ber_length._parsereport(stream, {}, path)
        return dlms_values.BitStringData(bits, stream_read(stream, (bits + 7) // 8, path))
    if tag == DataTag.OCTET_STRING:
        return dlms_values.OctetStringData(stream_read(stream, ber_length._parsereport(stream, {}, path), path))
    if tag in STRING_TAGS:
        return dlms_values.StringData(tag, stream_read(stream, ber_length._parsereport(stream, {}, path), path))
    if tag in FLOAT_FORMATS:
        return dlms_values.FloatData(tag, stream_read(stream, struct.calcsize(FLOAT_FORMATS[tag]), path))
    if tag in FIXED_OCTETS:
        return dlms_values.DateTimeData(tag, stream_read(stream, FIXED_OCTETS[tag], path))
    raise DataError(f"DLMS data type {tag.json_name} has no simple encoding", path=path)


def _parse_tagged(stream: Any, path: str, depth: int) -> dlms_values.DlmsData:
    raw = stream_read(stream, 1, path)[0]
    try:
        tag = DataTag(raw)
    except ValueError:
        raise DataError(f"unknown DLMS data tag 0x{raw:02X}", path=path) from None
    return _parse_body(tag, stream, path, depth)


def _parse_described(desc: TypeDescription, stream: Any, path: str, depth: int) -> dlms_values.DlmsData:
    """One untagged compact-array element of type *desc*."""
    if desc.tag in (DataTag.ARRAY, DataTag.STRUCTURE):
        if depth >= MAX_DEPTH:
            raise DataError("DLMS data nested too deeply", path=path)
        if desc.tag == DataTag.ARRAY:
            return dlms_values.ArrayData(tuple(_parse_described(desc.elements[0], stream, path, depth + 1)
                                   for _ in range(desc.count)))
        return dlms_values.StructureData(tuple(_parse_described(e, stream, path, depth + 1) for e in desc.elements))
    return _parse_simple(desc.tag, stream, path)


def _parse_compact(stream: Any, path: str, depth: int) -> dlms_values.CompactArrayData:
    desc = parse_description(stream, path, depth)
    check_description_sizes(desc, path)
    size = ber_length._parsereport(stream, {}, path)
    contents = io.BytesIO(stream_read(stream, size, path))
    items: list[dlms_values.DlmsData] = []
    while contents.tell() < size:
        if desc.min_size() > size - contents.tell():
            raise DataError("compact-array contents end inside an element", path=path)
        items.append(_parse_described(desc, contents, path, depth + 1))
    return dlms_values.CompactArrayData(desc, tuple(items))


# Direct readers over a byte string: the same grammar as the stream parsers above, used on the
# decode path because they avoid a stream and a construct call per value. Each returns
# (value, position after it) and raises DataError on malformed input.




def _build_tagged(value: dlms_values.DlmsData, stream: Any, path: str, depth: int) -> None:
    if not isinstance(value, dlms_values.DlmsData):
        raise DataError(f"not a DLMS data value: {value!r}", path=path)
    stream_write(stream, bytes([int(value.tag)]), 1, path)
    _build_body(value, stream, path, depth)


def _build_body(value: dlms_values.DlmsData, stream: Any, path: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise DataError("DLMS data nested too deeply", path=path)
    if isinstance(value, dlms_values.NullData):
        return
    if isinstance(value, dlms_values.ItemsData):
        ber_length._build(len(value.items), stream, {}, path)
        for item in value.items:
            _build_tagged(item, stream, path, depth + 1)
        return
    if isinstance(value, dlms_values.CompactArrayData):
        build_description(value.description, stream, path)
        check_description_sizes(value.description, path)
        contents = io.BytesIO()
        for item in value.items:
            _build_described(value.description, item, contents, path, depth + 1)
        data = contents.getvalue()
        ber_length._build(len(data), stream, {}, path)
        stream_write(stream, data, len(data), path)
        return
    _build_simple(value, stream, path)


def _build_simple(value: dlms_values.DlmsData, stream: Any, path: str) -> None:
    if isinstance(value, dlms_values.IntegerData):
        if value.tag not in INTEGER_CODECS:
            raise DataError(f"{value.tag.json_name} is not an integer type", path=path)
        INTEGER_CODECS[value.tag]._build(value.value, stream, {}, path)
    elif isinstance(value, dlms_values.BooleanData):
        Int8ub._build(value.raw, stream, {}, path)
    elif isinstance(value, dlms_values.BitStringData):
        if len(value.data) != (value.bit_count + 7) // 8:
            raise DataError(f"bit-string of {value.bit_count} bits needs {(value.bit_count + 7) // 8} bytes",
                             path=path)
        ber_length._build(value.bit_count, stream, {}, path)
        stream_write(stream, value.data, len(value.data), path)
    elif isinstance(value, (dlms_values.OctetStringData, dlms_values.StringData)):
        if isinstance(value, dlms_values.StringData) and value.tag not in STRING_TAGS:
            raise DataError(f"{value.tag.json_name} is not a string type", path=path)
        ber_length._build(len(value.value), stream, {}, path)
        stream_write(stream, value.value, len(value.value), path)
    elif isinstance(value, dlms_values.FloatData):
        fmt = FLOAT_FORMATS.get(value.tag)
        _write_fixed(value.raw, struct.calcsize(fmt) if fmt else -1, stream, path)
    elif isinstance(value, dlms_values.DateTimeData):
        _write_fixed(value.raw, FIXED_OCTETS.get(value.tag, -1), stream, path)
    else:
        raise DataError(f"cannot encode {type(value).__name__}", path=path)


def _write_fixed(raw: bytes, size: int, stream: Any, path: str) -> None:
    if len(raw) != size:
        raise DataError(f"value needs {size} bytes, got {len(raw)}", path=path)
    stream_write(stream, raw, size, path)


def _build_described(desc: TypeDescription, value: dlms_values.DlmsData, stream: Any, path: str, depth: int) -> None:
    """One untagged compact-array element; *value* must match *desc*."""
    if depth > MAX_DEPTH:
        raise DataError("DLMS data nested too deeply", path=path)
    if value.tag != desc.tag:
        raise DataError(f"compact-array element {value.tag.json_name} does not match {desc.tag.json_name}",
                         path=path)
    if isinstance(value, dlms_values.ArrayData):
        if len(value.items) != desc.count:
            raise DataError(f"compact-array element needs {desc.count} array items", path=path)
        for item in value.items:
            _build_described(desc.elements[0], item, stream, path, depth + 1)
    elif isinstance(value, dlms_values.StructureData):
        if len(value.items) != len(desc.elements):
            raise DataError(f"compact-array element needs {len(desc.elements)} structure items", path=path)
        for item, element in zip(value.items, desc.elements, strict=True):
            _build_described(element, item, stream, path, depth + 1)
    else:
        _build_simple(value, stream, path)


class AxdrData(Construct):
    """One tagged A-XDR ``Data`` value, parsed to and built from :class:`DlmsData` (Green Book 9.5)."""

    def _parse(self, stream: Any, context: Any, path: str) -> dlms_values.DlmsData:
        return _parse_tagged(stream, path, 0)

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> Any:
        _build_tagged(obj, stream, path, 0)
        return obj

    def _sizeof(self, context: Any, path: str) -> int:
        raise SizeofError("DLMS data has a variable size", path=path)


dlms_data = AxdrData()
"""The construct for one DLMS ``Data`` value (GBCS 5.11, Green Book 9.5)."""




def decode_data(data: bytes) -> dlms_values.DlmsData:
    """Decode exactly one tagged ``Data`` value filling *data*; anything malformed is a FrameError."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise FrameError("DLMS data must be bytes")
    data = bytes(data)
    try:
        value, end = read_tagged(data, 0, 0)
    except (ConstructError, ValueError, struct.error, RecursionError) as exc:
        raise FrameError(f"malformed DLMS data: {exc}") from exc
    if end != len(data):
        raise FrameError(f"{len(data) - end} trailing bytes after DLMS data")
    return value
