"""The ESME's prepayment methods and registers over the shared credit engine (GBCS 5.11, 14).

Use cases ECS04a/b, ECS07, ECS09, ECS19 and CS01a.

Token gateway ``enter`` (CS01a) checks the UTRN (:mod:`smets_emu.emulator.metering.utrn`) and
applies its credit; Credit ``invoke_credit`` on the emergency credit object (ECS09) activates
emergency credit; Credit ``update_amount`` / ``set_amount_to_value`` on the meter balance (ECS04a/b)
adjust the balance; the meter balance, emergency credit balance and the ECS19 prepayment
registers are computed when read, at the lab clock. Refusals and events queue their GBCS alert
for the prepayment timer (:mod:`smets_emu.emulator.metering.prepayment_timers`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from smets_emu.emulator.cosem.methods import ExecContext, reader
from smets_emu.emulator.metering import prepayment_ports as ports
from smets_emu.emulator.metering.prepayment_commands import activate_emergency, apply_top_up
from smets_emu.emulator.metering.prepayment_timers import queue_alerts
from smets_emu.emulator.metering.utrn import check_utrn
from smets_emu.protocols.payloads.dlms_data import DataTag, DlmsData, IntegerData, StructureData

REGISTERS_OBIS = "0-0:94.44.34.30"
"""ECS19 prepayment registers: meter balance, emergency credit balance, accumulated debt, payment debt,
time debt 1, time debt 2 (each a double-long in 1/100000 of the currency unit)."""
METER_BALANCE_OBIS = "0-0:19.10.0.255"
EMERGENCY_CREDIT_OBIS = "0-0:19.10.1.255"


def _in_use(ctx: ExecContext) -> bool:
    state = ctx.state
    return bool((state.objects_view().get(ports.METERING_KEY) or {}).get(ports.PREPAYMENT_KEY)) or (
        ports.prepayment_mode(state))


def settle_now(ctx: ExecContext) -> None:
    """Settle the credit to now (before and after a command changes the switch or mode)."""
    if _in_use(ctx):
        tariff = ports.tariff_of(ctx.state)
        ports.store(ctx.state, ports.sync(ctx.state, ctx.now, tariff), tariff)


def top_up(ctx: ExecContext, code: str) -> bool:
    """CS01a: check *code* and credit it; False (with the GBCS alert queued) when refused."""
    state = ctx.state
    credit = ports.sync(state, ctx.now)
    if ctx.device is None:
        return False
    check = check_utrn(ctx.device, state, code, credit.used_utrns)
    if not check.accepted:
        ctx.notes.append(f"UTRN refused: {check.reason}")
        if check.alert_code is not None:
            queue_alerts(credit, [check.alert_code], ctx.now)
            ports.store(state, credit)
        return False
    result = apply_top_up(credit, ports.tariff_of(state), check.amount, ctx.now, check.counter)
    if result.refused_alert is not None:
        queue_alerts(credit, [result.refused_alert], ctx.now)
        ports.store(state, credit)
        return False
    queue_alerts(result.credit, result.alerts, ctx.now)
    if result.supply is not None:
        ports.set_supply(state, result.supply)
    ports.store(state, result.credit)
    return True


def invoke_emergency_credit(ctx: ExecContext) -> bool:
    """ECS09: emergency credit is in use afterwards (a meter in credit mode has none to use and succeeds)."""
    state = ctx.state
    if not ports.prepayment_mode(state):
        return True
    credit = ports.sync(state, ctx.now)
    activated = activate_emergency(credit, ports.tariff_of(state))
    if activated is None:
        return False
    credit, alerts, supply = activated
    queue_alerts(credit, alerts, ctx.now)
    if supply is not None:
        ports.set_supply(state, supply)
    ports.store(state, credit)
    return True


def adjust_balance(ctx: ExecContext, amount: int, *, add: bool) -> None:
    """ECS04a/ECS04b: add *amount* to the meter balance, or set it."""
    credit = ports.sync(ctx.state, ctx.now)
    balance = credit.balance + amount if add else amount
    ports.store(ctx.state, replace(credit, balance=ports.clamp32(balance)))


DEBT_OBIS = {"0-0:19.20.1.255": 0, "0-0:19.20.2.255": 1, "0-0:19.20.3.255": 2}
"""Charge objects of the ESME's debts (ECS07): time debt 1, time debt 2, payment debt."""


def adjust_debt(ctx: ExecContext, obis: str, amount: int | None, *, add: bool) -> None:
    """ECS07: add *amount* to a debt (or set it), when *obis* is one of the debt Charges."""
    which = DEBT_OBIS.get(obis)
    if which is None or amount is None:
        return
    credit = ports.sync(ctx.state, ctx.now)
    debts = [*credit.time_debts, credit.payment_debt]
    debts[which] = max(0, min(2**31 - 1, (debts[which] if add else 0) + amount))
    alerted = [a for a in credit.alerted if a != f"debt{which}"]
    ports.store(ctx.state, replace(credit, time_debts=debts[:2], payment_debt=debts[2], alerted=alerted))


def registers(ctx: ExecContext) -> DlmsData:
    """The ECS19 prepayment registers now."""
    state = ctx.state
    credit = ports.credit_now(state, ctx.now)
    tariff = ports.tariff_of(state)
    values = (credit.balance, credit.emergency_balance(tariff), credit.accumulated_debt, credit.payment_debt,
              *credit.time_debts)
    return StructureData(tuple(IntegerData(DataTag.DOUBLE_LONG, ports.clamp32(v)) for v in values))


@reader(112, 2)
def _current_credit(ctx: ExecContext, obj: dict[str, Any]) -> DlmsData | None:
    """Credit current_credit_amount: the meter balance or emergency credit balance now (None: stored value)."""
    if obj["obis"] not in (METER_BALANCE_OBIS, EMERGENCY_CREDIT_OBIS) or not _in_use(ctx):
        return None
    credit = ports.credit_now(ctx.state, ctx.now)
    value = credit.balance if obj["obis"] == METER_BALANCE_OBIS else credit.emergency_balance(
        ports.tariff_of(ctx.state))
    return IntegerData(DataTag.DOUBLE_LONG, ports.clamp32(value))
