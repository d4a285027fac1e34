"""Behaviours of the Smart Energy cluster commands a GSME or GPF receives (SE 1.4 Annex D, GBCS 7.5).

A behaviour is registered by (cluster id, direction of the received command, command id) and
answers one GBZ component from the object model: a list of reply commands (the cluster's
response command, or a Default Response) built from :class:`ZclModel` state. Commands that
change configuration at a start time ("future-dated", GBCS 7.5 / digest 5.9) declare a
``start`` extractor and an ``apply`` function: the engine applies them at once, keeps them in
``state.pending`` until their time, or cancels pending ones (start 0xFFFFFFFE / 0xFFFFFFFF).

GBCS encodes supplier pushes (prices, calendars, messages, device management) as server-to-client
"Publish ..." commands; the meter answers each with a Default Response.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from smets_emu.emulator.zcl.model import (
    CALENDAR,
    DEVICE_MANAGEMENT,
    EVENTS,
    MESSAGING,
    METERING,
    PREPAYMENT,
    PRICE,
    ZclModel,
)
from smets_emu.protocols.payloads.gbz import GbzComponent
from smets_emu.protocols.payloads.zcl import ZclDirection, ZclFrameType, ZclStatus

C2S = ZclDirection.CLIENT_TO_SERVER
S2C = ZclDirection.SERVER_TO_CLIENT

CANCEL_TIMES = frozenset({0xFFFFFFFE, 0xFFFFFFFF})
"""Start times that cancel a pending future-dated command of the same kind (GBCS use cases GCS01a/GCS02)."""

NO_SAMPLE = 0xFFFF
"""Sample id of a Start Sampling Response when sampling could not start (SE 1.4 D.3.2.4.14)."""


@dataclass
class ExecContext:
    """What a behaviour may use while executing one GBZ command."""

    model: ZclModel
    now: dt.datetime
    now_utc: int  # seconds since 2000-01-01 (ZCL UTCTime)
    message_code: int
    originator_counter: int
    requester: bytes
    verify_top_up: Callable[[str], TopUpCheck] | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TopUpCheck:
    """Outcome of checking a UTRN: accepted, or the ZCL Consumer Top Up result type (SE D.7.2.4.3)."""

    result_type: int  # 0 accepted, 1 rejected-invalid, 2 rejected-duplicate, 3 rejected-error
    amount: int = 0  # credit in 1/100000 of the currency unit


@dataclass(frozen=True)
class Reply:
    """One answering ZCL command (becomes one response component with the command's sequence number)."""

    command_id: int
    fields: dict[str, Any]
    frame_type: ZclFrameType = ZclFrameType.CLUSTER_SPECIFIC
    direction: ZclDirection = S2C
    disable_default_response: bool = False
    status: ZclStatus = ZclStatus.SUCCESS  # outcome of the command this reply answers


def default_response(component: GbzComponent, status: ZclStatus, command_id: int | None = None) -> Reply:
    """Default Response (ZCL 2.5.12) in the direction opposite to the received command."""
    answered = component.header.command_id if command_id is None else command_id
    direction = S2C if component.header.direction == C2S else C2S
    return Reply(0x0B, {"command_id": answered, "status": status.name}, ZclFrameType.PROFILE_WIDE, direction,
                 status=status)


Answer = Callable[[ExecContext, GbzComponent, dict[str, Any]], list[Reply]]
Apply = Callable[[ExecContext, dict[str, Any]], None]
Start = Callable[[GbzComponent, dict[str, Any]], int | None]
OnFault = Callable[[GbzComponent, ZclStatus], list[Reply]]


@dataclass(frozen=True)
class Behaviour:
    """How the device answers one cluster command; ``apply`` and ``start`` make it future-datable."""

    name: str
    answer: Answer
    apply: Apply | None = None
    start: Start | None = None
    on_fault: OnFault | None = None
    default_response_direction: ZclDirection | None = None  # when GBCS answers in the command's own direction


BEHAVIOURS: dict[tuple[int, ZclDirection, int], Behaviour] = {}
"""Registered behaviours by (cluster id, direction of the received command, command id)."""


def behaviour(cluster_id: int, direction: ZclDirection, command_id: int, name: str, **kwargs: Any) -> Callable[
        [Answer], Answer]:
    """Register *answer* (and optional apply/start/on_fault) for a received cluster command."""

    def mark(fn: Answer) -> Answer:
        key = (cluster_id, direction, command_id)
        if key in BEHAVIOURS:
            raise TypeError(f"behaviour for 0x{cluster_id:04X}/{command_id:02X} registered twice")
        BEHAVIOURS[key] = Behaviour(name, fn, **kwargs)
        return fn

    return mark


def lookup(cluster_id: int, direction: ZclDirection, command_id: int) -> Behaviour | None:
    """The behaviour of a received cluster command, or None when the device does not support it."""
    return BEHAVIOURS.get((cluster_id, direction, command_id))


# --- helpers -----------------------------------------------------------------------------


def utc(value: Any) -> int:
    """A ZCL UTCTime field (``{"utc": n, ...}`` or int) as seconds since 2000."""
    if isinstance(value, dict):
        value = value.get("utc", 0)
    return int(value or 0)


def field_start(name: str) -> Start:
    """Start time taken from a UTCTime field."""
    return lambda comp, fields: utc(fields.get(name))


def header_start(comp: GbzComponent, fields: dict[str, Any]) -> int | None:
    """Start time taken from the component's from-date-time extended header (GBCS 7.5)."""
    return comp.from_date_time


def ack(ctx: ExecContext, comp: GbzComponent, fields: dict[str, Any]) -> list[Reply]:
    """Acknowledge with a successful Default Response."""
    return [default_response(comp, ZclStatus.SUCCESS)]


def not_found(comp: GbzComponent) -> list[Reply]:
    """Default Response NOT_FOUND: the device holds no matching data."""
    return [default_response(comp, ZclStatus.NOT_FOUND)]


def store(table: str, entry: str | None = None) -> Apply:
    """An apply step keeping the pushed fields in a table (the latest per *entry*)."""

    def apply(ctx: ExecContext, fields: dict[str, Any]) -> None:
        ctx.model.mapping(table)[entry or "latest"] = fields

    return apply


def _trailing(value: int) -> int:
    return int(value) & 0xFF


# --- Price cluster (SE 1.4 D.4) ---------------------------------------------------------


def _apply_tariff(ctx: ExecContext, f: dict[str, Any]) -> None:
    m = ctx.model
    m.mapping("price")["tariff"] = f
    m.set(PRICE, 0x0301, int(f["standing_charge"]), "UINT32")
    m.set(PRICE, 0x0616, int(f["currency"]), "UINT16")
    m.set(PRICE, 0x0617, _trailing(f["price_trailing_digit"]), "BITMAP8")
    m.set(PRICE, 0x0615, int(f["unit_of_measure"]), "ENUM8")
    m.set(PRICE, 0x0202, int(f["block_threshold_multiplier"]), "UINT24")
    m.set(PRICE, 0x0203, int(f["block_threshold_divisor"]), "UINT24")
    m.set(PRICE, 0x0611, int(f["number_of_price_tiers_in_use"]), "UINT8")
    m.set(PRICE, 0x0612, int(f["number_of_block_thresholds_in_use"]), "UINT8")


def _apply_price_matrix(ctx: ExecContext, f: dict[str, Any]) -> None:
    m = ctx.model
    m.mapping("price")["matrix"] = f
    tou = int(f.get("sub_payload_control", 0)) & 0x01
    for entry in f.get("tier_block_prices", []):
        ident = int(entry["tier_block_id"])
        if tou:
            attribute = 0x0400 + 0x10 * (ident & 0x0F)  # TierNBlock1Price
        else:
            attribute = 0x0400 + (ident & 0x0F) if ident < 0x10 else 0x0400 + 0x10 * (ident >> 4) + (ident & 0x0F)
        m.set(PRICE, attribute, int(entry["price"]), "UINT32")


def _apply_block_thresholds(ctx: ExecContext, f: dict[str, Any]) -> None:
    m = ctx.model
    m.mapping("price")["thresholds"] = f
    index = 0
    for tier in f.get("tiers", []):
        for value in tier.get("thresholds", []):
            m.set(PRICE, 0x0100 + index, int(value), "UINT48")
            index += 1


def _apply_conversion_factor(ctx: ExecContext, f: dict[str, Any]) -> None:
    ctx.model.set(PRICE, 0x0302, int(f["conversion_factor"]), "UINT32")
    ctx.model.set(PRICE, 0x0303, _trailing(f["conversion_factor_trailing_digit"]), "BITMAP8")


def _apply_calorific_value(ctx: ExecContext, f: dict[str, Any]) -> None:
    ctx.model.set(PRICE, 0x0304, int(f["calorific_value"]), "UINT32")
    ctx.model.set(PRICE, 0x0305, int(f["calorific_value_unit"]), "ENUM8")
    ctx.model.set(PRICE, 0x0306, _trailing(f["calorific_value_trailing_digit"]), "BITMAP8")


behaviour(PRICE, S2C, 0x00, "Publish Price", apply=store("price", "price"))(ack)
behaviour(PRICE, S2C, 0x01, "Publish Block Period", apply=store("price", "block_period"))(ack)
behaviour(PRICE, S2C, 0x02, "Publish Conversion Factor", apply=_apply_conversion_factor,
          start=field_start("start_time"))(ack)
behaviour(PRICE, S2C, 0x03, "Publish Calorific Value", apply=_apply_calorific_value,
          start=field_start("start_time"))(ack)
behaviour(PRICE, S2C, 0x04, "Publish Tariff Information", apply=_apply_tariff, start=field_start("start_time"))(ack)
behaviour(PRICE, S2C, 0x05, "Publish Price Matrix", apply=_apply_price_matrix, start=field_start("start_time"))(ack)
behaviour(PRICE, S2C, 0x06, "Publish Block Thresholds", apply=_apply_block_thresholds,
          start=field_start("start_time"))(ack)
behaviour(PRICE, S2C, 0x09, "Publish Billing Period", apply=store("price", "billing_period"))(ack)


PUBLISH_PRICE_OPTIONAL = (
    "price_ratio", "generation_price", "generation_price_ratio", "alternate_cost_delivered", "alternate_cost_unit",
    "alternate_cost_trailing_digit", "number_of_block_thresholds", "price_control", "number_of_generation_tiers",
    "generation_tier", "extended_number_of_price_tiers", "extended_price_tier", "extended_register_tier",
)
"""Trailing Publish Price fields of later SE revisions, left out by GBCS devices."""


@behaviour(PRICE, C2S, 0x00, "Get Current Price")
def _get_current_price(ctx: ExecContext, comp: GbzComponent, f: dict[str, Any]) -> list[Reply]:
    price = ctx.model.mapping("price")
    tariff = price.get("tariff")
    if tariff is None:
        return not_found(comp)
    m = ctx.model
    tier = int(m.get(PRICE, 0x0611, 0) or 0)
    current = int(m.get(PRICE, 0x0410, m.get(PRICE, 0x0400, 0)) or 0)
    fields = {
        "provider_id": int(tariff.get("provider_id", 0)),
        "rate_label": "",
        "issuer_event_id": int(tariff.get("issuer_event_id", 0)),
        "current_time": {"utc": ctx.now_utc},
        "unit_of_measure": int(tariff.get("unit_of_measure", 0)),
        "currency": int(tariff.get("currency", 826)),
        "price_trailing_digit_and_tier": (_trailing(tariff.get("price_trailing_digit", 0)) & 0xF0) | (1 if tier else 0),
        "number_of_price_tiers_and_register_tier": ((tier & 0x0F) << 4) | (1 if tier else 0),
        "start_time": {"utc": utc(tariff.get("start_time")) or ctx.now_utc},
        "duration_in_minutes": 0xFFFF,
        "price": current,
        **dict.fromkeys(PUBLISH_PRICE_OPTIONAL),
    }
    return [Reply(0x00, fields, disable_default_response=True)]


@behaviour(PRICE, C2S, 0x0B, "Get Billing Period")
def _get_billing_period(ctx: ExecContext, comp: GbzComponent, f: dict[str, Any]) -> list[Reply]:
    period = ctx.model.mapping("price").get("billing_period")
    if period is None:
        return not_found(comp)
    return [Reply(0x09, dict(period))]


# --- Metering cluster (SE 1.4 D.3) -----------------------------------------------------------


def _snapshots(ctx: ExecContext, comp: GbzComponent, f: dict[str, Any], cluster: str, answer: int) -> list[Reply]:
    earliest, latest = utc(f.get("earliest_start_time")), utc(f.get("latest_end_time"))
    cause = int(f.get("snapshot_cause", 0xFFFFFFFF))
    table = ctx.model.table("snapshots")
    matches = [
        (index, snap) for index, snap in enumerate(table)
        if snap.get("cluster") == cluster and earliest <= int(snap["time"]) <= latest
        and (cause == 0xFFFFFFFF or int(snap["cause"]) & cause)
    ]
    offset = int(f.get("snapshot_offset", 0))
    if offset >= len(matches):
        return not_found(comp)
    index, snap = matches[offset]
    fields = {
        "snapshot_id": index,
        "snapshot_time": {"utc": int(snap["time"])},
        "total_snapshots_found": len(matches),
        "command_index": 0,
        "total_number_of_commands": 1,
        "snapshot_cause": int(snap["cause"]),
        "snapshot_payload_type": int(snap.get("payload_type", 0)),
        "snapshot_payload": snap.get("payload", ""),
    }
    return [Reply(answer, fields, disable_default_response=True)]


@behaviour(METERING, C2S, 0x06, "Get Snapshot")
def _get_snapshot(ctx: ExecContext, comp: GbzComponent, f: dict[str, Any]) -> list[Reply]:
    return _snapshots(ctx, comp, f, "0702", 0x06)


def _start_sampling_fault(comp: GbzComponent, status: ZclStatus) -> list[Reply]:
    return [Reply(0x0D, {"sample_id": NO_SAMPLE}, status=status)]


@behaviour(METERING, C2S, 0x07, "Start Sampling", on_fault=_start_sampling_fault)
def _start_sampling(ctx: ExecContext, comp: GbzComponent, f: dict[str, Any]) -> list[Reply]:
    samples = ctx.model.table("samples")
    used = {int(s["sample_id"]) for s in samples}
    sample_id = next(i for i in range(NO_SAMPLE) if i not in used)
    start = utc(f.get("start_sampling_time")) or ctx.now_utc
    samples.append({
        "sample_id": sample_id, "sample_type": int(f["sample_type"]), "start": start,
        "interval": int(f["sample_request_interval"]), "max": int(f["max_number_of_samples"]), "values": [],
    })
    return [Reply(0x0D, {"sample_id": sample_id})]


@behaviour(METERING, C2S, 0x08, "Get Sampled Data")
def _get_sampled_data(ctx: ExecContext, comp: GbzComponent, f: dict[str, Any]) -> list[Reply]:
    wanted_id, wanted_type = int(f["sample_id"]), int(f["sample_type"])
    earliest = utc(f.get("earliest_sample_time"))
    for sampling in ctx.model.table("samples"):
        if int(sampling["sample_id"]) != wanted_id or int(sampling["sample_type"]) != wanted_type:
            continue
        values = list(sampling.get("values", []))
        start, interval = int(sampling["start"]), int(sampling["interval"])
        step = interval if 0 < interval < 0xFFFF else 86400
        skip = max(0, -(-(earliest - start) // step)) if earliest > start else 0
        chosen = values[skip: skip + int(f["number_of_samples"])]
        if not chosen:
            break
        fields = {
            "sample_id": wanted_id, "sample_start_time": {"utc": start + skip * step}, "sample_type": wanted_type,
            "sample_request_interval": interval, "number_of_samples": len(chosen), "samples": chosen,
        }
        return [Reply(0x07, fields)]
    return not_found(comp)


@behaviour(METERING, C2S, 0x0B, "Change Supply")
def _change_supply(ctx: ExecContext, comp: GbzComponent, f: dict[str, Any]) -> list[Reply]:
    status = int(f["proposed_supply_status"])
    ctx.model.set(METERING, 0x0014, status, "ENUM8")
    fields = {
        "provider_id": int(f["provider_id"]), "issuer_event_id": int(f["issuer_event_id"]),
        "implementation_date_time": {"utc": utc(f.get("implementation_date_time"))}, "supply_status": status,
    }
    return [Reply(0x0C, fields)]


def _apply_supply_status(ctx: ExecContext, f: dict[str, Any]) -> None:
    m = ctx.model
    m.set(METERING, 0x0608, int(f["supply_tamper_state"]), "ENUM8")
    m.set(METERING, 0x0609, int(f["supply_depletion_state"]), "ENUM8")
    m.set(METERING, 0x060A, int(f["supply_uncontrolled_flow_state"]), "ENUM8")
    m.set(METERING, 0x0606, int(f["load_limit_supply_state"]), "ENUM8")


def _apply_flow_threshold(ctx: ExecContext, f: dict[str, Any]) -> None:
    m = ctx.model
    m.set(METERING, 0x0B10, int(f["uncontrolled_flow_threshold"]), "UINT16")
    m.set(METERING, 0x0B11, int(f["unit_of_measure"]), "ENUM8")
    m.set(METERING, 0x0B12, int(f["multiplier"]), "UINT16")
    m.set(METERING, 0x0B13, int(f["divisor"]), "UINT16")
    m.set(METERING, 0x0B14, int(f["stabilisation_period"]), "UINT8")
    m.set(METERING, 0x0B15, int(f["measurement_period"]), "UINT16")


behaviour(METERING, C2S, 0x0D, "Set Supply Status", apply=_apply_supply_status)(ack)
behaviour(METERING, C2S, 0x0E, "Set Uncontrolled Flow Threshold", apply=_apply_flow_threshold)(ack)


# --- Messaging cluster (SE 1.4 D.5) ----------------------------------------------------------


def _apply_message(ctx: ExecContext, f: dict[str, Any]) -> None:
    messages = ctx.model.table("messages")
    messages.append(f)
    del messages[:-8]


behaviour(MESSAGING, S2C, 0x00, "Display Message", apply=_apply_message)(ack)


# --- Prepayment cluster (SE 1.4 D.7) ---------------------------------------------------------


def _apply_emergency_credit(ctx: ExecContext, f: dict[str, Any]) -> None:
    status = int(ctx.model.get(PREPAYMENT, 0x0003, 0) or 0)
    ctx.model.set(PREPAYMENT, 0x0003, status | 0x04, "BITMAP8")  # emergency credit selected


behaviour(PREPAYMENT, C2S, 0x00, "Select Available Emergency Credit", apply=_apply_emergency_credit)(ack)


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


behaviour(PREPAYMENT, C2S, 0x02, "Change Debt", apply=_apply_change_debt)(ack)


def _apply_emergency_credit_setup(ctx: ExecContext, f: dict[str, Any]) -> None:
    ctx.model.set(PREPAYMENT, 0x0010, int(f["emergency_credit_limit"]), "UINT32")
    ctx.model.set(PREPAYMENT, 0x0011, int(f["emergency_credit_threshold"]), "UINT32")


behaviour(PREPAYMENT, C2S, 0x03, "Emergency Credit Setup", apply=_apply_emergency_credit_setup,
          start=field_start("start_time"))(ack)


@behaviour(PREPAYMENT, C2S, 0x04, "Consumer Top Up")
def _consumer_top_up(ctx: ExecContext, comp: GbzComponent, f: dict[str, Any]) -> list[Reply]:
    source = int(f["originating_device"])
    code = str(f["top_up_code"])
    check = ctx.verify_top_up(code) if ctx.verify_top_up else TopUpCheck(3)
    if check.result_type != 0:
        fields = {"result_type": check.result_type, "top_up_value": -1, "source_of_top_up": source,
                  "credit_remaining": -1}
        return [Reply(0x03, fields, status=ZclStatus.SUCCESS)]
    m = ctx.model
    credit = int(m.get(PREPAYMENT, 0x0001, 0) or 0) + check.amount
    m.set(PREPAYMENT, 0x0001, credit, "INT32")
    m.set(PREPAYMENT, 0x0020, int(m.get(PREPAYMENT, 0x0020, 0) or 0) + check.amount, "UINT32")
    log = m.table("top_up_log")
    log.append({"code": code, "amount": check.amount, "time": ctx.now_utc})
    del log[:-10]
    fields = {"result_type": 0, "top_up_value": check.amount, "source_of_top_up": source, "credit_remaining": credit}
    return [Reply(0x03, fields)]


def _apply_credit_adjustment(ctx: ExecContext, f: dict[str, Any]) -> None:
    m = ctx.model
    kind, value = int(f["credit_adjustment_type"]), int(f["credit_adjustment_value"])
    attribute = 0x0001 if kind in (0, 1) else 0x0005  # credit balance / accumulated debt (credit mode)
    current = int(m.get(PREPAYMENT, attribute, 0) or 0)
    m.set(PREPAYMENT, attribute, current + value if kind in (0, 3) else value, "INT32")


behaviour(PREPAYMENT, C2S, 0x05, "Credit Adjustment", apply=_apply_credit_adjustment,
          start=field_start("start_time"))(ack)


def _apply_payment_mode(ctx: ExecContext, f: dict[str, Any]) -> None:
    ctx.model.set(PREPAYMENT, 0x0000, int(f["proposed_payment_control_configuration"]), "BITMAP16")
    ctx.model.set(PREPAYMENT, 0x0040, int(f["cut_off_value"]), "INT32")


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
    return _snapshots(ctx, comp, f, "0705", 0x01)


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


# --- Calendar cluster (SE 1.4 D.9) -----------------------------------------------------------

CURRENT_CALENDAR_IDS = {0xFFFFFFFF: "0", 0xFFFFFFFE: "3"}
"""Issuer calendar ids that name the active calendar of a type in Get commands (GBCS GCS21f/GCS21b)."""


def _calendar_entry(ctx: ExecContext, calendar_id: int) -> dict[str, Any]:
    return ctx.model.mapping("calendars").setdefault(str(calendar_id), {
        "calendar": None, "days": {}, "weeks": {}, "seasons": None, "special_days": None,
    })


def _stored_calendar(ctx: ExecContext, calendar_id: int, calendar_type: int | None = None) -> dict[str, Any] | None:
    calendars = ctx.model.mapping("calendars")
    if calendar_id in CURRENT_CALENDAR_IDS or calendar_id == 0:
        wanted = CURRENT_CALENDAR_IDS.get(calendar_id, str(calendar_type or 0))
        active = ctx.model.mapping("active_calendars").get(wanted)
        return calendars.get(str(active)) if active is not None else None
    return calendars.get(str(calendar_id))


def _store_calendar_part(part: str, index: str | None = None) -> Apply:
    def apply(ctx: ExecContext, f: dict[str, Any]) -> None:
        entry = _calendar_entry(ctx, int(f["issuer_calendar_id"]))
        if index is None:
            entry[part] = f
        else:
            entry[part][str(f[index])] = f

    return apply


def _apply_calendar(ctx: ExecContext, f: dict[str, Any]) -> None:
    entry = _calendar_entry(ctx, int(f["issuer_calendar_id"]))
    entry["calendar"] = f
    ctx.model.mapping("active_calendars")[str(int(f["calendar_type"]))] = int(f["issuer_calendar_id"])


behaviour(CALENDAR, S2C, 0x00, "Publish Calendar", apply=_apply_calendar, start=field_start("start_time"))(ack)
behaviour(CALENDAR, S2C, 0x01, "Publish Day Profile", apply=_store_calendar_part("days", "day_id"))(ack)
behaviour(CALENDAR, S2C, 0x02, "Publish Week Profile", apply=_store_calendar_part("weeks", "week_id"))(ack)
behaviour(CALENDAR, S2C, 0x03, "Publish Seasons", apply=_store_calendar_part("seasons"))(ack)
behaviour(CALENDAR, S2C, 0x04, "Publish Special Days", apply=_store_calendar_part("special_days"),
          start=field_start("start_time"))(ack)


@behaviour(CALENDAR, C2S, 0x00, "Get Calendar")
def _get_calendar(ctx: ExecContext, comp: GbzComponent, f: dict[str, Any]) -> list[Reply]:
    entry = _stored_calendar(ctx, 0, int(f.get("calendar_type", 0)))
    if not entry or not entry.get("calendar"):
        return not_found(comp)
    return [Reply(0x00, dict(entry["calendar"]), disable_default_response=True)]


def _profiles(ctx: ExecContext, comp: GbzComponent, f: dict[str, Any], part: str, first: str, count: str,
              answer: int) -> list[Reply]:
    entry = _stored_calendar(ctx, int(f["issuer_calendar_id"]))
    if not entry or not entry.get(part):
        return not_found(comp)
    start, number = int(f[first]), int(f[count])
    ids = sorted(int(i) for i in entry[part] if int(i) >= start)
    if number:
        ids = ids[:number]
    if not ids:
        return not_found(comp)
    return [Reply(answer, dict(entry[part][str(i)]), disable_default_response=True) for i in ids]


@behaviour(CALENDAR, C2S, 0x01, "Get Day Profiles")
def _get_day_profiles(ctx: ExecContext, comp: GbzComponent, f: dict[str, Any]) -> list[Reply]:
    return _profiles(ctx, comp, f, "days", "start_day_id", "number_of_days", 0x01)


@behaviour(CALENDAR, C2S, 0x02, "Get Week Profiles")
def _get_week_profiles(ctx: ExecContext, comp: GbzComponent, f: dict[str, Any]) -> list[Reply]:
    return _profiles(ctx, comp, f, "weeks", "start_week_id", "number_of_weeks", 0x02)


@behaviour(CALENDAR, C2S, 0x03, "Get Seasons")
def _get_seasons(ctx: ExecContext, comp: GbzComponent, f: dict[str, Any]) -> list[Reply]:
    entry = _stored_calendar(ctx, int(f["issuer_calendar_id"]))
    if not entry or not entry.get("seasons"):
        return not_found(comp)
    return [Reply(0x03, dict(entry["seasons"]), disable_default_response=True)]


@behaviour(CALENDAR, C2S, 0x04, "Get Special Days")
def _get_special_days(ctx: ExecContext, comp: GbzComponent, f: dict[str, Any]) -> list[Reply]:
    entry = _stored_calendar(ctx, int(f["issuer_calendar_id"]), int(f.get("calendar_type", 0)))
    if not entry or not entry.get("special_days"):
        return not_found(comp)
    return [Reply(0x04, dict(entry["special_days"]), disable_default_response=True)]


# --- Device Management cluster (SE 1.4 D.10) -------------------------------------------------


def _apply_site_id(ctx: ExecContext, f: dict[str, Any]) -> None:
    ctx.model.set(METERING, 0x0307, f["site_id"], "OCTET_STRING")


def _apply_event_configuration(ctx: ExecContext, f: dict[str, Any]) -> None:
    table = ctx.model.mapping("event_configuration")
    selection = f.get("selection") or {}
    for event_id in selection.get("event_ids", []):
        table[str(int(event_id))] = int(f["event_configuration"])


behaviour(DEVICE_MANAGEMENT, S2C, 0x00, "Publish Change of Tenancy",
          apply=store("device_management", "change_of_tenancy"))(ack)
behaviour(DEVICE_MANAGEMENT, S2C, 0x01, "Publish Change of Supplier",
          apply=store("device_management", "change_of_supplier"))(ack)
behaviour(DEVICE_MANAGEMENT, S2C, 0x02, "Request New Password Response",
          apply=store("device_management", "password"))(ack)
behaviour(DEVICE_MANAGEMENT, S2C, 0x03, "Update Site ID", apply=_apply_site_id)(ack)
behaviour(DEVICE_MANAGEMENT, S2C, 0x04, "Set Event Configuration", apply=_apply_event_configuration)(ack)
behaviour(DEVICE_MANAGEMENT, S2C, 0x06, "Update CIN", apply=store("device_management", "cin"))(ack)


@behaviour(DEVICE_MANAGEMENT, S2C, 0x05, "Get Event Configuration", default_response_direction=S2C)
def _get_event_configuration(ctx: ExecContext, comp: GbzComponent, f: dict[str, Any]) -> list[Reply]:
    table = ctx.model.mapping("event_configuration")
    wanted = int(f["event_id"])
    ids = sorted(int(i) for i in table)
    if wanted & 0x00FF != 0x00FF:  # a single event; 0xXXFF asks for a whole group
        ids = [i for i in ids if i == wanted]
    if not ids:
        return not_found(comp)
    events = [{"event_id": i, "event_configuration": int(table[str(i)])} for i in ids]
    return [Reply(0x04, {"command_index": 0, "total_number_of_commands": 1, "events": events},
                  direction=C2S)]


# --- Events cluster (SE 1.4 D.11) -------------------------------------------------------------

MAX_EVENTS_PER_RESPONSE = 16


@behaviour(EVENTS, C2S, 0x00, "Get Event Log")
def _get_event_log(ctx: ExecContext, comp: GbzComponent, f: dict[str, Any]) -> list[Reply]:
    log_id = int(f["event_control_log_id"]) & 0x0F
    start, end = utc(f.get("start_time")), utc(f.get("end_time"))
    event_id = int(f["event_id"])
    rows = [
        r for r in ctx.model.mapping("event_logs").get(str(log_id), [])
        if start <= int(r["time"]) <= end and (event_id == 0 or int(r["event_id"]) == event_id)
    ]
    if not rows:
        return not_found(comp)
    offset = int(f["event_offset"])
    limit = int(f["number_of_events"]) or MAX_EVENTS_PER_RESPONSE
    chosen = rows[offset: offset + min(limit, MAX_EVENTS_PER_RESPONSE)]
    events = [{"log_id": log_id, "event_id": int(r["event_id"]), "event_time": {"utc": int(r["time"])},
               "event_data": r.get("data", "")} for r in chosen]
    fields = {"total_number_of_matching_events": len(rows), "command_index": 0, "total_number_of_commands": 1,
              "number_of_events_and_control": (len(events) & 0x0F) << 4, "events": events}
    return [Reply(0x01, fields, disable_default_response=True)]


def _clear_event_log_fault(comp: GbzComponent, status: ZclStatus) -> list[Reply]:
    return [Reply(0x02, {"cleared_event_logs": 0}, status=status)]


@behaviour(EVENTS, C2S, 0x01, "Clear Event Log Request", on_fault=_clear_event_log_fault)
def _clear_event_log(ctx: ExecContext, comp: GbzComponent, f: dict[str, Any]) -> list[Reply]:
    logs = ctx.model.mapping("event_logs")
    log_id = int(f["log_id"])
    ids = list(logs) if log_id == 0 else [str(log_id)]
    cleared = 0
    for ident in ids:
        if ident in logs:
            logs[ident] = []
            cleared |= 1 << int(ident)
    return [Reply(0x02, {"cleared_event_logs": cleared & 0xFF})]
