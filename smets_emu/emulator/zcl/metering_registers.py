"""GSME Metering cluster registers computed on read from the consumption model (SE 1.4 D.3.2.2; SMETS2 5.7.4).

A GSME's consumption register (``CurrentSummationDelivered``, GCS13a), its TOU registers
(GCS13c), block counters (GCS13b) and historical consumption attributes (today, yesterday,
previous days, this and previous weeks and months; SE 1.4 D.3.2.2.5) are not stored: each read
computes them from :func:`~smets_emu.emulator.metering.config.device_model` at the device's
current time. The model counts dm3 (litres); the register is in the unit the profile declares
(``UnitOfMeasure`` m3, ``Multiplier``/``Divisor``: register = dm3 x Divisor / (Multiplier x 1000),
rounded down; the default profile's 1/1000 makes it exactly dm3). Days, weeks (from Monday)
and months start at 00:00 UTC, as the GSME keeps its logs in UTC (GBCS 10.4.2).

This module reads ``state.objects`` without changing it, so a read costs no state write.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from smets_emu.emulator.metering.config import billing_calendar_of, device_model
from smets_emu.emulator.metering.consumption import BillingCalendar, ConsumptionModel, half_hour_index, half_hour_start
from smets_emu.emulator.state import DeviceState
from smets_emu.emulator.zcl.metering_tiers import BLOCKS, TIERS, TouCalendar, ledger, tou_calendar
from smets_emu.protocols.timestamps import datetime_to_gbz_seconds

log = logging.getLogger(__name__)

METERING_KEY, PRICE_KEY = "0702", "0700"
SUMMATION = 0x0000
TIER_SUMMATIONS = tuple(0x0100 + 2 * n for n in range(TIERS))
"""CurrentTier1..4SummationDelivered (SE 1.4 D.3.2.2.2)."""
BLOCK_SUMMATIONS = tuple(0x0700 + n for n in range(BLOCKS))
"""CurrentNoTierBlock1..4SummationDelivered (SE 1.4 D.3.2.2.8)."""
PARTIAL_INTERVAL_START, PARTIAL_INTERVAL_VALUE = 0x0405, 0x0407
"""CurrentPartialProfileIntervalStartTimeDelivered / ...ValueDelivered (SE 1.4 D.3.2.2.5)."""
TYPE_LIMITS = {"UINT24": 0xFFFFFF, "UINT32": 0xFFFFFFFF, "UINT48": 0xFFFFFFFFFFFF}


def _attr(clusters: Mapping[str, Any], cluster: str, attribute: int, default: int) -> int:
    entry = (clusters.get(cluster) or {}).get(f"{attribute:04X}")
    try:
        return int(entry["value"]) if entry is not None else default
    except (TypeError, ValueError, KeyError):
        return default


billing_calendar = billing_calendar_of
"""When the GSME's billing periods end: the calendar its billing period component (GCS53 alerts) runs on."""


@dataclass(frozen=True)
class Settled:
    """The tier and block totals (dm3 since the origin) at a change of tariff, and the tariff in force up to it.

    A change of TOU calendar or block thresholds applies from its time on: registers before it are
    computed with the tariff kept here, after it from these totals on (GBCS 10.4.2).
    """

    at: dt.datetime
    tiers: tuple[int, ...]
    blocks: tuple[int, ...]
    calendar: TouCalendar | None
    thresholds: tuple[int, ...]

    def to_json(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "tiers": list(self.tiers), "blocks": list(self.blocks),
                "calendar": self.calendar.to_json() if self.calendar else None, "thresholds": list(self.thresholds)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Settled:
        calendar = data.get("calendar")
        return cls(dt.datetime.fromisoformat(data["at"]), tuple(int(v) for v in data["tiers"]),
                   tuple(int(v) for v in data["blocks"]), TouCalendar.from_json(calendar) if calendar else None,
                   tuple(int(v) for v in data["thresholds"]))


REGISTERS_KEY = "registers"
"""``objects["metering"]["registers"]``: ``{"settled": [Settled JSON, ...]}`` (oldest first)."""
SETTLED_LIMIT = 12
"""Settled points kept (as many as billing data log entries); older reads use the oldest one's tariff."""


def _settled(state: DeviceState) -> tuple[Settled, ...]:
    group = state.objects_view().get("metering") or {}
    data = (group.get(REGISTERS_KEY) if isinstance(group, dict) else None) or {}
    try:
        return tuple(Settled.from_json(p) for p in data.get("settled", []))
    except (KeyError, TypeError, ValueError):
        log.warning("ignoring malformed settled register points")
        return ()


@dataclass(frozen=True)
class GasRegisters:
    """The registers of one GSME as functions of time, from its consumption model and configuration."""

    model: ConsumptionModel
    multiplier: int
    divisor: int
    tables: Mapping[str, Any] = field(repr=False, compare=False)  # the object model's tables (read only)
    thresholds: tuple[int, ...]  # block thresholds in dm3
    billing: BillingCalendar
    settled: tuple[Settled, ...] = ()

    @cached_property
    def calendar(self) -> TouCalendar | None:
        """The active TOU calendar (parsed on first use: a register or profile read does not need it)."""
        return tou_calendar(self.tables)

    @classmethod
    def of(cls, state: DeviceState) -> GasRegisters | None:
        """The registers of the device whose state this is; None when it does not meter (GPF, CHF)."""
        model = device_model(state)
        if model is None:
            return None
        objects = state.objects_view()
        clusters = objects.get("clusters") or {}
        multiplier = max(1, _attr(clusters, METERING_KEY, 0x0301, 1))
        divisor = max(1, _attr(clusters, METERING_KEY, 0x0302, 1000))
        in_use = min(BLOCKS - 1, max(0, _attr(clusters, PRICE_KEY, 0x0612, 0)))
        t_mult = max(1, _attr(clusters, PRICE_KEY, 0x0202, 1))
        t_div = max(1, _attr(clusters, PRICE_KEY, 0x0203, 1000))
        thresholds = tuple(_attr(clusters, PRICE_KEY, 0x0100 + n, 0) * t_mult * 1000 // t_div for n in range(in_use))
        return cls(model, multiplier, divisor, objects.get("tables") or {}, thresholds, billing_calendar(state),
                   _settled(state))

    # -- units -----------------------------------------------------------------------------

    def convert(self, dm3: int) -> int:
        """Model units (dm3) in the register's unit (SE 1.4 D.3.2.2.4 Multiplier/Divisor), rounded down."""
        return dm3 * self.divisor // (self.multiplier * 1000)

    # -- registers -------------------------------------------------------------------------

    def summation(self, at: dt.datetime) -> int:
        """CurrentSummationDelivered at *at*."""
        return self.convert(self.model.reading(at))

    def consumption(self, start: dt.datetime, end: dt.datetime) -> int:
        """Register delta from *start* to *end* (what the historical attributes and profile logs report)."""
        return self.summation(end) - self.summation(start)

    def _segment(self, at: dt.datetime) -> tuple[Settled, TouCalendar | None, tuple[int, ...]]:
        """The settled point *at* counts from, and the tariff (calendar, thresholds) in force at *at*."""
        base = Settled(half_hour_start(self.model.origin), (0,) * TIERS, (0,) * BLOCKS, None, ())
        for point in self.settled:
            if at < point.at:
                return base, point.calendar, point.thresholds
            base = point
        return base, self.calendar, self.thresholds

    def tier_units(self, at: dt.datetime, horizon: dt.datetime | None = None) -> tuple[int, ...]:
        """Units (dm3) per TOU tier from the origin to *at*."""
        base, calendar, _ = self._segment(at)
        if at <= base.at:
            return base.tiers
        book = ledger(self.model, calendar, max(at, horizon or at))
        if base.at <= half_hour_start(self.model.origin):
            then: tuple[int, ...] = (0,) * TIERS
        else:
            then = (book if book.covers(base.at) else ledger(self.model, calendar, base.at)).tier_totals(base.at)
        now = book.tier_totals(at)
        return tuple(b + n - t for b, n, t in zip(base.tiers, now, then, strict=True))

    def block_units(self, at: dt.datetime, horizon: dt.datetime | None = None) -> tuple[int, ...]:
        """Units (dm3) per block from the origin to *at*."""
        base, calendar, thresholds = self._segment(at)
        if at <= base.at:
            return base.blocks
        book = ledger(self.model, calendar, max(at, horizon or at))
        added = book.block_totals(thresholds, self.billing, base.at, at)
        return tuple(b + a for b, a in zip(base.blocks, added, strict=True))

    def tiers(self, at: dt.datetime, horizon: dt.datetime | None = None) -> tuple[int, ...]:
        """CurrentTier1..4SummationDelivered at *at*; the start reading counts in tier 1.

        *horizon* (at or after *at*, e.g. the time of the read) lets several snapshots share one ledger.
        """
        units = list(self.tier_units(at, horizon))
        units[0] += self.model.start_reading
        return tuple(self.convert(u) for u in units)

    def blocks(self, at: dt.datetime, horizon: dt.datetime | None = None) -> tuple[int, ...]:
        """CurrentNoTierBlock1..4SummationDelivered at *at*; the start reading counts in block 1."""
        units = list(self.block_units(at, horizon))
        units[0] += self.model.start_reading
        return tuple(self.convert(u) for u in units)

    # -- attributes ------------------------------------------------------------------------

    def attribute(self, attribute_id: int, now: dt.datetime) -> Any:
        """The value of a computed Metering attribute at *now*, or None when the attribute is not computed."""
        if attribute_id == SUMMATION:
            return self.summation(now)
        if attribute_id in TIER_SUMMATIONS:
            return self.tiers(now)[TIER_SUMMATIONS.index(attribute_id)]
        if attribute_id in BLOCK_SUMMATIONS:
            return self.blocks(now)[BLOCK_SUMMATIONS.index(attribute_id)]
        if attribute_id == PARTIAL_INTERVAL_START:
            return {"utc": datetime_to_gbz_seconds(half_hour_start(half_hour_index(now)))}
        if attribute_id == PARTIAL_INTERVAL_VALUE:
            return self.consumption(half_hour_start(half_hour_index(now)), now)
        window = HISTORICAL.get(attribute_id)
        if window is None:
            return None
        start, end = window(now)
        return self.consumption(start, min(end, now))


def _midnight(at: dt.datetime) -> dt.datetime:
    return at.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _monday(at: dt.datetime) -> dt.datetime:
    day = _midnight(at)
    return day - dt.timedelta(days=day.weekday())


def _month_start(at: dt.datetime, back: int = 0) -> dt.datetime:
    month = at.year * 12 + at.month - 1 - back
    return dt.datetime(month // 12, month % 12 + 1, 1, tzinfo=dt.UTC)


Window = Callable[[dt.datetime], tuple[dt.datetime, dt.datetime]]
DAY, WEEK = dt.timedelta(days=1), dt.timedelta(days=7)


def _day(back: int) -> Window:
    return lambda now: (_midnight(now) - back * DAY, _midnight(now) - (back - 1) * DAY if back else now)


def _week(back: int) -> Window:
    return lambda now: (_monday(now) - back * WEEK, _monday(now) - (back - 1) * WEEK if back else now)


def _month(back: int) -> Window:
    return lambda now: (_month_start(now, back), _month_start(now, back - 1) if back else now)


HISTORICAL: dict[int, Window] = {
    0x0401: _day(0),  # CurrentDayConsumptionDelivered
    0x0403: _day(1),  # PreviousDayConsumptionDelivered
    **{0x0420 + 2 * (n - 2): _day(n) for n in range(2, 9)},  # PreviousDay2..8ConsumptionDelivered
    0x0430: _week(0),  # CurrentWeekConsumptionDelivered
    **{0x0432 + 2 * (n - 1): _week(n) for n in range(1, 6)},  # PreviousWeek(1..5)ConsumptionDelivered
    0x0440: _month(0),  # CurrentMonthConsumptionDelivered
    **{0x0442 + 2 * (n - 1): _month(n) for n in range(1, 14)},  # PreviousMonth(1..13)ConsumptionDelivered
}
"""Historical consumption attributes (SE 1.4 D.3.2.2.5) and the span each one covers at a given time."""


def computed_attribute(state: DeviceState, cluster_id: int, attribute_id: int, type_name: str,
                       now: dt.datetime) -> Any:
    """The value a read of a computed Metering attribute returns at *now*, clamped to its type; None if not computed."""
    if cluster_id == 0x0705:  # prepayment registers: the credit engine's, at *now*
        from smets_emu.emulator.metering.prepayment_ports import zcl_attribute

        return zcl_attribute(state, attribute_id, now)
    if cluster_id != 0x0702 or not is_computed(attribute_id):
        return None
    registers = GasRegisters.of(state)
    if registers is None:
        return None
    value = registers.attribute(attribute_id, now)
    limit = TYPE_LIMITS.get(type_name)
    if isinstance(value, int) and limit is not None:
        value = max(0, min(value, limit))
    return value


def is_computed(attribute_id: int) -> bool:
    """Whether a Metering attribute's value comes from the consumption model."""
    return (attribute_id in (SUMMATION, PARTIAL_INTERVAL_START, PARTIAL_INTERVAL_VALUE)
            or attribute_id in TIER_SUMMATIONS or attribute_id in BLOCK_SUMMATIONS or attribute_id in HISTORICAL)


def settle(state: DeviceState, now: dt.datetime) -> None:
    """Keep the tier and block totals at *now* with the tariff in force, before a change of tariff (GBCS 10.4.2).

    Call it on the working state just before a TOU calendar or block thresholds change; a
    device without a consumption model keeps nothing.
    """
    registers = GasRegisters.of(state)
    if registers is None or (registers.settled and now <= registers.settled[-1].at):
        return
    point = Settled(now, registers.tier_units(now), registers.block_units(now), registers.calendar,
                    registers.thresholds)
    kept = [p.to_json() for p in registers.settled][-(SETTLED_LIMIT - 1):] + [point.to_json()]
    state.put_object("metering", REGISTERS_KEY, {"settled": kept})
