"""ZCL building blocks shared by every ZCL grammar: frame enums and JSON-native field types.

Frame type, direction, status and data type codes (ZCL r6 2.4.1, 2.5.3, 2.6.2); octet and
character strings, UTCTime and Date (ZCL 2.6.2.12-2.6.2.16) shown JSON-native: upper-case hex
for opaque bytes, latin-1 text, ``{"utc": n, "iso": ...}`` for UTCTime (``iso`` is informative);
and the Smart Energy field shapes the cluster grammars share (SE 1.4 Annex D).
"""

from __future__ import annotations

import datetime as _dt
import enum
from typing import Any

from construct import (
    Adapter,
    BytesInteger,
    Construct,
    ConstructError,
    Enum,
    GreedyBytes,
    Int8ub,
    Int32ul,
    Prefixed,
    Struct,
    Subconstruct,
    stream_seek,
    stream_tell,
    stream_write,
)

from smets_emu.protocols.timestamps import gbz_seconds_to_datetime


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



class HexAdapter(Adapter):
    """Opaque bytes shown as an upper-case hex string."""

    def _decode(self, obj: bytes, context: Any, path: str) -> str:
        return obj.hex().upper()

    def _encode(self, obj: Any, context: Any, path: str) -> bytes:
        return hex_to_bytes(obj, path)


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


def hex_to_bytes(obj: Any, path: str) -> bytes:
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


# --- Smart Energy field shapes (SE 1.4 Annex D) ------------------------------------------

Int48ul = BytesInteger(6, signed=False, swapped=True)
"""ZCL uint48, little-endian."""

PROVIDER_AND_EVENT_IDS = ("provider_id" / Int32ul, "issuer_event_id" / Int32ul)
"""The provider id and issuer event id that open most Smart Energy publish and set commands."""

COMMAND_INDEX_AND_TOTAL = ("command_index" / Int8ub, "total_number_of_commands" / Int8ub)
"""Command index and total number of commands of a publish command split over several frames (SE 1.4 D.4.2.4.6,
D.9.2.4.2)."""

Empty = Struct()
"""A command without payload."""


class TrailingOptional(Subconstruct):
    """A trailing field that later SE revisions appended: absent (None) when the payload ends first."""

    def _parse(self, stream: Any, context: Any, path: str) -> Any:
        here = stream_tell(stream, path)
        if not stream.read(1):
            return None
        stream_seek(stream, here, 0, path)
        return self.subcon._parsereport(stream, context, path)

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> Any:
        if obj is None:
            return None
        return self.subcon._build(obj, stream, context, path)

    def _sizeof(self, context: Any, path: str) -> int:
        raise ConstructError("trailing optional field has no fixed size", path=path)


class HexRest(Construct):
    """The rest of the payload as hex (sub-payloads whose shape depends on a type field)."""

    def _parse(self, stream: Any, context: Any, path: str) -> str:
        return GreedyBytes._parse(stream, context, path).hex().upper()

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> Any:
        data = HexAdapter(GreedyBytes)._encode(obj, context, path)
        stream_write(stream, data, len(data), path)
        return obj
