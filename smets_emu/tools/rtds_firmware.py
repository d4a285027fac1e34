"""Firmware an RTDS scenario presumes: the image a CS06 Activate Firmware finds held, supplier-signed images.

Each CS06 scenario's device holds the image its RTDS response or alert implies (digest 5.6,
7.4); alert triggers hand devices images signed with their supplier's DS key (digest 7.1, 7.2).
"""

from __future__ import annotations

import hashlib
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from smets_emu.emulator.anchors import CellId, CellKeyUsage, Role
from smets_emu.emulator.device import Device
from smets_emu.emulator.firmware.slots import FirmwareSlots, held_image_slot
from smets_emu.emulator.state import DeviceState
from smets_emu.errors import SmetsError
from smets_emu.protocols.firmware import UpgradeImage, sign_image
from smets_emu.protocols.keystore import Keystore, KeyUsage
from smets_emu.protocols.message import Message
from smets_emu.protocols.payloads.asn1 import Asn1Payload
from smets_emu.tools.rtds_names import (
    SUPPLIER,
)


def activation_outcome(*messages: Message | None) -> dict[str, Any] | None:
    """The CS06 ExecutionOutcome an RTDS response or alert reports (None: accepted, not yet executed)."""
    for message in messages:
        value = message.payload.value if message is not None and isinstance(message.payload, Asn1Payload) else None
        if isinstance(value, dict) and isinstance(value.get("executionOutcome"), dict):
            return value["executionOutcome"]  # type: ignore[no-any-return]
    return None


def newer_version(running: str, reported: Any) -> str:
    """The version of the presumed image: the reported one when it is newer than *running*."""
    try:
        if reported is not None and int(str(reported), 16) > int(running, 16):
            return str(reported).upper()
    except ValueError:
        pass
    return f"{(int(running, 16) + 1) & 0xFFFFFFFF:08X}"


def hold_presumed_image(state: DeviceState, command: Asn1Payload, outcome: dict[str, Any] | None) -> str:
    """Give the device the pending image a CS06 scenario presumes (digest 5.6, 7.4); returns a note.

    success, or no outcome yet (future-dated, cancellation): the image the command names, at
    the reported version; hashMismatch: an image with another hash; activationFailure: the
    command's image at the running version; noImageHeld: no image.
    """
    slots = FirmwareSlots(state)
    image_hash = bytes.fromhex(str(command.value["manufacturerImageHash"]))
    code = str((outcome or {}).get("activateImageResponseCode", "success")).split("(")[0]
    version = newer_version(slots.version, (outcome or {}).get("firmwareVersion"))
    if code == "noImageHeld":
        slots.discard_pending()
        return "no image held"
    held = slots.pending
    if code == "success" and held is not None and held.image_hash == image_hash:
        return f"holds image {held.version} with the command hash already"
    if code == "hashMismatch":
        image_hash = hashlib.sha256(b"another image" + image_hash).digest()
    elif code == "activationFailure":
        version = slots.version
    slots.hold(held_image_slot(image_hash, version))
    return f"holds image {version} with {'another' if code == 'hashMismatch' else 'the command'} hash"


def supplier_signed_image(device: Device, keystore: Keystore, version: str | None = None) -> bytes:
    """An Upgrade Image for *device* (its manufacturer code and image type), signed with the DS key of the
    supplier its trust anchor names, from *keystore* (digest 7.1, 7.2); default version: one above running."""
    slots = FirmwareSlots(device.state)
    ident = slots.identity
    cell = device.state.anchors.get(CellId(Role.SUPPLIER, CellKeyUsage.DIGITAL_SIGNATURE))
    supplier = cell.subject_id if cell is not None and cell.subject_id else SUPPLIER
    key = keystore.private_key(supplier, KeyUsage.DS)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise SmetsError(f"no supplier DS key for {supplier.hex().upper()}")
    number = int(newer_version(slots.version, version), 16)
    body = bytes((i * 31 + number) & 0xFF for i in range(512))
    image = UpgradeImage(ident.manufacturer, ident.image_type, number, body, f"image {number:08X}")
    return sign_image(image, key).encode()
