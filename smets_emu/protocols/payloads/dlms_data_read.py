"""Direct reader of A-XDR Data (DLMS Green Book 9.5; GBCS 5.11): one reader per type tag over the bytes,
held to the construct of :mod:`.dlms_axdr` by the tests (same values, same refusals).
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from typing import Any

from smets_emu.protocols.lengths import read_length
from smets_emu.protocols.payloads import dlms_data_types, dlms_values
from smets_emu.protocols.payloads.dlms_data_types import (
    DataError,
    DataTag,
    TypeDescription,
    check_description_sizes,
    parse_description,
)


def _take(data: bytes, pos: int, size: int) -> tuple[bytes, int]:
    end = pos + size
    if end > len(data):
        raise DataError(f"DLMS data truncated: {size} bytes needed, {len(data) - pos} left")
    return data[pos:end], end


def _integer_reader(tag: DataTag, codec: Any) -> Callable[[bytes, int, int], tuple[dlms_values.DlmsData, int]]:
    unpack = struct.Struct(codec.fmtstr).unpack_from
    size = codec.sizeof()

    def read(data: bytes, pos: int, depth: int) -> tuple[dlms_values.DlmsData, int]:
        if pos + size > len(data):
            raise DataError(f"DLMS {tag.json_name} truncated")
        return dlms_values.IntegerData(tag, unpack(data, pos)[0]), pos + size

    return read


def _read_items(tag: DataTag) -> Callable[[bytes, int, int], tuple[dlms_values.DlmsData, int]]:
    cls = dlms_values.ArrayData if tag == DataTag.ARRAY else dlms_values.StructureData

    def read(data: bytes, pos: int, depth: int) -> tuple[dlms_values.DlmsData, int]:
        if depth >= dlms_data_types.MAX_DEPTH:
            raise DataError("DLMS data nested too deeply")
        end = len(data)
        if pos < end and data[pos] < 0x80:  # read_length's short form, inlined
            n = data[pos]
            pos += 1
        else:
            n, pos = read_length(data, pos)
        items = []
        readers = _READERS
        inner = depth + 1
        for _ in range(n):  # read_tagged, inlined
            if pos >= end:
                raise DataError("DLMS data truncated: tag missing")
            reader = readers.get(data[pos])
            if reader is None:
                raise DataError(f"unknown DLMS data tag 0x{data[pos]:02X}")
            item, pos = reader(data, pos + 1, inner)
            items.append(item)
        return cls(tuple(items)), pos

    return read


def _read_null(data: bytes, pos: int, depth: int) -> tuple[dlms_values.DlmsData, int]:
    return dlms_values.NullData(), pos


def _read_boolean(data: bytes, pos: int, depth: int) -> tuple[dlms_values.DlmsData, int]:
    raw, pos = _take(data, pos, 1)
    return dlms_values.BooleanData(raw[0]), pos


def _read_bit_string(data: bytes, pos: int, depth: int) -> tuple[dlms_values.DlmsData, int]:
    bits, pos = read_length(data, pos)
    value, pos = _take(data, pos, (bits + 7) // 8)
    return dlms_values.BitStringData(bits, value), pos


def _read_octet_string(data: bytes, pos: int, depth: int) -> tuple[dlms_values.DlmsData, int]:
    if pos < len(data) and data[pos] < 0x80:  # read_length's short form, inlined
        n = data[pos]
        pos += 1
    else:
        n, pos = read_length(data, pos)
    end = pos + n
    if end > len(data):
        raise DataError(f"DLMS data truncated: {n} bytes needed, {len(data) - pos} left")
    return dlms_values.OctetStringData(data[pos:end]), end


def _string_reader(tag: DataTag) -> Callable[[bytes, int, int], tuple[dlms_values.DlmsData, int]]:
    def read(data: bytes, pos: int, depth: int) -> tuple[dlms_values.DlmsData, int]:
        n, pos = read_length(data, pos)
        value, pos = _take(data, pos, n)
        return dlms_values.StringData(tag, value), pos

    return read


def _fixed_reader(tag: DataTag, cls: Any, size: int) -> Callable[[bytes, int, int], tuple[dlms_values.DlmsData, int]]:
    def read(data: bytes, pos: int, depth: int) -> tuple[dlms_values.DlmsData, int]:
        value, pos = _take(data, pos, size)
        return cls(tag, value), pos

    return read


_Described = Callable[[bytes, int], tuple[dlms_values.DlmsData, int]]


def _described_reader(desc: TypeDescription, depth: int) -> _Described:
    """A reader of one untagged compact-array element of type *desc*, made once per compact array
    (the same reads and checks as :func:`_read_described`)."""
    tag = desc.tag
    if tag == DataTag.ARRAY or tag == DataTag.STRUCTURE:
        if depth >= dlms_data_types.MAX_DEPTH:
            def too_deep(data: bytes, pos: int) -> tuple[dlms_values.DlmsData, int]:
                raise DataError("DLMS data nested too deeply")

            return too_deep
        element_descs = (desc.elements[0],) * desc.count if tag == DataTag.ARRAY else desc.elements
        element_readers = tuple(_described_reader(e, depth + 1) for e in element_descs)
        cls = dlms_values.ArrayData if tag == DataTag.ARRAY else dlms_values.StructureData

        def read_items(data: bytes, pos: int) -> tuple[dlms_values.DlmsData, int]:
            items = []
            for read_element in element_readers:
                item, pos = read_element(data, pos)
                items.append(item)
            return cls(tuple(items)), pos

        return read_items
    reader = _SIMPLE_READERS.get(tag)
    if reader is None:
        def no_encoding(data: bytes, pos: int) -> tuple[dlms_values.DlmsData, int]:
            raise DataError(f"DLMS data type {tag.json_name} has no simple encoding")

        return no_encoding
    return lambda data, pos: reader(data, pos, depth)


def _read_described(desc: TypeDescription, data: bytes, pos: int, depth: int) -> tuple[dlms_values.DlmsData, int]:
    """One untagged compact-array element of type *desc* (direct reader of :func:`_parse_described`)."""
    tag = desc.tag
    if tag == DataTag.ARRAY or tag == DataTag.STRUCTURE:
        if depth >= dlms_data_types.MAX_DEPTH:
            raise DataError("DLMS data nested too deeply")
        items = []
        elements = (desc.elements[0],) * desc.count if tag == DataTag.ARRAY else desc.elements
        for element in elements:
            item, pos = _read_described(element, data, pos, depth + 1)
            items.append(item)
        return (dlms_values.ArrayData if tag == DataTag.ARRAY else dlms_values.StructureData)(tuple(items)), pos
    reader = _SIMPLE_READERS.get(tag)
    if reader is None:
        raise DataError(f"DLMS data type {tag.json_name} has no simple encoding")
    return reader(data, pos, depth)


def _read_compact(data: bytes, pos: int, depth: int) -> tuple[dlms_values.DlmsData, int]:
    stream = io.BytesIO(data)
    stream.seek(pos)
    desc = parse_description(stream, "(data)", depth)
    check_description_sizes(desc, "(data)")
    size, pos = read_length(data, stream.tell())
    contents, pos = _take(data, pos, size)
    min_size = desc.min_size()
    items: list[dlms_values.DlmsData] = []
    offset = 0
    read_element = _described_reader(desc, depth + 1) if size else None
    while offset < size:
        if min_size > size - offset:
            raise DataError("compact-array contents end inside an element")
        assert read_element is not None
        item, offset = read_element(contents, offset)
        items.append(item)
    return dlms_values.CompactArrayData(desc, tuple(items)), pos


_READERS: dict[int, Callable[[bytes, int, int], tuple[dlms_values.DlmsData, int]]] = {
    DataTag.NULL_DATA: _read_null,
    DataTag.ARRAY: _read_items(DataTag.ARRAY),
    DataTag.STRUCTURE: _read_items(DataTag.STRUCTURE),
    DataTag.BOOLEAN: _read_boolean,
    DataTag.BIT_STRING: _read_bit_string,
    DataTag.OCTET_STRING: _read_octet_string,
    DataTag.COMPACT_ARRAY: _read_compact,
    **{tag: _integer_reader(tag, codec) for tag, codec in dlms_data_types.INTEGER_CODECS.items()},
    **{tag: _string_reader(tag) for tag in dlms_data_types.STRING_TAGS},
    **{tag: _fixed_reader(tag, dlms_values.FloatData, struct.calcsize(fmt))
       for tag, fmt in dlms_data_types.FLOAT_FORMATS.items()},
    **{tag: _fixed_reader(tag, dlms_values.DateTimeData, size) for tag, size in dlms_data_types.FIXED_OCTETS.items()},
}


_SIMPLE_READERS = {
    tag: reader for tag, reader in _READERS.items()
    if tag not in (DataTag.NULL_DATA, DataTag.ARRAY, DataTag.STRUCTURE, DataTag.COMPACT_ARRAY)
}


def read_tagged(data: bytes, pos: int, depth: int) -> tuple[dlms_values.DlmsData, int]:
    """One tagged Data value at ``data[pos]`` (direct reader of :data:`dlms_data`)."""
    if pos >= len(data):
        raise DataError("DLMS data truncated: tag missing")
    raw = data[pos]
    reader = _READERS.get(raw)
    if reader is None:
        raise DataError(f"unknown DLMS data tag 0x{raw:02X}")
    return reader(data, pos + 1, depth)


def read_data(data: bytes, pos: int) -> tuple[dlms_values.DlmsData, int]:
    """Read one tagged ``Data`` value starting at ``data[pos]``: (value, position after it).

    Raises ConstructError subclasses on malformed input (callers map them to FrameError).
    """
    return read_tagged(data, pos, 0)
