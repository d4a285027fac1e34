"""ESME registers computed from the consumption model on read, and the metering API (GBCS 5.11; SMETS2 5.6.4).

What the metering objects of an ESME show is computed when a GET (or a Data protection "get
protected attributes", GBCS 5.11) reads it, at the device time (the lab time plus the clock
offset the Clock object keeps), from :mod:`.metering_values`; profile and log buffers come from
:mod:`.metering_logs`. Nothing is stored per half-hour or per day, so a device idle for a year
costs nothing and answers at once:

========================  ==================================================================
``1-0:1.8.0.255`` (3)      Active Import Register (Wh); ``1-0:3.8.0.255`` reactive import (varh)
``1-0:2.8.0.255`` (3)      Active Export Register (ECS17a); ``1-0:4.8.0.255`` reactive export
``0-0:94.44.34.10`` (1)    ECS17b: (active import, scaler-unit, reactive import, scaler-unit
                           [, secondary element import on a twin element ESME])
``0-0:94.44.34.1`` (1)     ECS17d: the TOU Register Matrix (48 rates, by the tariff switching
                           table; a twin element ESME adds its secondary element's 4)
``0-0:94.44.34.2`` (1)     ECS17e: the Tariff TOU Block Register Matrix and Tariff Block Counter
                           Matrix (8 block rates x 4 blocks each, :mod:`.metering_blocks`)
``1-0:1.6.0.255`` (4)      ECS18b: Maximum Demand import (W) in the billing period, with its time
``1-0:2.6.0.255`` (4)      ECS18a: Maximum Demand export
========================  ==================================================================

The functions after ``# -- API`` are what other components (billing-period alerts, the
readings endpoint) use to show the same numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from smets_emu.emulator.cosem.metering_blocks import BLOCK_REGISTERS_OBIS, block_value
from smets_emu.emulator.cosem.metering_logs import (
    PREPAYMENT_SNAPSHOTS,
    entry,
    half_hour_rows,
    log_rows,
    metered_buffer,
    midnight_readings,
    record_change,
    stamps,
)
from smets_emu.emulator.cosem.metering_tariff import (
    SECONDARY_CALENDAR,
    SECONDARY_RATES,
    billing_calendar_of,
    tariff_table,
)
from smets_emu.emulator.cosem.metering_values import (
    REGISTER_MODULUS,
    Meter,
    maximum_demand,
    meter_of,
    reading,
    tou_registers,
)
from smets_emu.emulator.cosem.model import COSEM_KEY, CosemModel, clock_offset, now_dlms, object_key, parse_date_time
from smets_emu.emulator.metering.consumption import HALF_HOUR, BillingCalendar, ConsumptionModel
from smets_emu.emulator.state import DeviceState
from smets_emu.errors import InputError
from smets_emu.protocols.payloads.dlms_data import (
    ArrayData,
    DataTag,
    DlmsData,
    IntegerData,
    OctetStringData,
    StructureData,
    TypeDescription,
)

__all__ = [
    "PREPAYMENT_SNAPSHOTS", "billing_calendar", "billing_log_entries", "billing_snapshot", "device_time",
    "daily_imports", "export_reading", "half_hour_import", "import_reading", "lab_time", "metered_buffer",
    "metered_value", "record_change",
]

UNIT_WH, UNIT_VARH = 30, 32  # Blue Book unit enums


def device_time(state: DeviceState, now: dt.datetime) -> dt.datetime:
    """The COSEM clock of the device at lab time *now* (the clock offset applied)."""
    return now + clock_offset(state)


def lab_time(state: DeviceState, when: dt.datetime) -> dt.datetime:
    """The lab time at which the device clock shows *when*."""
    return when - clock_offset(state)


def billing_calendar(state: DeviceState) -> BillingCalendar:
    """The billing calendar the ESME holds (GBCS ECS30; default day 1 at 00:00 UTC)."""
    return billing_calendar_of(CosemModel(state))


def _aware(when: dt.datetime) -> dt.datetime:
    if when.tzinfo is None:
        raise InputError("metering times must be aware (UTC)")
    return when


# --------------------------------------------------------------------------- registers


def _scaler_unit(unit: int) -> StructureData:
    return StructureData((IntegerData(DataTag.INTEGER, 0), IntegerData(DataTag.ENUM, unit)))


def _u32(value: int) -> IntegerData:
    return IntegerData(DataTag.DOUBLE_LONG_UNSIGNED, value % (1 << 32))


REGISTERS: dict[str, Callable[[Meter], ConsumptionModel | None]] = {
    "1-0:1.8.0.255": lambda m: m.active,
    "1-0:3.8.0.255": lambda m: m.reactive,
    "1-0:2.8.0.255": lambda m: m.export,
    "1-0:4.8.0.255": lambda m: m.reactive_export,
}
DEMAND = {"1-0:1.6.0.255": False, "1-0:2.6.0.255": True}
DATA = frozenset({"0-0:94.44.34.10", "0-0:94.44.34.1", BLOCK_REGISTERS_OBIS})
METERED_VALUES = frozenset(REGISTERS) | frozenset(DEMAND) | DATA


def demand_window(model: CosemModel, obj: dict[str, Any], at: dt.datetime) -> dt.datetime:
    """Where the maximum demand period starts: the billing period's start, or a later reset (ECS57)."""
    start = billing_calendar_of(model).previous_end(at)
    key = object_key(obj["class_id"], obj["obis"])
    own = model.state.objects_view().get(COSEM_KEY) or {}
    if key in own:  # reset by ECS57: the capture time the reset stored
        stored = model.stored_value(own[key], 5)
        when = parse_date_time(stored.value) if isinstance(stored, OctetStringData) else None
        if when is not None and start < when <= at:
            start = when
    return start


def metered_value(model: CosemModel, obj: dict[str, Any], attribute_id: int, now: dt.datetime) -> DlmsData | None:
    """The value of a metering register attribute at the device time; None for anything else."""
    obis = obj["obis"]
    if obis not in METERED_VALUES or attribute_id not in (2, 5):
        return None
    class_id = obj["class_id"]
    meter = meter_of(model.state)
    if meter is None:
        return None
    at = model.device_time(now)
    if class_id == 3 and attribute_id == 2 and obis in REGISTERS:
        return _u32(reading(REGISTERS[obis](meter), at))
    if class_id == 4 and obis in DEMAND:
        source = meter.export if DEMAND[obis] else meter.active
        demand, when = maximum_demand(source, demand_window(model, obj, at), at)
        return _u32(demand) if attribute_id == 2 else now_dlms(when)
    if class_id != 1 or attribute_id != 2:
        return None
    template = model.stored_value(obj, 2)
    size = len(template.items) if isinstance(template, StructureData) else 0
    if obis == "0-0:94.44.34.10":
        items: list[DlmsData] = [_u32(reading(meter.active, at)), _scaler_unit(UNIT_WH),
                                 _u32(reading(meter.reactive, at)), _scaler_unit(UNIT_VARH)]
        if size >= 5:  # twin element: the secondary element's register
            items.append(_u32(reading(meter.secondary, at)))
        return StructureData(tuple(items))
    if obis == BLOCK_REGISTERS_OBIS:
        return StructureData((block_value(model, meter.active, at),))
    matrices = [ArrayData(tuple(_u32(v) for v in tou_registers(meter.active, tariff_table(model), at)))]
    if size >= 2:
        table = tariff_table(model, SECONDARY_CALENDAR)
        matrices.append(ArrayData(tuple(_u32(v) for v in tou_registers(meter.secondary, table, at,
                                                                         SECONDARY_RATES))))
    return StructureData(tuple(matrices))


# --------------------------------------------------------------------------- the API other components use


def _log_entry(state: DeviceState, obis: str, end: dt.datetime) -> StructureData:
    model = CosemModel(state)
    meter = meter_of(state)
    obj = model.get_object(7, obis)
    if meter is None or obj is None:
        raise InputError(f"device {state.eui.hex().upper()} keeps no billing data log")
    desc = TypeDescription.from_json(obj["buffer"]["description"])
    (row,) = log_rows(meter, model, obis, desc, [_aware(end)])
    return entry(desc, row)


def billing_snapshot(state: DeviceState, end: dt.datetime) -> StructureData:
    """The Billing Data Log entry (``0-0:98.1.0.255``, ECS20c) for the billing period ending at device time *end*."""
    return _log_entry(state, "0-0:98.1.0.255", end)


def billing_log_entries(state: DeviceState, end: dt.datetime) -> tuple[StructureData, StructureData]:
    """Both Billing Data Log entries (registers, prepayment part) for the period ending at *end* (ECS68 content)."""
    return _log_entry(state, "0-0:98.1.0.255", end), _log_entry(state, "0-0:98.1.1.255", end)


def import_reading(state: DeviceState, at: dt.datetime) -> int:
    """The Active Import Register (Wh) at device time *at* (0 for a device that does not meter)."""
    meter = meter_of(state)
    return 0 if meter is None else reading(meter.active, _aware(at))


def daily_imports(state: DeviceState, midnights: list[dt.datetime]) -> list[int]:
    """The Active Import Register (Wh) at each of the consecutive device-time midnights *midnights*, from one sum
    over the span (what the daily read log, ECS21a, holds)."""
    meter = meter_of(state)
    if meter is None or not midnights:
        return [0] * len(midnights)
    return [int(v) % REGISTER_MODULUS for v in midnight_readings(meter.active, [_aware(t) for t in midnights])]


def export_reading(state: DeviceState, at: dt.datetime) -> int:
    """The Active Export Register (Wh) at device time *at* (0 without an export model)."""
    meter = meter_of(state)
    return 0 if meter is None else reading(meter.export, _aware(at))


def half_hour_import(state: DeviceState, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, int]]:
    """(capture time, Wh) of the half-hourly import profile for captures in [start, end] (what ECS22b returns)."""
    meter = meter_of(state)
    if meter is None:
        return []
    rows = half_hour_rows(meter, "0-0:99.1.0.255", stamps(_aware(start), _aware(end), HALF_HOUR))
    return [(row.stamp, int(row.unsigned[0])) for row in rows]
