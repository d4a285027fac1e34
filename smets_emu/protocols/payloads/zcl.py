"""ZigBee Cluster Library framing used inside GBZ components (ZCL r6 2.4, 2.5, 2.6).

- :data:`ZclHeaderStruct` / :class:`ZclHeader`: frame control (frame type, manufacturer-specific,
  direction, disable-default-response), optional manufacturer code, transaction sequence number,
  command id (ZCL 2.4.1).
- Profile-wide command payloads (ZCL 2.5): :mod:`.zcl_profile_wide`.
- ZCL data types (ZCL 2.6.2) as a typed-value construct: :mod:`.zcl_values`.
- Frame enums and JSON-native field types: :mod:`.zcl_fields`.

This module re-exports the names of those three so that ``payloads.zcl`` stays the one import
for ZCL framing. Parsed containers are JSON-native: integers, upper-case hex strings for opaque
bytes, latin-1 text for character strings, enum names for statuses and data types, and
``{"utc": n, "iso": ...}`` for UTCTime values (``iso`` is informative).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from construct import BitsInteger, BitStruct, ConstructError, Enum, Flag, If, Int8ub, Int16ul, Struct, this

from smets_emu.errors import EncodeError, FrameError
from smets_emu.protocols.payloads.zcl_fields import (
    CharacterString,
    HexAdapter,
    Latin1Adapter,
    OctetString,
    UtcTime,
    UtcTimeAdapter,
    ZclDataType,
    ZclDataTypeField,
    ZclDate,
    ZclDirection,
    ZclFrameType,
    ZclStatus,
    ZclStatusField,
    enum_value,
    iso_of,
    plain,
    utc_json,
)
from smets_emu.protocols.payloads.zcl_profile_wide import (
    PROFILE_WIDE_COMMANDS,
    AttributeReportingConfigurationRecord,
    ConfigureReporting,
    ConfigureReportingResponse,
    DefaultResponse,
    DiscoverAttributes,
    DiscoverAttributesExtendedResponse,
    DiscoverAttributesResponse,
    DiscoverCommands,
    DiscoverCommandsResponse,
    ReadAttributes,
    ReadAttributesResponse,
    ReadAttributeStatusRecord,
    ReadReportingConfiguration,
    ReportAttributes,
    WriteAttributeRecord,
    WriteAttributes,
    WriteAttributesResponse,
    WriteAttributeStatusRecord,
)
from smets_emu.protocols.payloads.zcl_values import ANALOG_TYPES, MAX_VALUE_DEPTH, TypedValue, ZclValue, type_name

__all__ = [
    "ANALOG_TYPES", "MAX_VALUE_DEPTH", "PROFILE_WIDE_COMMANDS", "AttributeReportingConfigurationRecord",
    "CharacterString", "ConfigureReporting", "ConfigureReportingResponse", "DefaultResponse", "DiscoverAttributes",
    "DiscoverAttributesExtendedResponse", "DiscoverAttributesResponse", "DiscoverCommands", "DiscoverCommandsResponse",
    "HexAdapter", "Latin1Adapter", "OctetString", "ReadAttributeStatusRecord", "ReadAttributes",
    "ReadAttributesResponse", "ReadReportingConfiguration", "ReportAttributes", "TypedValue", "UtcTime",
    "UtcTimeAdapter", "WriteAttributeRecord", "WriteAttributeStatusRecord", "WriteAttributes",
    "WriteAttributesResponse", "ZclDataType", "ZclDataTypeField", "ZclDate", "ZclDirection", "ZclFrameControl",
    "ZclFrameType", "ZclHeader", "ZclHeaderStruct", "ZclStatus", "ZclStatusField", "ZclValue", "enum_value",
    "iso_of", "plain", "type_name", "utc_json",
]


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
