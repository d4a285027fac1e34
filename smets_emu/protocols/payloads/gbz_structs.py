"""GBZ constructs and codes (GBCS 7.5): profile id, GBZ alert codes and meter integrity codes, the alert
body kinds by message code, and the constructs of components, command/response payloads and alerts.
"""

from __future__ import annotations

import enum
from typing import Any

from construct import (
    Array,
    BitsInteger,
    BitStruct,
    Const,
    Flag,
    GreedyBytes,
    If,
    Int8ub,
    Int16ub,
    Int32ub,
    Int64ub,
    Prefixed,
    PrefixedArray,
    Rebuild,
    Struct,
    Terminated,
    len_,
    this,
)

from smets_emu.protocols import usecases
from smets_emu.protocols.payloads.zcl import (
    ZclFrameControl,
    ZclHeaderStruct,
)

PROFILE_ID = b"\x01\x09"
"""ZigBee Smart Energy profile id that opens every GBZ payload."""


class GbzAlertCode(enum.IntEnum):
    """Alert codes carried by GBZ alerts (GBCS Table 16.2, subset)."""

    BILLING_DATA_LOG_UPDATED = 0x8F0A
    FIRMWARE_VERIFICATION_FAILED = 0x8F1C
    SOURCE_DOES_NOT_HAVE_AUTHORITY = 0x8F30
    FUTURE_DATED_COMMAND_ACTIONED = 0x8F66
    FUTURE_DATED_COMMAND_NOT_ACTIONED = 0x8F67
    FIRMWARE_VERIFICATION_SUCCESSFUL = 0x8F72
    CREDIT_ADDED_LOCALLY = 0x810E
    IMMEDIATE_HAN_COMMAND_ACTIONED = 0x8154
    IMMEDIATE_HAN_COMMAND_NOT_ACTIONED = 0x8155
    USER_INTERFACE_COMMAND_ACTIONED = 0x8161
    USER_INTERFACE_COMMAND_NOT_ACTIONED = 0x8162
    METER_INTEGRITY_ISSUE_WARNING = 0x81A0


class MeterIntegrityCode(enum.IntEnum):
    """Smart Meter Integrity Issue codes (GBCS alert 0x81A0 body)."""

    OTHER = 0
    NON_VOLATILE_MEMORY = 1
    PROGRAM_EXECUTION = 2
    PROGRAM_STORAGE = 3
    RAM = 4
    UNEXPECTED_HARDWARE_RESET = 5
    WATCHDOG = 6
    METROLOGY_FIRMWARE_VERIFICATION_FAILURE = 7
    MEASUREMENT_FAULT = 8
    UNSPECIFIED_INTEGRITY_ERROR = 9


class AlertBody(enum.Enum):
    """Shape of what follows the GBZ alert header."""

    COMPONENTS = "components"
    FUTURE_DATED = "future_dated"
    FIRMWARE_RECEIPT = "firmware_receipt"
    METER_INTEGRITY = "meter_integrity"


ALERT_BODY_BY_MESSAGE_CODE: dict[int, AlertBody] = {
    0x00CD: AlertBody.FUTURE_DATED,
    0x00CF: AlertBody.FIRMWARE_RECEIPT,
    0x00F2: AlertBody.METER_INTEGRITY,
}
"""Message codes whose GBZ alert body is not a component list (GBCS 7.5, digest 5.9, 5.10, 5.13)."""

GBZ_MESSAGE_CODES: frozenset[int] = usecases.codes(family="gbz")
"""Message codes whose payload is GBZ, as the use-case table declares: GSME/GPF use cases (GCS*, CS01b,
CS10a/b, CS11, PCS01/02) and the GBZ alerts.

0x1000/0x1001 also exist in a DLMS form; the message layer tells them apart by the ``01 09`` opening.
"""

# --- constructs -------------------------------------------------------------------------

ComponentControl = BitStruct(
    "reserved_high" / BitsInteger(3),
    "from_date_time_present" / Flag,
    "reserved_low" / BitsInteger(2),
    "encrypted" / Flag,
    "last" / Flag,
)
"""Extended header control: bit0 last component, bit1 encrypted, bit4 from-date-time present (GBCS 7.5)."""

AdditionalHeader = Struct("control" / Int8ub, "frame_counter" / Int8ub)
"""Additional header of an encrypted component: control and frame counter (GBCS 7.5)."""

ComponentBody = Struct(
    "from_date_time" / If(this._.control.from_date_time_present, Int32ub),
    "additional_header" / If(this._.control.encrypted, AdditionalHeader),
    "zcl_header" / ZclHeaderStruct,
    "ciphered_information" / If(this._.control.encrypted, Prefixed(Int16ub, GreedyBytes)),
    "zcl_payload" / GreedyBytes,
)
"""What the component length covers: optional from-date-time, additional header, ZCL frame (GBCS 7.5)."""

GbzComponentStruct = Struct(
    "control" / ComponentControl,
    "cluster_id" / Int16ub,
    "body" / Prefixed(Int16ub, ComponentBody),
)
"""GBZ component: extended header (control, cluster id, length) and its body (GBCS 7.5)."""

GbzCommandStruct = Struct(
    Const(PROFILE_ID),
    "components" / PrefixedArray(Int8ub, GbzComponentStruct),
    Terminated,
)
"""GBZ command or response payload: profile id, component count, components (GBCS 7.5)."""

GbzComponentsAlertStruct = Struct(
    Const(PROFILE_ID),
    "count" / Rebuild(Int8ub, len_(this.components)),
    "alert_code" / Int16ub,
    "timestamp" / Int32ub,
    "components" / Array(this.count, GbzComponentStruct),
    Terminated,
)
"""GBZ alert carrying components (GCS53 billing data log) or none (generic alerts) (GBCS 7.5)."""

FutureDatedDetails = Struct(
    "message_code" / Int16ub,
    "originator_counter" / Int64ub,
    "cluster_id" / Int16ub,
    "frame_control" / ZclFrameControl,
    "command_id" / Int8ub,
    Terminated,
)
"""The command a future-dated execution outcome refers to (GBCS alert 0x8F66/0x8F67, message code 0x00CD)."""



def _fixed_body_alert(*body: Any) -> Struct:
    """A GBZ alert with a fixed body (GBCS 7.5): profile id, component count 1, alert code, timestamp, *body*."""
    return Struct(Const(PROFILE_ID + b"\x01"), "alert_code" / Int16ub, "timestamp" / Int32ub, *body, Terminated)


FutureDatedAlertStruct = _fixed_body_alert("details" / Prefixed(Int8ub, FutureDatedDetails))
"""Future Dated Execution Of Instruction Alert, GBZ form (message code 0x00CD)."""

FirmwareReceiptAlertStruct = _fixed_body_alert(Const(b"\x09"), "image_hash" / Prefixed(Int8ub, GreedyBytes))
"""Firmware Distribution Receipt Alert, GBZ form (0x00CF): octet-string tag, length, SHA-256 hash."""

MeterIntegrityAlertStruct = _fixed_body_alert("integrity_code" / Int16ub)
"""Meter Integrity Issue Warning Alert, GBZ form (0x00F2): 2-byte integrity code."""

ALERT_STRUCTS = {
    AlertBody.COMPONENTS: GbzComponentsAlertStruct,
    AlertBody.FUTURE_DATED: FutureDatedAlertStruct,
    AlertBody.FIRMWARE_RECEIPT: FirmwareReceiptAlertStruct,
    AlertBody.METER_INTEGRITY: MeterIntegrityAlertStruct,
}
