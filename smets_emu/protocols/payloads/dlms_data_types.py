"""A-XDR Data types (DLMS Green Book 9.5 "Data", Blue Book 4.1.5; GBCS 5.11): the type tags, their
fixed sizes and codecs, the informative renderings of dates, times and OBIS codes, and the type
descriptions of compact arrays.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

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
    stream_read,
    stream_write,
)
from construct.core import ConstructError

from smets_emu.errors import EncodeError
from smets_emu.protocols.lengths import ber_length
from smets_emu.protocols.payloads.json_fields import json_int, json_list

MAX_DEPTH = 48
"""Deepest nesting of arrays/structures accepted (decoding and JSON)."""

PROTECTED_PREFIX = b"\x31\x00\x00\x00\x00"
"""Start of a GBCS protected blob: security header ``31`` and a zero invocation counter (GBCS 7.3.3)."""

PROTECTION_OVERHEAD = 12 + 5  # protected prefix plus a 12-byte GCM tag


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


INTEGER_CODECS: dict[DataTag, Construct] = {
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

FLOAT_FORMATS: dict[DataTag, str] = {DataTag.FLOATING_POINT: ">f", DataTag.FLOAT32: ">f", DataTag.FLOAT64: ">d"}
FIXED_OCTETS: dict[DataTag, int] = {DataTag.DATE_TIME: 12, DataTag.DATE: 5, DataTag.TIME: 4}
STRING_TAGS = frozenset({DataTag.VISIBLE_STRING, DataTag.UTF8_STRING})


class DataError(ConstructError):
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


def describe_fixed(value: bytes) -> tuple[str, str] | None:
    """A 12, 5 or 4-byte value read as a COSEM date-time, date or time (Blue Book 4.1.6.1): the data type's
    JSON key (``"date_time"``, ``"date"``, ``"time"``) and the readable text; None when it reads as none."""
    key, describe = _FIXED_READINGS.get(len(value), ("", None))
    text = describe(value) if describe else None
    return None if text is None else (key, text)


_FIXED_READINGS = {12: ("date_time", describe_date_time), 5: ("date", describe_date), 4: ("time", describe_time)}


def printable(value: bytes) -> str | None:
    if value and all(0x20 <= b < 0x7F for b in value):
        return value.decode("ascii")
    return None


# --------------------------------------------------------------------------- type descriptions


def json_tag(obj: Any, depth: int, what: str) -> DataTag:
    """The data type of a JSON DLMS value or type description *obj*, at nesting *depth*."""
    if depth > MAX_DEPTH:
        raise EncodeError(f"{what} nested too deeply")
    if not isinstance(obj, dict):
        raise EncodeError(f"{what} must be an object, got {obj!r}")
    return DataTag.from_json_name(obj.get("type"))


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
        tag = json_tag(obj, depth, "type description")
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
        if self.tag in INTEGER_CODECS:
            return INTEGER_CODECS[self.tag].sizeof()
        if self.tag in FLOAT_FORMATS:
            return struct.calcsize(FLOAT_FORMATS[self.tag])
        if self.tag in FIXED_OCTETS:
            return FIXED_OCTETS[self.tag]
        if self.tag == DataTag.NULL_DATA:
            return 0
        return 1  # boolean, or a length-prefixed string


def parse_description(stream: Any, path: str, depth: int) -> TypeDescription:
    if depth > MAX_DEPTH:
        raise DataError("type description nested too deeply", path=path)
    raw = stream_read(stream, 1, path)[0]
    try:
        tag = DataTag(raw)
    except ValueError:
        raise DataError(f"unknown type description tag 0x{raw:02X}", path=path) from None
    if tag == DataTag.COMPACT_ARRAY:
        raise DataError("compact-array inside a type description", path=path)
    if tag == DataTag.ARRAY:
        count = Int16ub._parsereport(stream, {}, path)
        return TypeDescription(tag, (parse_description(stream, path, depth + 1),), count)
    if tag == DataTag.STRUCTURE:
        n = ber_length._parsereport(stream, {}, path)
        return TypeDescription(tag, tuple(parse_description(stream, path, depth + 1) for _ in range(n)))
    return TypeDescription(tag)


def build_description(desc: TypeDescription, stream: Any, path: str) -> None:
    stream_write(stream, bytes([desc.tag]), 1, path)
    if desc.tag == DataTag.ARRAY:
        if len(desc.elements) != 1:
            raise DataError("an array description needs exactly one element type", path=path)
        Int16ub._build(desc.count, stream, {}, path)
        build_description(desc.elements[0], stream, path)
    elif desc.tag == DataTag.STRUCTURE:
        ber_length._build(len(desc.elements), stream, {}, path)
        for element in desc.elements:
            build_description(element, stream, path)
    elif desc.tag == DataTag.COMPACT_ARRAY:
        raise DataError("compact-array inside a type description", path=path)


def check_description_sizes(desc: TypeDescription, path: str) -> None:
    """Refuse element types that can take no bytes (they would repeat without end)."""
    if desc.min_size() == 0:
        raise DataError(f"compact-array element type {desc.tag.json_name} takes no bytes", path=path)
    for element in desc.elements:
        check_description_sizes(element, path)




def build_checked(construct: Any, value: Any, what: str) -> bytes:
    """*value* built by *construct*, whatever it raises on a value it cannot hold turned into one
    :class:`EncodeError` ("cannot encode *what*")."""
    try:
        return construct.build(value)
    except EncodeError:
        raise
    except (ConstructError, ValueError, TypeError, OverflowError, struct.error, RecursionError) as exc:
        raise EncodeError(f"cannot encode {what}: {exc}") from exc
