"""Prepayment cluster commands of the GSME (SE 1.4 D.7; GBCS 7.5): top-ups, debt, credit, payment mode."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from smets_emu.emulator.metering import prepayment_ports as ports
from smets_emu.emulator.metering.prepayment_commands import activate_emergency, apply_top_up
from smets_emu.emulator.metering.prepayment_timers import queue_alerts
from smets_emu.emulator.zcl.model import (
    PREPAYMENT,
)
from smets_emu.emulator.zcl.registry import (
    C2S,
    ExecContext,
    Reply,
    TopUpCheck,
    ack,
    behaviour,
    default_response,
    field_start,
    header_start,
    not_found,
    snapshots,
    utc,
)
from smets_emu.protocols.payloads.gbz import GbzComponent
from smets_emu.protocols.payloads.zcl import ZclStatus

# --- Prepayment cluster (SE 1.4 D.7) ---------------------------------------------------------


PPMID_TOP_UP = 0x009B
"""PCS01: a top-up entered on the PPMID, reported as credit added locally (0x810E)."""


def _select_emergency_credit(ctx: ExecContext, comp: GbzComponent, f: dict[str, Any]) -> list[Reply]:
    """GCS06 / PCS02: emergency credit in use afterwards, else FAILURE (GBCS GCS06); a meter in credit mode
    has none to use and succeeds."""
    state = ctx.model.state
    if ports.prepayment_mode(state):
        credit = ports.sync(state, ctx.now)
        activated = activate_emergency(credit, ports.tariff_of(state))
        if activated is None:
            return [default_response(comp, ZclStatus.FAILURE)]
        credit, alerts, supply = activated
        queue_alerts(credit, alerts, ctx.now)
        if supply is not None:
            ports.set_supply(state, supply)
        ports.store(state, credit)
    status = int(ctx.model.get(PREPAYMENT, 0x0003, 0) or 0)
    ctx.model.set(PREPAYMENT, 0x0003, status | 0x10, "BITMAP8")  # emergency credit selected
    return [default_response(comp, ZclStatus.SUCCESS)]


behaviour(PREPAYMENT, C2S, 0x00, "Select Available Emergency Credit")(_select_emergency_credit)


def _apply_change_debt(ctx: ExecContext, f: dict[str, Any]) -> None:
    m = ctx.model
    kind = int(f["debt_amount_type"])
    base = 0x0210 + 0x10 * min(kind // 2, 2)
    amount = int(f["debt_amount"])
    if kind % 2:  # incremental
        amount += int(m.get(PREPAYMENT, base + 1, 0) or 0)
    m.set(PREPAYMENT, base + 1, amount, "UINT32")
    m.set(PREPAYMENT, base + 2, int(f["debt_recovery_method"]), "ENUM8")
    m.set(PREPAYMENT, base + 6, int(f["debt_recovery_frequency"]), "ENUM8")
    m.set(PREPAYMENT, base + 7, int(f["debt_recovery_amount"]), "UINT32")
    m.set(PREPAYMENT, base + 9, int(f["debt_recovery_balance_percentage"]), "UINT16")
    state = m.state
    if (state.objects_view().get(ports.METERING_KEY) or {}).get(ports.PREPAYMENT_KEY):  # the engine owns the debts
        credit = ports.sync(state, ctx.now)
        debts = [int(m.get(PREPAYMENT, 0x0211, 0) or 0), int(m.get(PREPAYMENT, 0x0221, 0) or 0)]
        alerted = [a for a in credit.alerted if not a.startswith("debt")]
        ports.store(state, replace(credit, time_debts=debts, payment_debt=int(m.get(PREPAYMENT, 0x0231, 0) or 0),
                                   alerted=alerted))


behaviour(PREPAYMENT, C2S, 0x02, "Change Debt", apply=_apply_change_debt)(ack)


def _apply_emergency_credit_setup(ctx: ExecContext, f: dict[str, Any]) -> None:
    ctx.model.set(PREPAYMENT, 0x0010, int(f["emergency_credit_limit"]), "UINT32")
    ctx.model.set(PREPAYMENT, 0x0011, int(f["emergency_credit_threshold"]), "UINT32")


behaviour(PREPAYMENT, C2S, 0x03, "Emergency Credit Setup", apply=_apply_emergency_credit_setup,
          start=field_start("start_time"))(ack)


@behaviour(PREPAYMENT, C2S, 0x04, "Consumer Top Up")
def _consumer_top_up(ctx: ExecContext, comp: GbzComponent, f: dict[str, Any]) -> list[Reply]:
    """CS01b / PCS01: check the UTRN (GBCS 14) and credit it through the prepayment engine."""
    source = int(f["originating_device"])
    code = str(f["top_up_code"])
    check = ctx.verify_top_up(code) if ctx.verify_top_up else TopUpCheck(3)
    state = ctx.model.state
    credit = ports.sync(state, ctx.now)
    refused = check.alert_code
    result = None
    if check.result_type == 0:
        result = apply_top_up(credit, ports.tariff_of(state), check.amount, ctx.now, check.counter)
        refused = result.refused_alert
    if result is None or refused is not None:
        if refused is not None:
            queue_alerts(credit, [refused], ctx.now)
            ports.store(state, credit)
        fields = {"result_type": check.result_type or 3, "top_up_value": -1, "source_of_top_up": source,
                  "credit_remaining": -1}
        return [Reply(0x03, fields, status=ZclStatus.SUCCESS)]
    credit = result.credit
    local = (0x810E,) if ctx.message_code == PPMID_TOP_UP else ()
    queue_alerts(credit, (*local, *result.alerts), ctx.now)
    if result.supply is not None:
        ports.set_supply(state, result.supply)
    ports.store(state, credit)
    m = ctx.model
    m.set(PREPAYMENT, 0x0020, int(m.get(PREPAYMENT, 0x0020, 0) or 0) + check.amount, "UINT32")
    log = m.table("top_up_log")
    log.append({"code": code, "amount": check.amount, "time": ctx.now_utc})
    del log[:-10]
    fields = {"result_type": 0, "top_up_value": check.amount, "source_of_top_up": source,
              "credit_remaining": ports.clamp32(credit.balance)}
    return [Reply(0x03, fields)]


def _apply_credit_adjustment(ctx: ExecContext, f: dict[str, Any]) -> None:
    """GCS40a/b (credit balance, types 0 incremental / 1 absolute) through the engine; GCS40c/d the debt."""
    m = ctx.model
    kind, value = int(f["credit_adjustment_type"]), int(f["credit_adjustment_value"])
    if kind in (0, 1):
        credit = ports.sync(m.state, ctx.now)
        balance = credit.balance + value if kind == 0 else value
        ports.store(m.state, replace(credit, balance=ports.clamp32(balance)))
        return
    current = int(m.get(PREPAYMENT, 0x0005, 0) or 0)
    m.set(PREPAYMENT, 0x0005, current + value if kind == 3 else value, "INT32")


behaviour(PREPAYMENT, C2S, 0x05, "Credit Adjustment", apply=_apply_credit_adjustment,
          start=field_start("start_time"))(ack)


def _apply_payment_mode(ctx: ExecContext, f: dict[str, Any]) -> None:
    """GCS02/GCS03: the engine charges up to now in the old mode, then in the new one."""
    state = ctx.model.state
    tracked = (state.objects_view().get(ports.METERING_KEY) or {}).get(ports.PREPAYMENT_KEY)
    if tracked:
        ports.store(state, ports.sync(state, ctx.now))
    ctx.model.set(PREPAYMENT, 0x0000, int(f["proposed_payment_control_configuration"]), "BITMAP16")
    ctx.model.set(PREPAYMENT, 0x0040, int(f["cut_off_value"]), "INT32")
    if tracked or ports.prepayment_mode(state):
        ports.store(state, ports.sync(state, ctx.now))


@behaviour(PREPAYMENT, C2S, 0x06, "Change Payment Mode", apply=_apply_payment_mode,
           start=field_start("implementation_date_time"))
def _change_payment_mode(ctx: ExecContext, comp: GbzComponent, f: dict[str, Any]) -> list[Reply]:
    m = ctx.model
    fields = {
        "friendly_credit": 1 if m.mapping("calendars") else 0,
        "friendly_credit_calendar_id": int(m.mapping("active_calendars").get("3", 0)),
        "emergency_credit_limit": int(m.get(PREPAYMENT, 0x0010, 0) or 0),
        "emergency_credit_threshold": int(m.get(PREPAYMENT, 0x0011, 0) or 0),
    }
    return [Reply(0x02, fields, disable_default_response=True)]


@behaviour(PREPAYMENT, C2S, 0x07, "Get Prepay Snapshot")
def _get_prepay_snapshot(ctx: ExecContext, comp: GbzComponent, f: dict[str, Any]) -> list[Reply]:
    return snapshots(ctx, comp, f, "0705", 0x01)


@behaviour(PREPAYMENT, C2S, 0x08, "Get Top Up Log")
def _get_top_up_log(ctx: ExecContext, comp: GbzComponent, f: dict[str, Any]) -> list[Reply]:
    earliest = comp.from_date_time or 0
    latest = utc(f.get("latest_end_time"))
    rows = [r for r in ctx.model.table("top_up_log") if earliest <= int(r["time"]) <= latest]
    rows = rows[-int(f["number_of_records"]):] if int(f["number_of_records"]) else rows
    if not rows:
        return not_found(comp)
    top_ups = [{"top_up_code": r["code"], "top_up_amount": int(r["amount"]), "top_up_time": {"utc": int(r["time"])}}
               for r in rows]
    return [Reply(0x05, {"command_index": 0, "total_number_of_commands": 1, "top_ups": top_ups},
                  disable_default_response=True)]


def _apply_low_credit(ctx: ExecContext, f: dict[str, Any]) -> None:
    ctx.model.set(PREPAYMENT, 0x0031, int(f["low_credit_warning_level"]), "UINT32")


behaviour(PREPAYMENT, C2S, 0x09, "Set Low Credit Warning Level", apply=_apply_low_credit, start=header_start)(ack)


@behaviour(PREPAYMENT, C2S, 0x0A, "Get Debt Repayment Log")
def _get_debt_log(ctx: ExecContext, comp: GbzComponent, f: dict[str, Any]) -> list[Reply]:
    earliest = comp.from_date_time or 0
    latest = utc(f.get("latest_end_time"))
    debt_type = int(f["debt_type"])
    rows = [r for r in ctx.model.table("debt_log")
            if earliest <= int(r["time"]) <= latest and (debt_type == 0xFF or int(r["type"]) == debt_type)]
    if int(f["number_of_debts"]):
        rows = rows[-int(f["number_of_debts"]):]
    if not rows:
        return not_found(comp)
    debts = [{"collection_time": {"utc": int(r["time"])}, "amount_collected": int(r["amount"]),
              "debt_type": int(r["type"]), "outstanding_debt": int(r["outstanding"])} for r in rows]
    return [Reply(0x06, {"command_index": 0, "total_number_of_commands": 1, "debts": debts},
                  disable_default_response=True)]


def _apply_max_credit(ctx: ExecContext, f: dict[str, Any]) -> None:
    ctx.model.set(PREPAYMENT, 0x0021, int(f["maximum_credit_level"]), "UINT32")
    ctx.model.set(PREPAYMENT, 0x0022, int(f["maximum_credit_per_top_up"]), "UINT32")


def _apply_debt_cap(ctx: ExecContext, f: dict[str, Any]) -> None:
    ctx.model.set(PREPAYMENT, 0x0006, int(f["overall_debt_cap"]), "INT32")


behaviour(PREPAYMENT, C2S, 0x0B, "Set Maximum Credit Limit", apply=_apply_max_credit,
          start=field_start("implementation_date_time"))(ack)
behaviour(PREPAYMENT, C2S, 0x0C, "Set Overall Debt Cap", apply=_apply_debt_cap,
          start=field_start("implementation_date_time"))(ack)
