"""What the control plane shows of a device and an alert (JSON views; never private keys or image bytes)."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import Any

from smets_emu.emulator.device import Outbound
from smets_emu.emulator.firmware.slots import FirmwareSlots
from smets_emu.emulator.state import DeviceState
from smets_emu.errors import SmetsError
from smets_emu.protocols.envelope import decode_envelope
from smets_emu.protocols.message_codes import lookup
from smets_emu.tools.faults import FaultTable
from smets_emu.tools.lab import Lab

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- views


def _anchor_json(state: DeviceState) -> list[dict[str, Any]]:
    cells = []
    for cell_id, cell in state.anchors.items():
        cells.append({
            "cell": f"{cell_id.role.name.lower()}/{cell_id.key_usage.name.lower()}/{cell_id.cell_usage.name.lower()}",
            "party": None if cell.subject_id is None else cell.subject_id.hex().upper(),
            "empty": cell.empty,
        })
    return cells


def firmware_version(state: DeviceState) -> str:
    """The running firmware version, as the device reports it (ECS52 / GCS38), 8 hex digits."""
    return FirmwareSlots(state).version


def _blob_summary(text: str) -> dict[str, Any]:
    try:
        data = bytes.fromhex(text)
    except ValueError:
        return {"size": len(text), "sha256": hashlib.sha256(text.encode()).hexdigest().upper(), "encoding": "text"}
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest().upper()}


def _without_images(obj: Any) -> Any:
    """Firmware slot JSON with image bytes (``image``, ``data``) replaced by their size and SHA-256."""
    if isinstance(obj, dict):
        return {k: _blob_summary(v) if k in ("image", "data") and isinstance(v, str) and v else _without_images(v)
                for k, v in obj.items()}
    if isinstance(obj, list):
        return [_without_images(v) for v in obj]
    return obj


def firmware_json(state: DeviceState) -> dict[str, Any]:
    """The firmware slots (running, pending, previous), identity and transfers, without image bytes."""
    body = FirmwareSlots(state).to_json()
    for key, value in state.firmware.items():
        if key not in body and key != "version":
            body[key] = value
    return _without_images(body)


def device_summary(lab: Lab, state: DeviceState, faults: FaultTable) -> dict[str, Any]:
    """A device as the control plane lists it."""
    slots = FirmwareSlots(state)
    pending = slots.pending
    return {
        "eui": state.eui.hex().upper(),
        "type": state.device_type,
        "premises": lab.premises.get(state.eui),
        "profile": state.profile,
        "lifecycle": state.lifecycle,
        "firmware": {"version": slots.version, "pending": None if pending is None else pending.version},
        "counters": {role_name(role): value for role, value in state.counters.items()},
        "alert_counter": state.alert_counter,
        "anchors": _anchor_json(state),
        "pending_commands": len(state.pending),
        "faults": [f.to_json() for f in faults.pending(state.eui)],
    }


def role_name(role: int) -> str:
    from smets_emu.emulator.anchors import Role

    try:
        return Role(int(role)).name.lower()
    except ValueError:
        return str(role)


def _alert_json(time: str, recipient: bytes, message: bytes, message_code: int | None,
                device: bytes | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {"time": time, "recipient": recipient.hex().upper()}
    if device is None or message_code is None:
        try:
            header = decode_envelope(message).header
            device = device if device is not None else header.originator
            message_code = header.message_code if message_code is None else message_code
        except SmetsError:
            pass
    record["message_code"] = None if message_code is None else f"0x{message_code:04X}"
    record["hex"] = message.hex().upper()
    info = lookup(message_code) if message_code is not None else None
    if info is not None:
        record["use_case"] = info.use_case
    record["device"] = None if device is None else device.hex().upper()
    return record


def alert_record(alert: Outbound, now: dt.datetime) -> dict[str, Any]:
    """An alert as the control plane keeps it."""
    return _alert_json(now.isoformat(), alert.recipient, alert.message, alert.message_code)


def stored_alert_record(stored: Any) -> dict[str, Any]:
    """An alert from the state store's outbox (a ``StoredMessage``) as the control plane shows it."""
    return _alert_json(stored.created, stored.recipient, stored.message, None, stored.eui)
