"""Price, Metering and Messaging cluster commands of the GSME and GPF (SE 1.4 D.3, D.4, D.5; GBCS 7.5)."""

from __future__ import annotations

from typing import Any

from smets_emu.emulator.zcl.metering_logs import (
    ANY_CAUSE,
    CHANGE_OF_TARIFF,
    find_snapshots,
    profile_intervals,
    record_snapshot,
    sampled_data,
)
from smets_emu.emulator.zcl.metering_registers import GasRegisters, settle
from smets_emu.emulator.zcl.model import (
    MESSAGING,
    METERING,
    PRICE,
)
from smets_emu.emulator.zcl.registry import (
    C2S,
    NO_SAMPLE,
    S2C,
    ExecContext,
    Reply,
    ack,
    behaviour,
    field_start,
    not_found,
    snapshots,
    store,
    trailing,
    utc,
)
from smets_emu.protocols.payloads.gbz import GbzComponent
from smets_emu.protocols.payloads.zcl import ZclStatus

# --- Price cluster (SE 1.4 D.4) ---------------------------------------------------------


def _apply_tariff(ctx: ExecContext, f: dict[str, Any]) -> None:
    m = ctx.model
    settle(m.state, ctx.now)  # the registers up to now keep the tariff they were metered under
    m.mapping("price")["tariff"] = f
    if GasRegisters.of(m.state) is not None:  # a change of tariff writes the billing data log (GCS15b)
        record_snapshot(m.table("snapshots"), CHANGE_OF_TARIFF, ctx.now_utc)
    m.set(PRICE, 0x0301, int(f["standing_charge"]), "UINT32")
    m.set(PRICE, 0x0616, int(f["currency"]), "UINT16")
    m.set(PRICE, 0x0617, trailing(f["price_trailing_digit"]), "BITMAP8")
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
    settle(m.state, ctx.now)
    m.mapping("price")["thresholds"] = f
    index = 0
    for tier in f.get("tiers", []):
        for value in tier.get("thresholds", []):
            m.set(PRICE, 0x0100 + index, int(value), "UINT48")
            index += 1


def _apply_conversion_factor(ctx: ExecContext, f: dict[str, Any]) -> None:
    ctx.model.set(PRICE, 0x0302, int(f["conversion_factor"]), "UINT32")
    ctx.model.set(PRICE, 0x0303, trailing(f["conversion_factor_trailing_digit"]), "BITMAP8")


def _apply_calorific_value(ctx: ExecContext, f: dict[str, Any]) -> None:
    ctx.model.set(PRICE, 0x0304, int(f["calorific_value"]), "UINT32")
    ctx.model.set(PRICE, 0x0305, int(f["calorific_value_unit"]), "ENUM8")
    ctx.model.set(PRICE, 0x0306, trailing(f["calorific_value_trailing_digit"]), "BITMAP8")


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
        "price_trailing_digit_and_tier": (trailing(tariff.get("price_trailing_digit", 0)) & 0xF0) | (1 if tier else 0),
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

CONSUMPTION_DELIVERED = 0
"""Sample type of consumption delivered (SE 1.4 D.3.2.3.1.8), the only one a gas meter samples."""
ROLLING_LOGS = {0: (1800, 18_960), 1: (0xFFFF, 731), 2: (360, 41)}
"""The GSME's own logs by sample id: (interval, entries): Profile Data Log (about 13 months of
half-hours, GCS17), daily consumption (731 days, GCS61), Network Data Log (6 minutes, GCS18)."""


PROFILE_HALF_HOUR = 2
"""ProfileIntervalPeriod of 30 minutes (SE 1.4 D.3.2.4.1.1)."""


@behaviour(METERING, C2S, 0x00, "Get Profile")
def _get_profile(ctx: ExecContext, comp: GbzComponent, f: dict[str, Any]) -> list[Reply]:
    """Half-hourly consumption from the consumption model, most recent first (SE 1.4 D.3.2.3.1.1, D.3.2.4.1).

    Status 0x01 for an undefined channel, 0x02 for consumption received (a gas meter has none),
    0x05 when no interval is available.
    """
    channel, end_time = int(f["interval_channel"]), utc(f.get("end_time"))
    registers = GasRegisters.of(ctx.model.state)
    status, last, intervals = 0x00, end_time, []
    if channel > 1:
        status = 0x01
    elif channel == 1 or registers is None:
        status = 0x02
    else:
        last, intervals = profile_intervals(registers, ctx.now, end_time, int(f["number_of_periods"]))
        status = 0x00 if intervals else 0x05
    fields = {"end_time": {"utc": last}, "status": status, "profile_interval_period": PROFILE_HALF_HOUR,
              "number_of_periods_delivered": len(intervals), "intervals": intervals}
    return [Reply(0x00, fields)]


@behaviour(METERING, C2S, 0x06, "Get Snapshot")
def _get_snapshot(ctx: ExecContext, comp: GbzComponent, f: dict[str, Any]) -> list[Reply]:
    """Daily read log, billing data log and event snapshots (GCS15b/c, GCS16a; GBCS 10.4.2, SE 1.4 D.3.2.3.1.7).

    A metering device answers from its consumption model (:mod:`.metering_logs`); a GPF from its stored copy.
    """
    registers = GasRegisters.of(ctx.model.state)
    if registers is None:
        return snapshots(ctx, comp, f, "0702", 0x06)
    found = find_snapshots(ctx.model.state, registers, ctx.now, utc(f.get("earliest_start_time")),
                           utc(f.get("latest_end_time")), int(f.get("snapshot_cause", ANY_CAUSE)))
    offset = int(f.get("snapshot_offset", 0))
    if not 0 <= offset < len(found):
        return not_found(comp)
    return [Reply(0x06, found[offset].fields(registers, len(found), ctx.now), disable_default_response=True)]


def _start_sampling_fault(comp: GbzComponent, status: ZclStatus) -> list[Reply]:
    return [Reply(0x0D, {"sample_id": NO_SAMPLE}, status=status)]


@behaviour(METERING, C2S, 0x07, "Start Sampling", on_fault=_start_sampling_fault)
def _start_sampling(ctx: ExecContext, comp: GbzComponent, f: dict[str, Any]) -> list[Reply]:
    samples = ctx.model.table("samples")
    used = {int(s["sample_id"]) for s in samples}
    sample_id = next(i for i in range(NO_SAMPLE) if i not in used)
    start = utc(f.get("start_sampling_time")) or ctx.now_utc
    session = {
        "sample_id": sample_id, "sample_type": int(f["sample_type"]), "start": start,
        "interval": int(f["sample_request_interval"]), "max": int(f["max_number_of_samples"]),
    }
    if GasRegisters.of(ctx.model.state) is None:
        session["values"] = []  # a device without a consumption model fills nothing
    samples.append(session)
    return [Reply(0x0D, {"sample_id": sample_id})]


@behaviour(METERING, C2S, 0x08, "Get Sampled Data")
def _get_sampled_data(ctx: ExecContext, comp: GbzComponent, f: dict[str, Any]) -> list[Reply]:
    wanted_id, wanted_type = int(f["sample_id"]), int(f["sample_type"])
    earliest = utc(f.get("earliest_sample_time"))
    for sampling in ctx.model.table("samples"):
        if int(sampling["sample_id"]) != wanted_id or int(sampling["sample_type"]) != wanted_type:
            continue
        if "values" not in sampling:
            return _computed_samples(ctx, comp, f, sampling)
        if wanted_id in ROLLING_LOGS and GasRegisters.of(ctx.model.state) is not None:
            # a state saved before logs were computed: the device's own log, from its model
            interval, capacity = ROLLING_LOGS[wanted_id]
            return _computed_samples(ctx, comp, f, {"sample_id": wanted_id, "sample_type": wanted_type,
                                                    "interval": interval, "max": capacity, "rolling": True})
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


def _computed_samples(ctx: ExecContext, comp: GbzComponent, f: dict[str, Any],
                      sampling: dict[str, Any]) -> list[Reply]:
    """Get Sampled Data from the consumption model (GCS17 profile data log, GCS18 network data log; GBCS 10.4.2)."""
    registers = GasRegisters.of(ctx.model.state)
    if registers is None or int(sampling["sample_type"]) != CONSUMPTION_DELIVERED:
        return not_found(comp)
    result = sampled_data(registers, sampling, ctx.now, utc(f.get("earliest_sample_time")),
                          int(f["number_of_samples"]))
    if result is None:
        return not_found(comp)
    start, values = result
    fields = {
        "sample_id": int(sampling["sample_id"]), "sample_start_time": {"utc": start},
        "sample_type": CONSUMPTION_DELIVERED, "sample_request_interval": int(sampling["interval"]),
        "number_of_samples": len(values), "samples": values,
    }
    return [Reply(0x07, fields)]


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
