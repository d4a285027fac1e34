"""The consumption model: units consumed per half-hour as a function of lab time, seeded and reproducible.

A meter's registers, tariff registers, maximum demand, snapshots and half-hourly profile buffers
(SMETS2 5.6.4 ESME, 5.7.4 GSME; GBCS use cases ECS/GCS reads) are all computed from one
:class:`ConsumptionModel`, so they agree with each other exactly:

- each half-hour's value is an integer (Wh for electricity, dm3 for gas) from the load shape,
  the season, the weekday and seeded noise, or from a measured :class:`HalfHourSeries`;
- the consumption up to an instant is the whole half-hours since the model's origin plus the
  elapsed fraction of the current one, rounded down, so profile intervals sum to the register
  delta between half-hour boundaries with no rounding left over.

Nothing is stored per half-hour: values are computed when read (sums over long spans use cached
block totals), so an idle device costs nothing however far the lab clock moves.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from smets_emu.emulator.metering.series import (
    EPOCH,
    HALF_HOUR,
    HalfHourSeries,
    half_hour_index,
    half_hour_start,
    load_series,
    parse_series,
)
from smets_emu.emulator.metering.shapes import SHAPES, LoadShape, shape_named
from smets_emu.errors import InputError

__all__ = [
    "EPOCH", "HALF_HOUR", "SHAPES", "BillingCalendar", "ConsumptionModel", "HalfHourSeries", "LoadShape",
    "half_hour_index", "half_hour_start", "load_series", "parse_series", "seed_value", "shape_named",
]

DAYS_PER_YEAR = 365.2425
BLOCK = 4096
"""Half-hours per cached block total (about 85 days)."""
REACH_LIMIT = 2 * 17_532
"""Half-hours :meth:`ConsumptionModel.reaching` searches (about two years)."""
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
HORIZON = 100 * 17_532
"""Half-hours a model counts from its origin (about a century): a meter reads the same after that, so a clock set
centuries ahead costs one bounded computation, not one per year."""
DEFAULT_ORIGIN = half_hour_index(dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
"""Where a model starts counting when no origin is configured (the register then holds years of use)."""


def seed_value(*parts: object) -> int:
    """A 63-bit seed from *parts* (stable across runs and machines)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def _uniform(seed: int, index: np.ndarray) -> np.ndarray:
    """A uniform [0, 1) number per half-hour index (SplitMix64 of the seed and the index)."""
    with np.errstate(over="ignore"):
        z = np.uint64(seed & 0xFFFFFFFFFFFFFFFF) + index.astype(np.uint64) * _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)


@dataclass(frozen=True, slots=True)
class ConsumptionModel:
    """Units consumed per UTC half-hour from half-hour *origin* on (none before it).

    *annual* is the yearly total the shape is scaled to (ignored when a *series* gives the
    values); *start_reading* is what the register showed at the origin; *export* models the
    energy a site exports (a second model, or None).
    """

    seed: int
    annual: int
    shape: LoadShape
    series: HalfHourSeries | None = None
    origin: int = DEFAULT_ORIGIN
    start_reading: int = 0
    export: ConsumptionModel | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.annual <= 10**12:
            raise InputError(f"annual consumption {self.annual} is outside 0..10^12")
        if not 0 <= self.start_reading < 10**15:
            raise InputError(f"start reading {self.start_reading} is outside 0..10^15")

    # -- half-hour values ------------------------------------------------------------------

    def _array(self, first: int, count: int) -> np.ndarray:
        index = np.arange(first, first + count, dtype=np.int64)
        series = self.series
        if series is not None:
            values = np.asarray(series.values, dtype=np.int64)[(index - series.first) % len(series.values)]
        else:
            shape = self.shape
            days = index // 48
            weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
            swing = (shape.winter_ratio - 1) / (shape.winter_ratio + 1)
            seasonal = 1 + swing * np.cos(2 * math.pi * (days - 14) / DAYS_PER_YEAR)  # peak mid-January
            weights = np.asarray(shape.daily, dtype=np.float64)[index % 48]
            week = np.where(weekday >= 5, shape.weekend, 1.0) / ((5 + 2 * shape.weekend) / 7)
            noise = 1 + shape.noise * (2 * _uniform(self.seed, index) - 1)
            mean = self.annual / (DAYS_PER_YEAR * 48)
            values = np.floor(mean * weights * seasonal * week * noise + 0.5).astype(np.int64)
        if first < self.origin:
            values[: min(count, self.origin - first)] = 0
        last = self.origin + HORIZON
        if first + count > last:
            values[max(0, last - first):] = 0
        return values

    def intervals(self, first: int, count: int) -> list[int]:
        """Units consumed in half-hours *first* .. *first* + *count* - 1."""
        if count <= 0:
            return []
        return [int(v) for v in self._array(first, count)]

    def interval(self, index: int) -> int:
        """Units consumed in half-hour *index*."""
        return int(self._array(index, 1)[0])

    def _sum(self, first: int, end: int) -> int:
        """Units in half-hours [first, end)."""
        first = max(first, self.origin)
        end = min(end, self.origin + HORIZON)
        if end <= first:
            return 0
        lo_block, hi_block = -(-first // BLOCK), end // BLOCK
        if lo_block >= hi_block:
            return int(self._array(first, end - first).sum())
        total = int(self._array(first, lo_block * BLOCK - first).sum()) if first < lo_block * BLOCK else 0
        total += sum(_block_total(self, b) for b in range(lo_block, hi_block))
        if end > hi_block * BLOCK:
            total += int(self._array(hi_block * BLOCK, end - hi_block * BLOCK).sum())
        return total

    # -- registers -------------------------------------------------------------------------

    def cumulative(self, at: dt.datetime) -> int:
        """Units from the start of the origin half-hour to *at* : whole half-hours, then the current one pro rata."""
        index = half_hour_index(at)
        if index < self.origin:
            return 0
        if index >= self.origin + HORIZON:
            return self._sum(self.origin, self.origin + HORIZON)
        seconds = int((at - half_hour_start(index)).total_seconds())
        return self._sum(self.origin, index) + self.interval(index) * seconds // HALF_HOUR

    def reading(self, at: dt.datetime) -> int:
        """What the register shows at *at*: the start reading plus :meth:`cumulative`."""
        return self.start_reading + self.cumulative(at)

    def between(self, start: dt.datetime, end: dt.datetime) -> int:
        """Units consumed from *start* to *end* (negative when *end* is earlier)."""
        return self.cumulative(end) - self.cumulative(start)

    def reaching(self, start: dt.datetime, amount: int) -> dt.datetime | None:
        """The first whole second at which :meth:`between` (*start*, t) reaches *amount*; None past about two years."""
        if amount <= 0:
            return start
        index = max(half_hour_index(start), self.origin)
        if index >= self.origin + HORIZON:
            return None
        need = amount + self.cumulative(start) - self._sum(self.origin, index)  # counted from the start of `index`
        searched = 0
        while searched < REACH_LIMIT:
            chunk = self._array(index, BLOCK)
            sums = np.cumsum(chunk)
            if sums[-1] >= need:
                k = int(np.searchsorted(sums, need))
                before = int(sums[k] - chunk[k])
                value = int(chunk[k])
                seconds = -(-(need - before) * HALF_HOUR // value)
                return half_hour_start(index + k) + dt.timedelta(seconds=seconds)
            need -= int(sums[-1])
            index += BLOCK
            searched += BLOCK
        return None


@lru_cache(maxsize=1 << 16)
def _block_total(model: ConsumptionModel, block: int) -> int:
    return int(model._array(block * BLOCK, BLOCK).sum())


@dataclass(frozen=True, slots=True)
class BillingCalendar:
    """When billing periods end: *day_of_month* at *hour*:00 UTC each month (GBCS ECS68/GCS53 billing data log)."""

    day_of_month: int = 1
    hour: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.day_of_month <= 28 or not 0 <= self.hour <= 23:
            raise InputError("a billing period ends on day 1-28 of a month at hour 0-23")

    def _end_in(self, year: int, month: int) -> dt.datetime:
        return dt.datetime(year, month, self.day_of_month, self.hour, tzinfo=dt.UTC)

    def next_end(self, after: dt.datetime) -> dt.datetime:
        """The first period end strictly after *after*."""
        after = after.astimezone(dt.UTC)
        end = self._end_in(after.year, after.month)
        if end > after:
            return end
        year, month = (after.year + 1, 1) if after.month == 12 else (after.year, after.month + 1)
        if year > 9999:
            raise InputError("no billing period ends after year 9999")
        return self._end_in(year, month)

    def previous_end(self, at: dt.datetime) -> dt.datetime:
        """The last period end at or before *at*."""
        at = at.astimezone(dt.UTC)
        end = self._end_in(at.year, at.month)
        if end <= at:
            return end
        year, month = (at.year - 1, 12) if at.month == 1 else (at.year, at.month - 1)
        return self._end_in(year, month)

    def period_ends(self, start: dt.datetime, end: dt.datetime, limit: int = 1200) -> list[dt.datetime]:
        """Period ends in (*start*, *end*], at most *limit* of them (the latest)."""
        ends: list[dt.datetime] = []
        cursor = self.previous_end(end)
        while cursor > start and len(ends) < limit:
            ends.append(cursor)
            cursor = self.previous_end(cursor - dt.timedelta(seconds=1))
        ends.reverse()
        return ends
