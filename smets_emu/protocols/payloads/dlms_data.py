"""DLMS A-XDR ``Data`` values (DLMS Green Book 9.5 "Data", Blue Book 4.1.5 data types; GBCS 5.11).

A ``Data`` value is a one-byte type tag followed by its contents; arrays and structures
carry a BER element count and nest further values, strings carry a BER length. A
``compact-array`` (tag ``0x13``) carries a type description and then its elements
without tags, back to back, inside one length-prefixed block.

Every value is a frozen dataclass deriving from :class:`DlmsData`; the
:data:`dlms_data` construct parses and builds them so APDU structs can embed it.
"""

from __future__ import annotations

import abc
import io
import math
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Any, ClassVar

from construct import (
    Construct,
    Int8sb,
    Int8ub,
    Int16sb,
    Int16ub,
    Int32sb,
    Int32ub,
    Int64sb,
    Int64ub,
    SizeofError,
    stream_read,
    stream_write,
)
from construct.core import ConstructError

from smets_emu.errors import EncodeError, FrameError
from smets_emu.protocols.lengths import ber_length, read_length
from smets_emu.protocols.payloads.json_fields import json_hex, json_int, json_list

__all__ = [
    "MAX_DEPTH",
    "PROTECTED_PREFIX",
    "ArrayData",
    "BitStringData",
    "BooleanData",
    "CompactArrayData",
    "DataTag",
    "DateTimeData",
    "DlmsData",
    "FloatData",
    "IntegerData",
    "NullData",
    "OctetStringData",
    "StringData",
    "StructureData",
    "TypeDescription",
    "attach_decrypted",
    "decode_data",
    "describe_date",
    "describe_date_time",
    "describe_time",
    "dlms_data",
    "obis_text",
]

MAX_DEPTH = 48
"""Deepest nesting of arrays/structures accepted (decoding and JSON)."""

PROTECTED_PREFIX = b"\x31\x00\x00\x00\x00"
"""Start of a GBCS protected blob: security header ``31`` and a zero invocation counter (GBCS 7.3.3)."""

_TAG_LENGTH = 12 + 5  # protected prefix plus a 12-byte GCM tag


class DataTag(IntEnum):
    """The ``Data`` CHOICE tags (Green Book 9.5; delta types from Blue Book 4.1.5)."""

    NULL_DATA = 0
    ARRAY = 1
    STRUCTURE = 2
    BOOLEAN = 3
    BIT_STRING = 4
    DOUBLE_LONG = 5
    DOUBLE_LONG_UNSIGNED = 6
    FLOATING_POINT = 7
    OCTET_STRING = 9
    VISIBLE_STRING = 10
    UTF8_STRING = 12
    BCD = 13
    INTEGER = 15
    LONG = 16
    UNSIGNED = 17
    LONG_UNSIGNED = 18
    COMPACT_ARRAY = 19
    LONG64 = 20
    LONG64_UNSIGNED = 21
    ENUM = 22
    FLOAT32 = 23
    FLOAT64 = 24
    DATE_TIME = 25
    DATE = 26
    TIME = 27
    DELTA_INTEGER = 28
    DELTA_LONG = 29
    DELTA_DOUBLE_LONG = 30
    DELTA_UNSIGNED = 31
    DELTA_LONG_UNSIGNED = 32
    DELTA_DOUBLE_LONG_UNSIGNED = 33

    @property
    def json_name(self) -> str:
        """The ASN.1 name used in JSON, e.g. ``"long-unsigned"``."""
        return self.name.lower().replace("_", "-")

    @classmethod
    def from_json_name(cls, name: Any) -> DataTag:
        """Inverse of :attr:`json_name`."""
        if not isinstance(name, str):
            raise EncodeError(f"DLMS data type must be a name, got {name!r}")
        try:
            return cls[name.upper().replace("-", "_")]
        except KeyError:
            raise EncodeError(f"unknown DLMS data type {name!r}") from None


_INTEGER_CODECS: dict[DataTag, Construct] = {
    DataTag.DOUBLE_LONG: Int32sb,
    DataTag.DOUBLE_LONG_UNSIGNED: Int32ub,
    DataTag.BCD: Int8sb,
    DataTag.INTEGER: Int8sb,
    DataTag.LONG: Int16sb,
    DataTag.UNSIGNED: Int8ub,
    DataTag.LONG_UNSIGNED: Int16ub,
    DataTag.LONG64: Int64sb,
    DataTag.LONG64_UNSIGNED: Int64ub,
    DataTag.ENUM: Int8ub,
    DataTag.DELTA_INTEGER: Int8sb,
    DataTag.DELTA_LONG: Int16sb,
    DataTag.DELTA_DOUBLE_LONG: Int32sb,
    DataTag.DELTA_UNSIGNED: Int8ub,
    DataTag.DELTA_LONG_UNSIGNED: Int16ub,
    DataTag.DELTA_DOUBLE_LONG_UNSIGNED: Int32ub,
}
"""Fixed-size integer types and their big-endian codecs."""

_FLOAT_FORMATS: dict[DataTag, str] = {DataTag.FLOATING_POINT: ">f", DataTag.FLOAT32: ">f", DataTag.FLOAT64: ">d"}
_FIXED_OCTETS: dict[DataTag, int] = {DataTag.DATE_TIME: 12, DataTag.DATE: 5, DataTag.TIME: 4}
_STRING_TAGS = frozenset({DataTag.VISIBLE_STRING, DataTag.UTF8_STRING})


class _DataError(ConstructError):
    """Malformed A-XDR Data (raised inside the construct, mapped to FrameError/EncodeError at the edge)."""


# --------------------------------------------------------------------------- informative renderings


def obis_text(value: bytes) -> str:
    """Render a 6-byte OBIS code as ``A-B:C.D.E.F``."""
    a, b, c, d, e, f = value
    return f"{a}-{b}:{c}.{d}.{e}.{f}"


def _field(value: int, width: int, specials: dict[int, str] | None = None) -> str:
    if specials and value in specials:
        return specials[value]
    return f"{value:0{width}d}"


def describe_date(value: bytes) -> str | None:
    """A readable COSEM date (5 bytes), ``*`` for "not specified"; None when implausible."""
    if len(value) != 5:
        return None
    year = int.from_bytes(value[:2], "big")
    month, day, dow = value[2], value[3], value[4]
    if not (1 <= month <= 12 or month in (0xFD, 0xFE, 0xFF)):
        return None
    if not (1 <= day <= 31 or day in (0xFD, 0xFE, 0xFF)):
        return None
    if not (1 <= dow <= 7 or dow == 0xFF):
        return None
    text = "-".join((
        _field(year, 4, {0xFFFF: "*"}),
        _field(month, 2, {0xFF: "*", 0xFE: "dst-end", 0xFD: "dst-begin"}),
        _field(day, 2, {0xFF: "*", 0xFE: "last", 0xFD: "second-last"}),
    ))
    return text if dow == 0xFF else f"{text} (dow {dow})"


def describe_time(value: bytes) -> str | None:
    """A readable COSEM time (4 bytes); None when implausible."""
    if len(value) != 4:
        return None
    limits = (23, 59, 59, 99)
    if any(v != 0xFF and v > top for v, top in zip(value, limits, strict=True)):
        return None
    star = {0xFF: "*"}
    h, m, s, c = (_field(v, 2, star) for v in value)
    return f"{h}:{m}:{s}.{c}"


def describe_date_time(value: bytes) -> str | None:
    """A readable COSEM date-time (12 bytes); None when implausible."""
    if len(value) != 12:
        return None
    date, time = describe_date(value[:5]), describe_time(value[5:9])
    if date is None or time is None:
        return None
    deviation = int.from_bytes(value[9:11], "big", signed=True)
    text = f"{date} {time}"
    if deviation != -0x8000:
        text += f" deviation {deviation}"
    return f"{text} status 0x{value[11]:02X}"


def _printable(value: bytes) -> str | None:
    if value and all(0x20 <= b < 0x7F for b in value):
        return value.decode("ascii")
    return None


# --------------------------------------------------------------------------- type descriptions


@dataclass(frozen=True)
class TypeDescription:
    """A compact-array element type (Green Book 9.5 ``TypeDescription``).

    ``array`` carries ``count`` and exactly one element description; ``structure``
    carries its element descriptions; every other tag stands alone.
    """

    tag: DataTag
    elements: tuple[TypeDescription, ...] = ()
    count: int = 0

    def to_json(self) -> dict[str, Any]:
        """``{"type": ..., "count"/"element" for arrays, "elements" for structures}``."""
        out: dict[str, Any] = {"type": self.tag.json_name}
        if self.tag == DataTag.ARRAY:
            out["count"] = self.count
            out["element"] = self.elements[0].to_json() if self.elements else None
        elif self.tag == DataTag.STRUCTURE:
            out["elements"] = [e.to_json() for e in self.elements]
        return out

    @classmethod
    def from_json(cls, obj: Any, depth: int = 0) -> TypeDescription:
        """Inverse of :meth:`to_json`."""
        tag = _json_tag(obj, depth, "type description")
        if tag == DataTag.ARRAY:
            return cls(tag, (cls.from_json(obj.get("element"), depth + 1),), json_int(obj, "count"))
        if tag == DataTag.STRUCTURE:
            return cls(tag, tuple(cls.from_json(e, depth + 1) for e in json_list(obj, "elements")))
        return cls(tag)

    def min_size(self) -> int:
        """Fewest content bytes one element of this type takes."""
        if self.tag == DataTag.ARRAY:
            return self.count * self.elements[0].min_size()
        if self.tag == DataTag.STRUCTURE:
            return sum(e.min_size() for e in self.elements)
        if self.tag in _INTEGER_CODECS:
            return _INTEGER_CODECS[self.tag].sizeof()
        if self.tag in _FLOAT_FORMATS:
            return struct.calcsize(_FLOAT_FORMATS[self.tag])
        if self.tag in _FIXED_OCTETS:
            return _FIXED_OCTETS[self.tag]
        if self.tag == DataTag.NULL_DATA:
            return 0
        return 1  # boolean, or a length-prefixed string


def _parse_description(stream: Any, path: str, depth: int) -> TypeDescription:
    if depth > MAX_DEPTH:
        raise _DataError("type description nested too deeply", path=path)
    raw = stream_read(stream, 1, path)[0]
    try:
        tag = DataTag(raw)
    except ValueError:
        raise _DataError(f"unknown type description tag 0x{raw:02X}", path=path) from None
    if tag == DataTag.COMPACT_ARRAY:
        raise _DataError("compact-array inside a type description", path=path)
    if tag == DataTag.ARRAY:
        count = Int16ub._parsereport(stream, {}, path)
        return TypeDescription(tag, (_parse_description(stream, path, depth + 1),), count)
    if tag == DataTag.STRUCTURE:
        n = ber_length._parsereport(stream, {}, path)
        return TypeDescription(tag, tuple(_parse_description(stream, path, depth + 1) for _ in range(n)))
    return TypeDescription(tag)


def _build_description(desc: TypeDescription, stream: Any, path: str) -> None:
    stream_write(stream, bytes([desc.tag]), 1, path)
    if desc.tag == DataTag.ARRAY:
        if len(desc.elements) != 1:
            raise _DataError("an array description needs exactly one element type", path=path)
        Int16ub._build(desc.count, stream, {}, path)
        _build_description(desc.elements[0], stream, path)
    elif desc.tag == DataTag.STRUCTURE:
        ber_length._build(len(desc.elements), stream, {}, path)
        for element in desc.elements:
            _build_description(element, stream, path)
    elif desc.tag == DataTag.COMPACT_ARRAY:
        raise _DataError("compact-array inside a type description", path=path)


def _check_description_sizes(desc: TypeDescription, path: str) -> None:
    """Refuse element types that can take no bytes (they would repeat without end)."""
    if desc.min_size() == 0:
        raise _DataError(f"compact-array element type {desc.tag.json_name} takes no bytes", path=path)
    for element in desc.elements:
        _check_description_sizes(element, path)


# --------------------------------------------------------------------------- values


class DlmsData(abc.ABC):
    """One A-XDR ``Data`` value."""

    tag: DataTag

    def encode(self) -> bytes:
        """The tagged A-XDR bytes of this value."""
        from smets_emu.protocols.payloads import dlms_write

        out: list[bytes] = []
        try:
            dlms_write.write_data(self, out)
            return b"".join(out)
        except dlms_write.OffPath:
            pass
        try:
            return dlms_data.build(self)
        except EncodeError:
            raise
        except (ConstructError, ValueError, TypeError, OverflowError, struct.error, RecursionError) as exc:
            raise EncodeError(f"cannot encode DLMS data: {exc}") from exc

    @abc.abstractmethod
    def to_json(self) -> dict[str, Any]:
        """``{"type": <name>, ...}``; informative keys are ignored by :meth:`from_json`."""

    @staticmethod
    def from_json(obj: Any) -> DlmsData:
        """Rebuild any value from its JSON form."""
        return _from_json(obj, 0)

    def walk(self) -> Iterator[DlmsData]:
        """This value and every value nested in it, depth first."""
        yield self


@dataclass(frozen=True)
class NullData(DlmsData):
    """``null-data`` (tag 0)."""

    tag: ClassVar[DataTag] = DataTag.NULL_DATA

    def to_json(self) -> dict[str, Any]:
        return {"type": self.tag.json_name}


@dataclass(frozen=True)
class _Items(DlmsData):
    items: tuple[DlmsData, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"type": self.tag.json_name, "value": [item.to_json() for item in self.items]}

    def walk(self) -> Iterator[DlmsData]:
        yield self
        for item in self.items:
            yield from item.walk()


@dataclass(frozen=True)
class ArrayData(_Items):
    """``array`` (tag 1): BER count, then that many tagged values."""

    tag: ClassVar[DataTag] = DataTag.ARRAY


@dataclass(frozen=True)
class StructureData(_Items):
    """``structure`` (tag 2): BER count, then that many tagged values."""

    tag: ClassVar[DataTag] = DataTag.STRUCTURE


@dataclass(frozen=True)
class BooleanData(DlmsData):
    """``boolean`` (tag 3). ``raw`` is the byte on the wire (any non-zero byte is true)."""

    tag: ClassVar[DataTag] = DataTag.BOOLEAN
    raw: int = 0xFF

    @property
    def value(self) -> bool:
        return self.raw != 0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.tag.json_name, "value": self.value}
        if self.raw not in (0x00, 0xFF):
            out["raw"] = self.raw
        return out


@dataclass(frozen=True)
class BitStringData(DlmsData):
    """``bit-string`` (tag 4): BER bit count, then the bits packed MSB first."""

    tag: ClassVar[DataTag] = DataTag.BIT_STRING
    bit_count: int = 0
    data: bytes = b""

    def to_json(self) -> dict[str, Any]:
        bits = "".join(f"{b:08b}" for b in self.data)[: self.bit_count]
        return {"type": self.tag.json_name, "bit_count": self.bit_count, "value": self.data.hex().upper(), "bits": bits}


@dataclass(frozen=True)
class IntegerData(DlmsData):
    """A fixed-size integer type (integer, long, unsigned, long-unsigned, enum, double-long, long64, bcd, delta-*)."""

    tag: DataTag = DataTag.UNSIGNED  # type: ignore[misc]
    value: int = 0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.tag.json_name, "value": self.value}
        if self.tag in (DataTag.LONG_UNSIGNED, DataTag.DOUBLE_LONG_UNSIGNED) and self.value >= 0:
            out["hex"] = f"{self.value:0{_INTEGER_CODECS[self.tag].sizeof() * 2}X}"
        return out


@dataclass(frozen=True)
class OctetStringData(DlmsData):
    """``octet-string`` (tag 9): BER length, then the bytes.

    ``decrypted`` is informative: the plaintext of a GBCS protected blob when a
    decryptor was supplied (GBCS 7.3.3); it never takes part in encoding.
    """

    tag: ClassVar[DataTag] = DataTag.OCTET_STRING
    value: bytes = b""
    decrypted: DlmsData | None = field(default=None, compare=False)

    @property
    def is_protected(self) -> bool:
        """True when the content has the shape of a GBCS protected blob."""
        return len(self.value) >= _TAG_LENGTH and self.value.startswith(PROTECTED_PREFIX)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.tag.json_name, "value": self.value.hex().upper()}
        size = len(self.value)
        if size == 6:
            out["obis"] = obis_text(self.value)
        readable = {12: describe_date_time, 5: describe_date, 4: describe_time}.get(size)
        text = readable(self.value) if readable else None
        if text is not None:
            out[{12: "date_time", 5: "date", 4: "time"}[size]] = text
        printable = _printable(self.value)
        if printable is not None:
            out["text"] = printable
        if self.decrypted is not None:
            out["decrypted"] = self.decrypted.to_json()
        return out

    def walk(self) -> Iterator[DlmsData]:
        yield self
        if self.decrypted is not None:
            yield from self.decrypted.walk()


@dataclass(frozen=True)
class StringData(DlmsData):
    """``visible-string`` (tag 10) or ``utf8-string`` (tag 12); ``value`` keeps the exact bytes."""

    tag: DataTag = DataTag.VISIBLE_STRING  # type: ignore[misc]
    value: bytes = b""

    @property
    def text(self) -> str | None:
        """The characters, or None when the bytes are not valid for the type."""
        if self.tag == DataTag.UTF8_STRING:
            try:
                return self.value.decode("utf-8")
            except UnicodeDecodeError:
                return None
        return _printable(self.value) if self.value else ""

    def to_json(self) -> dict[str, Any]:
        text = self.text
        if text is None:
            return {"type": self.tag.json_name, "hex": self.value.hex().upper()}
        return {"type": self.tag.json_name, "value": text}


@dataclass(frozen=True)
class FloatData(DlmsData):
    """``float32``/``float64`` (tags 23/24) or the legacy ``floating-point`` (tag 7); ``raw`` is IEEE 754 BE."""

    tag: DataTag = DataTag.FLOAT32  # type: ignore[misc]
    raw: bytes = b"\x00\x00\x00\x00"

    @classmethod
    def of(cls, tag: DataTag, value: float) -> FloatData:
        """Build from a number."""
        try:
            return cls(tag, struct.pack(_FLOAT_FORMATS[tag], value))
        except (KeyError, struct.error, OverflowError) as exc:
            raise EncodeError(f"cannot encode {value!r} as {tag.json_name}") from exc

    @property
    def value(self) -> float:
        return struct.unpack(_FLOAT_FORMATS[self.tag], self.raw)[0]

    def to_json(self) -> dict[str, Any]:
        number = self.value
        out: dict[str, Any] = {"type": self.tag.json_name, "hex": self.raw.hex().upper()}
        if math.isfinite(number):
            out["value"] = number
        return out


@dataclass(frozen=True)
class DateTimeData(DlmsData):
    """``date-time``/``date``/``time`` (tags 25/26/27): 12, 5 or 4 fixed bytes (Blue Book 4.1.6.1)."""

    tag: DataTag = DataTag.DATE_TIME  # type: ignore[misc]
    raw: bytes = b""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.tag.json_name, "value": self.raw.hex().upper()}
        describe = {DataTag.DATE_TIME: describe_date_time, DataTag.DATE: describe_date, DataTag.TIME: describe_time}
        text = describe[self.tag](self.raw)
        if text is not None:
            out["text"] = text
        return out


@dataclass(frozen=True)
class CompactArrayData(DlmsData):
    """``compact-array`` (tag 19): a type description, then elements of that type without tags."""

    tag: ClassVar[DataTag] = DataTag.COMPACT_ARRAY
    description: TypeDescription = TypeDescription(DataTag.UNSIGNED)
    items: tuple[DlmsData, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.tag.json_name,
            "description": self.description.to_json(),
            "value": [item.to_json() for item in self.items],
        }

    def walk(self) -> Iterator[DlmsData]:
        yield self
        for item in self.items:
            yield from item.walk()


# --------------------------------------------------------------------------- parsing and building


def _parse_body(tag: DataTag, stream: Any, path: str, depth: int) -> DlmsData:
    """Contents of a value of type *tag* (the tag itself already read)."""
    if tag == DataTag.NULL_DATA:
        return NullData()
    if tag in (DataTag.ARRAY, DataTag.STRUCTURE):
        if depth >= MAX_DEPTH:
            raise _DataError("DLMS data nested too deeply", path=path)
        n = ber_length._parsereport(stream, {}, path)
        items = tuple(_parse_tagged(stream, path, depth + 1) for _ in range(n))
        return ArrayData(items) if tag == DataTag.ARRAY else StructureData(items)
    if tag == DataTag.COMPACT_ARRAY:
        return _parse_compact(stream, path, depth)
    return _parse_simple(tag, stream, path)


def _parse_simple(tag: DataTag, stream: Any, path: str) -> DlmsData:
    if tag in _INTEGER_CODECS:
        return IntegerData(tag, _INTEGER_CODECS[tag]._parsereport(stream, {}, path))
    if tag == DataTag.BOOLEAN:
        return BooleanData(stream_read(stream, 1, path)[0])
    if tag == DataTag.BIT_STRING:
        bits = ber_length._parsereport(stream, {}, path)
        return BitStringData(bits, stream_read(stream, (bits + 7) // 8, path))
    if tag == DataTag.OCTET_STRING:
        return OctetStringData(stream_read(stream, ber_length._parsereport(stream, {}, path), path))
    if tag in _STRING_TAGS:
        return StringData(tag, stream_read(stream, ber_length._parsereport(stream, {}, path), path))
    if tag in _FLOAT_FORMATS:
        return FloatData(tag, stream_read(stream, struct.calcsize(_FLOAT_FORMATS[tag]), path))
    if tag in _FIXED_OCTETS:
        return DateTimeData(tag, stream_read(stream, _FIXED_OCTETS[tag], path))
    raise _DataError(f"DLMS data type {tag.json_name} has no simple encoding", path=path)


def _parse_tagged(stream: Any, path: str, depth: int) -> DlmsData:
    raw = stream_read(stream, 1, path)[0]
    try:
        tag = DataTag(raw)
    except ValueError:
        raise _DataError(f"unknown DLMS data tag 0x{raw:02X}", path=path) from None
    return _parse_body(tag, stream, path, depth)


def _parse_described(desc: TypeDescription, stream: Any, path: str, depth: int) -> DlmsData:
    """One untagged compact-array element of type *desc*."""
    if desc.tag in (DataTag.ARRAY, DataTag.STRUCTURE):
        if depth >= MAX_DEPTH:
            raise _DataError("DLMS data nested too deeply", path=path)
        if desc.tag == DataTag.ARRAY:
            return ArrayData(tuple(_parse_described(desc.elements[0], stream, path, depth + 1)
                                   for _ in range(desc.count)))
        return StructureData(tuple(_parse_described(e, stream, path, depth + 1) for e in desc.elements))
    return _parse_simple(desc.tag, stream, path)


def _parse_compact(stream: Any, path: str, depth: int) -> CompactArrayData:
    desc = _parse_description(stream, path, depth)
    _check_description_sizes(desc, path)
    size = ber_length._parsereport(stream, {}, path)
    contents = io.BytesIO(stream_read(stream, size, path))
    items: list[DlmsData] = []
    while contents.tell() < size:
        if desc.min_size() > size - contents.tell():
            raise _DataError("compact-array contents end inside an element", path=path)
        items.append(_parse_described(desc, contents, path, depth + 1))
    return CompactArrayData(desc, tuple(items))


# Direct readers over a byte string: the same grammar as the stream parsers above, used on the
# decode path because they avoid a stream and a construct call per value. Each returns
# (value, position after it) and raises _DataError on malformed input.


def _take(data: bytes, pos: int, size: int) -> tuple[bytes, int]:
    end = pos + size
    if end > len(data):
        raise _DataError(f"DLMS data truncated: {size} bytes needed, {len(data) - pos} left")
    return data[pos:end], end


def _integer_reader(tag: DataTag, codec: Any) -> Callable[[bytes, int, int], tuple[DlmsData, int]]:
    unpack = struct.Struct(codec.fmtstr).unpack_from
    size = codec.sizeof()

    def read(data: bytes, pos: int, depth: int) -> tuple[DlmsData, int]:
        if pos + size > len(data):
            raise _DataError(f"DLMS {tag.json_name} truncated")
        return IntegerData(tag, unpack(data, pos)[0]), pos + size

    return read


def _read_items(tag: DataTag) -> Callable[[bytes, int, int], tuple[DlmsData, int]]:
    cls = ArrayData if tag == DataTag.ARRAY else StructureData

    def read(data: bytes, pos: int, depth: int) -> tuple[DlmsData, int]:
        if depth >= MAX_DEPTH:
            raise _DataError("DLMS data nested too deeply")
        end = len(data)
        if pos < end and data[pos] < 0x80:  # read_length's short form, inlined
            n = data[pos]
            pos += 1
        else:
            n, pos = read_length(data, pos)
        items = []
        readers = _READERS
        inner = depth + 1
        for _ in range(n):  # _read_tagged, inlined
            if pos >= end:
                raise _DataError("DLMS data truncated: tag missing")
            reader = readers.get(data[pos])
            if reader is None:
                raise _DataError(f"unknown DLMS data tag 0x{data[pos]:02X}")
            item, pos = reader(data, pos + 1, inner)
            items.append(item)
        return cls(tuple(items)), pos

    return read


def _read_null(data: bytes, pos: int, depth: int) -> tuple[DlmsData, int]:
    return NullData(), pos


def _read_boolean(data: bytes, pos: int, depth: int) -> tuple[DlmsData, int]:
    raw, pos = _take(data, pos, 1)
    return BooleanData(raw[0]), pos


def _read_bit_string(data: bytes, pos: int, depth: int) -> tuple[DlmsData, int]:
    bits, pos = read_length(data, pos)
    value, pos = _take(data, pos, (bits + 7) // 8)
    return BitStringData(bits, value), pos


def _read_octet_string(data: bytes, pos: int, depth: int) -> tuple[DlmsData, int]:
    if pos < len(data) and data[pos] < 0x80:  # read_length's short form, inlined
        n = data[pos]
        pos += 1
    else:
        n, pos = read_length(data, pos)
    end = pos + n
    if end > len(data):
        raise _DataError(f"DLMS data truncated: {n} bytes needed, {len(data) - pos} left")
    return OctetStringData(data[pos:end]), end


def _string_reader(tag: DataTag) -> Callable[[bytes, int, int], tuple[DlmsData, int]]:
    def read(data: bytes, pos: int, depth: int) -> tuple[DlmsData, int]:
        n, pos = read_length(data, pos)
        value, pos = _take(data, pos, n)
        return StringData(tag, value), pos

    return read


def _fixed_reader(tag: DataTag, cls: Any, size: int) -> Callable[[bytes, int, int], tuple[DlmsData, int]]:
    def read(data: bytes, pos: int, depth: int) -> tuple[DlmsData, int]:
        value, pos = _take(data, pos, size)
        return cls(tag, value), pos

    return read


_Described = Callable[[bytes, int], tuple[DlmsData, int]]


def _described_reader(desc: TypeDescription, depth: int) -> _Described:
    """A reader of one untagged compact-array element of type *desc*, made once per compact array
    (the same reads and checks as :func:`_read_described`)."""
    tag = desc.tag
    if tag == DataTag.ARRAY or tag == DataTag.STRUCTURE:
        if depth >= MAX_DEPTH:
            def too_deep(data: bytes, pos: int) -> tuple[DlmsData, int]:
                raise _DataError("DLMS data nested too deeply")

            return too_deep
        element_descs = (desc.elements[0],) * desc.count if tag == DataTag.ARRAY else desc.elements
        element_readers = tuple(_described_reader(e, depth + 1) for e in element_descs)
        cls = ArrayData if tag == DataTag.ARRAY else StructureData

        def read_items(data: bytes, pos: int) -> tuple[DlmsData, int]:
            items = []
            for read_element in element_readers:
                item, pos = read_element(data, pos)
                items.append(item)
            return cls(tuple(items)), pos

        return read_items
    reader = _SIMPLE_READERS.get(tag)
    if reader is None:
        def no_encoding(data: bytes, pos: int) -> tuple[DlmsData, int]:
            raise _DataError(f"DLMS data type {tag.json_name} has no simple encoding")

        return no_encoding
    return lambda data, pos: reader(data, pos, depth)


def _read_described(desc: TypeDescription, data: bytes, pos: int, depth: int) -> tuple[DlmsData, int]:
    """One untagged compact-array element of type *desc* (direct reader of :func:`_parse_described`)."""
    tag = desc.tag
    if tag == DataTag.ARRAY or tag == DataTag.STRUCTURE:
        if depth >= MAX_DEPTH:
            raise _DataError("DLMS data nested too deeply")
        items = []
        elements = (desc.elements[0],) * desc.count if tag == DataTag.ARRAY else desc.elements
        for element in elements:
            item, pos = _read_described(element, data, pos, depth + 1)
            items.append(item)
        return (ArrayData if tag == DataTag.ARRAY else StructureData)(tuple(items)), pos
    reader = _SIMPLE_READERS.get(tag)
    if reader is None:
        raise _DataError(f"DLMS data type {tag.json_name} has no simple encoding")
    return reader(data, pos, depth)


def _read_compact(data: bytes, pos: int, depth: int) -> tuple[DlmsData, int]:
    stream = io.BytesIO(data)
    stream.seek(pos)
    desc = _parse_description(stream, "(data)", depth)
    _check_description_sizes(desc, "(data)")
    size, pos = read_length(data, stream.tell())
    contents, pos = _take(data, pos, size)
    min_size = desc.min_size()
    items: list[DlmsData] = []
    offset = 0
    read_element = _described_reader(desc, depth + 1) if size else None
    while offset < size:
        if min_size > size - offset:
            raise _DataError("compact-array contents end inside an element")
        assert read_element is not None
        item, offset = read_element(contents, offset)
        items.append(item)
    return CompactArrayData(desc, tuple(items)), pos


_READERS: dict[int, Callable[[bytes, int, int], tuple[DlmsData, int]]] = {
    DataTag.NULL_DATA: _read_null,
    DataTag.ARRAY: _read_items(DataTag.ARRAY),
    DataTag.STRUCTURE: _read_items(DataTag.STRUCTURE),
    DataTag.BOOLEAN: _read_boolean,
    DataTag.BIT_STRING: _read_bit_string,
    DataTag.OCTET_STRING: _read_octet_string,
    DataTag.COMPACT_ARRAY: _read_compact,
    **{tag: _integer_reader(tag, codec) for tag, codec in _INTEGER_CODECS.items()},
    **{tag: _string_reader(tag) for tag in _STRING_TAGS},
    **{tag: _fixed_reader(tag, FloatData, struct.calcsize(fmt)) for tag, fmt in _FLOAT_FORMATS.items()},
    **{tag: _fixed_reader(tag, DateTimeData, size) for tag, size in _FIXED_OCTETS.items()},
}


_SIMPLE_READERS = {
    tag: reader for tag, reader in _READERS.items()
    if tag not in (DataTag.NULL_DATA, DataTag.ARRAY, DataTag.STRUCTURE, DataTag.COMPACT_ARRAY)
}


def _read_tagged(data: bytes, pos: int, depth: int) -> tuple[DlmsData, int]:
    """One tagged Data value at ``data[pos]`` (direct reader of :data:`dlms_data`)."""
    if pos >= len(data):
        raise _DataError("DLMS data truncated: tag missing")
    raw = data[pos]
    reader = _READERS.get(raw)
    if reader is None:
        raise _DataError(f"unknown DLMS data tag 0x{raw:02X}")
    return reader(data, pos + 1, depth)


def read_data(data: bytes, pos: int) -> tuple[DlmsData, int]:
    """Read one tagged ``Data`` value starting at ``data[pos]``: (value, position after it).

    Raises ConstructError subclasses on malformed input (callers map them to FrameError).
    """
    return _read_tagged(data, pos, 0)


def _build_tagged(value: DlmsData, stream: Any, path: str, depth: int) -> None:
    if not isinstance(value, DlmsData):
        raise _DataError(f"not a DLMS data value: {value!r}", path=path)
    stream_write(stream, bytes([int(value.tag)]), 1, path)
    _build_body(value, stream, path, depth)


def _build_body(value: DlmsData, stream: Any, path: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise _DataError("DLMS data nested too deeply", path=path)
    if isinstance(value, NullData):
        return
    if isinstance(value, _Items):
        ber_length._build(len(value.items), stream, {}, path)
        for item in value.items:
            _build_tagged(item, stream, path, depth + 1)
        return
    if isinstance(value, CompactArrayData):
        _build_description(value.description, stream, path)
        _check_description_sizes(value.description, path)
        contents = io.BytesIO()
        for item in value.items:
            _build_described(value.description, item, contents, path, depth + 1)
        data = contents.getvalue()
        ber_length._build(len(data), stream, {}, path)
        stream_write(stream, data, len(data), path)
        return
    _build_simple(value, stream, path)


def _build_simple(value: DlmsData, stream: Any, path: str) -> None:
    if isinstance(value, IntegerData):
        if value.tag not in _INTEGER_CODECS:
            raise _DataError(f"{value.tag.json_name} is not an integer type", path=path)
        _INTEGER_CODECS[value.tag]._build(value.value, stream, {}, path)
    elif isinstance(value, BooleanData):
        Int8ub._build(value.raw, stream, {}, path)
    elif isinstance(value, BitStringData):
        if len(value.data) != (value.bit_count + 7) // 8:
            raise _DataError(f"bit-string of {value.bit_count} bits needs {(value.bit_count + 7) // 8} bytes",
                             path=path)
        ber_length._build(value.bit_count, stream, {}, path)
        stream_write(stream, value.data, len(value.data), path)
    elif isinstance(value, (OctetStringData, StringData)):
        if isinstance(value, StringData) and value.tag not in _STRING_TAGS:
            raise _DataError(f"{value.tag.json_name} is not a string type", path=path)
        ber_length._build(len(value.value), stream, {}, path)
        stream_write(stream, value.value, len(value.value), path)
    elif isinstance(value, FloatData):
        fmt = _FLOAT_FORMATS.get(value.tag)
        _write_fixed(value.raw, struct.calcsize(fmt) if fmt else -1, stream, path)
    elif isinstance(value, DateTimeData):
        _write_fixed(value.raw, _FIXED_OCTETS.get(value.tag, -1), stream, path)
    else:
        raise _DataError(f"cannot encode {type(value).__name__}", path=path)


def _write_fixed(raw: bytes, size: int, stream: Any, path: str) -> None:
    if len(raw) != size:
        raise _DataError(f"value needs {size} bytes, got {len(raw)}", path=path)
    stream_write(stream, raw, size, path)


def _build_described(desc: TypeDescription, value: DlmsData, stream: Any, path: str, depth: int) -> None:
    """One untagged compact-array element; *value* must match *desc*."""
    if depth > MAX_DEPTH:
        raise _DataError("DLMS data nested too deeply", path=path)
    if value.tag != desc.tag:
        raise _DataError(f"compact-array element {value.tag.json_name} does not match {desc.tag.json_name}",
                         path=path)
    if isinstance(value, ArrayData):
        if len(value.items) != desc.count:
            raise _DataError(f"compact-array element needs {desc.count} array items", path=path)
        for item in value.items:
            _build_described(desc.elements[0], item, stream, path, depth + 1)
    elif isinstance(value, StructureData):
        if len(value.items) != len(desc.elements):
            raise _DataError(f"compact-array element needs {len(desc.elements)} structure items", path=path)
        for item, element in zip(value.items, desc.elements, strict=True):
            _build_described(element, item, stream, path, depth + 1)
    else:
        _build_simple(value, stream, path)


class AxdrData(Construct):
    """One tagged A-XDR ``Data`` value, parsed to and built from :class:`DlmsData` (Green Book 9.5)."""

    def _parse(self, stream: Any, context: Any, path: str) -> DlmsData:
        return _parse_tagged(stream, path, 0)

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> Any:
        _build_tagged(obj, stream, path, 0)
        return obj

    def _sizeof(self, context: Any, path: str) -> int:
        raise SizeofError("DLMS data has a variable size", path=path)


dlms_data = AxdrData()
"""The construct for one DLMS ``Data`` value (GBCS 5.11, Green Book 9.5)."""


def decode_data(data: bytes) -> DlmsData:
    """Decode exactly one tagged ``Data`` value filling *data*; anything malformed is a FrameError."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise FrameError("DLMS data must be bytes")
    data = bytes(data)
    try:
        value, end = _read_tagged(data, 0, 0)
    except (ConstructError, ValueError, struct.error, RecursionError) as exc:
        raise FrameError(f"malformed DLMS data: {exc}") from exc
    if end != len(data):
        raise FrameError(f"{len(data) - end} trailing bytes after DLMS data")
    return value


# --------------------------------------------------------------------------- protected blobs


def _is_protection_parameters(value: DlmsData) -> bool:
    """An array of (protection-type enum, protection-options structure) pairs (Blue Book class 30)."""
    return (
        isinstance(value, ArrayData)
        and bool(value.items)
        and all(
            isinstance(item, StructureData) and len(item.items) == 2 and isinstance(item.items[0], IntegerData)
            and item.items[0].tag == DataTag.ENUM
            for item in value.items
        )
    )


def attach_decrypted(value: DlmsData, decrypt: Callable[[bytes], bytes], depth: int = 0) -> DlmsData:
    """Return *value* with every protected blob decrypted into its ``decrypted`` field.

    A blob is an octet string starting ``31 00 00 00 00`` that follows protection
    parameters in the same structure (GBCS 5.11 "Data protection", GBCS 3.6 of the digest).
    Errors from *decrypt* propagate unchanged; a plaintext that is not one DLMS Data
    value is a FrameError.
    """
    if depth > MAX_DEPTH or not isinstance(value, (ArrayData, StructureData)):
        return value
    items = list(value.items)
    changed = False
    for index, item in enumerate(items):
        if (
            isinstance(value, StructureData)
            and isinstance(item, OctetStringData)
            and item.is_protected
            and index > 0
            and _is_protection_parameters(items[index - 1])
        ):
            plaintext = decrypt(item.value)
            try:
                inner = decode_data(plaintext)
            except FrameError as exc:
                raise FrameError(f"decrypted protected data is not DLMS data: {exc}") from exc
            items[index] = replace(item, decrypted=inner)
            changed = True
        else:
            new = attach_decrypted(item, decrypt, depth + 1)
            if new is not item:
                items[index] = new
                changed = True
    return replace(value, items=tuple(items)) if changed else value


# --------------------------------------------------------------------------- JSON


def _json_tag(obj: Any, depth: int, what: str) -> DataTag:
    """The data type of a JSON DLMS value or type description *obj*, at nesting *depth*."""
    if depth > MAX_DEPTH:
        raise EncodeError(f"{what} nested too deeply")
    if not isinstance(obj, dict):
        raise EncodeError(f"{what} must be an object, got {obj!r}")
    return DataTag.from_json_name(obj.get("type"))


def _from_json(obj: Any, depth: int) -> DlmsData:
    tag = _json_tag(obj, depth, "DLMS data")
    if tag == DataTag.NULL_DATA:
        return NullData()
    if tag in (DataTag.ARRAY, DataTag.STRUCTURE):
        items = tuple(_from_json(item, depth + 1) for item in json_list(obj, "value"))
        return ArrayData(items) if tag == DataTag.ARRAY else StructureData(items)
    if tag == DataTag.COMPACT_ARRAY:
        desc = TypeDescription.from_json(obj.get("description"))
        return CompactArrayData(desc, tuple(_from_json(item, depth + 1) for item in json_list(obj, "value")))
    if tag in _INTEGER_CODECS:
        return IntegerData(tag, json_int(obj, "value"))
    if tag == DataTag.BOOLEAN:
        value = obj.get("value")
        if not isinstance(value, bool):
            raise EncodeError(f"boolean value must be true or false, got {value!r}")
        raw = obj.get("raw")
        if isinstance(raw, int) and not isinstance(raw, bool) and (raw != 0) == value:
            return BooleanData(raw)
        return BooleanData(0xFF if value else 0x00)
    if tag == DataTag.BIT_STRING:
        return BitStringData(json_int(obj, "bit_count"), json_hex(obj, "value"))
    if tag == DataTag.OCTET_STRING:
        return OctetStringData(json_hex(obj, "value"))
    if tag in _STRING_TAGS:
        if "hex" in obj:
            return StringData(tag, json_hex(obj, "hex"))
        text = obj.get("value")
        if not isinstance(text, str):
            raise EncodeError(f"string value must be text, got {text!r}")
        try:
            return StringData(tag, text.encode("utf-8" if tag == DataTag.UTF8_STRING else "ascii"))
        except UnicodeEncodeError:
            raise EncodeError(f"{text!r} is not a valid {tag.json_name}") from None
    if tag in _FLOAT_FORMATS:
        number = obj.get("value")
        if isinstance(number, (int, float)) and not isinstance(number, bool):
            return FloatData.of(tag, float(number))
        return FloatData(tag, json_hex(obj, "hex"))
    if tag in _FIXED_OCTETS:
        return DateTimeData(tag, json_hex(obj, "value"))
    raise EncodeError(f"cannot rebuild DLMS data type {tag.json_name}")
