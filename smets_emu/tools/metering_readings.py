"""A meter's readings for people and tests: registers, half-hourly profile and daily reads, as GBCS reads give them.

``GET /devices/{eui}/readings?from=&to=`` and the device page's profile plot answer from the same
functions the devices' GBCS reads use, so a test sees the numbers a head-end would read:

- ESME (:mod:`smets_emu.emulator.cosem.metering_objects`): the Active Import / Export Registers
  (ECS17a-style reads), the half-hourly import profile (``half_hour_import``, what ECS22b returns:
  capture time = end of the half-hour, Wh consumed in it) and the register at each midnight (the
  Daily Read Log, ECS21a), all in Wh;
- GSME (:mod:`smets_emu.emulator.zcl.metering_registers`): CurrentSummationDelivered (GCS13a), the
  half-hourly register deltas (the Profile Data Log, GCS17) and the register at each midnight (the
  Daily Read Log snapshots, GCS16a), in the register's unit (dm3 with the default profile).

The times are the device clock (the lab's virtual time unless the clock was moved by a command).
A range is at most :data:`MAX_RANGE` long, ends at the lab's time at the latest and defaults to
the day before it; a long range is read in windows of the size a GBCS read returns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from smets_emu.emulator.cosem import metering_objects as esme
from smets_emu.emulator.metering.billing import billing_log
from smets_emu.emulator.metering.consumption import HALF_HOUR
from smets_emu.emulator.metering.events import event_log, parse_time, scheduled_events
from smets_emu.emulator.state import DeviceState
from smets_emu.emulator.zcl.metering_registers import GasRegisters
from smets_emu.errors import InputError

MAX_RANGE = dt.timedelta(days=400)
DEFAULT_RANGE = dt.timedelta(days=1)
STEP = dt.timedelta(seconds=HALF_HOUR)
DAY = dt.timedelta(days=1)


@dataclass
class Readings:
    """What a meter shows over a time range."""

    eui: bytes
    device_type: str
    unit: str
    start: dt.datetime
    end: dt.datetime
    registers: dict[str, int] = field(default_factory=dict)
    intervals: list[tuple[dt.datetime, int]] = field(default_factory=list)  # (end of the half-hour, units)
    daily: list[tuple[dt.datetime, int]] = field(default_factory=list)  # (midnight, register)

    def to_json(self) -> dict[str, Any]:
        return {
            "eui": self.eui.hex().upper(), "device_type": self.device_type, "unit": self.unit,
            "from": self.start.isoformat(), "to": self.end.isoformat(), "registers": self.registers,
            "intervals": [{"end": t.isoformat(), "value": v} for t, v in self.intervals],
            "interval_total": sum(v for _, v in self.intervals),
            "daily": [{"at": t.isoformat(), "register": v} for t, v in self.daily],
        }


def time_range(query: Mapping[str, str], now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """``from`` and ``to`` of a query (ISO 8601; default: the day up to *now*); :class:`InputError` otherwise."""
    end = parse_time(query.get("to") or None, now)
    start = parse_time(query.get("from") or None, end - DEFAULT_RANGE)
    if start >= end:
        raise InputError("from must be before to")
    if end - start > MAX_RANGE:
        raise InputError(f"a range is at most {MAX_RANGE.days} days")
    return start, end


def _boundaries(start: dt.datetime, end: dt.datetime, step: dt.timedelta) -> list[dt.datetime]:
    """The multiples of *step* (from the epoch, UTC) in [start, end]."""
    seconds = int(step.total_seconds())
    first = -(-int(start.timestamp()) // seconds) * seconds
    last = int(end.timestamp()) // seconds * seconds
    return [dt.datetime.fromtimestamp(t, dt.UTC) for t in range(first, last + 1, seconds)]


def readings(state: DeviceState, now: dt.datetime, start: dt.datetime, end: dt.datetime) -> Readings:
    """The readings of a meter over [start, end] (lab times, at most :data:`MAX_RANGE`; nothing after *now*, as
    a GBCS read returns nothing the meter has not measured yet); :class:`InputError`."""
    end = min(end, now)
    if end - start > MAX_RANGE or start >= end:
        raise InputError(f"a range is at most {MAX_RANGE.days} days and from must be before to")
    if state.device_type == "ESME":
        return _esme(state, now, start, end)
    if state.device_type == "GSME":
        return _gsme(state, now, start, end)
    raise InputError(f"a {state.device_type} does not meter")


def _esme(state: DeviceState, now: dt.datetime, start: dt.datetime, end: dt.datetime) -> Readings:
    low, high = esme.device_time(state, start), esme.device_time(state, end)
    out = Readings(state.eui, "ESME", "Wh", low, high)
    out.registers = {"import": esme.import_reading(state, high), "export": esme.export_reading(state, high)}
    window, cursor = dt.timedelta(days=30), low  # a GBCS read returns at most 31 days: read the range in windows
    while cursor <= high:
        upper = min(high, cursor + window)
        out.intervals += esme.half_hour_import(state, cursor, upper)
        cursor = upper + dt.timedelta(seconds=1)
    midnights = _boundaries(low, high, DAY)
    out.daily = list(zip(midnights, esme.daily_imports(state, midnights), strict=True))
    return out


def _gsme(state: DeviceState, now: dt.datetime, start: dt.datetime, end: dt.datetime) -> Readings:
    registers = GasRegisters.of(state)
    if registers is None:
        raise InputError("the GSME has no consumption model")
    out = Readings(state.eui, "GSME", "register units (dm3 with the default profile)", start, end)
    out.registers = {"import": registers.summation(end)}
    ends = _boundaries(start, end, STEP)  # captures in [start, end], each closing its half-hour (as the ESME's)
    if ends:
        values = _summations(registers, [ends[0] - STEP, *ends])
        out.intervals = [(t, b - a) for t, a, b in zip(ends, values, values[1:], strict=False)]
        at_end = dict(zip(ends, values[1:], strict=True))  # every midnight in the range ends a half-hour
        out.daily = [(t, at_end[t]) for t in _boundaries(start, end, DAY)]
    return out


def _summations(registers: GasRegisters, times: list[dt.datetime]) -> list[int]:
    """The register at half-hour boundaries *times* (ascending, consecutive), from one pass over the model."""
    model = registers.model
    first = int(times[0].timestamp()) // HALF_HOUR
    values = model.intervals(first, len(times) - 1)
    total = model.cumulative(times[0])
    out = [registers.convert(model.start_reading + total)]
    for value in values:
        total += value
        out.append(registers.convert(model.start_reading + total))
    return out


def events_json(state: DeviceState) -> dict[str, Any]:
    """The device's scheduled events, its event log and its billing data log pushes."""
    return {"eui": state.eui.hex().upper(), "scheduled": [e.to_json() for e in scheduled_events(state)],
            "log": event_log(state), "billing": [e.to_json() for e in billing_log(state)]}
