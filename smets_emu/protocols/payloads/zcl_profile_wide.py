"""Profile-wide ("general") ZCL command payloads and their registry (ZCL r6 2.5, Table 2-3).

Read Attributes (0x00) and Response (0x01), Write Attributes (0x02/0x03/0x05) and Response
(0x04), Configure Reporting (0x06) and Response (0x07), Read Reporting Configuration (0x08),
Report Attributes (0x0A), Default Response (0x0B), Discover Attributes (0x0C/0x0D), Discover
Commands (0x11-0x14), Discover Attributes Extended (0x15/0x16). Fields that depend on a status
or direction use the conditions below (the direct readers of :mod:`.construct_fast` know them).
"""

from __future__ import annotations

from typing import Any

from construct import Construct, GreedyRange, If, Int8ub, Int16ul, Struct, this

from smets_emu.protocols.payloads.zcl_fields import (
    ZclDataType,
    ZclDataTypeField,
    ZclStatus,
    ZclStatusField,
    enum_value,
)
from smets_emu.protocols.payloads.zcl_values import ANALOG_TYPES, ZclValue


def _is_success(ctx: Any) -> bool:
    return enum_value(ctx.status, ZclStatus) == ZclStatus.SUCCESS



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
