"""Message codes, outcome codes and payload helpers of the firmware use cases (digest 5.6, 5.7, 5.10, 7.3).

Activate Firmware is CS06 (0x0012) with its future-dated alert 0x00CA; the Firmware
Distribution Receipt Alert (FDRA) is 0x00CE in DLMS form and 0x00CF in GBZ form; the CHF reports
each HAN transfer with CCS08 (0x0128). :func:`alerts_outcome` turns the alerts a firmware step
raises into an :class:`~smets_emu.emulator.device.Outcome` on the working state it was given.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import logging
from collections.abc import Sequence

from smets_emu.emulator.device import AlertSpec, Device, Outbound, Outcome
from smets_emu.emulator.state import DeviceState
from smets_emu.errors import SmetsError
from smets_emu.protocols.firmware.image import received_image_hash
from smets_emu.protocols.firmware.recent import ContentMemo
from smets_emu.protocols.payloads import Payload
from smets_emu.protocols.payloads.asn1_enums import ActivateImageCode, TransferCode

log = logging.getLogger(__name__)

ACTIVATE_FIRMWARE = 0x0012
ACTIVATION_ALERT = 0x00CA
FDRA_DLMS, FDRA_GBZ = 0x00CE, 0x00CF
FIRMWARE_TRANSFER_ALERT = 0x0128
VERIFICATION_SUCCESSFUL, VERIFICATION_FAILED = 0x8F72, 0x8F1C
FUTURE_DATED_SUCCESS, FUTURE_DATED_FAILURE = 0x8F66, 0x8F67
TRANSFER_SUCCESS, TRANSFER_FAILURE = 0x8F8A, 0x8F89
PENDING_KIND = "activate-firmware"
TIME_FORMAT = "%Y%m%d%H%M%SZ"
CANCELLATION_TIME = "99991231235959Z"


ActivationCode = ActivateImageCode
"""activateImageResponseCode (digest 5.6)."""


class ImageCheck(enum.Enum):
    """What a device answers when offered an image (ZigBee OTA Query Next Image)."""

    ACCEPTED = "accepted"
    WRONG_MANUFACTURER = "wrong manufacturer code"
    WRONG_IMAGE_TYPE = "wrong image type"
    HARDWARE_MISMATCH = "hardware version out of range"

    @property
    def transfer_code(self) -> TransferCode:
        """The CCS08 response code the CHF reports for this answer."""
        if self is ImageCheck.ACCEPTED:
            return TransferCode.SUCCESS
        if self is ImageCheck.HARDWARE_MISMATCH:
            return TransferCode.HARDWARE_VERSION_MISMATCH
        return TransferCode.IMAGE_DISCARDED


_REFERENCES: ContentMemo[str] = ContentMemo(64 * 1024 * 1024)


def file_reference(data: bytes) -> str:
    """The content address of an image file (hex SHA-256 of the whole file), worked out once per content."""
    known = _REFERENCES.get(data)
    if known is not None:
        return known
    return _REFERENCES.put(bytes(data), hashlib.sha256(data).hexdigest().upper())


def gtime(value: dt.datetime) -> str:
    """GeneralizedTime text (UTC) of the firmware use cases."""
    return value.astimezone(dt.UTC).strftime(TIME_FORMAT)


def parse_gtime(text: str) -> dt.datetime:
    """The UTC time of a GeneralizedTime text."""
    return dt.datetime.strptime(text, TIME_FORMAT).replace(tzinfo=dt.UTC)


def version_number(version: str) -> int:
    """A hex firmware version as a number (-1 when it is not hex)."""
    try:
        return int(version, 16)
    except ValueError:
        return -1


def calculated_hash(data: bytes) -> bytes:
    """The Manufacturer Image Hash a device calculates over received bytes, decodable or not (digest 7.2)."""
    return received_image_hash(data)


def alerts_outcome(device: Device, work: DeviceState, alerts: Sequence[AlertSpec], accepted: bool, reason: str,
                   now: dt.datetime | None = None) -> Outcome:
    """*work* with *alerts* addressed, numbered and protected; an alert without a key is logged, not raised."""
    outbound: list[Outbound] = []
    for alert in alerts:
        try:
            outbound.append(device.build_alert(work, alert, now or dt.datetime.now(dt.UTC)))
        except SmetsError as exc:
            log.warning("device %s cannot raise 0x%04X: %s", work.eui.hex().upper(), alert.message_code, exc)
    return Outcome(work, outbound, accepted=accepted, reason=reason)


def payload_of(outbound: Outbound) -> Payload:
    """Decode the payload of a device message without keys (FDRA, CCS08 and CS06 are not encrypted)."""
    from smets_emu.protocols.message import decode_message

    return decode_message(outbound.message).payload
