"""ZigBee Cluster Library framing used inside GBZ components (ZCL r6 2.4, 2.5, 2.6).

- :data:`ZclHeaderStruct`: frame control (frame type, manufacturer-specific, direction,
  disable-default-response), optional manufacturer code, transaction sequence number, command id.
- Profile-wide ("general") command payloads: Read Attributes (0x00), Read Attributes Response
  (0x01), Write Attributes (0x02/0x03/0x05) and Response (0x04), Configure Reporting (0x06) and
  Response (0x07), Read Reporting Configuration (0x08), Report Attributes (0x0A), Default Response
  (0x0B), Discover Attributes (0x0C/0x0D), Discover Commands (0x11-0x14), Discover Attributes
  Extended (0x15/0x16).
- ZCL data types (ZCL 2.6.2) with little-endian values, as a typed-value construct.

Parsed containers are JSON-native: integers, upper-case hex strings for opaque bytes, latin-1
text for character strings, enum names for statuses and data types, and ``{"utc": n, "iso": ...}``
for UTCTime values (``iso`` is informative).
"""

from __future__ import annotations

import datetime as _dt
import enum
from dataclasses import dataclass
from typing import Any

from construct import (
    Adapter,
    BitsInteger,
    BitStruct,
    Construct,
    ConstructError,
    Enum,
    Flag,
    GreedyBytes,
    GreedyRange,
    If,
    Int8ub,
    Int16ul,
    Int32ul,
    Prefixed,
    Struct,
    stream_read,
    stream_write,
    this,
)

from smets_emu.errors import EncodeError, FrameError
from smets_emu.protocols.timestamps import gbz_seconds_to_datetime

MAX_VALUE_DEPTH = 8
"""Deepest nesting of ZCL arrays/structures accepted (protects the decoder's stack)."""


class ZclFrameType(enum.IntEnum):
    """Frame control bits 0-1 (ZCL 2.4.1.1.1)."""

    PROFILE_WIDE = 0
    CLUSTER_SPECIFIC = 1
    RESERVED_2 = 2
    RESERVED_3 = 3


class ZclDirection(enum.IntEnum):
    """Frame control bit 3 (ZCL 2.4.1.1.3)."""

    CLIENT_TO_SERVER = 0
    SERVER_TO_CLIENT = 1


class ZclStatus(enum.IntEnum):
    """ZCL status codes (ZCL 2.5.3, Table 2-12)."""

    SUCCESS = 0x00
    FAILURE = 0x01
    NOT_AUTHORIZED = 0x7E
    RESERVED_FIELD_NOT_ZERO = 0x7F
    MALFORMED_COMMAND = 0x80
    UNSUP_CLUSTER_COMMAND = 0x81
    UNSUP_GENERAL_COMMAND = 0x82
    UNSUP_MANUF_CLUSTER_COMMAND = 0x83
    UNSUP_MANUF_GENERAL_COMMAND = 0x84
    INVALID_FIELD = 0x85
    UNSUPPORTED_ATTRIBUTE = 0x86
    INVALID_VALUE = 0x87
    READ_ONLY = 0x88
    INSUFFICIENT_SPACE = 0x89
    DUPLICATE_EXISTS = 0x8A
    NOT_FOUND = 0x8B
    UNREPORTABLE_ATTRIBUTE = 0x8C
    INVALID_DATA_TYPE = 0x8D
    INVALID_SELECTOR = 0x8E
    WRITE_ONLY = 0x8F
    INCONSISTENT_STARTUP_STATE = 0x90
    DEFINED_OUT_OF_BAND = 0x91
    INCONSISTENT = 0x92
    ACTION_DENIED = 0x93
    TIMEOUT = 0x94
    ABORT = 0x95
    INVALID_IMAGE = 0x96
    WAIT_FOR_DATA = 0x97
    NO_IMAGE_AVAILABLE = 0x98
    REQUIRE_MORE_IMAGE = 0x99
    NOTIFICATION_PENDING = 0x9A
    HARDWARE_FAILURE = 0xC0
    SOFTWARE_FAILURE = 0xC1
    CALIBRATION_ERROR = 0xC2
    UNSUPPORTED_CLUSTER = 0xC3


class ZclDataType(enum.IntEnum):
    """ZCL data type identifiers (ZCL 2.6.2, Table 2-10)."""

    NO_DATA = 0x00
    DATA8 = 0x08
    DATA16 = 0x09
    DATA24 = 0x0A
    DATA32 = 0x0B
    DATA40 = 0x0C
    DATA48 = 0x0D
    DATA56 = 0x0E
    DATA64 = 0x0F
    BOOLEAN = 0x10
    BITMAP8 = 0x18
    BITMAP16 = 0x19
    BITMAP24 = 0x1A
    BITMAP32 = 0x1B
    BITMAP40 = 0x1C
    BITMAP48 = 0x1D
    BITMAP56 = 0x1E
    BITMAP64 = 0x1F
    UINT8 = 0x20
    UINT16 = 0x21
    UINT24 = 0x22
    UINT32 = 0x23
    UINT40 = 0x24
    UINT48 = 0x25
    UINT56 = 0x26
    UINT64 = 0x27
    INT8 = 0x28
    INT16 = 0x29
    INT24 = 0x2A
    INT32 = 0x2B
    INT40 = 0x2C
    INT48 = 0x2D
    INT56 = 0x2E
    INT64 = 0x2F
    ENUM8 = 0x30
    ENUM16 = 0x31
    SEMI_FLOAT = 0x38
    SINGLE_FLOAT = 0x39
    DOUBLE_FLOAT = 0x3A
    OCTET_STRING = 0x41
    CHARACTER_STRING = 0x42
    LONG_OCTET_STRING = 0x43
    LONG_CHARACTER_STRING = 0x44
    ARRAY = 0x48
    STRUCTURE = 0x4C
    SET = 0x50
    BAG = 0x51
    TIME_OF_DAY = 0xE0
    DATE = 0xE1
    UTC_TIME = 0xE2
    CLUSTER_ID = 0xE8
    ATTRIBUTE_ID = 0xE9
    BACNET_OID = 0xEA
    IEEE_ADDRESS = 0xF0
    SECURITY_KEY = 0xF1
    UNKNOWN = 0xFF


# --- small JSON-native building blocks --------------------------------------------------


class HexAdapter(Adapter):
    """Opaque bytes shown as an upper-case hex string."""

    def _decode(self, obj: bytes, context: Any, path: str) -> str:
        return obj.hex().upper()

    def _encode(self, obj: Any, context: Any, path: str) -> bytes:
        return _hex_to_bytes(obj, path)


class Latin1Adapter(Adapter):
    """ZCL character-string bytes as text (latin-1, so every byte value round-trips)."""

    def _decode(self, obj: bytes, context: Any, path: str) -> str:
        return obj.decode("latin-1")

    def _encode(self, obj: Any, context: Any, path: str) -> bytes:
        if not isinstance(obj, str):
            raise ConstructError(f"expected text, got {type(obj).__name__}", path=path)
        try:
            return obj.encode("latin-1")
        except UnicodeEncodeError as exc:
            raise ConstructError(f"text not representable in latin-1: {exc}", path=path) from exc


class UtcTimeAdapter(Adapter):
    """ZCL UTCTime: seconds since 2000-01-01 UTC, shown as ``{"utc": n, "iso": ...}`` (ZCL 2.6.2.16)."""

    def _decode(self, obj: int, context: Any, path: str) -> dict[str, Any]:
        return utc_json(obj)

    def _encode(self, obj: Any, context: Any, path: str) -> int:
        if isinstance(obj, dict):
            obj = obj.get("utc")
        if isinstance(obj, bool) or not isinstance(obj, int):
            raise ConstructError(f"invalid UTCTime {obj!r}", path=path)
        return obj


def utc_json(seconds: int) -> dict[str, Any]:
    """JSON form of a 2000-epoch timestamp: the seconds plus a readable ISO string."""
    out: dict[str, Any] = {"utc": seconds}
    if seconds == 0xFFFFFFFF:
        out["iso"] = "undefined"
    else:
        out["iso"] = gbz_seconds_to_datetime(seconds).strftime("%Y-%m-%dT%H:%M:%SZ")
    return out


def iso_of(seconds: int) -> str:
    """ISO-8601 rendering of a 2000-epoch timestamp."""
    when = _dt.datetime(2000, 1, 1, tzinfo=_dt.UTC) + _dt.timedelta(seconds=seconds)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _hex_to_bytes(obj: Any, path: str) -> bytes:
    if isinstance(obj, bytes | bytearray):
        return bytes(obj)
    if not isinstance(obj, str):
        raise ConstructError(f"expected a hex string, got {type(obj).__name__}", path=path)
    try:
        return bytes.fromhex(obj)
    except ValueError as exc:
        raise ConstructError(f"invalid hex {obj!r}", path=path) from exc


UtcTime = UtcTimeAdapter(Int32ul)
"""ZCL UTCTime, 4 bytes little-endian (ZCL 2.6.2.16)."""

OctetString = HexAdapter(Prefixed(Int8ub, GreedyBytes))
"""ZCL octet string: 1-byte length then bytes (ZCL 2.6.2.12), shown as hex."""

CharacterString = Latin1Adapter(Prefixed(Int8ub, GreedyBytes))
"""ZCL character string: 1-byte length then characters (ZCL 2.6.2.13)."""

ZclDate = Struct(
    "year_since_1900" / Int8ub,
    "month" / Int8ub,
    "day_of_month" / Int8ub,
    "day_of_week" / Int8ub,
)
"""ZCL Date, 4 bytes; ``0xFF`` in a field means "any" (ZCL 2.6.2.15)."""

ZclStatusField = Enum(Int8ub, ZclStatus)
"""A one-byte ZCL status (ZCL 2.5.3)."""

ZclDataTypeField = Enum(Int8ub, ZclDataType)
"""A one-byte ZCL data type identifier (ZCL 2.6.2)."""


def enum_value(obj: Any, enum_cls: type[enum.IntEnum]) -> int:
    """The integer behind an enum name, an enum member or a plain integer."""
    if isinstance(obj, bool):
        raise ConstructError(f"invalid {enum_cls.__name__} {obj!r}")
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, str):
        try:
            return int(enum_cls[obj])
        except KeyError:
            pass
    raise ConstructError(f"invalid {enum_cls.__name__} {obj!r}")


def _is_success(ctx: Any) -> bool:
    return enum_value(ctx.status, ZclStatus) == ZclStatus.SUCCESS


# --- typed values ------------------------------------------------------------------------

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


def _type_code(obj: Any, path: str) -> int:
    try:
        code = enum_value(obj, ZclDataType)
    except ConstructError as exc:
        raise ConstructError(str(exc), path=path) from exc
    if not 0 <= code <= 0xFF:
        raise ConstructError(f"data type {code} out of range", path=path)
    return code


def _parse_value(stream: Any, code: int, depth: int, path: str) -> Any:
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
        items = [_parse_value(stream, element, depth + 1, path) for _ in range(count)]
        return {"element_type": type_name(element), "elements": items}
    if code == 0x4C:
        count = int.from_bytes(stream_read(stream, 2, path), "little")
        members = []
        for _ in range(count):
            member_type = stream_read(stream, 1, path)[0]
            members.append({"type": type_name(member_type),
                            "value": _parse_value(stream, member_type, depth + 1, path)})
        return {"members": members}
    raise ConstructError(f"unsupported ZCL data type 0x{code:02X}", path=path)


def _int_of(obj: Any, path: str) -> int:
    if isinstance(obj, dict) and "utc" in obj:
        obj = obj["utc"]
    if isinstance(obj, bool) or not isinstance(obj, int):
        raise ConstructError(f"expected an integer, got {obj!r}", path=path)
    return obj


def _build_value(obj: Any, stream: Any, code: int, depth: int, path: str) -> None:
    if depth > MAX_VALUE_DEPTH:
        raise ConstructError("ZCL value nested too deeply", path=path)
    if code == 0x00:
        return
    if code in _FIXED:
        kind, size = _FIXED[code]
        if kind == "hex":
            raw = _hex_to_bytes(obj, path)
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
            raw = _hex_to_bytes(obj, path)
        if len(raw) >= 1 << (8 * width):
            raise ConstructError("string too long", path=path)
        stream_write(stream, len(raw).to_bytes(width, "little"), width, path)
        stream_write(stream, raw, len(raw), path)
        return
    if not isinstance(obj, dict):
        raise ConstructError(f"expected an object for data type 0x{code:02X}", path=path)
    if code in _SEQUENCES:
        element = _type_code(obj.get("element_type"), path)
        items = obj.get("elements")
        if not isinstance(items, list) or len(items) > 0xFFFF:
            raise ConstructError("invalid array elements", path=path)
        stream_write(stream, bytes([element]) + len(items).to_bytes(2, "little"), 3, path)
        for item in items:
            _build_value(item, stream, element, depth + 1, path)
        return
    if code == 0x4C:
        members = obj.get("members")
        if not isinstance(members, list) or len(members) > 0xFFFF:
            raise ConstructError("invalid structure members", path=path)
        stream_write(stream, len(members).to_bytes(2, "little"), 2, path)
        for member in members:
            if not isinstance(member, dict):
                raise ConstructError("invalid structure member", path=path)
            member_type = _type_code(member.get("type"), path)
            stream_write(stream, bytes([member_type]), 1, path)
            _build_value(member.get("value"), stream, member_type, depth + 1, path)
        return
    raise ConstructError(f"unsupported ZCL data type 0x{code:02X}", path=path)


class ZclValue(Construct):
    """A ZCL value whose data type is given by a context function (ZCL 2.6.2)."""

    def __init__(self, type_func: Any) -> None:
        super().__init__()
        self.type_func = type_func

    def _parse(self, stream: Any, context: Any, path: str) -> Any:
        return _parse_value(stream, _type_code(self.type_func(context), path), 0, path)

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> Any:
        _build_value(obj, stream, _type_code(self.type_func(context), path), 0, path)
        return obj


TypedValue = Struct("type" / ZclDataTypeField, "value" / ZclValue(this.type))
"""A data type byte followed by a value of that type (ZCL 2.5.1 attribute records)."""

# --- profile-wide command payloads (ZCL 2.5) --------------------------------------------

ReadAttributes = Struct("attribute_ids" / GreedyRange(Int16ul))
"""Read Attributes, 0x00: attribute identifiers (ZCL 2.5.1)."""

ReadAttributeStatusRecord = Struct(
    "attribute_id" / Int16ul,
    "status" / ZclStatusField,
    "type" / If(_is_success, ZclDataTypeField),
    "value" / If(_is_success, ZclValue(this.type)),
)
"""One record of a Read Attributes Response: id, status, and type + value on success (ZCL 2.5.2)."""

ReadAttributesResponse = Struct("records" / GreedyRange(ReadAttributeStatusRecord))
"""Read Attributes Response, 0x01 (ZCL 2.5.2)."""

WriteAttributeRecord = Struct("attribute_id" / Int16ul, "type" / ZclDataTypeField, "value" / ZclValue(this.type))
"""One Write Attributes / Report Attributes record: id, type, value (ZCL 2.5.3, 2.5.11)."""

WriteAttributes = Struct("records" / GreedyRange(WriteAttributeRecord))
"""Write Attributes (0x02), Write Attributes Undivided (0x03), Write Attributes No Response (0x05)."""

WriteAttributeStatusRecord = Struct(
    "status" / ZclStatusField,
    "attribute_id" / If(lambda ctx: not _is_success(ctx), Int16ul),
)
"""A Write Attributes Response record; a lone SUCCESS status means all writes succeeded (ZCL 2.5.5)."""

WriteAttributesResponse = Struct("records" / GreedyRange(WriteAttributeStatusRecord))
"""Write Attributes Response, 0x04 (ZCL 2.5.5)."""


def _reported(ctx: Any) -> bool:
    return ctx.direction == 0


def _analog(ctx: Any) -> bool:
    return _reported(ctx) and enum_value(ctx.type, ZclDataType) in ANALOG_TYPES


AttributeReportingConfigurationRecord = Struct(
    "direction" / Int8ub,
    "attribute_id" / Int16ul,
    "type" / If(_reported, ZclDataTypeField),
    "minimum_interval" / If(_reported, Int16ul),
    "maximum_interval" / If(_reported, Int16ul),
    "reportable_change" / If(_analog, ZclValue(this.type)),
    "timeout_period" / If(lambda ctx: ctx.direction != 0, Int16ul),
)
"""Attribute reporting configuration record (ZCL 2.5.7.1)."""

ConfigureReporting = Struct("records" / GreedyRange(AttributeReportingConfigurationRecord))
"""Configure Reporting, 0x06 (ZCL 2.5.7)."""

ConfigureReportingResponse = Struct(
    "records" / GreedyRange(Struct("status" / ZclStatusField, "direction" / Int8ub, "attribute_id" / Int16ul)),
)
"""Configure Reporting Response, 0x07 (ZCL 2.5.8); records carry status, direction and attribute id."""

ReadReportingConfiguration = Struct(
    "records" / GreedyRange(Struct("direction" / Int8ub, "attribute_id" / Int16ul)),
)
"""Read Reporting Configuration, 0x08 (ZCL 2.5.9)."""

ReportAttributes = Struct("records" / GreedyRange(WriteAttributeRecord))
"""Report Attributes, 0x0A (ZCL 2.5.11)."""

DefaultResponse = Struct("command_id" / Int8ub, "status" / ZclStatusField)
"""Default Response, 0x0B: the command answered and its status (ZCL 2.5.12)."""

DiscoverAttributes = Struct("start_attribute_id" / Int16ul, "maximum_attribute_ids" / Int8ub)
"""Discover Attributes, 0x0C, and Discover Attributes Extended, 0x15 (ZCL 2.5.13, 2.5.23)."""

DiscoverAttributesResponse = Struct(
    "discovery_complete" / Int8ub,
    "records" / GreedyRange(Struct("attribute_id" / Int16ul, "type" / ZclDataTypeField)),
)
"""Discover Attributes Response, 0x0D (ZCL 2.5.14)."""

DiscoverCommands = Struct("start_command_id" / Int8ub, "maximum_command_ids" / Int8ub)
"""Discover Commands Received/Generated, 0x11/0x13 (ZCL 2.5.19, 2.5.21)."""

DiscoverCommandsResponse = Struct("discovery_complete" / Int8ub, "command_ids" / GreedyRange(Int8ub))
"""Discover Commands Received/Generated Response, 0x12/0x14 (ZCL 2.5.20, 2.5.22)."""

DiscoverAttributesExtendedResponse = Struct(
    "discovery_complete" / Int8ub,
    "records" / GreedyRange(Struct(
        "attribute_id" / Int16ul, "type" / ZclDataTypeField, "access_control" / Int8ub,
    )),
)
"""Discover Attributes Extended Response, 0x16 (ZCL 2.5.24)."""

PROFILE_WIDE_COMMANDS: dict[int, tuple[str, Construct]] = {
    0x00: ("Read Attributes", ReadAttributes),
    0x01: ("Read Attributes Response", ReadAttributesResponse),
    0x02: ("Write Attributes", WriteAttributes),
    0x03: ("Write Attributes Undivided", WriteAttributes),
    0x04: ("Write Attributes Response", WriteAttributesResponse),
    0x05: ("Write Attributes No Response", WriteAttributes),
    0x06: ("Configure Reporting", ConfigureReporting),
    0x07: ("Configure Reporting Response", ConfigureReportingResponse),
    0x08: ("Read Reporting Configuration", ReadReportingConfiguration),
    0x0A: ("Report Attributes", ReportAttributes),
    0x0B: ("Default Response", DefaultResponse),
    0x0C: ("Discover Attributes", DiscoverAttributes),
    0x0D: ("Discover Attributes Response", DiscoverAttributesResponse),
    0x11: ("Discover Commands Received", DiscoverCommands),
    0x12: ("Discover Commands Received Response", DiscoverCommandsResponse),
    0x13: ("Discover Commands Generated", DiscoverCommands),
    0x14: ("Discover Commands Generated Response", DiscoverCommandsResponse),
    0x15: ("Discover Attributes Extended", DiscoverAttributes),
    0x16: ("Discover Attributes Extended Response", DiscoverAttributesExtendedResponse),
}
"""Profile-wide commands by command id (ZCL 2.5, Table 2-3); same grammar in both directions."""

# --- ZCL header ---------------------------------------------------------------------------

ZclFrameControl = BitStruct(
    "reserved" / BitsInteger(3),
    "disable_default_response" / Flag,
    "direction" / Enum(BitsInteger(1), ZclDirection),
    "manufacturer_specific" / Flag,
    "frame_type" / Enum(BitsInteger(2), ZclFrameType),
)
"""ZCL frame control byte, most significant bit first (ZCL 2.4.1.1)."""

ZclHeaderStruct = Struct(
    "frame_control" / ZclFrameControl,
    "manufacturer_code" / If(this.frame_control.manufacturer_specific, Int16ul),
    "sequence_number" / Int8ub,
    "command_id" / Int8ub,
)
"""ZCL frame header: frame control, optional manufacturer code, sequence number, command id (ZCL 2.4.1)."""


@dataclass(frozen=True)
class ZclHeader:
    """A decoded ZCL frame header; the manufacturer-specific flag follows ``manufacturer_code``."""

    frame_type: ZclFrameType
    direction: ZclDirection
    sequence_number: int
    command_id: int
    disable_default_response: bool = False
    manufacturer_code: int | None = None
    reserved: int = 0

    @property
    def manufacturer_specific(self) -> bool:
        """Frame control bit 2."""
        return self.manufacturer_code is not None

    @classmethod
    def from_container(cls, c: Any) -> ZclHeader:
        """Build from a parsed :data:`ZclHeaderStruct` container."""
        fc = c.frame_control
        return cls(
            frame_type=ZclFrameType(int(fc.frame_type)),
            direction=ZclDirection(int(fc.direction)),
            sequence_number=c.sequence_number,
            command_id=c.command_id,
            disable_default_response=bool(fc.disable_default_response),
            manufacturer_code=c.manufacturer_code,
            reserved=fc.reserved,
        )

    def to_container(self) -> dict[str, Any]:
        """The dict :data:`ZclHeaderStruct` builds from."""
        return {
            "frame_control": self.frame_control_container(),
            "manufacturer_code": self.manufacturer_code,
            "sequence_number": self.sequence_number,
            "command_id": self.command_id,
        }

    def frame_control_container(self) -> dict[str, Any]:
        """The dict :data:`ZclFrameControl` builds from."""
        return {
            "reserved": self.reserved,
            "disable_default_response": self.disable_default_response,
            "direction": int(self.direction),
            "manufacturer_specific": self.manufacturer_code is not None,
            "frame_type": int(self.frame_type),
        }

    def plain_bytes(self) -> bytes | None:
        """The header bytes written directly from well-typed fields (as :data:`ZclHeaderStruct` builds
        them); None for anything else, which :meth:`to_bytes` leaves to the construct."""
        ftype, direction, reserved, code = self.frame_type, self.direction, self.reserved, self.manufacturer_code
        seq, command = self.sequence_number, self.command_id
        if not (type(reserved) is int and 0 <= reserved <= 7 and isinstance(ftype, int) and 0 <= ftype <= 3
                and isinstance(direction, int) and 0 <= direction <= 1 and type(seq) is int and 0 <= seq <= 0xFF
                and type(command) is int and 0 <= command <= 0xFF):
            return None
        fc = (reserved << 5) | (0x10 if self.disable_default_response else 0) | (int(direction) << 3) | int(ftype)
        if code is None:
            return bytes((fc, seq, command))
        if type(code) is not int or not 0 <= code <= 0xFFFF:
            return None
        return bytes((fc | 0x04, code & 0xFF, code >> 8, seq, command))

    def to_bytes(self) -> bytes:
        """Encode the header."""
        plain_form = self.plain_bytes()
        if plain_form is not None:
            return plain_form
        try:
            return ZclHeaderStruct.build(self.to_container())
        except Exception as exc:  # construct raises several types for bad field values
            raise EncodeError(f"invalid ZCL header {self}: {exc}") from exc

    @classmethod
    def from_bytes(cls, data: bytes) -> ZclHeader:
        """Decode exactly one header."""
        try:
            c = ZclHeaderStruct.parse(data)
        except ConstructError as exc:
            raise FrameError(f"malformed ZCL header: {exc}") from exc
        header = cls.from_container(c)
        if len(header.to_bytes()) != len(data):
            raise FrameError("trailing bytes after ZCL header")
        return header

    def to_json(self) -> dict[str, Any]:
        """JSON form (names for frame type and direction)."""
        out: dict[str, Any] = {
            "frame_type": self.frame_type.name,
            "manufacturer_specific": self.manufacturer_specific,
            "direction": self.direction.name,
            "disable_default_response": self.disable_default_response,
        }
        if self.manufacturer_code is not None:
            out["manufacturer_code"] = self.manufacturer_code
        if self.reserved:
            out["reserved"] = self.reserved
        out["sequence_number"] = self.sequence_number
        out["command_id"] = self.command_id
        return out

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> ZclHeader:
        """Inverse of :meth:`to_json`."""
        try:
            return cls(
                frame_type=ZclFrameType(enum_value(obj["frame_type"], ZclFrameType)),
                direction=ZclDirection(enum_value(obj["direction"], ZclDirection)),
                sequence_number=obj["sequence_number"],
                command_id=obj["command_id"],
                disable_default_response=bool(obj.get("disable_default_response", False)),
                manufacturer_code=obj.get("manufacturer_code"),
                reserved=obj.get("reserved", 0),
            )
        except (KeyError, ValueError, TypeError, ConstructError) as exc:
            raise EncodeError(f"invalid ZCL header JSON: {exc}") from exc


def plain(obj: Any) -> Any:
    """A parsed construct value as plain dicts and lists (private ``_`` keys dropped)."""
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items() if not (isinstance(k, str) and k.startswith("_"))}
    if isinstance(obj, list):
        return [plain(v) for v in obj]
    if isinstance(obj, enum.Enum):
        return obj.name
    if isinstance(obj, str):
        return str(obj)
    if isinstance(obj, bytes):
        return obj.hex().upper()
    return obj
