"""Commands a remote party sends about firmware: Activate Firmware (CS06, digest 5.6)."""

from __future__ import annotations

import datetime as dt

from smets_emu.emulator.anchors import Role
from smets_emu.emulator.firmware.codes import ACTIVATE_FIRMWARE
from smets_emu.emulator.provision import DEFAULT_PARTIES
from smets_emu.parties.headend import HeadEnd
from smets_emu.protocols.payloads.asn1 import Asn1Payload
from smets_emu.protocols.payloads.asn1_firmware_models import CANCELLATION_TIME, ActivateFirmwareCommand
from smets_emu.protocols.payloads.asn1_models import to_payload

SUPPLIER = DEFAULT_PARTIES[Role.SUPPLIER]


def activation_payload(image_hash: bytes, counter: int, *, execution: dt.datetime | None = None,
                       cancel: bool = False) -> Asn1Payload:
    """The CS06 command body; *cancel* sets the 9999-12-31T23:59:59Z cancellation time."""
    command = ActivateFirmwareCommand(image_hash, counter, CANCELLATION_TIME if cancel else execution)
    return to_payload(command, ACTIVATE_FIRMWARE, 1)


def activation_command(headend: HeadEnd, device: bytes, image_hash: bytes, counter: int, *,
                       execution: dt.datetime | None = None, cancel: bool = False,
                       originator: bytes = SUPPLIER) -> bytes:
    """A signed and MACed CS06 Activate Firmware command from the supplier to *device*."""
    return headend.command(originator=originator, recipient=device, message_code=ACTIVATE_FIRMWARE,
                           payload=activation_payload(image_hash, counter, execution=execution, cancel=cancel),
                           counter=counter)
