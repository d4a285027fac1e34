"""GBCS ASN.1 types of joins, firmware, clock and device log as asn1crypto classes (GBCS 13.3.5; digest
5.6, 5.7): CS03 join, CS04 unjoin, CS07 read join details, CS06 activate firmware, CS08/CS09 firmware
version, CCS08 firmware transfer alert, GCS28 set time, GCS59/GCS62 GPF device log restore and backup.
"""

from __future__ import annotations

from asn1crypto import core
from asn1crypto.x509 import Certificate

from smets_emu.protocols.payloads import asn1_enums as e
from smets_emu.protocols.payloads.asn1_common_types import (
    AlertCode,
    DeviceLogEntries,
    DeviceLogEntry,
    DeviceType,
    EntityId,
    named_integer,
)

# --- CS03 join, CS04 unjoin, CS07 ----------------------------------------------------------


JoinMethodAndRole = named_integer("JoinMethodAndRole", e.JoinMethod, "joinMethodAndRole of the CS03 commands.")


class JoinDeviceCommand(core.Sequence):
    """CS03A1/CS03A2/CS03B/CS03C command; the KA certificate only for GSME-PPMID joins."""

    _fields = [
        ("joinMethodAndRole", JoinMethodAndRole),
        ("otherDeviceEntityId", EntityId),
        ("otherDeviceType", DeviceType),
        ("otherDeviceKACertificate", Certificate, {"optional": True}),
    ]


JoinResponseCode = named_integer(
    "JoinResponseCode", e.JoinResponse, "CS03 response codes (also GCS59 joinResponseCode).",
)


UnjoinResponseCode = named_integer("UnjoinResponseCode", e.UnjoinResponse, "CS04 response codes.")


ReadResponseCode = named_integer("ReadResponseCode", e.ReadResponse, "responseCode of CS07 and CS08 responses.")


class ReadDeviceJoinDetailsResponse(core.Sequence):
    """CS07 response."""

    _fields = [
        ("responseCode", ReadResponseCode),
        ("deviceLogEntries", DeviceLogEntries, {"optional": True}),
    ]


# --- CS06 Activate Firmware ----------------------------------------------------------------


ActivateImageResponseCode = named_integer(
    "ActivateImageResponseCode", e.ActivateImageCode, "activateImageResponseCode of the CS06 execution outcome.",
)


class ActivateFirmwareCommand(core.Sequence):
    """CS06 command; originatorCounter repeats the grouping-header counter."""

    _fields = [
        ("manufacturerImageHash", core.OctetString),
        ("originatorCounter", core.Integer),
        ("executionDateTime", core.GeneralizedTime, {"optional": True}),
    ]


class ActivateFirmwareExecutionOutcome(core.Sequence):
    """CS06 ExecutionOutcome."""

    _fields = [("activateImageResponseCode", ActivateImageResponseCode), ("firmwareVersion", core.OctetString)]


class ActivateFirmwareResponse(core.Choice):
    """CS06 response: NULL when future-dated, else the outcome."""

    _alternatives = [("commandAccepted", core.Null), ("executionOutcome", ActivateFirmwareExecutionOutcome)]


class ActivateFirmwareAlert(core.Sequence):
    """Future-dated CS06 outcome alert (message code 0x00CA)."""

    _fields = [
        ("alertCode", AlertCode),
        ("executionDateTime", core.GeneralizedTime),
        ("originatorCounter", core.Integer),
        ("executionOutcome", ActivateFirmwareExecutionOutcome),
    ]


# --- CS08 / CS09 / CCS08 -------------------------------------------------------------------


class ReadFirmwareVersionResponse(core.Sequence):
    """CS08 response."""

    _fields = [("firmwareVersion", core.OctetString), ("responseCode", ReadResponseCode)]


ActivateImageResult = named_integer("ActivateImageResult", e.ActivateImageResult, "activateImage of the CS09 alert.")


class ReadFirmwareVersionAlert(core.Sequence):
    """CS09 PPMID/HCALCS firmware activation alert (0x012B)."""

    _fields = [
        ("alertCode", AlertCode),
        ("executionDateTime", core.GeneralizedTime),
        ("firmwareVersion", core.OctetString),
        ("activateImage", ActivateImageResult),
    ]


FirmwareTransferResponseCode = named_integer("FirmwareTransferResponseCode", e.TransferCode, "CCS08 responseCode.")


class FirmwareTransferAlert(core.Sequence):
    """CCS08 Firmware Transfer Alert from the CHF (0x0128)."""

    _fields = [
        ("alertCode", AlertCode),
        ("executionDateTime", core.GeneralizedTime),
        ("entityId", EntityId),
        ("firmwareVersion", core.OctetString),
        ("responseCode", FirmwareTransferResponseCode),
    ]


# --- GCS28 set time, GCS59 / GCS62 GPF device log ------------------------------------------


class SetTimeCommand(core.Sequence):
    """GCS28 Set Clock command."""

    _fields = [("validityIntervalStart", core.GeneralizedTime), ("validityIntervalEnd", core.GeneralizedTime)]


DeviceTimeStatus = named_integer("DeviceTimeStatus", e.DeviceTimeStatus, "deviceTimeStatus of the GCS28 response.")


class SetTimeResponse(core.Sequence):
    """GCS28 Set Clock response."""

    _fields = [("deviceTime", core.GeneralizedTime), ("deviceTimeStatus", DeviceTimeStatus)]


class GpfDeviceLogRestoreCommand(core.Sequence):
    """GCS59 Restore GPF Device Log command."""

    _fields = [("deviceLogEntries", DeviceLogEntries)]


class RestoreOutcome(core.Sequence):
    """One GCS59 restore outcome."""

    _fields = [("deviceLogEntry", DeviceLogEntry), ("joinResponseCode", JoinResponseCode)]


class RestoreOutcomes(core.SequenceOf):
    """SEQUENCE OF RestoreOutcome."""

    _child_spec = RestoreOutcome


class GpfDeviceLogRestoreResponse(core.Sequence):
    """GCS59 response."""

    _fields = [("restoreOutcomes", RestoreOutcomes)]


class GpfDeviceLogBackupAlert(core.Sequence):
    """GCS62 Backup GPF Device Log alert (0x00B2, alert 0x8071)."""

    _fields = [
        ("alertCode", AlertCode),
        ("backupDateTime", core.GeneralizedTime),
        ("deviceLogEntries", DeviceLogEntries),
    ]
