"""Which TOU tier and which block each unit of GSME consumption falls in (SMETS2 5.7.4.x; SE 1.4 D.3.2.2.2, D.9).

The GSME's tariff registers (``CurrentTier1..4SummationDelivered``, GCS13c) and block counters
(``CurrentNoTierBlock1..4SummationDelivered``, GCS13b) split the consumption model's half-hours:

- **tiers** follow the active delivered-tariff calendar (Calendar cluster type 0, GBCS GCS21a /
  SE 1.4 D.9): the season in effect picks a week profile, the weekday (or a special day) picks a
  day profile, and the day profile's schedule entry in force at the start of a half-hour names its
  price tier. Seasons recur every year from their month and day. Without a calendar every
  half-hour is tier 1;
- **blocks** follow the Price cluster's block thresholds (``NumberOfBlockThresholdsInUse``,
  ``Block1..3Threshold`` scaled by ``ThresholdMultiplier``/``ThresholdDivisor``) within each
  block period, which for a GSME is the billing period (GBCS 10.4.2, SMETS2 GSME block tariff):
  a period's consumption fills block 1 up to the first threshold, then block 2, and so on.

Every split is of whole model units (dm3), so the tiers and the blocks each add up to the
consumption register exactly. Half-hours are UTC (GBCS 10.4.2: the GSME logs in UTC).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from smets_emu.emulator.metering.consumption import (
    HALF_HOUR,
    BillingCalendar,
    ConsumptionModel,
    half_hour_index,
    half_hour_start,
)

TIERS = 4
"""TOU registers of a GSME (SMETS2: four tariff registers; GCS13c reads Tier1..4)."""
BLOCKS = 4
"""Block counters of a GSME (SMETS2: four blocks, three thresholds; GCS13b reads NoTierBlock1..4)."""
WILDCARD = 0xFF
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class TouCalendar:
    """The tier of each half-hour of a day, from a stored Calendar cluster calendar (SE 1.4 D.9)."""

    seasons: tuple[tuple[int, int, int], ...]  # (month, day, week id), sorted by (month, day)
    weeks: tuple[tuple[int, tuple[int, ...]], ...]  # (week id, day ids Monday..Sunday)
    days: tuple[tuple[int, tuple[int, ...]], ...]  # (day id, tier of each half-hour)
    special: tuple[tuple[int, int, int, int], ...]  # (year or 0xFF, month, day, day id)

    def day_tiers(self, date: dt.date) -> tuple[int, ...]:
        """The tier (0-based) of each of the 48 half-hours of *date*."""
        day_id = self._special_day(date)
        if day_id is None:
            day_id = self._week_day(date)
        days = dict(self.days)
        return days.get(day_id, _FLAT) if day_id is not None else _FLAT

    def _special_day(self, date: dt.date) -> int | None:
        for year, month, day, day_id in self.special:
            if month == date.month and day == date.day and year in (WILDCARD, date.year - 1900):
                return day_id
        return None

    def _week_day(self, date: dt.date) -> int | None:
        if not self.seasons:
            return None
        today = (date.month, date.day)
        current = [s for s in self.seasons if (s[0], s[1]) <= today]
        week_id = (current[-1] if current else self.seasons[-1])[2]
        weeks = dict(self.weeks)
        refs = weeks.get(week_id)
        return refs[date.weekday()] if refs else None


    def to_json(self) -> dict[str, Any]:
        """A compact JSON form (kept with a settled point, see :mod:`.metering_registers`)."""
        return {"seasons": [list(s) for s in self.seasons], "weeks": [[w, list(refs)] for w, refs in self.weeks],
                "days": [[d, list(tiers)] for d, tiers in self.days], "special": [list(s) for s in self.special]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TouCalendar:
        """The calendar :meth:`to_json` wrote."""
        return cls(tuple((int(m), int(d), int(w)) for m, d, w in data["seasons"]),
                   tuple((int(w), tuple(int(x) for x in refs)) for w, refs in data["weeks"]),
                   tuple((int(d), tuple(int(x) for x in tiers)) for d, tiers in data["days"]),
                   tuple((int(y), int(m), int(d), int(i)) for y, m, d, i in data["special"]))


_FLAT = (0,) * 48


def tou_calendar(tables: Mapping[str, Any]) -> TouCalendar | None:
    """The active delivered-tariff calendar (type 0) of a ZCL object model's tables, or None."""
    active = (tables.get("active_calendars") or {}).get("0")
    stored = (tables.get("calendars") or {}).get(str(active)) if active is not None else None
    if not isinstance(stored, dict):
        return None
    return _parse(json.dumps(stored, sort_keys=True))


@lru_cache(maxsize=256)
def _parse(document: str) -> TouCalendar | None:
    stored = json.loads(document)
    try:
        seasons = sorted(
            (int(s["season_start_date"]["month"]), int(s["season_start_date"]["day_of_month"]), int(s["week_id_ref"]))
            for s in (stored.get("seasons") or {}).get("seasons", []))
        weeks = tuple((int(w["week_id"]), tuple(int(w[f"day_id_ref_{name}"]) for name in _WEEKDAYS))
                      for w in (stored.get("weeks") or {}).values())
        days = tuple((int(d["day_id"]), _half_hour_tiers(d.get("schedule_entries", [])))
                     for d in (stored.get("days") or {}).values())
        special = tuple((int(s["special_day_date"]["year_since_1900"]), int(s["special_day_date"]["month"]),
                         int(s["special_day_date"]["day_of_month"]), int(s["day_id_ref"]))
                        for s in (stored.get("special_days") or {}).get("special_days", []))
    except (KeyError, TypeError, ValueError):
        return None
    return TouCalendar(tuple(seasons), weeks, days, special)


def _half_hour_tiers(entries: list[dict[str, Any]]) -> tuple[int, ...]:
    """Tier (0-based, clamped to the GSME's four) in force at the start of each half-hour of a day profile."""
    points = sorted((int(e["start_time_minutes"]), int(e["value"])) for e in entries)
    tiers = []
    for slot in range(48):
        minute = slot * 30
        value = next((v for start, v in reversed(points) if start <= minute), points[-1][1] if points else 1)
        tiers.append(min(max(value, 1), TIERS) - 1)
    return tuple(tiers)


# --- the ledger -------------------------------------------------------------------------

BLOCK = 4096
"""Half-hours per cached block of tier totals (about 85 days)."""
WINDOW = 18 * BLOCK
"""Half-hours (about four years) a ledger holds; earlier half-hours count through cached block totals."""
LEDGER_STEP = 1024
"""Half-hours (about three weeks) a ledger's end is rounded up to, so a lab moving forward reuses it."""


def _tier_slots(calendar: TouCalendar, first: int, end: int) -> np.ndarray:
    """The tier of each half-hour in [first, end)."""
    slots = np.empty(end - first, dtype=np.int64)
    for day in range(first // 48, (end - 1) // 48 + 1):
        pattern = np.asarray(calendar.day_tiers(half_hour_start(day * 48).date()), dtype=np.int64)
        lo, hi = max(day * 48, first), min(day * 48 + 48, end)
        slots[lo - first: hi - first] = pattern[lo - day * 48: hi - day * 48]
    return slots


@lru_cache(maxsize=1 << 14)
def _block_tiers(model: ConsumptionModel, calendar: TouCalendar | None, block: int) -> tuple[int, ...]:
    """Units per tier in half-hours [block x BLOCK, (block + 1) x BLOCK)."""
    values = np.asarray(model.intervals(block * BLOCK, BLOCK), dtype=np.int64)
    if calendar is None:
        return (int(values.sum()), *(0,) * (TIERS - 1))
    slots = _tier_slots(calendar, block * BLOCK, (block + 1) * BLOCK)
    return tuple(int(values[slots == tier].sum()) for tier in range(TIERS))


@dataclass(frozen=True, eq=False)
class Ledger:
    """Running totals of a model's half-hours, per tier and in all, over a window ending at a horizon.

    Built once per read (cached by horizon), it answers the register, tier and block totals at
    any instant in its window from array lookups, so a command that reads 31 snapshots costs one
    pass over the half-hours; the half-hours before the window count through cached block totals.
    """

    model: ConsumptionModel
    calendar: TouCalendar | None
    first: int  # the window's first half-hour
    base: tuple[int, ...]  # units per tier in half-hours [origin, first)
    values: np.ndarray  # units of half-hours first .. first + n - 1
    tiers: np.ndarray  # units per tier of half-hours [first, first + k), k = 0 .. n: shape (TIERS, n + 1)

    def covers(self, at: dt.datetime) -> bool:
        """Whether *at* falls in the window."""
        return 0 <= half_hour_index(at) - self.first < len(self.values)

    def _slot(self, at: dt.datetime) -> tuple[int, int]:
        index = half_hour_index(at)
        offset = index - self.first
        if not 0 <= offset < len(self.values):
            raise ValueError(f"{at.isoformat()} is outside the ledger's window")
        return offset, int((at - half_hour_start(index)).total_seconds())

    def tier_totals(self, at: dt.datetime) -> tuple[int, ...]:
        """Units per tier from the origin to *at*; the current half-hour pro rata in its own tier."""
        if half_hour_index(at) < self.model.origin:
            return (0,) * TIERS
        offset, seconds = self._slot(at)
        whole = [self.base[t] + int(self.tiers[t, offset]) for t in range(TIERS)]
        index = self.first + offset
        current = self.calendar.day_tiers(half_hour_start(index).date())[index % 48] if self.calendar else 0
        whole[current] += int(self.values[offset]) * seconds // HALF_HOUR
        return tuple(whole)

    def cumulative(self, at: dt.datetime) -> int:
        """Units from the origin to *at*, as :meth:`ConsumptionModel.cumulative` counts them."""
        if not self.covers(at):
            return self.model.cumulative(at)
        return sum(self.tier_totals(at))

    def block_totals(self, thresholds: tuple[int, ...], billing: BillingCalendar, start: dt.datetime,
                     at: dt.datetime) -> tuple[int, ...]:
        """Units per block consumed from *start* to *at*, each block period (billing period) split by *thresholds*.

        A period that began before *start* continues from what it had used by then. Whole periods
        are summed once and cached; a read adds only the current period's share.
        """
        origin = half_hour_start(self.model.origin)
        start = max(start, origin)
        if at <= start:
            return (0,) * BLOCKS
        last_end = billing.previous_end(at)
        if last_end > start:
            totals = list(_closed_periods(self.model, thresholds, billing, start, last_end))
            start = last_end
        else:
            totals = [0] * BLOCKS
        used = self.cumulative(start) - self.cumulative(max(billing.previous_end(start), origin))
        fill(totals, used, used + self.cumulative(at) - self.cumulative(start), thresholds)
        return tuple(totals)


@lru_cache(maxsize=1024)
def _closed_periods(model: ConsumptionModel, thresholds: tuple[int, ...], billing: BillingCalendar,
                    start: dt.datetime, last_end: dt.datetime) -> tuple[int, ...]:
    """Units per block from *start* to the period end *last_end*, period by period."""
    origin = half_hour_start(model.origin)
    totals = [0] * BLOCKS
    edges = [start, *billing.period_ends(start, last_end, limit=100_000)]
    readings = [model.cumulative(edge) for edge in edges[:2]]
    for before, after in zip(edges[1:], edges[2:], strict=False):  # period ends fall on half-hour starts
        first = half_hour_index(before)
        readings.append(readings[-1] + sum(model.intervals(first, half_hour_index(after) - first)))
    used = readings[0] - model.cumulative(max(billing.previous_end(start), origin))
    for edge, before, after in zip(edges[1:], readings, readings[1:], strict=False):
        fill(totals, used, used + after - before, thresholds)
        used = 0 if billing.previous_end(edge) == edge else used + after - before
    return tuple(totals)


def ledger(model: ConsumptionModel, calendar: TouCalendar | None, horizon: dt.datetime) -> Ledger:
    """A ledger of *model* whose window ends after the half-hour *horizon* falls in."""
    end = max(half_hour_index(horizon) + 1, model.origin + 1)
    return _ledger(model, calendar, -(-end // LEDGER_STEP) * LEDGER_STEP)


@lru_cache(maxsize=4)
def _ledger(model: ConsumptionModel, calendar: TouCalendar | None, end: int) -> Ledger:
    first = max(model.origin, (end - WINDOW) // BLOCK * BLOCK)
    base = [0] * TIERS
    for block in range(model.origin // BLOCK, first // BLOCK):
        for tier, units in enumerate(_block_tiers(model, calendar, block)):
            base[tier] += units
    count = end - first
    values = np.asarray(model.intervals(first, count), dtype=np.int64)
    tiers = np.zeros((TIERS, count + 1), dtype=np.int64)
    if calendar is None:
        tiers[0, 1:] = np.cumsum(values)
    else:
        slots = _tier_slots(calendar, first, end)
        for tier in range(TIERS):
            tiers[tier, 1:] = np.cumsum(np.where(slots == tier, values, 0))
    return Ledger(model, calendar, first, tuple(base), values, tiers)


def fill(totals: list[int], low: int, high: int, thresholds: tuple[int, ...]) -> None:
    """Add the units a block period used from *low* to *high* to the blocks they fall in.

    Block 1 holds a period's first units up to the first threshold, block 2 up to the second, and so on
    (SE 1.4 D.4.2.2.5 block thresholds); the last block has no upper limit.
    """
    bounds = [0, *sorted(thresholds)[: BLOCKS - 1]]
    for block, lower in enumerate(bounds):
        upper = bounds[block + 1] if block + 1 < len(bounds) else None
        top = high if upper is None else min(high, upper)
        totals[block] += max(0, top - max(low, lower))
