"""ZCL typed attribute values: a data type code followed by a value of that type (ZCL r6 2.6.2).

Fixed-size integers, bitmaps and times are little-endian; strings carry a 1- or 2-byte length;
arrays, sets and bags carry an element type and count; structures carry typed members. Values
are JSON-native (see :mod:`.zcl_fields`); nesting is bounded by :data:`MAX_VALUE_DEPTH`.
"""

from __future__ import annotations

from typing import Any

from construct import Construct, ConstructError, Struct, stream_read, stream_write, this

from smets_emu.protocols.payloads.zcl_fields import (
    ZclDataType,
    ZclDataTypeField,
    enum_value,
    hex_to_bytes,
    utc_json,
)

MAX_VALUE_DEPTH = 8
"""Deepest nesting of ZCL arrays/structures accepted (protects the decoder's stack)."""



# kind, size in bytes
_FIXED: dict[int, tuple[str, int]] = {}
for _code in range(0x08, 0x10):
    _FIXED[_code] = ("hex", _code - 0x07)
_FIXED[0x10] = ("uint", 1)
for _code in range(0x18, 0x20):
    _FIXED[_code] = ("uint", _code - 0x17)
for _code in range(0x20, 0x28):
    _FIXED[_code] = ("uint", _code - 0x1F)
for _code in range(0x28, 0x30):
    _FIXED[_code] = ("int", _code - 0x27)
_FIXED.update({
    0x30: ("uint", 1), 0x31: ("uint", 2),
    0x38: ("hex", 2), 0x39: ("hex", 4), 0x3A: ("hex", 8),
    0xE0: ("hex", 4), 0xE1: ("hex", 4), 0xE2: ("utc", 4),
    0xE8: ("uint", 2), 0xE9: ("uint", 2), 0xEA: ("uint", 4),
    0xF0: ("hex", 8), 0xF1: ("hex", 16),
})
_STRINGS: dict[int, tuple[int, bool]] = {0x41: (1, False), 0x42: (1, True), 0x43: (2, False), 0x44: (2, True)}
_SEQUENCES = {0x48, 0x50, 0x51}
ANALOG_TYPES = frozenset(
    list(range(0x20, 0x30)) + [0x38, 0x39, 0x3A, 0xE0, 0xE1, 0xE2]
)
"""Data types whose reportable change is present in Configure Reporting (ZCL 2.6.2 'analog')."""


def type_name(code: int) -> str | int:
    """Readable name of a data type code, or the code itself when unknown."""
    try:
        return ZclDataType(code).name
    except ValueError:
        return code


def type_code(obj: Any, path: str) -> int:
    """The data type code (ZCL 2.6.2, Table 2-10) of an enum name, member or integer."""
    try:
        code = enum_value(obj, ZclDataType)
    except ConstructError as exc:
        raise ConstructError(str(exc), path=path) from exc
    if not 0 <= code <= 0xFF:
        raise ConstructError(f"data type {code} out of range", path=path)
    return code


def parse_value(stream: Any, code: int, depth: int, path: str) -> Any:
    """Read one value of data type *code* from *stream* (JSON-native; *depth* counts nesting)."""
    if depth > MAX_VALUE_DEPTH:
        raise ConstructError("ZCL value nested too deeply", path=path)
    if code == 0x00:
        return None
    if code in _FIXED:
        kind, size = _FIXED[code]
        raw = stream_read(stream, size, path)
        if kind == "hex":
            return raw.hex().upper()
        value = int.from_bytes(raw, "little", signed=(kind == "int"))
        return utc_json(value) if kind == "utc" else value
    if code in _STRINGS:
        width, text = _STRINGS[code]
        length = int.from_bytes(stream_read(stream, width, path), "little")
        raw = stream_read(stream, length, path)
        return raw.decode("latin-1") if text else raw.hex().upper()
    if code in _SEQUENCES:
        element = stream_read(stream, 1, path)[0]
        count = int.from_bytes(stream_read(stream, 2, path), "little")
        if element == 0x00 and count:
            raise ConstructError("array of no-data elements", path=path)
        items = [parse_value(stream, element, depth + 1, path) for _ in range(count)]
        return {"element_type": type_name(element), "elements": items}
    if code == 0x4C:
        count = int.from_bytes(stream_read(stream, 2, path), "little")
        members = []
        for _ in range(count):
            member_type = stream_read(stream, 1, path)[0]
            members.append({"type": type_name(member_type),
                            "value": parse_value(stream, member_type, depth + 1, path)})
        return {"members": members}
    raise ConstructError(f"unsupported ZCL data type 0x{code:02X}", path=path)


def _int_of(obj: Any, path: str) -> int:
    if isinstance(obj, dict) and "utc" in obj:
        obj = obj["utc"]
    if isinstance(obj, bool) or not isinstance(obj, int):
        raise ConstructError(f"expected an integer, got {obj!r}", path=path)
    return obj


def build_value(obj: Any, stream: Any, code: int, depth: int, path: str) -> None:
    """Write *obj* as a value of data type *code* to *stream* (inverse of :func:`parse_value`)."""
    if depth > MAX_VALUE_DEPTH:
        raise ConstructError("ZCL value nested too deeply", path=path)
    if code == 0x00:
        return
    if code in _FIXED:
        kind, size = _FIXED[code]
        if kind == "hex":
            raw = hex_to_bytes(obj, path)
            if len(raw) != size:
                raise ConstructError(f"expected {size} bytes, got {len(raw)}", path=path)
        else:
            try:
                raw = _int_of(obj, path).to_bytes(size, "little", signed=(kind == "int"))
            except OverflowError as exc:
                raise ConstructError(f"value {obj!r} does not fit {size} bytes", path=path) from exc
        stream_write(stream, raw, size, path)
        return
    if code in _STRINGS:
        width, text = _STRINGS[code]
        if text:
            if not isinstance(obj, str):
                raise ConstructError(f"expected text, got {obj!r}", path=path)
            try:
                raw = obj.encode("latin-1")
            except UnicodeEncodeError as exc:
                raise ConstructError("text not representable in latin-1", path=path) from exc
        else:
            raw = hex_to_bytes(obj, path)
        if len(raw) >= 1 << (8 * width):
            raise ConstructError("string too long", path=path)
        stream_write(stream, len(raw).to_bytes(width, "little"), width, path)
        stream_write(stream, raw, len(raw), path)
        return
    if not isinstance(obj, dict):
        raise ConstructError(f"expected an object for data type 0x{code:02X}", path=path)
    if code in _SEQUENCES:
        element = type_code(obj.get("element_type"), path)
        items = obj.get("elements")
        if not isinstance(items, list) or len(items) > 0xFFFF:
            raise ConstructError("invalid array elements", path=path)
        stream_write(stream, bytes([element]) + len(items).to_bytes(2, "little"), 3, path)
        for item in items:
            build_value(item, stream, element, depth + 1, path)
        return
    if code == 0x4C:
        members = obj.get("members")
        if not isinstance(members, list) or len(members) > 0xFFFF:
            raise ConstructError("invalid structure members", path=path)
        stream_write(stream, len(members).to_bytes(2, "little"), 2, path)
        for member in members:
            if not isinstance(member, dict):
                raise ConstructError("invalid structure member", path=path)
            member_type = type_code(member.get("type"), path)
            stream_write(stream, bytes([member_type]), 1, path)
            build_value(member.get("value"), stream, member_type, depth + 1, path)
        return
    raise ConstructError(f"unsupported ZCL data type 0x{code:02X}", path=path)


class ZclValue(Construct):
    """A ZCL value whose data type is given by a context function (ZCL 2.6.2)."""

    def __init__(self, type_func: Any) -> None:
        super().__init__()
        self.type_func = type_func

    def _parse(self, stream: Any, context: Any, path: str) -> Any:
        return parse_value(stream, type_code(self.type_func(context), path), 0, path)

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> Any:
        build_value(obj, stream, type_code(self.type_func(context), path), 0, path)
        return obj


TypedValue = Struct("type" / ZclDataTypeField, "value" / ZclValue(this.type))
"""A data type byte followed by a value of that type (ZCL 2.5.1 attribute records)."""
