"""The price of each half-hour's energy on the ESME and GSME: by TOU rate and block (SMETS2 5.6.5 / 5.7.5, GBCS 14).

What credit a half-hour's consumption costs follows the tariff the meter holds:

- **ESME**: the Price Matrix is the active unit charge of Charge ``0-0:19.20.0.255`` (ECS01a/b/c,
  attribute 5 after activation): charge table entries ``01``..``30`` price TOU rates 1..48, ``A1``..``A8``
  block 1 of block rates 1..8, ``B*``, ``C*``, ``D*`` blocks 2..4 (RTDS ECS01a "TOU_BLOCK"), all
  with the charge's commodity and price scale. The tariff switching table says which rate each
  half-hour is in, the Tariff Threshold Matrix where each block rate's blocks begin within the
  billing period (:mod:`smets_emu.emulator.cosem.metering_blocks`).
- **GSME**: the Price cluster (SE 1.4 D.4.2.2.5): while a TOU calendar is active (GCS21a) the
  half-hour's tier price ``TierNBlockMPrice`` (0x0410 + 0x10 x (N-1) + (M-1)) where set; otherwise
  (and without a calendar) ``NoTierBlockMPrice`` (0x0400 + M-1), else block 1's. The block comes
  from the billing period's consumption and the Block Thresholds (GBCS 10.4.2,
  :mod:`smets_emu.emulator.zcl.metering_tiers`).

A tariff whose used rates and blocks all cost the same gives one price (the engine's fast
path); otherwise a :class:`~smets_emu.emulator.metering.prepayment_pricing.Pricing`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from smets_emu.emulator.metering.prepayment_pricing import BLOCKS, NO_COUNTER, BlockSplit, Pricing, TierRates
from smets_emu.protocols.payloads.dlms_data import ArrayData, DlmsData, IntegerData, OctetStringData, StructureData

if TYPE_CHECKING:
    from smets_emu.emulator.state import DeviceState

Price = tuple[int, int] | Pricing
"""(money, per units) for one price, or a price matrix by rate and block."""


def _int(value: DlmsData | None) -> int:
    return value.value if isinstance(value, IntegerData) else 0


def _flat_or(pricing: Pricing, used: set[int]) -> Price:
    """One price when every used rate's used blocks cost the same, else *pricing*."""
    split = pricing.split
    def blocks(code: int) -> int:
        counter = split.counters[code]
        return 1 if counter == NO_COUNTER else 1 + len(split.thresholds[counter])

    seen = {price for code in used for price in pricing.prices[code][:blocks(code)]}
    if len(seen) == 1:
        return next(iter(seen)), pricing.per
    return pricing


def charge_table(value: DlmsData | None) -> tuple[dict[str, int], int, int] | None:
    """(amount per charge table index, price multiplier, per units) of a Charge's unit charge; None when unset."""
    if not (isinstance(value, StructureData) and len(value.items) == 3):
        return None
    scaling, _, tables = value.items
    if not (isinstance(scaling, StructureData) and len(scaling.items) == 2 and isinstance(tables, ArrayData)):
        return None
    commodity, price = _int(scaling.items[0]), _int(scaling.items[1])
    if not -20 <= commodity <= 20 or not -20 <= price <= 20:
        return None
    amounts: dict[str, int] = {}
    for entry in tables.items:
        if isinstance(entry, StructureData) and len(entry.items) == 2 and isinstance(entry.items[0], OctetStringData):
            amounts[entry.items[0].value.hex().upper()] = max(0, _int(entry.items[1]))
    exponent = price + 5  # to 1/100000 of the currency unit
    return amounts, 10 ** max(exponent, 0), 10 ** max(commodity, 0) * 10 ** max(-exponent, 0)


def esme_price(state: DeviceState, unit_charge: DlmsData | None) -> Price | None:
    """The ESME's price (see module doc); None when its price matrix is unset (every amount 0)."""
    parsed = charge_table(unit_charge)
    if parsed is None or not any(parsed[0].values()):
        return None
    amounts, scale, per = parsed
    from smets_emu.emulator.cosem.metering_blocks import block_split
    from smets_emu.emulator.cosem.metering_tariff import BLOCK_RATES, RATE_CODES, TOU_RATES, tariff_table
    from smets_emu.emulator.cosem.model import CosemModel

    prices = [(amounts.get(f"{code + 1:02X}", 0) * scale,) * BLOCKS for code in range(TOU_RATES)]
    prices += [tuple(amounts.get(f"{letter}{rate + 1}", 0) * scale for letter in "ABCD") for rate in range(BLOCK_RATES)]
    model = CosemModel(state)
    split = block_split(model)
    table = tariff_table(model)
    if split is None:  # no block rate in use: TOU rates only, one block each
        split = BlockSplit(RATE_CODES, (NO_COUNTER,) * RATE_CODES, (), rate_source=None if table.single_rate else table)
    used = {code for week in table.weeks for row in week for code in row} or {0}
    if table.single_rate:
        used = {0}
    return _flat_or(Pricing(split, tuple(prices), per), used)


def gsme_price(state: DeviceState, attribute: Callable[[int], int], scale: tuple[int, int]) -> Price | None:
    """The GSME's price (see module doc) from its Price cluster *attribute* reader; None when no price is set."""
    from smets_emu.emulator.zcl.metering_registers import GasRegisters
    from smets_emu.emulator.zcl.metering_tiers import TIERS, tou_calendar

    def money(attr: int) -> int:
        return max(0, attribute(attr)) * scale[0] // scale[1]

    if not any(money(a) for a in (0x0400, *range(0x0410, 0x0410 + 0x10 * TIERS))):
        return None
    registers = GasRegisters.of(state)
    calendar = tou_calendar(state.objects_view().get("tables") or {})
    thresholds = registers.thresholds if registers is not None else ()
    prices = []
    for tier in range(TIERS):
        row = []
        for block in range(BLOCKS):
            tiered = money(0x0410 + 0x10 * tier + block) if calendar is not None else 0
            row.append(tiered or money(0x0400 + block) or money(0x0400))
        prices.append(tuple(row))
    billing = registers.billing if registers is not None else BlockSplit(1, (0,), ((),)).billing
    split = BlockSplit(TIERS, (0,) * TIERS, (tuple(thresholds),), billing,
                       TierRates(calendar) if calendar is not None else None)
    used = {t for _, tiers in calendar.days for t in tiers} if calendar is not None else {0}
    return _flat_or(Pricing(split, tuple(prices), 1000), used or {0})
