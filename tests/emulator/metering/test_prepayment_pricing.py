"""Rates, blocks and prices of each half-hour (prepayment_pricing): exact sums, billing-period counters, the wake-up
search to the second, JSON round trip and far-future clocks."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np

from smets_emu.emulator.metering.consumption import (
    SHAPES,
    BillingCalendar,
    ConsumptionModel,
    half_hour_index,
    half_hour_start,
)
from smets_emu.emulator.metering.prepayment_pricing import (
    NO_COUNTER,
    BlockSplit,
    Pricing,
    matrix_at,
    pricing_from_json,
    pricing_to_json,
    reaching,
)

ORIGIN = half_hour_index(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
MODEL = ConsumptionModel(11, 3_100_000, SHAPES["domestic-electricity"], origin=ORIGIN)


class EveningRate:
    """Rate code 1 from 16:00 to 20:00 UTC, code 0 otherwise (a stand-in switching table)."""

    def rates(self, first: int, count: int) -> np.ndarray:
        slots = np.arange(first, first + count) % 48
        return ((slots >= 32) & (slots < 40)).astype(np.int64)


SPLIT = BlockSplit(2, (NO_COUNTER, 0), ((5_000, 9_000),), BillingCalendar(15), EveningRate())
PRICING = Pricing(SPLIT, ((20_000,) * 4, (10_000, 30_000, 50_000, 50_000)), 1000)


def _weight(at: dt.datetime) -> int:
    """Independent: each half-hour's units at its rate (and for rate 1, its block within the billing period)."""
    total, counter, index = 0, 0, half_hour_index(at)
    values = MODEL.intervals(ORIGIN, index - ORIGIN + 1)
    seconds = int((at - half_hour_start(index)).total_seconds())
    values[-1] = values[-1] * seconds // 1800
    for k, v in enumerate(values):
        start = half_hour_start(ORIGIN + k)
        if start.day == 15 and start.hour == 0 and start.minute == 0:
            counter = 0
        if not 32 <= (ORIGIN + k) % 48 < 40:
            total += v * 20_000
            continue
        for low, high, price in ((0, 5_000, 10_000), (5_000, 9_000, 30_000), (9_000, 10**12, 50_000)):
            total += max(0, min(counter + v, high) - max(counter, low)) * price
        counter += v
    return total


def test_rates_and_blocks_add_up_to_the_register_and_match_an_independent_sum() -> None:
    rng = random.Random(4)
    for _ in range(12):
        at = half_hour_start(ORIGIN) + dt.timedelta(seconds=rng.randrange(80 * 86400))
        matrix = matrix_at(MODEL, SPLIT, at)
        assert int(matrix.sum()) == MODEL.cumulative(at)
        assert not matrix[0, 1:].any()  # rate 0 has no blocks
        assert PRICING.weight_at(MODEL, at) == _weight(at)


def test_reaching_finds_the_first_second() -> None:
    start = dt.datetime(2026, 2, 13, 15, 7, 3, tzinfo=dt.UTC)
    base = PRICING.weight_at(MODEL, start)
    for amount in (1, 777_777, 40_000_000, 400_000_000):
        at = reaching(MODEL, PRICING, start, amount)
        assert at is not None
        assert PRICING.weight_at(MODEL, at) - base >= amount
        assert PRICING.weight_at(MODEL, at - dt.timedelta(seconds=1)) - base < amount or at == start


def test_json_round_trip_and_far_future() -> None:
    from smets_emu.emulator.cosem.metering_tariff import TariffTable

    table = TariffTable(((1, 1, 0),), ((tuple([1] * 14 + [48] * 34),) * 7,))
    pricing = Pricing(BlockSplit(56, tuple([NO_COUNTER] * 48 + list(range(8))), ((2_000,),) + ((),) * 7,
                                 BillingCalendar(), table), tuple((v,) * 4 for v in range(56)), 1000)
    assert pricing_from_json(pricing_to_json(pricing)) == pricing
    far = dt.datetime(2500, 1, 1, tzinfo=dt.UTC)
    assert int(matrix_at(MODEL, SPLIT, far).sum()) == MODEL.cumulative(far)
    assert reaching(MODEL, PRICING, far, 1) is None
