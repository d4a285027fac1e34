"""Typed values of the GBCS ASN.1 HAN join and device log payloads (GBCS 13.3.4-13.3.6, CS03, CS04,
CS07, GCS59, GCS62).

As in :mod:`smets_emu.protocols.payloads.asn1_models`: commands are read from the asn1crypto value
the codec parsed, responses and alerts go back as the value trees the codec encodes; entity ids are
bytes, device types and codes ints (the IntEnums of :mod:`.asn1_enums` where known).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, ClassVar

from asn1crypto import core as asn1

from smets_emu.protocols.payloads.asn1_enums import AlertCode
from smets_emu.protocols.payloads.asn1_models import optional, time_text

GPF_DEVICE_LOG_CHANGED = AlertCode.GPF_DEVICE_LOG_CHANGED
"""Alert code of the GCS62 Backup GPF Device Log alert (0x8071)."""


@dataclass(frozen=True)
class JoinDeviceCommand:
    """CS03A1/CS03A2/CS03B/CS03C: join method, the other device and (Method C) its KA certificate (DER)."""

    schemas: ClassVar[tuple[str, ...]] = ("CS03Command",)

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

    schemas: ClassVar[tuple[str, ...]] = ("CS04Command",)

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

    schemas: ClassVar[tuple[str, ...]] = ("GCS59Command",)

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
