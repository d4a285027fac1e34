"""Calendar, Device Management and Events cluster commands of the GSME and GPF (SE 1.4 D.9-D.11; GBCS 7.5)."""

from __future__ import annotations

from typing import Any

from smets_emu.emulator.zcl.metering_registers import settle
from smets_emu.emulator.zcl.model import (
    CALENDAR,
    DEVICE_MANAGEMENT,
    EVENTS,
    METERING,
)
from smets_emu.emulator.zcl.registry import (
    C2S,
    S2C,
    Apply,
    ExecContext,
    Reply,
    ack,
    behaviour,
    field_start,
    not_found,
    store,
    utc,
)
from smets_emu.protocols.payloads.gbz import GbzComponent
from smets_emu.protocols.payloads.zcl import ZclStatus

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
    if int(f["calendar_type"]) == 0:  # a new TOU calendar: registers up to now keep the old one
        settle(ctx.model.state, ctx.now)
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
