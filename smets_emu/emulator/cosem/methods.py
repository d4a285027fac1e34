"""Behaviour of COSEM methods and computed attributes, registered per class (GBCS 5.11, Blue Book classes).

``@method(class_id, method_id)`` registers what an ACTION does; ``@reader(class_id, attribute_id)``
registers attributes whose value comes from the device state rather than the stored value
(clock, firmware version, device identity, CHF device log). Methods of catalogued objects
without a registered behaviour succeed without side effects.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from smets_emu.emulator.cosem.model import CosemModel, decode_obis, now_dlms, parse_date_time
from smets_emu.errors import SmetsError
from smets_emu.protocols.payloads.dlms import ActionResult, DataAccessResult
from smets_emu.protocols.payloads.dlms_data import (
    ArrayData,
    BooleanData,
    DataTag,
    DlmsData,
    IntegerData,
    OctetStringData,
    StructureData,
)

if TYPE_CHECKING:
    from smets_emu.emulator.device import Device

log = logging.getLogger(__name__)

ZIGBEE_NETWORK_CONTROL = 104
DEVICE_LOG_OBIS = "0-0:30.3.0.255"
DISCONNECT_CONTROL = (70, "0-0:96.3.10.255")
FIRMWARE_VERSION_OBIS = "0-0:0.2.1.255"
DEFAULT_FIRMWARE_VERSION = "01000000"
PAN_ID_KEY = "cosem_extended_pan_id"

LOAD_SWITCH_SCRIPTS: dict[int, tuple[int, bool]] = {0x33: (1, True), 0x34: (0, False), 0x35: (2, False)}
"""Disconnect control script (GBCS ECS42/43/44) -> (control state, output state): close, open, arm."""


@dataclass
class ProtectionContext:
    """What Data protection needs to protect attributes for the requester (GBCS 3.6/7.3.3)."""

    counter: int  # transaction-id counter (supplementary originator counter, else the command's)
    originator: bytes  # the device
    recipient: bytes  # the requester
    encrypt: Callable[[bytes], bytes] | None  # plaintext -> protected blob, None when no key


@dataclass
class ExecContext:
    """Everything COSEM behaviours may use while one access request executes."""

    model: CosemModel
    now: dt.datetime
    message_code: int = 0
    originator_counter: int = 0
    protection: ProtectionContext | None = None
    protection_factory: Callable[[], ProtectionContext] | None = None  # builds `protection` when a method needs it
    device_log_changed: bool = False
    notes: list[str] = field(default_factory=list)
    device: Device | None = None  # the device executing (its keys check UTRNs, GBCS 14)

    @property
    def state(self) -> Any:
        return self.model.state


MethodFn = Callable[[ExecContext, dict[str, Any], DlmsData], tuple[int, DlmsData | None]]
ReaderFn = Callable[[ExecContext, dict[str, Any]], DlmsData | None]

METHODS: dict[tuple[int, int], MethodFn] = {}
READERS: dict[tuple[int, int], ReaderFn] = {}
READ_ONLY_METHODS: set[tuple[int, int]] = set()
"""Methods that leave their own object unchanged: invoked on the shared object, nothing copied."""


def method(class_id: int, method_id: int, *, changes_object: bool = True) -> Callable[[MethodFn], MethodFn]:
    """Register the behaviour of method *method_id* of interface class *class_id*.

    A method registered with ``changes_object=False`` gets its object for reading only (it may
    still change other objects through ``ctx.model.get_object(..., write=True)``).
    """

    def mark(fn: MethodFn) -> MethodFn:
        if (class_id, method_id) in METHODS:
            raise TypeError(f"method {class_id}/{method_id} registered twice")
        METHODS[(class_id, method_id)] = fn
        if not changes_object:
            READ_ONLY_METHODS.add((class_id, method_id))
        return fn

    return mark


def reader(class_id: int, attribute_id: int) -> Callable[[ReaderFn], ReaderFn]:
    """Register a computed attribute (the function may return None to use the stored value)."""

    def mark(fn: ReaderFn) -> ReaderFn:
        READERS[(class_id, attribute_id)] = fn
        return fn

    return mark


OK = int(ActionResult.SUCCESS)


def integer_of(value: DlmsData) -> int | None:
    """The value of a DLMS integer, else None."""
    return value.value if isinstance(value, IntegerData) else None


# --------------------------------------------------------------------------- Data (class 1)


@reader(1, 2)
def _data_value(ctx: ExecContext, obj: dict[str, Any]) -> DlmsData | None:
    obis = obj["obis"]
    if obis == FIRMWARE_VERSION_OBIS:
        version = ctx.state.firmware.get("version", DEFAULT_FIRMWARE_VERSION)
        try:
            return OctetStringData(bytes.fromhex(version) if isinstance(version, str) else bytes(version))
        except (ValueError, TypeError):
            return OctetStringData(bytes.fromhex(DEFAULT_FIRMWARE_VERSION))
    if obis == "0-0:96.1.1.255":  # device identity: the EUI-64
        return OctetStringData(ctx.state.eui)
    if obis == prepayment.REGISTERS_OBIS:
        return prepayment.registers(ctx)
    return None


# --------------------------------------------------------------------------- Register, Extended register (3, 4)


@method(3, 1)
def _register_reset(ctx: ExecContext, obj: dict[str, Any], parameter: DlmsData) -> tuple[int, DlmsData | None]:
    value = CosemModel.stored_value(obj, 2)
    if isinstance(value, IntegerData):
        CosemModel.store(obj, 2, IntegerData(value.tag, 0))
    return OK, None


@method(4, 1)
def _extended_register_reset(ctx: ExecContext, obj: dict[str, Any], parameter: DlmsData) -> tuple[int,
                                                                                                  DlmsData | None]:
    _register_reset(ctx, obj, parameter)
    if CosemModel.stored_value(obj, 5) is not None:
        CosemModel.store(obj, 5, now_dlms(ctx.model.device_time(ctx.now)))
    return OK, None


# --------------------------------------------------------------------------- Profile generic (7)


@method(7, 1)
def _profile_reset(ctx: ExecContext, obj: dict[str, Any], parameter: DlmsData) -> tuple[int, DlmsData | None]:
    if "buffer" in obj:
        obj["buffer"]["reset_at"] = ctx.model.device_time(ctx.now).isoformat()
    return OK, None


# --------------------------------------------------------------------------- Clock (8)


@reader(8, 2)
def _clock_time(ctx: ExecContext, obj: dict[str, Any]) -> DlmsData | None:
    return now_dlms(ctx.model.device_time(ctx.now))


@method(8, 5)
def _clock_preset(ctx: ExecContext, obj: dict[str, Any], parameter: DlmsData) -> tuple[int, DlmsData | None]:
    """preset_adjusting_time(preset time, validity start, validity end)."""
    if not (isinstance(parameter, StructureData) and len(parameter.items) == 3
            and all(isinstance(i, OctetStringData) and len(i.value) == 12 for i in parameter.items)):
        return int(ActionResult.TYPE_UNMATCHED), None
    obj["preset"] = [i.value.hex() for i in parameter.items if isinstance(i, OctetStringData)]
    return OK, None


@method(8, 4)
def _clock_adjust_to_preset(ctx: ExecContext, obj: dict[str, Any], parameter: DlmsData) -> tuple[int,
                                                                                                 DlmsData | None]:
    """adjust_to_preset_time: take the preset time (GBCS ECS70).

    A preset whose fields are all "not specified" stands for the middle of the validity window,
    the time the sender expects the adjustment to happen at.
    """
    preset = obj.pop("preset", None)
    if not preset:
        return int(ActionResult.OTHER_REASON), None
    target = parse_date_time(bytes.fromhex(preset[0]))
    start = parse_date_time(bytes.fromhex(preset[1]))
    end = parse_date_time(bytes.fromhex(preset[2]))
    if target is None and start is not None and end is not None and start <= end:
        target = start + (end - start) / 2
    if target is None:
        return int(ActionResult.OTHER_REASON), None
    ctx.model.set_device_time(ctx.now, target)
    return OK, None


# --------------------------------------------------------------------------- Script table (9)


@method(9, 1, changes_object=False)
def _script_execute(ctx: ExecContext, obj: dict[str, Any], parameter: DlmsData) -> tuple[int, DlmsData | None]:
    script = integer_of(parameter)
    if script is None:
        return int(ActionResult.TYPE_UNMATCHED), None
    if obj["obis"] == "0-0:10.0.106.255" and script in LOAD_SWITCH_SCRIPTS:
        prepayment.settle_now(ctx)  # credit used so far is charged with the switch as it was
        control, output = LOAD_SWITCH_SCRIPTS[script]
        switch = ctx.model.get_object(*DISCONNECT_CONTROL, write=True)
        if switch is None:
            switch = ctx.model.add_object(DISCONNECT_CONTROL[0], DISCONNECT_CONTROL[1], {})
        CosemModel.store(switch, 2, BooleanData(0xFF if output else 0x00))
        CosemModel.store(switch, 3, IntegerData(DataTag.ENUM, control))
        prepayment.settle_now(ctx)  # and the new switch state from now on
    return OK, None


# --------------------------------------------------------------------------- Data protection (30)


@method(30, 1)
def _get_protected_attributes(ctx: ExecContext, obj: dict[str, Any], parameter: DlmsData) -> tuple[int,
                                                                                                   DlmsData | None]:
    """get_protected_attributes: read the listed attributes and return them encrypted (GBCS 5.11, 3.6)."""
    from smets_emu.emulator.cosem.engine import read_attribute

    if not (isinstance(parameter, StructureData) and len(parameter.items) == 2
            and isinstance(parameter.items[0], ArrayData)):
        return int(ActionResult.TYPE_UNMATCHED), None
    protection = ctx.protection
    if protection is None and ctx.protection_factory is not None:
        protection = ctx.protection = ctx.protection_factory()
    if protection is None or protection.encrypt is None:
        return int(ActionResult.OTHER_REASON), None
    values: list[DlmsData] = []
    for entry in parameter.items[0].items:
        if not (isinstance(entry, StructureData) and len(entry.items) >= 3):
            return int(ActionResult.TYPE_UNMATCHED), None
        class_id = integer_of(entry.items[0])
        obis = decode_obis(entry.items[1])
        attribute_id = integer_of(entry.items[2])
        if class_id is None or obis is None or attribute_id is None:
            return int(ActionResult.TYPE_UNMATCHED), None
        selector: int | None = None
        selection: DlmsData | None = None
        if len(entry.items) >= 5 and isinstance(entry.items[4], StructureData) and len(entry.items[4].items) == 2:
            selector = integer_of(entry.items[4].items[0]) or None
            selection = entry.items[4].items[1] if selector else None
        result, value = read_attribute(ctx, class_id, obis, attribute_id, selector, selection)
        if result != int(DataAccessResult.SUCCESS) or value is None:
            return result, None
        values.append(value)
    plaintext = StructureData(tuple(values)).encode()
    try:
        blob = protection.encrypt(plaintext)
    except SmetsError as exc:
        log.info("cannot protect attributes: %s", exc)
        return int(ActionResult.OTHER_REASON), None
    return OK, StructureData((protection_parameters(protection), OctetStringData(blob)))


def protection_parameters(p: ProtectionContext) -> DlmsData:
    """Protection parameters: authenticated encryption with an agreed key C(0e, 2s) (GBCS 5.11)."""
    options = StructureData((
        OctetStringData(b"\x04" + p.counter.to_bytes(8, "big")),
        OctetStringData(p.originator),
        OctetStringData(p.recipient),
        OctetStringData(b""),
        StructureData((IntegerData(DataTag.ENUM, 2), StructureData((OctetStringData(b"\x02"), OctetStringData(b""))))),
    ))
    return ArrayData((StructureData((IntegerData(DataTag.ENUM, 2), options)),))


# --------------------------------------------------------------------------- Credit, Charge, Token gateway


@method(112, 1)
def _credit_update_amount(ctx: ExecContext, obj: dict[str, Any], parameter: DlmsData) -> tuple[int,
                                                                                               DlmsData | None]:
    return _credit_adjust(ctx, obj, parameter, add=True)


@method(112, 2)
def _credit_set_amount(ctx: ExecContext, obj: dict[str, Any], parameter: DlmsData) -> tuple[int, DlmsData | None]:
    return _credit_adjust(ctx, obj, parameter, add=False)


def _credit_adjust(ctx: ExecContext, obj: dict[str, Any], parameter: DlmsData, *, add: bool) -> tuple[int,
                                                                                                  DlmsData | None]:
    """update_amount / set_amount_to_value; on the meter balance (ECS04a/b) through the prepayment engine."""
    result = _adjust(obj, 2, parameter, add=add)
    amount = integer_of(parameter)
    if result[0] == OK and amount is not None and obj["obis"] == prepayment.METER_BALANCE_OBIS:
        prepayment.adjust_balance(ctx, amount, add=add)
    return result


@method(113, 2)
def _charge_activate_passive(ctx: ExecContext, obj: dict[str, Any], parameter: DlmsData) -> tuple[int,
                                                                                                 DlmsData | None]:
    """activate_passive_unit_charge (ECS07): the passive unit charge becomes the active one."""
    passive = CosemModel.stored_value(obj, 6)
    if passive is not None:
        prepayment.settle_now(ctx)  # credit used so far is charged at the old rate
        CosemModel.store(obj, 5, passive)
    return OK, None


@method(113, 4)
def _charge_update_total(ctx: ExecContext, obj: dict[str, Any], parameter: DlmsData) -> tuple[int,
                                                                                              DlmsData | None]:
    """update_total_amount_remaining: on a debt's Charge (ECS07) the engine's debt grows by the amount."""
    result = _adjust(obj, 3, parameter, add=True)
    prepayment.adjust_debt(ctx, obj["obis"], integer_of(parameter), add=True)
    return result


@method(113, 5)
def _charge_set_total(ctx: ExecContext, obj: dict[str, Any], parameter: DlmsData) -> tuple[int, DlmsData | None]:
    result = _adjust(obj, 3, parameter, add=False)
    prepayment.adjust_debt(ctx, obj["obis"], integer_of(parameter), add=False)
    return result


def _adjust(obj: dict[str, Any], attribute_id: int, parameter: DlmsData, *, add: bool) -> tuple[int,
                                                                                                DlmsData | None]:
    amount = integer_of(parameter)
    if amount is None:
        return int(ActionResult.TYPE_UNMATCHED), None
    current = CosemModel.stored_value(obj, attribute_id)
    base = current.value if isinstance(current, IntegerData) and add else 0
    CosemModel.store(obj, attribute_id, IntegerData(DataTag.DOUBLE_LONG, max(-(2**31), min(2**31 - 1,
                                                                                       base + amount))))
    return OK, None


@method(115, 1)
def _token_enter(ctx: ExecContext, obj: dict[str, Any], parameter: DlmsData) -> tuple[int, DlmsData | None]:
    """enter(token): apply a 20-digit UTRN (CS01a, GBCS 14) to the prepayment engine and keep it with its time."""
    if not isinstance(parameter, OctetStringData):
        return int(ActionResult.TYPE_UNMATCHED), None
    token = parameter.value
    if len(token) != 20 or not token.isdigit():
        return int(ActionResult.OTHER_REASON), None
    if not prepayment.top_up(ctx, token.decode()):
        return int(ActionResult.OTHER_REASON), None
    CosemModel.store(obj, 2, OctetStringData(token))
    CosemModel.store(obj, 3, now_dlms(ctx.model.device_time(ctx.now)))
    return OK, None


@method(112, 3, changes_object=False)
def _invoke_credit(ctx: ExecContext, obj: dict[str, Any], parameter: DlmsData) -> tuple[int, DlmsData | None]:
    """invoke_credit on the emergency credit object (ECS09): other-reason (250) when none is available."""
    if obj["obis"] != prepayment.EMERGENCY_CREDIT_OBIS or prepayment.invoke_emergency_credit(ctx):
        return OK, None
    return int(ActionResult.OTHER_REASON), None


from smets_emu.emulator.cosem import network_control, prepayment  # noqa: E402  (class 104 and credit use the above)

__all__ = [
    "METHODS",
    "READERS",
    "ExecContext",
    "ProtectionContext",
    "integer_of",
    "method",
    "network_control",
    "prepayment",
    "protection_parameters",
    "reader",
]
