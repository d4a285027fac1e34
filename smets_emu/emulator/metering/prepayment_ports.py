"""Where the prepayment engine meets each meter's object model: tariff, thresholds, supply and registers.

The engine (:mod:`smets_emu.emulator.metering.prepayment`) is the same for both meters; this
module reads what it needs from the ESME's COSEM objects or the GSME's ZCL attributes, keeps the
engine's registers in ``state.objects["metering"]["prepayment"]`` and mirrors them where the
meter's reads find them.

ESME (GBCS 5.11 objects, values in 1/100000 of the currency unit):

- payment mode: Account ``0-1:19.0.0.255`` attribute 2 (payment mode 2 = prepayment; ECS02/ECS03);
- price: Charge ``0-0:19.20.0.255`` unit charge active, the price matrix by TOU rate and block
  (:mod:`.prepayment_prices`), scaled by its commodity and price scale (ECS01a); standing charge:
  Charge ``0-0:19.20.4.255`` (per day);
  without a price set, :data:`DEFAULT_ESME_PRICE`;
- thresholds: GBCS extended data (class 9000) active values: emergency credit limit
  ``0-0:94.44.128.2``, threshold ``128.3``, low credit ``128.9``, maximum credit ``0-0:94.44.2.10``,
  maximum meter balance ``0-0:94.44.2.20`` (ECS08); disablement threshold 0;
- debts (ECS07): time debts 1 and 2 on Charge ``0-0:19.20.1.255`` / ``0-0:19.20.2.255`` (unit
  charge per collection period, attribute 8), payment debt on ``0-0:19.20.3.255`` (proportion,
  attribute 13, in 1/100 %); the amounts are the engine's, changed by update / set total amount;
- supply: Disconnect control ``0-0:96.3.10.255`` control state (0 disconnected = disabled,
  1 connected = enabled, 2 ready for reconnection = armed); a switch never operated is enabled;
- registers: meter balance Credit ``0-0:19.10.0.255`` attribute 2, emergency credit balance
  ``0-0:19.10.1.255`` attribute 2.

GSME (SE 1.4 Price and Prepayment clusters, GBCS 7.5): payment mode Prepayment 0x0000 bit 1;
price by tier and block (Price 0x0410.. / 0x0400.., :mod:`.prepayment_prices`) and standing charge
0x0301, both with the trailing digits of 0x0617 (per m3 of gas: the model's dm3 / 1000); emergency
credit limit 0x0010, threshold 0x0011,
low credit 0x0031, disablement (cut off value) 0x0040, maximum credit level 0x0021 and per top-up
0x0022; debts 1 and 2 time-based (daily recovery 0x0217 / 0x0227), debt 3 payment-based
(0x0239, 1/100 %); supply Metering 0x0014 (0 off, 1 armed, 2 on); registers mirrored to
0x0001 credit remaining, 0x0002 emergency credit remaining, 0x0003 credit status, 0x0005
accumulated debt and the debt amounts 0x0211 / 0x0221 / 0x0231.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache
from typing import Any

from smets_emu.emulator.metering.config import device_model
from smets_emu.emulator.metering.prepayment import Credit, Supply, Tariff, settle
from smets_emu.emulator.metering.prepayment_prices import esme_price, gsme_price
from smets_emu.emulator.metering.prepayment_pricing import Pricing
from smets_emu.emulator.state import DeviceState
from smets_emu.errors import SmetsError
from smets_emu.protocols.payloads.dlms_data import (
    ArrayData,
    BooleanData,
    DataTag,
    DlmsData,
    IntegerData,
    StructureData,
)

log = logging.getLogger(__name__)

METERING_KEY = "metering"
PREPAYMENT_KEY = "prepayment"
DEFAULT_ESME_PRICE = 24_500
"""Money per kWh (24.5 p/kWh) an ESME charges while its price matrix is unset."""
DEFAULT_GSME_PRICE = 60_000
"""Money per m3 (60 p/m3) a GSME charges while its block 1 price is unset."""

ACCOUNT, PAYMENT_MODE = "111/0-1:19.0.0.255", 2
PRICE_MATRIX, STANDING_CHARGE = "113/0-0:19.20.0.255", "113/0-0:19.20.4.255"
TIME_DEBTS, PAYMENT_DEBT = ("113/0-0:19.20.1.255", "113/0-0:19.20.2.255"), "113/0-0:19.20.3.255"
DISCONNECT = "70/0-0:96.3.10.255"
METER_BALANCE, EMERGENCY_BALANCE = "112/0-0:19.10.0.255", "112/0-0:19.10.1.255"
ESME_LIMITS = {"ec_limit": "9000/0-0:94.44.128.2", "ec_threshold": "9000/0-0:94.44.128.3",
               "low_credit": "9000/0-0:94.44.128.9", "max_credit": "9000/0-0:94.44.2.10",
               "max_balance": "9000/0-0:94.44.2.20"}
PREPAYMENT, PRICE, METERING = "0705", "0700", "0702"
ZCL_SUPPLY = {0: Supply.DISABLED, 1: Supply.ARMED, 2: Supply.ENABLED}


# --------------------------------------------------------------------------- reading objects


@lru_cache(maxsize=64)
def _profile(device_type: str, profile: str) -> dict[str, dict[str, Any]]:
    """The shared profile objects (built once per profile; never modified)."""
    from smets_emu.emulator.cosem.profiles import shared_profile_objects

    return shared_profile_objects(device_type, profile)


def _cosem(state: DeviceState, key: str) -> dict[str, Any] | None:
    """An ESME object (the device's own, else the profile's), for reading only."""
    own = (state.objects_view().get("cosem") or {}).get(key)
    if own is not None:
        return own
    return _profile(state.device_type, state.profile or "default").get(key)


def _cosem_value(state: DeviceState, key: str, attribute: int) -> DlmsData | None:
    obj = _cosem(state, key)
    value = None if obj is None else (obj.get("attributes", {}).get(str(attribute)) or {}).get("value")
    try:
        return None if value is None else DlmsData.from_json(value)
    except (SmetsError, KeyError, TypeError, ValueError):  # an unreadable stored value counts as unset
        return None


def _int(value: DlmsData | None) -> int:
    return value.value if isinstance(value, IntegerData) else 0


def _zcl(state: DeviceState, cluster: str, attribute: int, default: int = 0) -> int:
    entry = ((state.objects_view().get("clusters") or {}).get(cluster) or {}).get(f"{attribute:04X}")
    try:
        return int(entry["value"]) if entry is not None else default
    except (TypeError, ValueError):
        return default


def prepayment_mode(state: DeviceState) -> bool:
    """True when the meter is in prepayment mode (cheap: no object model is built)."""
    if state.device_type == "ESME":
        obj = _cosem(state, ACCOUNT)  # the stored JSON read as it is: this runs for every command the meter takes
        mode = None if obj is None else (obj.get("attributes", {}).get(str(PAYMENT_MODE)) or {}).get("value")
        items = mode.get("value") if isinstance(mode, dict) and mode.get("type") == "structure" else None
        return (isinstance(items, list) and len(items) == 2 and isinstance(items[1], dict)
                and items[1].get("type") == "enum" and items[1].get("value") == 2)
    if state.device_type == "GSME":
        return bool(_zcl(state, PREPAYMENT, 0x0000) & 0x02)
    return False


def _charge(state: DeviceState, key: str) -> tuple[int, int] | None:
    """(money, per units) of the first charge table entry of a Charge object's active unit charge."""
    value = _cosem_value(state, key, 5)
    if not (isinstance(value, StructureData) and len(value.items) == 3):
        return None
    scaling, _, tables = value.items
    if not (isinstance(scaling, StructureData) and len(scaling.items) == 2 and isinstance(tables, ArrayData)
            and tables.items and isinstance(tables.items[0], StructureData) and len(tables.items[0].items) == 2):
        return None
    amount = _int(tables.items[0].items[1])
    commodity, price = _int(scaling.items[0]), _int(scaling.items[1])
    if amount <= 0 or not -20 <= commodity <= 20 or not -20 <= price <= 20:
        return None
    exponent = price + 5  # to 1/100000 of the currency unit
    return amount * 10 ** max(exponent, 0), 10 ** max(commodity, 0) * 10 ** max(-exponent, 0)


def _daily_rate(state: DeviceState, key: str) -> int:
    """A time-based debt's recovery per day: its Charge's active unit charge per collection period (ECS07)."""
    charge = _charge(state, key)
    if charge is None:
        return 0
    period = _int(_cosem_value(state, key, 8))
    return charge[0] * 86_400 // (charge[1] * (period if period > 0 else 86_400))


def tariff_of(state: DeviceState) -> Tariff:
    """The device's tariff and thresholds for the engine (see the module doc for where each comes from)."""
    if state.device_type == "ESME":
        priced = esme_price(state, _cosem_value(state, PRICE_MATRIX, 5))
        pricing = priced if isinstance(priced, Pricing) else None
        price = (DEFAULT_ESME_PRICE, 1000) if priced is None else (0, priced.per) if pricing is not None else priced
        standing = _charge(state, STANDING_CHARGE)
        limits = {name: max(0, _int(_cosem_value(state, key, 2))) for name, key in ESME_LIMITS.items()}
        share = _int(_cosem_value(state, PAYMENT_DEBT, 13))
        return Tariff(prepayment=prepayment_mode(state), price=price[0], per=price[1], pricing=pricing,
                      standing_charge=0 if standing is None else standing[0] // standing[1],
                      time_debt_rates=(_daily_rate(state, TIME_DEBTS[0]), _daily_rate(state, TIME_DEBTS[1])),
                      payment_debt_share=max(0, min(10_000, share)), **limits)
    if state.device_type == "GSME":
        digits = (_zcl(state, PRICE, 0x0617) >> 4) & 0x0F
        scale = (10 ** max(5 - digits, 0), 10 ** max(digits - 5, 0))
        gas = gsme_price(state, lambda attribute: _zcl(state, PRICE, attribute), scale)
        gas_pricing = gas if isinstance(gas, Pricing) else None
        price = DEFAULT_GSME_PRICE if gas is None else 0 if gas_pricing is not None else gas[0]
        return Tariff(
            prepayment=prepayment_mode(state), price=price, per=1000, pricing=gas_pricing,
            standing_charge=max(0, _zcl(state, PRICE, 0x0301)) * scale[0] // scale[1],
            low_credit=_zcl(state, PREPAYMENT, 0x0031), ec_limit=_zcl(state, PREPAYMENT, 0x0010),
            ec_threshold=_zcl(state, PREPAYMENT, 0x0011), disablement=_zcl(state, PREPAYMENT, 0x0040),
            max_credit=_zcl(state, PREPAYMENT, 0x0022), max_balance=_zcl(state, PREPAYMENT, 0x0021),
            time_debt_rates=(max(0, _zcl(state, PREPAYMENT, 0x0217)), max(0, _zcl(state, PREPAYMENT, 0x0227))),
            payment_debt_share=max(0, min(10_000, _zcl(state, PREPAYMENT, 0x0239))),
        )
    return Tariff()


def supply_of(state: DeviceState) -> Supply:
    """The supply state from the load switch (ESME) or valve (GSME)."""
    if state.device_type == "ESME":
        if _cosem_value(state, DISCONNECT, 2) is None:
            return Supply.ENABLED  # never operated
        return {0: Supply.DISABLED, 1: Supply.ENABLED, 2: Supply.ARMED}.get(
            _int(_cosem_value(state, DISCONNECT, 3)), Supply.ENABLED)
    return ZCL_SUPPLY.get(_zcl(state, METERING, 0x0014, 2), Supply.ENABLED)


# --------------------------------------------------------------------------- writing


def _write_cosem(state: DeviceState, key: str, attributes: dict[int, DlmsData]) -> None:
    obj = state.object_for_write("cosem", key)
    if obj is None:
        from smets_emu.emulator.state import copy_tree

        shared = _cosem(state, key)
        class_id, _, obis = key.partition("/")
        obj = copy_tree(shared) if shared is not None else {"class_id": int(class_id), "obis": obis,
                                                               "attributes": {}, "methods": []}
        state.put_object("cosem", key, obj)
    for attribute, value in attributes.items():
        entry = obj["attributes"].setdefault(str(attribute), {"value": None, "access": "r"})
        entry["value"] = value.to_json()


def _write_zcl(state: DeviceState, cluster: str, values: dict[int, tuple[int, str]]) -> None:
    from smets_emu.emulator.zcl.profiles import apply_profile

    apply_profile(state)  # never a partial model: the profile's clusters first
    clusters = state.objects.setdefault("clusters", {})
    target = clusters.setdefault(cluster, {})
    for attribute, (value, type_name) in values.items():
        entry = target.setdefault(f"{attribute:04X}", {"type": type_name, "value": value, "access": "r"})
        entry["value"] = value


def set_supply(state: DeviceState, supply: Supply) -> None:
    """Open, arm or close the load switch (ESME) or valve (GSME) of the working copy *state*."""
    if state.device_type == "ESME":
        control = {Supply.DISABLED: 0, Supply.ENABLED: 1, Supply.ARMED: 2}[supply]
        _write_cosem(state, DISCONNECT, {2: BooleanData(0xFF if supply is Supply.ENABLED else 0),
                                         3: IntegerData(DataTag.ENUM, control)})
    elif state.device_type == "GSME":
        value = {Supply.DISABLED: 0, Supply.ARMED: 1, Supply.ENABLED: 2}[supply]
        _write_zcl(state, METERING, {0x0014: (value, "ENUM8")})


def clamp32(value: int) -> int:
    """*value* held to a double-long (the registers and attributes that show money are 32-bit signed)."""
    return max(-(2**31), min(2**31 - 1, value))


def stored_credit(state: DeviceState) -> Credit | None:
    """The registers kept in *state*; None when none are (or they cannot be read: the meter starts afresh)."""
    stored = (state.objects_view().get(METERING_KEY) or {}).get(PREPAYMENT_KEY)
    if not stored:
        return None
    try:
        credit = Credit.from_json(stored)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        log.warning("device %s: unreadable prepayment registers (%s): starting afresh", state.eui.hex(), exc)
        return None
    return credit


def load(state: DeviceState, now: dt.datetime, tariff: Tariff | None = None) -> Credit:
    """The stored registers, or fresh ones settled at *now* from the meter's own balance attributes (*tariff*: the
    meter's :func:`tariff_of`, when the caller has it)."""
    stored = stored_credit(state)
    if stored is not None:
        return stored
    if state.device_type == "GSME":
        credit = Credit(settled_at=now, balance=_zcl(state, PREPAYMENT, 0x0001),
                        accumulated_debt=max(0, _zcl(state, PREPAYMENT, 0x0005)),
                        time_debts=[_zcl(state, PREPAYMENT, 0x0211), _zcl(state, PREPAYMENT, 0x0221)],
                        payment_debt=_zcl(state, PREPAYMENT, 0x0231))
    else:
        credit = Credit(settled_at=now, balance=_int(_cosem_value(state, METER_BALANCE, 2)))
    credit.mode_seen, credit.supply_seen = prepayment_mode(state), supply_of(state).value
    tariff = tariff_of(state) if tariff is None else tariff
    credit.charges, credit.pricing = tariff.charges, tariff.pricing_json
    return credit


def used_utrns(state: DeviceState) -> list[int]:
    """The UTRN counters the meter accepted (and, from labs written before the engine, the GSME's own table)."""
    stored = (state.objects_view().get(METERING_KEY) or {}).get(PREPAYMENT_KEY) or {}
    tables = state.objects_view().get("tables") or {}
    legacy = (tables.get("utrn_counters") or []) if state.device_type == "GSME" else []
    return sorted({*(int(v) for v in stored.get("used_utrns", [])), *(int(v) for v in legacy)})


def store(state: DeviceState, credit: Credit, tariff: Tariff | None = None) -> None:
    """Keep *credit* in the working copy and mirror the registers into the meter's objects (*tariff*: the meter's
    :func:`tariff_of`, when the caller has it; the registers written are none of its inputs)."""
    state.put_object(METERING_KEY, PREPAYMENT_KEY, credit.to_json())
    tariff = tariff_of(state) if tariff is None else tariff
    if state.device_type == "ESME":
        _write_cosem(state, METER_BALANCE, {2: IntegerData(DataTag.DOUBLE_LONG, clamp32(credit.balance))})
        _write_cosem(state, EMERGENCY_BALANCE,
                     {2: IntegerData(DataTag.DOUBLE_LONG, clamp32(credit.emergency_balance(tariff)))})
    elif state.device_type == "GSME":
        combined = credit.combined(tariff)
        available = tariff.ec_limit > 0 and not credit.ec_in_use and credit.balance <= tariff.ec_threshold
        status = ((combined > tariff.low_credit) | (combined <= tariff.low_credit) << 1 | (tariff.ec_limit > 0) << 2
                  | available << 3 | credit.ec_in_use << 4 | credit.ec_in_use << 5
                  | (credit.supply_seen == Supply.DISABLED.value) << 6)
        _write_zcl(state, PREPAYMENT, {
            0x0001: (clamp32(credit.balance), "INT32"), 0x0002: (clamp32(credit.emergency_balance(tariff)), "INT32"),
            0x0003: (status, "BITMAP8"), 0x0005: (clamp32(credit.accumulated_debt), "INT32"),
            0x0211: (clamp32(credit.time_debts[0]), "UINT32"), 0x0221: (clamp32(credit.time_debts[1]), "UINT32"),
            0x0231: (clamp32(credit.payment_debt), "UINT32"),
        })


def sync(state: DeviceState, now: dt.datetime, tariff: Tariff | None = None) -> Credit:
    """The registers settled to *now*, taking on the meter's current payment mode and supply state after.

    The interval since the settled point is charged with the mode, supply and charges seen then:
    a mode, switch or price changed by a command is taken on at that command (or the timer tick
    after it).
    """
    tariff = tariff_of(state) if tariff is None else tariff
    credit = settle(load(state, now, tariff), tariff, device_model(state), now)
    credit.mode_seen, credit.supply_seen, credit.charges = tariff.prepayment, supply_of(state).value, tariff.charges
    credit.pricing = tariff.pricing_json
    return credit


def changed(credit: Credit, state: DeviceState, tariff: Tariff) -> bool:
    """True when a command changed the payment mode, the switch or the charges since the settled point."""
    return credit.mode_seen != tariff.prepayment or (tariff.prepayment and (
        credit.supply_seen != supply_of(state).value or credit.charges != tariff.charges
        or credit.pricing != tariff.pricing_json))


def enable_by_consumer(state: DeviceState, now: dt.datetime) -> bool:
    """The consumer (or a PPMID, PECS03) enables an armed supply; False unless armed with credit above disablement.

    Changes the working copy *state*: the credit is settled to *now* and the switch or valve closed.
    """
    if supply_of(state) is not Supply.ARMED:
        return False
    tariff = tariff_of(state)
    credit = sync(state, now)
    if tariff.prepayment and credit.combined(tariff) <= tariff.disablement:
        return False
    set_supply(state, Supply.ENABLED)
    credit.supply_seen = Supply.ENABLED.value
    store(state, credit)
    return True


def credit_now(state: DeviceState, now: dt.datetime) -> Credit:
    """The registers as they are at *now*, for reads (nothing is stored)."""
    return sync(state, now)


def zcl_attribute(state: DeviceState, attribute_id: int, now: dt.datetime) -> int | None:
    """A GSME Prepayment cluster register read at *now* (GCS14); None when the engine does not keep it."""
    if attribute_id not in (0x0001, 0x0002, 0x0005) or not (state.objects_view().get(METERING_KEY) or {}).get(
            PREPAYMENT_KEY):
        return None
    credit = credit_now(state, now)
    value = {0x0001: credit.balance, 0x0002: credit.emergency_balance(tariff_of(state)),
             0x0005: credit.accumulated_debt}[attribute_id]
    return clamp32(value)
