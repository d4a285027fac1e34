"""Device-originated alerts an RTDS folder shows without a command, and how the device model raises them.

A command from another RTDS folder that raises the alert (CS14 after a CHF device log change), or a
device event hook (GCS62 after the listed devices join the GPF, GSME meter integrity issue,
generic alerts, receipt of a supplier-signed firmware image for the FDRA, a CHF HAN firmware
transfer for CCS08).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from smets_emu.emulator.device import Device, Outcome
from smets_emu.emulator.devices.chf import CommsHubFunction
from smets_emu.emulator.devices.esme import ElectricityMeter
from smets_emu.emulator.devices.gsme import GasMeter
from smets_emu.emulator.devices.type1 import Type1Firmware
from smets_emu.emulator.firmware import FirmwareUseCases
from smets_emu.emulator.firmware.codes import FIRMWARE_TRANSFER_ALERT
from smets_emu.emulator.metering.billing import BillingPeriods
from smets_emu.emulator.metering.config import CONFIG_KEY, METERING_KEY, metering_config
from smets_emu.errors import SmetsError
from smets_emu.hosting.han_network import HanNetwork
from smets_emu.parties.device_replies import alert_code_of
from smets_emu.parties.headend import HeadEnd
from smets_emu.protocols.keystore import Keystore
from smets_emu.protocols.message import Message
from smets_emu.protocols.payloads.asn1 import Asn1Payload
from smets_emu.protocols.payloads.asn1_firmware_models import FirmwareTransferAlert, ReadFirmwareVersionAlert
from smets_emu.protocols.payloads.asn1_models import read
from smets_emu.protocols.payloads.dlms import DataNotification
from smets_emu.protocols.payloads.dlms_data import (
    ArrayData,
    BitStringData,
    BooleanData,
    DlmsData,
    IntegerData,
    OctetStringData,
    StructureData,
)
from smets_emu.protocols.payloads.gbz import GbzPayload
from smets_emu.tools.rtds_firmware import (
    supplier_signed_image,
)
from smets_emu.tools.rtds_joins import SETUP_COUNTER, join_command, logged_joins, run_join
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
    clock: bool = False  # the scenario's lab clock moves on to the device's next due time (nothing injected)


D = TypeVar("D", bound=Device)


def _model(device: Device, kind: type[D]) -> D:
    """*device* as the device model *kind* whose event hook raises the alert."""
    if not isinstance(device, kind):
        raise SmetsError(f"a {device.device_type} has no {kind.__name__} event hooks")
    return device


def _alert_code(alert: Message, default: int = 0) -> int:
    code = alert_code_of(alert.payload)
    return default if code is None else code


def _body_items(alert: Message) -> tuple[DlmsData, ...]:
    """The items of an RTDS DLMS event alert body: alert code, time stamp, then the use-case items."""
    payload = alert.payload
    if isinstance(payload, DataNotification) and isinstance(payload.body, StructureData | ArrayData):
        return payload.body.items
    return ()


def _alert_items(alert: Message) -> tuple[DlmsData, ...]:
    """The use-case items of an RTDS DLMS event alert (after its alert code and time stamp)."""
    return _body_items(alert)[2:]


def _members(item: DlmsData | None) -> tuple[DlmsData, ...]:
    return item.items if isinstance(item, StructureData | ArrayData) else ()


def _octets(item: DlmsData | None, default: bytes) -> bytes:
    if isinstance(item, OctetStringData) and item.value:
        return item.value
    if isinstance(item, BitStringData) and item.data:
        return item.data
    return default


def _unsigned(items: tuple[DlmsData, ...], index: int, default: int) -> int:
    item = items[index] if len(items) > index else None
    if isinstance(item, IntegerData):
        return item.value
    return int(item.value) if isinstance(item, BooleanData) else default


def _gsme_integrity(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    """The meter integrity issue the scenario describes (the event, as for the ESME), not the alert code."""
    payload = alert.payload
    body = payload.alert if isinstance(payload, GbzPayload) else None
    code = body.integrity_code if body is not None and body.integrity_code is not None else 0
    return _model(device, GasMeter).meter_integrity_warning(code, now)


def _gpf_log_change(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    """GCS62: the GPF backs its device log up whenever the log changes (GBCS 13.3.6, digest 5.8). The site's
    devices the backup lists join the GPF through supplier CS03 joins; the last join is the change that
    raises the alert (the earlier joins' backups are site setup)."""
    value = alert.payload.value if isinstance(alert.payload, Asn1Payload) else None
    entries = value.get("deviceLogEntries", []) if isinstance(value, dict) else []
    joins = logged_joins(device.eui, entries)
    if not joins:
        raise SmetsError("the backup lists no device the GPF can join")
    headend = HeadEnd(site.keystore)
    headend.register_device(device.state)
    for counter, join in enumerate(joins[:-1], start=SETUP_COUNTER):
        run_join(device, headend, join, counter, now)
    data = join_command(headend, device, joins[-1], SETUP_COUNTER + len(joins) - 1, now)
    return device.process(device.state, data, now)


def _generic(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    return device.generic_alert(_alert_code(alert), now)


def _esme_integrity(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    items = _alert_items(alert)
    code = int.from_bytes(_octets(items[0] if items else None, b"\x00"), "big")
    return _model(device, ElectricityMeter).meter_integrity_warning(code, now)


ChfEvent = Callable[[CommsHubFunction, bytes, dt.datetime], Outcome]


def _chf_device_event(method: ChfEvent) -> Event:
    """A CHF sub-GHz event about one HAN device: the device named in the RTDS alert, else the site ESME."""

    def trigger(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
        items = _alert_items(alert)
        target = _octets(items[0] if items else None, bytes.fromhex("00DB1234567890A0"))
        return method(_model(device, CommsHubFunction), target, now)

    return trigger


def _chf_channel_change(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    inner = _members((_alert_items(alert) or (None,))[0])
    channel = _octets(inner[0] if inner else None, bytes.fromhex("E0000001"))
    reason = _octets(inner[1] if len(inner) > 1 else None, b"\x00")[0]
    return _model(device, CommsHubFunction).sub_ghz_channel_changed(channel, reason, now)


def _chf_scan_assessment(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    inner = _members((_alert_items(alert) or (None,))[0])
    outcome = _octets(inner[0] if inner else None, b"\x00")[0]
    detail = _octets(inner[1] if len(inner) > 1 else None, b"\x00")[0]
    return _model(device, CommsHubFunction).channel_scan_assessed(outcome, detail, now)


def _chf_message_discarded(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    identity = _octets((_alert_items(alert) or (None,))[0], bytes(25))
    if len(identity) != 25:
        identity = bytes(25)
    return _model(device, CommsHubFunction).message_discarded(
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


def _esme_apc_processed(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    items = _alert_items(alert)
    return _model(device, ElectricityMeter).apc_level_limit_processed(
        _unsigned(items, 0, 1), now, now + dt.timedelta(days=1), _unsigned(items, 3, 100), now
    )


def _esme_apc_ended(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    items = _alert_items(alert)
    return _model(device, ElectricityMeter).apc_level_limit_ended(_unsigned(items, 0, 1), _unsigned(items, 1, 100), now)


def _esme_operational_update(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    return _model(device, ElectricityMeter).operational_update('{"outputState":"100","inputState":"0"}', now)


def _esme_supply_restored(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    return _model(device, ElectricityMeter).supply_restored(
        now - dt.timedelta(minutes=9), now - dt.timedelta(minutes=1), now
    )


def _type1_activation(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    version = "01000001"
    if isinstance(alert.payload, Asn1Payload):
        version = read(alert.payload, ReadFirmwareVersionAlert).version.hex().upper() or version
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
    reported = read(alert.payload, FirmwareTransferAlert) if isinstance(alert.payload, Asn1Payload) else None
    named = reported.entity_id if reported is not None else b""
    target = site.device(named) if named in DEVICE_TYPES else None
    if target is None or target.find(FirmwareUseCases) is None:
        target = site.device(next(e for e, kind in DEVICE_TYPES.items() if kind == "ESME"))
    version = reported.version.hex().upper() if reported is not None and reported.version else None
    data = supplier_signed_image(target, site.keystore, version)
    net = HanNetwork.of(device, [target])
    sent = net.update_firmware(data, [target.eui], now) + net.run(now + dt.timedelta(hours=1))
    return Outcome(device.state, [o for o in sent if o.message_code == FIRMWARE_TRANSFER_ALERT], accepted=True,
                   reason=f"image transferred to {target.eui.hex().upper()}")


def clock_passes_next_due(device: Device, now: dt.datetime) -> Outcome:
    """The scenario's lab clock moves on to the device's next due time and its timers run (a clock trigger).

    A meter that keeps no billing periods yet meters from the scenario's start (its metering origin,
    the start of its registers): then its next due time is its first billing period end, when it
    writes the billing data log and pushes it (ECS68 / GCS53).
    """
    if device.find(BillingPeriods) is not None and device.component(BillingPeriods).next_due(device.state) is None:
        work = device.state.clone()
        work.put_object(METERING_KEY, CONFIG_KEY, metering_config(work).with_origin(now).to_json())
        device.adopt(Outcome(work, accepted=True, reason="metering from the scenario's start"))
    when = device.next_due(device.state)
    if when is None:
        raise SmetsError(f"the {device.device_type} has nothing due")
    return device.timers(device.state, max(when, now))


COMMAND_TRIGGERS: dict[tuple[str, int], str] = {
    ("CHF", 0x0018): "CCS01_8.11_SUCCESS_COMMAND_GBCS.HEX",  # a CHF device log change raises CS14
}
"""(device type, alert message code) -> an RTDS command whose handling raises that alert."""

EVENT_TRIGGERS: dict[tuple[str, int], tuple[str, Event]] = {
    ("GSME", 0x00F2): ("GSME meter integrity issue event", _gsme_integrity),
    ("GPF", 0x00B2): ("GPF device log change: the listed devices join it", _gpf_log_change),
    ("GSME", 0x1000): ("GSME generic critical alert event", _generic),
    ("GSME", 0x1001): ("GSME generic non-critical alert event", _generic),
    ("ESME", 0x00CE): ("receipt of a supplier-signed firmware image", _image_receipt),
    ("GSME", 0x00CF): ("receipt of a supplier-signed firmware image", _image_receipt),
    ("CHF", 0x0128): ("CHF firmware transfer over the HAN", _han_transfer),
    ("ESME", 0x00F0): ("ESME meter integrity issue event", _esme_integrity),
    ("ESME", 0x1000): ("ESME generic critical alert event", _generic),
    ("ESME", 0x1001): ("ESME generic non-critical alert event", _generic),
    ("PPMID", 0x012B): ("PPMID firmware activation", _type1_activation),
    ("CHF", 0x0110): ("CHF duty cycle limitation", _chf_device_event(CommsHubFunction.duty_cycle_limited)),
    ("CHF", 0x0111): ("CHF sub-GHz channel change", _chf_channel_change),
    ("CHF", 0x0112): ("CHF channel scan assessment", _chf_scan_assessment),
    ("CHF", 0x0114): ("CHF message discarded by duty cycle management", _chf_message_discarded),
    ("CHF", 0x0115): ("CHF sub-GHz capacity exhausted", _chf_device_event(CommsHubFunction.no_sub_ghz_capacity)),
    ("ESME", 0x0067): ("ESME supply restored after an outage", _esme_supply_restored),
    ("ESME", 0x0120): ("command the ESME does not support", _esme_unsupported_command),
    ("ESME", 0x0121): ("ESME APC level limit taking effect", _esme_apc_processed),
    ("ESME", 0x0122): ("ESME APC level limit ending", _esme_apc_ended),
    ("ESME", 0x0123): ("ESME operational update", _esme_operational_update),
}
"""(device type, alert message code) -> a device event hook raising that alert."""


CLOCK_TRIGGERS: dict[tuple[str, int], str] = {
    ("ESME", 0x0061): "billing period end on the lab clock (ECS68)",
    ("GSME", 0x008B): "billing period end on the lab clock (GCS53)",
}
"""(device type, alert message code) -> alerts the device raises by itself when the lab clock moves on."""


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
    clock = CLOCK_TRIGGERS.get((kind, alert.message_code))
    if clock is not None:
        return AlertTrigger(f"raised by the {clock}", clock=True)
    return None
