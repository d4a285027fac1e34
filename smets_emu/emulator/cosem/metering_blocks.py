"""The ESME's block tariff registers, from the consumption model (SMETS2 5.6.4 TOU with blocks; GBCS ECS01a, ECS17e).

A TOU-with-blocks tariff (ECS01a/ECS01b/ECS01c "TOU_BLOCK" and "BLOCK") makes a *block rate*
current with the tariff switching table (script selectors 101..108, see :mod:`.metering_tariff`).
While block rate *r* is current the half-hour's energy counts in the Tariff TOU Block Register
Matrix, not the TOU Register Matrix: in block 1 until rate *r*'s Tariff Block Counter (its
energy since the billing period began) passes the first of its thresholds, then block 2, 3, 4.
The thresholds are the Tariff Threshold Matrix, one Register monitor per block rate
(``0-0:16.1.11.255`` .. ``0-0:16.1.18.255``, attribute 2, Wh; 0 or 0xFFFFFFFF unused); none set:
one block. The block counters start again at each billing period end (the ECS30 billing calendar).

So the TOU Register Matrix plus the block registers add up to the Active Import Register delta
exactly (:mod:`smets_emu.emulator.metering.prepayment_pricing` splits each half-hour unit by
unit). Values are computed when read, closed billing periods from a cache.

``0-0:94.44.34.2`` (ECS17e) reads as one array of 64: the Tariff TOU Block Register Matrix then
the Tariff Block Counter Matrix, each block by block (A1..A8, B1..B8, C1..C8, D1..D8, the order
of the block prices in the price matrix). Billing and daily read logs carry the register matrix as
their four arrays of 8 (block 1..4, each by block rate).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np

from smets_emu.emulator.cosem.metering_tariff import (
    BLOCK_RATES,
    RATE_CODES,
    TOU_RATES,
    billing_calendar_of,
    tariff_table,
)
from smets_emu.emulator.metering.consumption import ConsumptionModel, half_hour_start
from smets_emu.emulator.metering.prepayment_pricing import BLOCKS, NO_COUNTER, BlockSplit, matrix_at
from smets_emu.errors import EncodeError, InputError
from smets_emu.protocols.payloads.dlms_data import ArrayData, DataTag, IntegerData

if TYPE_CHECKING:
    from smets_emu.emulator.cosem.model import CosemModel

THRESHOLD_OBIS = tuple(f"0-0:16.1.{11 + r}.255" for r in range(BLOCK_RATES))
"""The Tariff Threshold Matrix: a Register monitor (class 21) per block rate, attribute 2 thresholds."""
UNUSED = 0xFFFFFFFF
REGISTER_MODULUS = 1 << 32
BLOCK_REGISTERS_OBIS = "0-0:94.44.34.2"


def thresholds_of(model: CosemModel) -> tuple[tuple[int, ...], ...]:
    """The Tariff Threshold Matrix the device holds: per block rate its thresholds (Wh), ascending, at most 3."""
    rows: list[tuple[int, ...]] = []
    for obis in THRESHOLD_OBIS:
        try:
            value = model.read_value(21, obis, 2)
        except (InputError, EncodeError, ValueError, IndexError):
            value = None
        items = value.items if isinstance(value, ArrayData) else ()
        points = sorted({v.value for v in items if isinstance(v, IntegerData) and 0 < v.value < UNUSED})
        rows.append(tuple(points[: BLOCKS - 1]))
    return tuple(rows)


def block_split(model: CosemModel) -> BlockSplit | None:
    """How the ESME's tariff splits consumption into rates and blocks; None when no block rate is in use."""
    table = tariff_table(model)
    if not table.block_rates_used:
        return None
    counters = tuple([NO_COUNTER] * TOU_RATES + list(range(BLOCK_RATES)))
    return BlockSplit(RATE_CODES, counters, thresholds_of(model), billing_calendar_of(model), table)


def _block_major(matrix: np.ndarray) -> list[list[int]]:
    """The block rates' rows of a (rate code x block) matrix as 4 lists of 8 (block 1..4, each by block rate)."""
    rows = matrix[TOU_RATES:TOU_RATES + BLOCK_RATES]
    return [[int(v) % REGISTER_MODULUS for v in rows[:, block]] for block in range(BLOCKS)]


def block_registers(source: ConsumptionModel, split: BlockSplit | None, at: dt.datetime) -> list[list[int]]:
    """The Tariff TOU Block Register Matrix at *at* (Wh since the model's origin): 4 lists (blocks) of 8 (rates)."""
    if split is None:
        return [[0] * BLOCK_RATES for _ in range(BLOCKS)]
    return _block_major(matrix_at(source, split, at))


def block_value(model: CosemModel, source: ConsumptionModel, at: dt.datetime) -> ArrayData:
    """``0-0:94.44.34.2`` attribute 2's array: the Tariff TOU Block Register Matrix, then the Tariff Block Counter
    Matrix (the registers' growth since the billing period began): 64 values."""
    split = block_split(model)
    if split is None:
        values = [0] * (2 * BLOCKS * BLOCK_RATES)
    else:
        now = matrix_at(source, split, at)
        start = max(split.billing.previous_end(at), half_hour_start(source.origin))
        counters = now - matrix_at(source, split, start) if start < at else np.zeros_like(now)
        values = [v for matrix in (now, counters) for row in _block_major(matrix) for v in row]
    return ArrayData(tuple(IntegerData(DataTag.DOUBLE_LONG_UNSIGNED, v) for v in values))
