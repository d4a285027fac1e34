"""The ESME's tariff switching table and billing calendar, read from its COSEM objects (GBCS 5.11; SMETS2 5.6.4).

The Activity calendar ``0-0:13.0.0.255`` (Blue Book class 20, set by ECS01a/b and read by ECS24)
holds the Tariff Switching Table: season profiles (attribute 3), week profiles (4) and day
profiles (5) whose actions name a tariff script (the Tariffication script table
``0-0:10.0.100.255``) by its script selector: selector *n* makes TOU rate *n* current (SMETS2
5.6.4.17 "Tariff Switching Table"; selector 0 is taken as rate 1) and selectors 101..108 block
rate 1..8 (a TOU-with-blocks tariff: that half-hour counts in the Tariff TOU Block Register
Matrix instead, see :mod:`.metering_blocks`; RTDS ECS01a "TOU_BLOCK"). :func:`tariff_table`
turns the active attributes into a :class:`TariffTable` that says which rate code each UTC
half-hour falls in: 0..47 a TOU rate (the 48 of the TOU Register Matrix), 48..55 a block rate.
A calendar that cannot be read (or the profile's placeholder) gives a single rate.

The Billing single action schedule ``0-0:15.0.0.255`` (class 22, attribute 4 execution time,
set by ECS30/ECS30a) gives the Billing Calendar: a monthly entry (month "not specified", a day
of month) ends a billing period on that day at that hour (:func:`billing_calendar`).

Times are UTC (the device clock, GBCS 5.11 date-times with deviation 0x8000).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from smets_emu.emulator.metering.consumption import BillingCalendar
from smets_emu.errors import EncodeError, InputError
from smets_emu.protocols.payloads.dlms_data import ArrayData, DlmsData, IntegerData, OctetStringData, StructureData

if TYPE_CHECKING:
    from smets_emu.emulator.cosem.model import CosemModel

ACTIVITY_CALENDAR = (20, "0-0:13.0.0.255")
SECONDARY_CALENDAR = (20, "0-0:13.0.1.255")
"""The tariff switching table of a twin element ESME's secondary element (4 TOU rates)."""
SECONDARY_RATES = 4
BILLING_SCHEDULE = (22, "0-0:15.0.0.255")
TOU_RATES = 48
"""Size of the TOU Register Matrix (SMETS2 5.6.4.17)."""
BLOCK_RATES = 8
"""Block rates of a TOU-with-blocks tariff (script selectors 101..108; the Tariff Threshold Matrix has 8 rows)."""
BLOCK_SELECTOR = 101
RATE_CODES = TOU_RATES + BLOCK_RATES
"""Rate codes of a half-hour: 0..47 TOU rates, 48..55 block rates."""
SLOTS = 48
"""Half-hours in a day."""
_EPOCH_DAY = dt.date(1970, 1, 1)
_SINGLE = (0,) * SLOTS


@dataclass(frozen=True, slots=True)
class TariffTable:
    """Which TOU rate (0-based) each half-hour of a day is in, per season and weekday.

    *seasons* lists (month, day, week index) starts in date order; *weeks* holds per week the
    48-slot rate row of each weekday (Monday first). No seasons means one rate all the time.
    """

    seasons: tuple[tuple[int, int, int], ...] = ()
    weeks: tuple[tuple[tuple[int, ...], ...], ...] = ()

    @property
    def single_rate(self) -> bool:
        """True when every half-hour is rate 1 (the registers then need no split)."""
        return all(row == _SINGLE for week in self.weeks for row in week)

    @property
    def block_rates_used(self) -> bool:
        """True when some half-hour is in a block rate (the block registers then need computing)."""
        return any(code >= TOU_RATES for week in self.weeks for row in week for code in row)

    def day_row(self, day: int) -> tuple[int, ...]:
        """The 48 rates of UTC day *day* (days since 1970-01-01)."""
        if not self.seasons:
            return _SINGLE
        date = _EPOCH_DAY + dt.timedelta(days=day)
        key = (date.month, date.day)
        week = self.seasons[-1][2]  # before the first start of the year: the last season still runs
        for month, mday, index in self.seasons:
            if (month, mday) <= key:
                week = index
        return self.weeks[week][date.weekday()]

    def rates(self, first: int, count: int) -> np.ndarray:
        """The rate of each half-hour *first* .. *first* + *count* - 1."""
        if count <= 0:
            return np.zeros(0, dtype=np.int64)
        if self.single_rate:
            return np.zeros(count, dtype=np.int64)
        first_day, last_day = first // SLOTS, (first + count - 1) // SLOTS
        rows = np.array([_row(self, d) for d in range(first_day, last_day + 1)], dtype=np.int64).reshape(-1)
        start = first - first_day * SLOTS
        return rows[start:start + count]


@lru_cache(maxsize=1 << 14)
def _row(table: TariffTable, day: int) -> tuple[int, ...]:
    return table.day_row(day)


SINGLE_RATE = TariffTable()


def _items(value: DlmsData | None) -> tuple[DlmsData, ...]:
    if not isinstance(value, ArrayData | StructureData):
        raise InputError("not an array or structure")
    return value.items


def _int(value: DlmsData) -> int:
    if not isinstance(value, IntegerData):
        raise InputError("not an integer")
    return value.value


def _octets(value: DlmsData) -> bytes:
    if not isinstance(value, OctetStringData):
        raise InputError("not an octet string")
    return value.value


def _day_row(schedule: tuple[DlmsData, ...]) -> tuple[int, ...]:
    """48 rates from a day schedule: (start time, script name, script selector) actions."""
    actions: list[tuple[int, int]] = []
    for action in schedule:
        start, _script, selector = _items(action)[:3]
        raw = _octets(start)
        hour = raw[0] if raw else 0
        minute = raw[1] if len(raw) > 1 and raw[1] != 0xFF else 0
        if hour == 0xFF or hour > 23 or minute > 59:
            continue
        script = _int(selector)
        if BLOCK_SELECTOR <= script < BLOCK_SELECTOR + BLOCK_RATES:
            code = TOU_RATES + script - BLOCK_SELECTOR
        else:
            code = min(max(script, 1), TOU_RATES) - 1
        actions.append((hour * 60 + minute, code))
    if not actions:
        return _SINGLE
    actions.sort()
    row: list[int] = []
    for slot in range(SLOTS):
        minute = slot * 30
        current = actions[-1][1]  # before the first switch of the day: the day's last rate carries over
        for at, rate in actions:
            if at <= minute:
                current = rate
        row.append(current)
    return tuple(row)


def parse_calendar(seasons: DlmsData | None, weeks: DlmsData | None, days: DlmsData | None) -> TariffTable:
    """A :class:`TariffTable` from the active season, week and day profile attributes; InputError when unreadable."""
    day_rows: dict[int, tuple[int, ...]] = {}
    for day in _items(days):
        day_id, schedule = _items(day)[:2]
        day_rows[_int(day_id)] = _day_row(_items(schedule))
    week_index: dict[bytes, int] = {}
    week_rows: list[tuple[tuple[int, ...], ...]] = []
    for week in _items(weeks):
        fields = _items(week)
        if len(fields) < 8:
            raise InputError("a week profile has a name and seven day ids")
        week_index[_octets(fields[0])] = len(week_rows)
        week_rows.append(tuple(day_rows.get(_int(f), _SINGLE) for f in fields[1:8]))
    starts: list[tuple[int, int, int]] = []
    for season in _items(seasons):
        _name, start, week_name = _items(season)[:3]
        raw = _octets(start)
        index = week_index.get(_octets(week_name))
        if index is None:
            continue
        month = raw[2] if len(raw) >= 4 and 1 <= raw[2] <= 12 else 1
        mday = raw[3] if len(raw) >= 4 and 1 <= raw[3] <= 31 else 1
        starts.append((month, mday, index))
    if not starts or not week_rows:
        return SINGLE_RATE
    starts.sort()
    return TariffTable(tuple(starts), tuple(week_rows))


def tariff_table(model: CosemModel, calendar: tuple[int, str] = ACTIVITY_CALENDAR) -> TariffTable:
    """The tariff switching table the device holds now (single rate when it cannot be read)."""
    class_id, obis = calendar
    try:
        return parse_calendar(model.read_value(class_id, obis, 3), model.read_value(class_id, obis, 4),
                              model.read_value(class_id, obis, 5))
    except (InputError, EncodeError, ValueError, IndexError):
        return SINGLE_RATE


def billing_calendar_of(model: CosemModel) -> BillingCalendar:
    """The billing calendar in the device's Billing single action schedule (GBCS ECS30; default day 1, 00:00)."""
    class_id, obis = BILLING_SCHEDULE
    try:
        entries = _items(model.read_value(class_id, obis, 4))
        time, date = (_octets(v) for v in _items(entries[0])[:2])
    except (InputError, EncodeError, ValueError, IndexError):
        return BillingCalendar()
    if len(date) < 4 or len(time) < 1 or date[2] != 0xFF or not 1 <= date[3] <= 28:
        return BillingCalendar()
    hour = time[0] if time[0] <= 23 else 0
    return BillingCalendar(date[3], hour)
