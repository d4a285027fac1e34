"""Typed values of the GBCS ASN.1 firmware and clock payloads (GBCS 13.3.3; digest 5.6-5.10):
CS06 Activate Firmware (0x0012, future-dated outcome alert 0x00CA), CS08 Read Firmware Version
(0x0129), the CS09 firmware activation alert (0x012B), the CCS08 Firmware Transfer Alert (0x0128),
GCS28 Set Clock (0x007F) and the CHF's Failure to Deliver Remote Party Message alert (0x00D5,
alert code 0x8F84, GBCS 7.2.9.2).

As in :mod:`smets_emu.protocols.payloads.asn1_models`: values are read from the asn1crypto value
the codec parsed (:func:`~smets_emu.protocols.payloads.asn1_models.read`), and become payloads with
:func:`~smets_emu.protocols.payloads.asn1_models.to_payload`; hashes, entity ids and firmware
versions are bytes, codes are the enums of :mod:`smets_emu.protocols.payloads.asn1_enums`, times
are aware UTC datetimes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, ClassVar

from asn1crypto import core as asn1

from smets_emu.errors import EncodeError
from smets_emu.protocols.payloads.asn1_enums import (
    ActivateImageCode,
    ActivateImageResult,
    AlertCode,
    ReadResponse,
    TransferCode,
    future_dated_alert,
    name_of,
)
from smets_emu.protocols.payloads.asn1_models import optional, parse_time, time_text
from smets_emu.protocols.timestamps import DlmsDateTime

CANCELLATION_TIME = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
"""executionDateTime of a CS06 command that cancels the future-dated activation (digest 5.6)."""


def _octets(value: asn1.Asn1Value) -> bytes:
    return bytes(value.contents)


def version_octets(version: str) -> bytes:
    """The firmware version OCTET STRING of a device's hex version text (EncodeError when not hex)."""
    try:
        return bytes.fromhex(version)
    except ValueError as exc:
        raise EncodeError(f"firmware version {version!r} is not hex") from exc


# --- CS06 Activate Firmware ----------------------------------------------------------------------


@dataclass(frozen=True)
class ActivateFirmwareCommand:
    """CS06 command: the Manufacturer Image Hash, the originator counter again and an optional time.

    No time: activate now; :data:`CANCELLATION_TIME`: cancel the future-dated activation.
    """

    schemas: ClassVar[tuple[str, ...]] = ("CS06Command",)

    image_hash: bytes
    originator_counter: int
    execution_time: dt.datetime | None = None

    @property
    def cancels(self) -> bool:
        """True when the command cancels the future-dated activation."""
        return self.execution_time == CANCELLATION_TIME

    @classmethod
    def from_asn1(cls, value: asn1.Asn1Value) -> ActivateFirmwareCommand:
        when = optional(value["executionDateTime"])
        return cls(_octets(value["manufacturerImageHash"]), int(value["originatorCounter"]),
                   None if when is None else parse_time(when))

    def tree(self) -> dict[str, Any]:
        tree: dict[str, Any] = {"manufacturerImageHash": self.image_hash.hex().upper(),
                                "originatorCounter": self.originator_counter}
        if self.execution_time is not None:
            tree["executionDateTime"] = time_text(self.execution_time)
        return tree


@dataclass(frozen=True)
class ActivationOutcome:
    """ExecutionOutcome of CS06: the activateImageResponseCode and the version running afterwards."""

    code: int
    version: bytes

    @property
    def succeeded(self) -> bool:
        return self.code == ActivateImageCode.SUCCESS

    @property
    def code_name(self) -> str:
        """The ASN.1 name of the code (the number as text when it has none)."""
        return name_of(ActivateImageCode, self.code)

    @classmethod
    def from_asn1(cls, value: asn1.Asn1Value) -> ActivationOutcome:
        return cls(int(value["activateImageResponseCode"]), _octets(value["firmwareVersion"]))

    def tree(self) -> dict[str, Any]:
        return {"activateImageResponseCode": self.code, "firmwareVersion": self.version.hex().upper()}


@dataclass(frozen=True)
class ActivateFirmwareResponse:
    """CS06 response: commandAccepted (future-dated or cancelled) or the outcome of an immediate activation."""

    schemas: ClassVar[tuple[str, ...]] = ("CS06Response",)

    outcome: ActivationOutcome | None = None

    @classmethod
    def from_asn1(cls, value: asn1.Asn1Value) -> ActivateFirmwareResponse:
        if value.name == "commandAccepted":
            return cls()
        return cls(ActivationOutcome.from_asn1(value.chosen))

    def tree(self) -> dict[str, Any]:
        if self.outcome is None:
            return {"commandAccepted": None}
        return {"executionOutcome": self.outcome.tree()}


@dataclass(frozen=True)
class ActivateFirmwareAlert:
    """Future-dated CS06 outcome alert (0x00CA): 0x8F66 actioned or 0x8F67 not actioned (digest 5.9)."""

    schemas: ClassVar[tuple[str, ...]] = ("CS06Alert",)

    alert_code: int
    execution_time: dt.datetime
    originator_counter: int
    outcome: ActivationOutcome

    @classmethod
    def of(cls, execution_time: dt.datetime, originator_counter: int,
           outcome: ActivationOutcome) -> ActivateFirmwareAlert:
        """The alert for *outcome*: 0x8F66 when the image was activated, else 0x8F67."""
        return cls(future_dated_alert(outcome.succeeded), execution_time, originator_counter, outcome)

    @classmethod
    def from_asn1(cls, value: asn1.Asn1Value) -> ActivateFirmwareAlert:
        return cls(int(value["alertCode"]), parse_time(value["executionDateTime"]), int(value["originatorCounter"]),
                   ActivationOutcome.from_asn1(value["executionOutcome"]))

    def tree(self) -> dict[str, Any]:
        return {"alertCode": self.alert_code, "executionDateTime": time_text(self.execution_time),
                "originatorCounter": self.originator_counter, "executionOutcome": self.outcome.tree()}


# --- CS08 / CS09 Type 1 firmware version ---------------------------------------------------------


@dataclass(frozen=True)
class ReadFirmwareVersionResponse:
    """CS08 response: the running version and success or readFailure."""

    schemas: ClassVar[tuple[str, ...]] = ("CS08Response",)

    version: bytes
    code: int = ReadResponse.SUCCESS

    @property
    def succeeded(self) -> bool:
        return self.code == ReadResponse.SUCCESS

    @classmethod
    def from_asn1(cls, value: asn1.Asn1Value) -> ReadFirmwareVersionResponse:
        return cls(_octets(value["firmwareVersion"]), int(value["responseCode"]))

    def tree(self) -> dict[str, Any]:
        return {"firmwareVersion": self.version.hex().upper(), "responseCode": self.code}


@dataclass(frozen=True)
class ReadFirmwareVersionAlert:
    """CS09 firmware activation alert of a PPMID/HCALCS (0x012B, alert code 0x8F8B)."""

    schemas: ClassVar[tuple[str, ...]] = ("CS09Alert",)

    execution_time: dt.datetime
    version: bytes
    result: int = ActivateImageResult.SUCCESS
    alert_code: int = AlertCode.READ_FIRMWARE_VERSION

    @classmethod
    def from_asn1(cls, value: asn1.Asn1Value) -> ReadFirmwareVersionAlert:
        return cls(parse_time(value["executionDateTime"]), _octets(value["firmwareVersion"]),
                   int(value["activateImage"]), int(value["alertCode"]))

    def tree(self) -> dict[str, Any]:
        return {"alertCode": self.alert_code, "executionDateTime": time_text(self.execution_time),
                "firmwareVersion": self.version.hex().upper(), "activateImage": self.result}


# --- CCS08 Firmware Transfer Alert ---------------------------------------------------------------


@dataclass(frozen=True)
class FirmwareTransferAlert:
    """CCS08 (0x0128): the CHF's report of one HAN transfer, 0x8F8A success or 0x8F89 failure (digest 5.7)."""

    schemas: ClassVar[tuple[str, ...]] = ("CCS08Alert",)

    alert_code: int
    execution_time: dt.datetime
    entity_id: bytes
    version: bytes
    code: int

    @classmethod
    def of(cls, execution_time: dt.datetime, entity_id: bytes, version: bytes, code: int) -> FirmwareTransferAlert:
        """The alert for a transfer that ended with *code*: 0x8F8A on success, else 0x8F89."""
        alert = (AlertCode.FIRMWARE_TRANSFER_SUCCESS if code == TransferCode.SUCCESS
                 else AlertCode.FIRMWARE_TRANSFER_FAILURE)
        return cls(alert, execution_time, entity_id, version, code)

    @property
    def code_name(self) -> str:
        """The ASN.1 name of the response code (the number as text when it has none)."""
        return name_of(TransferCode, self.code)

    @classmethod
    def from_asn1(cls, value: asn1.Asn1Value) -> FirmwareTransferAlert:
        return cls(int(value["alertCode"]), parse_time(value["executionDateTime"]), _octets(value["entityId"]),
                   _octets(value["firmwareVersion"]), int(value["responseCode"]))

    def tree(self) -> dict[str, Any]:
        return {"alertCode": self.alert_code, "executionDateTime": time_text(self.execution_time),
                "entityId": self.entity_id.hex().upper(), "firmwareVersion": self.version.hex().upper(),
                "responseCode": self.code}


# --- GCS28 Set Clock -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SetTimeCommand:
    """GCS28 command: the interval in which the GSME may take the command's arrival as the time."""

    schemas: ClassVar[tuple[str, ...]] = ("GCS28Command",)

    start: dt.datetime
    end: dt.datetime

    def covers(self, moment: dt.datetime) -> bool:
        """True when *moment* lies in the validity interval (ends included)."""
        return self.start <= moment <= self.end

    @classmethod
    def from_asn1(cls, value: asn1.Asn1Value) -> SetTimeCommand:
        return cls(parse_time(value["validityIntervalStart"]), parse_time(value["validityIntervalEnd"]))

    def tree(self) -> dict[str, Any]:
        return {"validityIntervalStart": time_text(self.start), "validityIntervalEnd": time_text(self.end)}


@dataclass(frozen=True)
class SetTimeResponse:
    """GCS28 response: the device time and whether it is reliable."""

    schemas: ClassVar[tuple[str, ...]] = ("GCS28Response",)

    device_time: dt.datetime
    status: int

    @classmethod
    def from_asn1(cls, value: asn1.Asn1Value) -> SetTimeResponse:
        return cls(parse_time(value["deviceTime"]), int(value["deviceTimeStatus"]))

    def tree(self) -> dict[str, Any]:
        return {"deviceTime": time_text(self.device_time), "deviceTimeStatus": self.status}


# --- 0x00D5 Failure to Deliver Remote Party Message to ESME --------------------------------------


@dataclass(frozen=True)
class FailureToDeliverAlert:
    """0x00D5 (alert 0x8F84): the CHF could not pass a remote party message to the ESME (GBCS 7.2.9.2).

    The header fields of the undelivered message: business originator and target, CRA flag, counter.
    """

    time: dt.datetime
    originator: bytes
    target: bytes
    cra_flag: int
    originator_counter: int
    invoke_id: int = 0
    alert_code: int = AlertCode.FAILURE_TO_DELIVER_REMOTE_PARTY_MESSAGE_TO_ESME

    def tree(self) -> dict[str, Any]:
        return {
            "invokeId": self.invoke_id,
            "alertCode": self.alert_code,
            "timeStamp": dict(DlmsDateTime.from_datetime(self.time).__dict__),
            "remotePartyMessage": {
                "businessOriginatorId": self.originator.hex().upper(),
                "businessTargetId": self.target.hex().upper(),
                "craFlag": self.cra_flag,
                "originatorCounter": self.originator_counter,
            },
        }
