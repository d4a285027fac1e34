"""Typed values of the GBCS ASN.1 HAN join and device log payloads (GBCS 13.3.4-13.3.6, CS03, CS04,
CS07, GCS59, GCS62).

As in :mod:`smets_emu.protocols.payloads.asn1_models`: commands are read from the asn1crypto value
the codec parsed, responses and alerts go back as the value trees the codec encodes; entity ids are
bytes, device types and codes ints (IntEnums where known).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

from asn1crypto import core as asn1

from smets_emu.protocols.payloads.asn1_models import optional, time_text


class DeviceType(enum.IntEnum):
    """DeviceType INTEGER of join commands and device log entries (GBCS 13.3.4)."""

    GSME = 0
    ESME = 1
    CHF = 2
    GPF = 3
    HCALCS = 4
    PPMID = 5
    TYPE2 = 6


class JoinMethod(enum.IntEnum):
    """joinMethodAndRole of the CS03 commands (GBCS 13.3.4)."""

    METHOD_A_INITIATOR = 0
    METHOD_A_RESPONDER = 1
    METHOD_B = 2
    METHOD_C = 3


class JoinResponse(enum.IntEnum):
    """CS03 response codes, also the GCS59 per-entry joinResponseCode."""

    SUCCESS = 0
    INVALID_MESSAGE_CODE_FOR_JOIN_METHOD_AND_ROLE = 1
    INVALID_JOIN_METHOD_AND_ROLE = 2
    INCOMPATIBLE_WITH_EXISTING_ENTRY = 3
    DEVICE_LOG_FULL = 4
    WRITE_FAILURE = 5
    INVALID_OR_MISSING_CERTIFICATE = 11


class UnjoinResponse(enum.IntEnum):
    """CS04 response codes (GBCS 13.3.5)."""

    SUCCESS = 0
    NOT_IN_DEVICE_LOG = 1
    OTHER_FAILURE = 2


class ReadResponse(enum.IntEnum):
    """responseCode of the CS07 response."""

    SUCCESS = 0
    READ_FAILURE = 1


GPF_DEVICE_LOG_CHANGED = 0x8071
"""Alert code of the GCS62 Backup GPF Device Log alert."""


@dataclass(frozen=True)
class JoinDeviceCommand:
    """CS03A1/CS03A2/CS03B/CS03C: join method, the other device and (Method C) its KA certificate (DER)."""

    method: int
    other_device: bytes
    other_type: int
    ka_certificate: bytes | None = None

    @classmethod
    def from_asn1(cls, value: asn1.Asn1Value) -> JoinDeviceCommand:
        cert = optional(value["otherDeviceKACertificate"])
        return cls(int(value["joinMethodAndRole"]), bytes(value["otherDeviceEntityId"].contents),
                   int(value["otherDeviceType"]), None if cert is None else cert.dump())


@dataclass(frozen=True)
class DeviceLogEntry:
    """DeviceLogEntry: entity id and device type (CS07, GCS59, GCS62)."""

    device_id: bytes
    device_type: int

    @classmethod
    def from_asn1(cls, value: asn1.Asn1Value) -> DeviceLogEntry:
        return cls(bytes(value["deviceId"].contents), int(value["deviceType"]))

    def tree(self) -> dict[str, Any]:
        return {"deviceId": self.device_id.hex().upper(), "deviceType": self.device_type}


@dataclass(frozen=True)
class UnjoinCommand:
    """CS04AC/CS04B: the entity id of the device to remove."""

    other_device: bytes

    @classmethod
    def from_asn1(cls, value: asn1.Asn1Value) -> UnjoinCommand:
        return cls(bytes(value.contents))


@dataclass(frozen=True)
class ReadDeviceJoinDetailsResponse:
    """CS07 response: the entries on success."""

    code: int
    entries: tuple[DeviceLogEntry, ...] | None = None

    def tree(self) -> dict[str, Any]:
        tree: dict[str, Any] = {"responseCode": self.code}
        if self.entries is not None:
            tree["deviceLogEntries"] = [e.tree() for e in self.entries]
        return tree


@dataclass(frozen=True)
class GpfDeviceLogRestoreCommand:
    """GCS59: the backed-up entries to re-enter."""

    entries: tuple[DeviceLogEntry, ...]

    @classmethod
    def from_asn1(cls, value: asn1.Asn1Value) -> GpfDeviceLogRestoreCommand:
        return cls(tuple(DeviceLogEntry.from_asn1(e) for e in value["deviceLogEntries"]))


@dataclass(frozen=True)
class RestoreOutcome:
    """One GCS59 outcome: the entry and its join response code."""

    entry: DeviceLogEntry
    code: int

    def tree(self) -> dict[str, Any]:
        return {"deviceLogEntry": self.entry.tree(), "joinResponseCode": self.code}


@dataclass(frozen=True)
class GpfDeviceLogRestoreResponse:
    """GCS59 response."""

    outcomes: tuple[RestoreOutcome, ...]

    def tree(self) -> dict[str, Any]:
        return {"restoreOutcomes": [o.tree() for o in self.outcomes]}


@dataclass(frozen=True)
class GpfDeviceLogBackupAlert:
    """GCS62 Backup GPF Device Log alert (0x00B2, alert code 0x8071)."""

    backup_time: dt.datetime
    entries: tuple[DeviceLogEntry, ...]
    alert_code: int = GPF_DEVICE_LOG_CHANGED

    def tree(self) -> dict[str, Any]:
        return {"alertCode": self.alert_code, "backupDateTime": time_text(self.backup_time),
                "deviceLogEntries": [e.tree() for e in self.entries]}
