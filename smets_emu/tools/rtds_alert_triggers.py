"""Device-originated alerts an RTDS folder shows without a command, and how the device model raises them.

A command from another RTDS folder that raises the alert (GCS62 after a GPF device log restore,
CS14 after a CHF device log change), or a device event hook (GSME meter integrity issue,
generic alerts, receipt of a supplier-signed firmware image for the FDRA, a CHF HAN firmware
transfer for CCS08).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from smets_emu.emulator.device import Device, Outcome
from smets_emu.emulator.devices.type1 import Type1Firmware
from smets_emu.emulator.firmware import FirmwareUseCases
from smets_emu.emulator.firmware.codes import FIRMWARE_TRANSFER_ALERT
from smets_emu.hosting.han_network import HanNetwork
from smets_emu.parties.headend import HeadEnd
from smets_emu.protocols.keystore import Keystore
from smets_emu.protocols.message import Message
from smets_emu.protocols.payloads.asn1 import Asn1Payload
from smets_emu.tools.rtds_firmware import (
    supplier_signed_image,
)
from smets_emu.tools.rtds_names import (
    DEVICE_TYPES,
    SUPPLIER,
)


@dataclass(frozen=True)
class Site:
    """What an alert trigger may use besides the originating device."""

    device: Callable[[bytes], Device]  # the folder's emulated device with an EUI (provisioned on first use)
    keystore: Keystore  # the RTDS keystore (organisation keys)


Event = Callable[[Device, Message, dt.datetime, Site], Outcome]


@dataclass(frozen=True)
class AlertTrigger:
    """How the device model is brought to raise a device-originated alert a folder shows without a command."""

    description: str
    command: str | None = None  # an RTDS COMMAND file (from another folder) that triggers it
    event: Event | None = None


def _gsme_integrity(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    body = alert.payload.to_json()
    code = int(body.get("alert_code") or 0x81A0)
    return device.meter_integrity_warning(code, now)  # type: ignore[attr-defined,no-any-return]


def _gsme_generic(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    return device.generic_alert(int(alert.payload.to_json()["alert_code"]), now)  # type: ignore[attr-defined,no-any-return]


def _dlms_alert_code(alert: Message) -> int:
    code = alert.payload.to_json().get("alert_code")
    return int(code, 16) if isinstance(code, str) else int(code or 0)


def _esme_generic(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    return device.generic_alert(_dlms_alert_code(alert), now)


def _esme_integrity(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    items = (alert.payload.to_json().get("body") or {}).get("value") or []
    reported = items[2].get("value") if len(items) > 2 and isinstance(items[2], dict) else None
    code = int(reported, 16) if isinstance(reported, str) and reported else 0
    return device.meter_integrity_warning(code, now)  # type: ignore[attr-defined,no-any-return]


def _alert_items(alert: Message) -> list[Any]:
    """The use-case items of an RTDS DLMS event alert (after its alert code and time stamp)."""
    items = (alert.payload.to_json().get("body") or {}).get("value") or []
    return items[2:] if isinstance(items, list) else []


def _octets(item: Any, default: bytes) -> bytes:
    value = item.get("value") if isinstance(item, dict) else None
    return bytes.fromhex(value) if isinstance(value, str) and value else default


def _chf_device_event(method: str) -> Event:
    """A CHF sub-GHz event about one HAN device: the device named in the RTDS alert, else the site ESME."""

    def trigger(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
        items = _alert_items(alert)
        target = _octets(items[0] if items else None, bytes.fromhex("00DB1234567890A0"))
        return getattr(device, method)(target, now)  # type: ignore[no-any-return]

    return trigger


def _chf_channel_change(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    inner = (_alert_items(alert) or [{}])[0].get("value") or [{}, {}]
    channel = _octets(inner[0], bytes.fromhex("E0000001"))
    reason = _octets(inner[1] if len(inner) > 1 else None, b"\x00")[0]
    return device.sub_ghz_channel_changed(channel, reason, now)  # type: ignore[attr-defined,no-any-return]


def _chf_scan_assessment(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    inner = (_alert_items(alert) or [{}])[0].get("value") or [{}, {}]
    outcome = _octets(inner[0], b"\x00")[0]
    detail = _octets(inner[1] if len(inner) > 1 else None, b"\x00")[0]
    return device.channel_scan_assessed(outcome, detail, now)  # type: ignore[attr-defined,no-any-return]


def _chf_message_discarded(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    identity = _octets((_alert_items(alert) or [None])[0], bytes(25))
    if len(identity) != 25:
        identity = bytes(25)
    return device.message_discarded(  # type: ignore[attr-defined,no-any-return]
        identity[:8], identity[8:16], identity[16], int.from_bytes(identity[17:25], "big"), now
    )


def _esme_unsupported_command(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    """Send the ESME a command it does not support: a gas use case, from the supplier, or from the ACB naming
    the supplier when the RTDS alert names a supplementary remote party."""
    headend = HeadEnd(site.keystore)
    headend.register_device(device.state)
    via_acb = alert.header.other_information.supplementary_remote_party_id is not None
    counter = max(device.state.counters.values(), default=0) + 100_000
    originator = bytes.fromhex("90B3D51F30000002") if via_acb else SUPPLIER
    code = 0x0083 if via_acb else 0x0084  # GCS36 (an ACB use case) / GCS38: gas use cases an ESME lacks
    data = headend.command(originator=originator, recipient=device.eui, message_code=code, payload=b"\x05\x00",
                           counter=counter, supplementary_id=SUPPLIER if via_acb else None,
                           supplementary_counter=counter if via_acb else None, sign=False)
    return device.handle(data, now)


def _dlms_unsigned(items: list[Any], index: int, default: int) -> int:
    item = items[index] if len(items) > index else None
    value = item.get("value") if isinstance(item, dict) else None
    return value if isinstance(value, int) else default


def _esme_apc_processed(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    items = _alert_items(alert)
    return device.apc_level_limit_processed(  # type: ignore[attr-defined,no-any-return]
        _dlms_unsigned(items, 0, 1), now, now + dt.timedelta(days=1), _dlms_unsigned(items, 3, 100), now
    )


def _esme_apc_ended(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    items = _alert_items(alert)
    return device.apc_level_limit_ended(  # type: ignore[attr-defined,no-any-return]
        _dlms_unsigned(items, 0, 1), _dlms_unsigned(items, 1, 100), now
    )


def _esme_operational_update(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    return device.operational_update('{"outputState":"100","inputState":"0"}', now)  # type: ignore[attr-defined,no-any-return]


def _esme_supply_restored(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    return device.supply_restored(  # type: ignore[attr-defined,no-any-return]
        now - dt.timedelta(minutes=9), now - dt.timedelta(minutes=1), now
    )


def _type1_activation(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    value = alert.payload.to_json().get("value") or {}
    version = str(value.get("firmwareVersion") or "01000001")
    return device.component(Type1Firmware).activate_firmware(device.state, version, now)


def _image_receipt(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    """A supplier-signed image reaches the device: it verifies, holds it and raises the FDRA (0x00CE/0x00CF)."""
    firmware = device.component(FirmwareUseCases)
    return firmware.receive_image(device.state, supplier_signed_image(device, site.keystore), now)


def _han_transfer(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    """The CHF distributes a supplier-signed image over its HAN and reports the transfer (CCS08, 0x0128).

    The target is the device the RTDS alert names when it is emulated and receives firmware,
    else the site's ESME.
    """
    value = alert.payload.value if isinstance(alert.payload, Asn1Payload) else {}
    named = bytes.fromhex(str(value.get("entityId", ""))) if isinstance(value, dict) else b""
    target = site.device(named) if named in DEVICE_TYPES else None
    if target is None or target.find(FirmwareUseCases) is None:
        target = site.device(next(e for e, kind in DEVICE_TYPES.items() if kind == "ESME"))
    version = value.get("firmwareVersion") if isinstance(value, dict) else None
    data = supplier_signed_image(target, site.keystore, version)
    net = HanNetwork.of(device, [target])
    sent = net.update_firmware(data, [target.eui], now) + net.run(now + dt.timedelta(hours=1))
    return Outcome(device.state, [o for o in sent if o.message_code == FIRMWARE_TRANSFER_ALERT], accepted=True,
                   reason=f"image transferred to {target.eui.hex().upper()}")


COMMAND_TRIGGERS: dict[tuple[str, int], str] = {
    ("GPF", 0x00B2): "GCS59_8.12.2_SUCCESS_COMMAND_GBCS.HEX",  # a device log restore backs the log up (GCS62)
    ("CHF", 0x0018): "CCS01_8.11_SUCCESS_COMMAND_GBCS.HEX",  # a CHF device log change raises CS14
}
"""(device type, alert message code) -> an RTDS command whose handling raises that alert."""

EVENT_TRIGGERS: dict[tuple[str, int], tuple[str, Event]] = {
    ("GSME", 0x00F2): ("GSME meter integrity issue event", _gsme_integrity),
    ("GSME", 0x1000): ("GSME generic critical alert event", _gsme_generic),
    ("GSME", 0x1001): ("GSME generic non-critical alert event", _gsme_generic),
    ("ESME", 0x00CE): ("receipt of a supplier-signed firmware image", _image_receipt),
    ("GSME", 0x00CF): ("receipt of a supplier-signed firmware image", _image_receipt),
    ("CHF", 0x0128): ("CHF firmware transfer over the HAN", _han_transfer),
    ("ESME", 0x00F0): ("ESME meter integrity issue event", _esme_integrity),
    ("ESME", 0x1000): ("ESME generic critical alert event", _esme_generic),
    ("ESME", 0x1001): ("ESME generic non-critical alert event", _esme_generic),
    ("PPMID", 0x012B): ("PPMID firmware activation", _type1_activation),
    ("CHF", 0x0110): ("CHF duty cycle limitation", _chf_device_event("duty_cycle_limited")),
    ("CHF", 0x0111): ("CHF sub-GHz channel change", _chf_channel_change),
    ("CHF", 0x0112): ("CHF channel scan assessment", _chf_scan_assessment),
    ("CHF", 0x0114): ("CHF message discarded by duty cycle management", _chf_message_discarded),
    ("CHF", 0x0115): ("CHF sub-GHz capacity exhausted", _chf_device_event("no_sub_ghz_capacity")),
    ("ESME", 0x0067): ("ESME supply restored after an outage", _esme_supply_restored),
    ("ESME", 0x0120): ("command the ESME does not support", _esme_unsupported_command),
    ("ESME", 0x0121): ("ESME APC level limit taking effect", _esme_apc_processed),
    ("ESME", 0x0122): ("ESME APC level limit ending", _esme_apc_ended),
    ("ESME", 0x0123): ("ESME operational update", _esme_operational_update),
}
"""(device type, alert message code) -> a device event hook raising that alert."""


def alert_trigger(alert: Message) -> AlertTrigger | None:
    """The trigger for a device-originated alert of an RTDS folder that has no command, or None."""
    kind = DEVICE_TYPES.get(alert.header.originator)
    if kind is None:
        return None
    command = COMMAND_TRIGGERS.get((kind, alert.message_code))
    if command is not None:
        return AlertTrigger(f"triggered by RTDS {command}", command=command)
    event = EVENT_TRIGGERS.get((kind, alert.message_code))
    if event is not None:
        return AlertTrigger(f"triggered by the {event[0]}", event=event[1])
    return None
