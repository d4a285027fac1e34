"""Tariff rates and blocks of each half-hour's consumption, and its price (SMETS2 5.6.4 / 5.7.4; GBCS 10.4.2).

A meter's tariff puts each half-hour of the consumption model in a *rate code* (a TOU rate, a
TOU tier, or on an ESME a block rate, from the tariff switching table or TOU calendar in
force) and, within each billing period, in the *block* its counter has reached: a block
counter adds up the units of its rate codes since the period began and moves to block 2, 3
and 4 as it passes the block thresholds (the ESME's Tariff Threshold Matrix, one counter per
block rate; the GSME's Block Thresholds, one counter over all its consumption). A half-hour
that passes a threshold is split at it, unit by unit, so the (rate, block) units always add
up to the register delta exactly.

:func:`matrix_at` gives the units per (rate code, block) up to an instant from cached closed
billing periods (a read costs at most one period of half-hours). :class:`Pricing` prices each
(rate code, block); the engine charges ``weight // per`` differences of units x price (exact
under any split), and :func:`reaching` finds the timer's exact-second wake-up.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from smets_emu.emulator.metering.consumption import (
    HALF_HOUR,
    HORIZON,
    REACH_LIMIT,
    BillingCalendar,
    ConsumptionModel,
    half_hour_index,
    half_hour_start,
)
from smets_emu.errors import InputError

if TYPE_CHECKING:
    from smets_emu.emulator.metering.prepayment import Tariff

BLOCKS = 4
"""Blocks per rate (SMETS2: four blocks, three thresholds)."""
NO_COUNTER = -1
"""The counter of a rate code without blocks (all its units count in block 1)."""
_UNBOUNDED = np.iinfo(np.int64).max // 4


class RateSource(Protocol):
    """Something that gives the rate code (0-based) of each half-hour: a tariff switching table or TOU calendar."""

    def rates(self, first: int, count: int) -> np.ndarray: ...


@dataclass(frozen=True)
class TierRates:
    """A GSME TOU calendar (:class:`~smets_emu.emulator.zcl.metering_tiers.TouCalendar`) as a rate source."""

    calendar: Any  # TouCalendar (hashable, frozen)

    def rates(self, first: int, count: int) -> np.ndarray:
        out = np.empty(count, dtype=np.int64)
        for day in range(first // 48, (first + count - 1) // 48 + 1):
            row = np.asarray(_tiers(self.calendar, day), dtype=np.int64)
            lo, hi = max(day * 48, first), min(day * 48 + 48, first + count)
            out[lo - first: hi - first] = row[lo - day * 48: hi - day * 48]
        return out


@lru_cache(maxsize=1 << 14)
def _tiers(calendar: Any, day: int) -> tuple[int, ...]:
    return tuple(calendar.day_tiers(half_hour_start(day * 48).date()))


@dataclass(frozen=True)
class BlockSplit:
    """How a meter's tariff splits consumption: rate codes, their block counters and thresholds, billing periods.

    *counters* gives each rate code's block counter (:data:`NO_COUNTER`: no blocks);
    *thresholds* each counter's ascending thresholds (at most three, in model units).
    *rate_source* None puts every half-hour in rate code 0.
    """

    codes: int
    counters: tuple[int, ...]
    thresholds: tuple[tuple[int, ...], ...]
    billing: BillingCalendar = BillingCalendar()
    rate_source: RateSource | None = None

    def __post_init__(self) -> None:
        if len(self.counters) != self.codes or any(c >= len(self.thresholds) for c in self.counters):
            raise InputError("every rate code needs a block counter with thresholds")

    def rates(self, first: int, count: int) -> np.ndarray:
        if count <= 0:
            return np.zeros(0, dtype=np.int64)
        if self.rate_source is None:
            return np.zeros(count, dtype=np.int64)
        return np.clip(self.rate_source.rates(first, count), 0, self.codes - 1)

    def bounds(self, counter: int) -> np.ndarray:
        """Lower bounds of the blocks of *counter* (block 1 from 0; unused blocks start past any total)."""
        points = sorted(v for v in self.thresholds[counter] if v > 0)[: BLOCKS - 1]
        return np.array([0, *points, *[_UNBOUNDED] * (BLOCKS - 1 - len(points))], dtype=np.int64)


def _split(split: BlockSplit, values: np.ndarray, codes: np.ndarray,
           start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Units per block of each half-hour (n x BLOCKS) in one billing period, the counters standing at *start*.

    Returns the split and the counters after the half-hours.
    """
    out = np.zeros((len(values), BLOCKS), dtype=np.int64)
    groups = np.asarray(split.counters, dtype=np.int64)[codes] if len(values) else np.zeros(0, dtype=np.int64)
    out[:, 0] = np.where(groups == NO_COUNTER, values, 0)
    end = start.copy()
    for counter in range(len(split.thresholds)):
        mask = groups == counter
        if not mask.any():
            continue
        own = np.where(mask, values, 0)
        after = start[counter] + np.cumsum(own)
        before = after - own
        lows = split.bounds(counter)
        highs = np.append(lows[1:], _UNBOUNDED)
        for block in range(BLOCKS):
            out[:, block] += np.clip(after, lows[block], highs[block]) - np.clip(before, lows[block], highs[block])
        end[counter] = after[-1]
    return out, end


def _counters_at(model: ConsumptionModel, split: BlockSplit, index: int) -> np.ndarray:
    """Each counter's units from the start of the billing period half-hour *index* is in, to that half-hour."""
    counters = np.zeros(len(split.thresholds), dtype=np.int64)
    if not split.thresholds:
        return counters
    begin = max(half_hour_index(split.billing.previous_end(half_hour_start(index))), model.origin)
    if index <= begin:
        return counters
    values = np.asarray(model.intervals(begin, index - begin), dtype=np.int64)
    groups = np.asarray(split.counters, dtype=np.int64)[split.rates(begin, index - begin)]
    for counter in range(len(counters)):
        counters[counter] = int(values[groups == counter].sum())
    return counters


def _period_ends(split: BlockSplit, first: int, end: int) -> list[int]:
    """Half-hour indices of the billing period ends in (first, end)."""
    if end - first <= 1:
        return []
    ends = split.billing.period_ends(half_hour_start(first), half_hour_start(end - 1), limit=100_000)
    return [half_hour_index(e) for e in ends if first < half_hour_index(e) < end]


def series(model: ConsumptionModel, split: BlockSplit, first: int, count: int
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(units per block (count x BLOCKS), rate codes, counters before each half-hour (count x counters)) of
    half-hours *first* .. *first* + *count* - 1, billing period by billing period."""
    values = np.asarray(model.intervals(first, count), dtype=np.int64)
    codes = split.rates(first, count)
    units = np.zeros((count, BLOCKS), dtype=np.int64)
    before = np.zeros((count, len(split.thresholds)), dtype=np.int64)
    counters = _counters_at(model, split, first)
    edges = [first, *_period_ends(split, first, first + count), first + count]
    for lo, hi in zip(edges, edges[1:], strict=False):
        if lo != first:
            counters = np.zeros_like(counters)
        a, b = lo - first, hi - first
        part, after = _split(split, values[a:b], codes[a:b], counters)
        units[a:b] = part
        if len(split.thresholds):
            groups = np.asarray(split.counters, dtype=np.int64)[codes[a:b]]
            for counter in range(len(split.thresholds)):
                own = np.where(groups == counter, values[a:b], 0)
                before[a:b, counter] = counters[counter] + np.cumsum(own) - own
        counters = after
    return units, codes, before


def _matrix(units: np.ndarray, codes: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros((size, BLOCKS), dtype=np.int64)
    if len(codes):
        np.add.at(out, codes, units)
    return out


@lru_cache(maxsize=1 << 14)
def _period(model: ConsumptionModel, split: BlockSplit, first: int, end: int) -> tuple[tuple[int, ...], ...]:
    """Units per (rate code, block) of the whole billing period [first, end) (counters start at 0)."""
    values = np.asarray(model.intervals(first, end - first), dtype=np.int64)
    codes = split.rates(first, end - first)
    part, _ = _split(split, values, codes, np.zeros(len(split.thresholds), dtype=np.int64))
    return tuple(tuple(int(v) for v in row) for row in _matrix(part, codes, split.codes))


@lru_cache(maxsize=256)
def _closed(model: ConsumptionModel, split: BlockSplit, end: int) -> tuple[tuple[int, ...], ...]:
    """Units per (rate code, block) from the model's origin to the period end half-hour *end*."""
    total = np.zeros((split.codes, BLOCKS), dtype=np.int64)
    edges = [model.origin, *_period_ends(split, model.origin, end), end]
    for lo, hi in zip(edges, edges[1:], strict=False):
        if hi > lo:
            total += np.asarray(_period(model, split, lo, hi), dtype=np.int64)
    return tuple(tuple(int(v) for v in row) for row in total)


def _partial(split: BlockSplit, code: int, before: np.ndarray, units: int) -> np.ndarray:
    """The first *units* of a half-hour in rate code *code*, per block, its counters standing at *before*."""
    part, _ = _split(split, np.array([units], dtype=np.int64), np.array([code], dtype=np.int64), before)
    return part[0]


def matrix_at(model: ConsumptionModel, split: BlockSplit, at: dt.datetime) -> np.ndarray:
    """Units per (rate code, block) from the model's origin to *at* (shape codes x BLOCKS).

    The current half-hour counts pro rata (as :meth:`ConsumptionModel.cumulative`), so the matrix
    adds up to ``cumulative(at)``. Past the model's horizon nothing more is used.
    """
    index = min(half_hour_index(at), model.origin + HORIZON)
    if index < model.origin:
        return np.zeros((split.codes, BLOCKS), dtype=np.int64)
    begin = max(half_hour_index(split.billing.previous_end(half_hour_start(index))), model.origin)
    total = np.asarray(_closed(model, split, begin), dtype=np.int64) if begin > model.origin else np.zeros(
        (split.codes, BLOCKS), dtype=np.int64)
    if index > begin:
        units, codes, _ = series(model, split, begin, index - begin)
        total += _matrix(units, codes, split.codes)
    if index < model.origin + HORIZON:
        seconds = int((at - half_hour_start(index)).total_seconds())
        used = model.interval(index) * seconds // HALF_HOUR
        if used:
            code = int(split.rates(index, 1)[0])
            total[code] += _partial(split, code, _counters_at(model, split, index), used)
    return total


# --------------------------------------------------------------------------- prices


@dataclass(frozen=True)
class Pricing:
    """A price per (rate code, block), money per *per* units (the prepayment scale, 1/100000 of a pound)."""

    split: BlockSplit
    prices: tuple[tuple[int, ...], ...]  # per rate code: BLOCKS prices
    per: int = 1000

    def __post_init__(self) -> None:
        if self.per <= 0 or len(self.prices) != self.split.codes or any(
                len(row) != BLOCKS or min(row) < 0 for row in self.prices):
            raise InputError("a price matrix has four non-negative prices per rate, per a positive unit")

    @property
    def array(self) -> np.ndarray:
        return np.asarray(self.prices, dtype=np.int64)

    def weight_at(self, model: ConsumptionModel, at: dt.datetime) -> int:
        """Units x price from the model's origin to *at* (the cost is this // per)."""
        return int((matrix_at(model, self.split, at) * self.array).sum())

    def cost_at(self, model: ConsumptionModel, at: dt.datetime) -> int:
        """Money for the consumption from the model's origin to *at*, rounded down (differences telescope)."""
        return self.weight_at(model, at) // self.per

    def weights(self, model: ConsumptionModel, first: int, count: int) -> np.ndarray:
        """Units x price of each half-hour *first* .. *first* + *count* - 1."""
        units, codes, _ = series(model, self.split, first, count)
        return (units * self.array[codes]).sum(axis=1) if count else np.zeros(0, dtype=np.int64)

    def _inside(self, model: ConsumptionModel, index: int, code: int, before: np.ndarray, seconds: int) -> int:
        used = model.interval(index) * seconds // HALF_HOUR
        return int((_partial(self.split, code, before, used) * self.array[code]).sum()) if used else 0


def reaching(model: ConsumptionModel, pricing: Pricing, start: dt.datetime, amount: int) -> dt.datetime | None:
    """The first whole second t >= *start* where the weight (units x price) from *start* to t reaches *amount*.

    Searches about two years (:data:`~smets_emu.emulator.metering.consumption.REACH_LIMIT` half-hours); None beyond.
    """
    if amount <= 0:
        return start
    index = max(half_hour_index(start), model.origin)
    if index >= model.origin + HORIZON:
        return None
    # weight still needed, counted from the start of half-hour `index`
    need = amount + pricing.weight_at(model, start) - pricing.weight_at(model, half_hour_start(index))
    searched, chunk = 0, 2048
    while searched < REACH_LIMIT:
        units, codes, before = series(model, pricing.split, index, chunk)
        weights = (units * pricing.array[codes]).sum(axis=1)
        sums = np.cumsum(weights)
        if sums[-1] >= need:
            k = int(np.searchsorted(sums, need))
            base = int(sums[k] - weights[k])
            lo = 0
            if index + k == half_hour_index(start):
                lo = int((start - half_hour_start(index + k)).total_seconds())
            hi = HALF_HOUR
            while lo < hi:  # the first second whose weight reaches it (monotone in the second)
                mid = (lo + hi) // 2
                if base + pricing._inside(model, index + k, int(codes[k]), before[k], mid) >= need:
                    hi = mid
                else:
                    lo = mid + 1
            return half_hour_start(index + k) + dt.timedelta(seconds=lo)
        need -= int(sums[-1])
        index += chunk
        searched += chunk
        if index >= model.origin + HORIZON:
            return None
    return None


@dataclass(frozen=True)
class Priced:
    """A model's consumption as the quantity a prepayment tariff charges for: units at one price (``price`` per
    ``per``), or units x price by rate and block (its :class:`Pricing`); the cost is rounded down."""

    model: ConsumptionModel
    tariff: Tariff

    @staticmethod
    def of(model: ConsumptionModel | None, tariff: Tariff) -> Priced | None:
        """None when energy costs nothing (no model, or every price 0)."""
        if model is None:
            return None
        pricing = tariff.pricing
        if pricing is None and tariff.price == 0 or pricing is not None and not any(map(any, pricing.prices)):
            return None
        return Priced(model, tariff)

    def quantity(self, at: dt.datetime) -> int:
        pricing = self.tariff.pricing
        return self.model.cumulative(at) if pricing is None else pricing.weight_at(self.model, at)

    def cost(self, quantity: int) -> int:
        pricing = self.tariff.pricing
        return quantity * self.tariff.price // self.tariff.per if pricing is None else quantity // pricing.per

    def needed(self, cost: int) -> int:
        """The least quantity that costs *cost*."""
        pricing = self.tariff.pricing
        return -(-cost * self.tariff.per // self.tariff.price) if pricing is None else cost * pricing.per

    def reach(self, start: dt.datetime, amount: int) -> dt.datetime | None:
        pricing = self.tariff.pricing
        return self.model.reaching(start, amount) if pricing is None else reaching(self.model, pricing, start, amount)

    def days(self, first: int, days: int) -> list[int]:
        """The quantity of each of *days* days of half-hours from half-hour *first*."""
        pricing = self.tariff.pricing
        units = self.model.intervals(first, 48 * days) if pricing is None else pricing.weights(
            self.model, first, 48 * days).tolist()
        return [sum(units[k:k + 48]) for k in range(0, len(units), 48)]



# --------------------------------------------------------------------------- JSON (kept with a settled point)


def pricing_to_json(pricing: Pricing | None) -> dict[str, Any] | None:
    """A JSON form of *pricing* (the rate source as its switching table or calendar)."""
    if pricing is None:
        return None
    split = pricing.split
    source = split.rate_source
    rates: dict[str, Any] | None = None
    if isinstance(source, TierRates):
        rates = {"calendar": source.calendar.to_json()}
    elif source is not None:
        rates = {"seasons": [list(s) for s in getattr(source, "seasons", ())],
                 "weeks": [[list(row) for row in week] for week in getattr(source, "weeks", ())]}
    return {"codes": split.codes, "counters": list(split.counters),
            "thresholds": [list(t) for t in split.thresholds],
            "billing": [split.billing.day_of_month, split.billing.hour], "rates": rates,
            "prices": [list(p) for p in pricing.prices], "per": pricing.per}


def pricing_from_json(data: dict[str, Any] | None) -> Pricing | None:
    """The pricing :func:`pricing_to_json` wrote (None when absent); ValueError when unreadable."""
    if not data:
        return None
    try:
        rates = data.get("rates")
        source: RateSource | None = None
        if rates and "calendar" in rates:
            from smets_emu.emulator.zcl.metering_tiers import TouCalendar

            source = TierRates(TouCalendar.from_json(rates["calendar"]))
        elif rates:
            from smets_emu.emulator.cosem.metering_tariff import TariffTable

            source = TariffTable(tuple((int(m), int(d), int(w)) for m, d, w in rates["seasons"]),
                                 tuple(tuple(tuple(int(v) for v in row) for row in week) for week in rates["weeks"]))
        split = BlockSplit(int(data["codes"]), tuple(int(c) for c in data["counters"]),
                           tuple(tuple(int(v) for v in t) for t in data["thresholds"]),
                           BillingCalendar(*(int(v) for v in data["billing"])), source)
        return Pricing(split, tuple(tuple(int(v) for v in p) for p in data["prices"]), int(data["per"]))
    except (KeyError, TypeError, InputError) as exc:
        raise ValueError(f"unreadable pricing: {exc}") from exc
