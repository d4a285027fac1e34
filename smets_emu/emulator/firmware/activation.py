"""Activate Firmware (CS06, 0x0012; digest 5.6, 7.4): the checks and the slot switch, on a given state.

The outcome codes: noImageHeld (1) without a pending image, hashMismatch (2) when the hash the
device calculates over the held image differs from the command's, activationFailure (3) for a
downgrade or same-version image (the model's version rule; GBCS leaves it to manufacturers) or
an image for another manufacturer or image type; success (0) switches slots. The firmware
version in every outcome is the one running afterwards, and ECS52 / GCS38 read the same key.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from smets_emu.emulator.component import earliest_pending
from smets_emu.emulator.device import AlertSpec
from smets_emu.emulator.firmware.codes import (
    ACTIVATION_ALERT,
    PENDING_KIND,
    ActivationCode,
    calculated_hash,
    parse_gtime,
    version_number,
)
from smets_emu.emulator.firmware.slots import FirmwareSlots, ImageStore
from smets_emu.emulator.state import DeviceState
from smets_emu.protocols.payloads.asn1_firmware_models import ActivateFirmwareAlert, ActivationOutcome, version_octets
from smets_emu.protocols.payloads.asn1_models import to_payload


def activate(state: DeviceState, image_hash: bytes, store: ImageStore | None) -> ActivationCode:
    """Activate the pending image of *state* if its calculated hash is *image_hash* (GBCS CS06 steps 3-5)."""
    slots = FirmwareSlots(state)
    pending = slots.pending
    if pending is None:
        return ActivationCode.NO_IMAGE_HELD
    calculated = pending.image_hash
    if pending.content_modelled:
        data = pending.file_bytes(store)
        calculated = None if data is None else calculated_hash(data)
    if calculated is None or calculated != image_hash:
        return ActivationCode.HASH_MISMATCH
    ident = slots.identity
    if (pending.manufacturer not in (None, ident.manufacturer)
            or pending.image_type not in (None, ident.image_type)):
        return ActivationCode.ACTIVATION_FAILURE
    policy = state.firmware.get("policy", {})
    if not policy.get("allow_downgrade") and version_number(pending.version) <= version_number(slots.version):
        return ActivationCode.ACTIVATION_FAILURE
    if state.firmware.get("faults", {}).get("activation"):
        return ActivationCode.ACTIVATION_FAILURE
    slots.switch()
    return ActivationCode.SUCCESS


def execution_outcome(state: DeviceState, code: ActivationCode) -> ActivationOutcome:
    """The CS06 ExecutionOutcome: the code and the version running now."""
    return ActivationOutcome(code, version_octets(FirmwareSlots(state).version))


def schedule(state: DeviceState, entry: dict[str, Any] | None) -> None:
    """Replace the future-dated activation of *state* with *entry* (None: cancel it)."""
    state.pending = [p for p in state.pending if p.get("kind") != PENDING_KIND]
    if entry is not None:
        state.pending.append({"kind": PENDING_KIND, **entry})


def due_activations(state: DeviceState, now: dt.datetime) -> list[dict[str, Any]]:
    """The future-dated activations of *state* whose execution time is not after *now*."""
    return [p for p in state.pending
            if p.get("kind") == PENDING_KIND and parse_gtime(p["execution_date_time"]) <= now]


def next_activation(state: DeviceState) -> dt.datetime | None:
    """When the future-dated activation of *state* comes due (digest 5.9); None if none is scheduled."""
    return earliest_pending(state, PENDING_KIND, lambda p: parse_gtime(p["execution_date_time"]))


def activation_alert(state: DeviceState, entry: dict[str, Any], code: ActivationCode) -> AlertSpec:
    """The 0x00CA alert for a future-dated activation that came due (8F66 actioned / 8F67 not; digest 5.9)."""
    alert = ActivateFirmwareAlert.of(parse_gtime(entry["execution_date_time"]), int(entry["originator_counter"]),
                                     execution_outcome(state, code))
    return AlertSpec(ACTIVATION_ALERT, to_payload(alert, ACTIVATION_ALERT, 3), critical=True,
                     recipient=bytes.fromhex(entry["originator"]) if entry.get("originator") else None)
