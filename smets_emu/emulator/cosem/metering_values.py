"""The ESME's metered quantities at a device time, from its consumption model (SMETS2 5.6.4; GBCS 5.11).

One :class:`Meter` per device holds the models behind every register: active import (the core
:func:`~smets_emu.emulator.metering.config.device_model`), reactive import (the same shape at a
power factor of about 0.95), active export and reactive export (when the device's metering
configuration has an export model). Registers, TOU registers, maximum demand and the values in
profile and log buffers are all computed here from those models, never stored, so they agree:
a register at a half-hour boundary is exactly the sum of the half-hour intervals before it.

Registers wrap at 2**32 like a double-long-unsigned meter register does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from smets_emu.emulator.cosem.metering_tariff import RATE_CODES, TOU_RATES, TariffTable
from smets_emu.emulator.metering.config import device_model
from smets_emu.emulator.metering.consumption import (
    HALF_HOUR,
    ConsumptionModel,
    HalfHourSeries,
    half_hour_index,
    half_hour_start,
    seed_value,
)
from smets_emu.emulator.state import DeviceState

REGISTER_MODULUS = 1 << 32
"""Registers are double-long-unsigned (GBCS 5.11): they roll over past 2**32 - 1."""
REACTIVE_PERCENT = 33
"""Reactive energy per active energy, in percent (a power factor of about 0.95)."""
BLOCK = 4096
"""Half-hours per cached per-rate block total."""


def _reactive(model: ConsumptionModel | None) -> ConsumptionModel | None:
    if model is None:
        return None
    series = model.series
    if series is not None:
        series = HalfHourSeries(series.first, tuple(v * REACTIVE_PERCENT // 100 for v in series.values),
                                f"{series.source} (reactive)")
    return ConsumptionModel(seed_value("reactive", model.seed), model.annual * REACTIVE_PERCENT // 100,
                            model.shape, series, model.origin)


@dataclass(frozen=True, slots=True)
class Meter:
    """The consumption models of one ESME (Wh and varh per half-hour)."""

    active: ConsumptionModel
    reactive: ConsumptionModel
    export: ConsumptionModel | None
    reactive_export: ConsumptionModel | None
    secondary: ConsumptionModel  # the secondary measuring element of a twin element ESME

    @staticmethod
    @lru_cache(maxsize=4096)
    def of_model(model: ConsumptionModel) -> Meter:
        """The meter whose active import is *model* (cached: models are immutable)."""
        reactive = _reactive(model)
        assert reactive is not None
        secondary = ConsumptionModel(seed_value("secondary", model.seed), model.annual // 2, model.shape,
                                     None, model.origin)
        return Meter(model, reactive, model.export, _reactive(model.export), secondary)


def meter_of(state: DeviceState) -> Meter | None:
    """The meter of an ESME state; None for devices without a consumption model."""
    if state.device_type != "ESME":
        return None
    model = device_model(state)
    return None if model is None else Meter.of_model(model)


def reading(model: ConsumptionModel | None, at: dt.datetime) -> int:
    """What a register driven by *model* shows at *at* (0 without a model)."""
    return 0 if model is None else model.reading(at) % REGISTER_MODULUS


def intervals(model: ConsumptionModel | None, first: int, count: int) -> np.ndarray:
    """Units in half-hours *first* .. *first* + *count* - 1 (zeros without a model)."""
    if model is None or count <= 0:
        return np.zeros(max(count, 0), dtype=np.int64)
    return np.asarray(model.intervals(first, count), dtype=np.int64)


# --------------------------------------------------------------------------- TOU registers


def _bins(model: ConsumptionModel, table: TariffTable, first: int, count: int) -> np.ndarray:
    out = np.zeros(RATE_CODES, dtype=np.int64)
    if count > 0:
        np.add.at(out, table.rates(first, count), intervals(model, first, count))
    return out


@lru_cache(maxsize=1 << 14)
def _block(model: ConsumptionModel, table: TariffTable, block: int) -> tuple[int, ...]:
    return tuple(int(v) for v in _bins(model, table, block * BLOCK, BLOCK))


def per_rate(model: ConsumptionModel, table: TariffTable, first: int, end: int) -> np.ndarray:
    """Units per rate code (48 TOU rates, then 8 block rates) in half-hours [first, end)."""
    first = max(first, model.origin)
    if end <= first:
        return np.zeros(RATE_CODES, dtype=np.int64)
    lo, hi = -(-first // BLOCK), end // BLOCK
    if lo >= hi:
        return _bins(model, table, first, end - first)
    total = _bins(model, table, first, lo * BLOCK - first)
    for block in range(lo, hi):
        total += np.asarray(_block(model, table, block), dtype=np.int64)
    return total + _bins(model, table, hi * BLOCK, end - hi * BLOCK)


def _fold(totals: np.ndarray, size: int) -> np.ndarray:
    """Rates past a matrix of *size* registers count in its last one (block rates, past the 48, count in none)."""
    totals = totals[..., :TOU_RATES]
    if size >= totals.shape[-1]:
        return totals
    folded = totals[..., :size].copy()
    folded[..., size - 1] += totals[..., size:].sum(axis=-1)
    return folded


def tou_registers(model: ConsumptionModel, table: TariffTable, at: dt.datetime, size: int = TOU_RATES) -> list[int]:
    """The TOU Register Matrix at *at*: units since the model's origin, by the rate each half-hour was in.

    The rates add up to the register less its start reading and the half-hours in a block rate
    (those count in the block registers, :mod:`.metering_blocks`). The table in force now is
    applied to the whole history (the device keeps no record of earlier tables).
    """
    if table.single_rate:
        return [model.cumulative(at) % REGISTER_MODULUS] + [0] * (size - 1)
    index = half_hour_index(at)
    totals = per_rate(model, table, model.origin, index)
    if index >= model.origin:
        seconds = int((at - half_hour_start(index)).total_seconds())
        totals[int(table.rates(index, 1)[0])] += model.interval(index) * seconds // HALF_HOUR
    return [int(v) % REGISTER_MODULUS for v in _fold(totals, size)]


def tou_series(model: ConsumptionModel, table: TariffTable, first_day: int, days: int,
               size: int = TOU_RATES) -> np.ndarray:
    """TOU registers at *days* consecutive UTC midnights from day *first_day* (shape days x *size*)."""
    start = half_hour_start(first_day * 48)
    base = np.asarray(tou_registers(model, table, start), dtype=np.int64)
    out = np.zeros((days, TOU_RATES), dtype=np.int64)
    if days <= 1:
        out[:] = base
        return _fold(out, size) % REGISTER_MODULUS
    count = (days - 1) * 48
    values = intervals(model, first_day * 48, count)
    rates = table.rates(first_day * 48, count)
    daily = np.zeros((days - 1, RATE_CODES), dtype=np.int64)
    np.add.at(daily, (np.arange(count) // 48, rates), values)
    out[0] = base
    out[1:] = base + np.cumsum(daily, axis=0)[:, :TOU_RATES]
    return _fold(out, size) % REGISTER_MODULUS


# --------------------------------------------------------------------------- maximum demand


def maximum_demand(model: ConsumptionModel | None, start: dt.datetime, at: dt.datetime) -> tuple[int, dt.datetime]:
    """The largest half-hour demand (W) among the half-hours wholly in [*start*, *at*] and when it ended.

    Demand is the half-hour's energy over half an hour (Wh x 2). With no whole half-hour in
    the window the demand is 0, captured at *start*.
    """
    first = -(-int((start - half_hour_start(0)).total_seconds()) // HALF_HOUR)
    end = half_hour_index(at)
    values = intervals(model, first, end - first)
    if values.size == 0 or int(values.max()) == 0:
        return 0, start
    k = int(np.argmax(values))
    return int(values[k]) * 2, half_hour_start(first + k + 1)
