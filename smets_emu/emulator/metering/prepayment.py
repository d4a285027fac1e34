"""The prepayment credit engine of the ESME and GSME (SMETS2 5.6.5 / 5.7.5, GBCS 14 and Table 16.2 alerts).

One engine, computed lazily from a *settled point* (a time and the registers at that time): the
credit at time t is the settled balance less the price of the energy the consumption model
(:class:`~smets_emu.emulator.metering.consumption.ConsumptionModel`) gives between the settled
time and t, less the daily charges of every UTC midnight crossed. Nothing runs while a device
is idle: :func:`next_event` tells the host the instant the credit next crosses a level that
matters (low credit, emergency credit available, disablement) or a debt completes, and
:func:`run_due` settles the state to each such instant in turn and says what happened.

Money is an integer in 1/100000 of the currency unit (the GBCS/ZSE prepayment scale: 100000 is
one pound). The rules (SMETS2 prepayment, simplified where noted):

- Only while the payment mode is prepayment and the supply is enabled does consumption cost
  credit: ``floor(cumulative(t) * price / per)`` differences, so any split of an interval into
  settlements costs exactly the same. A tariff whose prices differ by TOU rate or block (a
  :class:`~smets_emu.emulator.metering.prepayment_pricing.Pricing`) prices each half-hour's units
  at its rate and block instead: ``floor(sum(units x price) / per)`` differences, just as exact.
- At each UTC midnight the standing charge and the two time-based debt recoveries (a daily rate
  each, never more than the debt outstanding) are taken from the balance; while the supply is
  not enabled the standing charge goes to the accumulated debt instead and debts wait.
- The *combined credit* is the meter balance plus, while emergency credit is in use, the
  emergency credit limit (the balance then runs negative down to minus the limit).
- Levels: the combined credit at or below the low credit threshold raises 0x810D once; the
  balance at or below the emergency credit threshold makes emergency credit available (0x8119);
  the combined credit at or below the disablement threshold disables the supply (0x8F0F, and
  0x81AA when emergency credit was in use).
- A top-up (:mod:`~smets_emu.emulator.metering.prepayment_commands`) pays the accumulated debt,
  then the payment-based debt (its percentage of the top-up), then credits the balance;
  emergency credit in use ends once the balance is positive; a supply disabled for lack of
  credit becomes *armed* (0x8F32) and is enabled by the consumer or by command (ECS42 / GSME
  Change Supply).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import TYPE_CHECKING, Any

from smets_emu.emulator.metering.prepayment_pricing import Priced, Pricing, pricing_from_json, pricing_to_json
from smets_emu.emulator.metering.series import half_hour_index
from smets_emu.errors import InputError

if TYPE_CHECKING:
    from smets_emu.emulator.metering.consumption import ConsumptionModel

MONEY_SCALE = 100_000
"""Money units per currency unit (pound)."""
DAY = dt.timedelta(days=1)
HORIZON_DAYS = 400
DAY_CHUNK = 32
"""Days of half-hourly values :func:`first_crossing` fetches at once."""
"""How far :func:`next_event` looks ahead; past it the device is woken once to settle and look again."""
MAX_MONEY = 10**15

LOW_CREDIT = 0x810D
CREDIT_ADDED_LOCALLY = 0x810E
EMERGENCY_CREDIT_AVAILABLE = 0x8119
SUPPLY_DISABLED_THEN_ARMED_EC = 0x8168
DEBT_COMPLETED = (0x81A7, 0x81A8)  # time debt 1, 2
PAYMENT_DEBT_COMPLETED = 0x81A9
EMERGENCY_CREDIT_EXHAUSTED = 0x81AA
EMERGENCY_CREDIT_ACTIVATED = 0x81AB
CREDIT_BELOW_DISABLEMENT = 0x8F0F
SUPPLY_ARMED = 0x8F32
"""GBCS alert codes (Table 16.2): 0x81xx non-critical, 0x8Fxx critical."""


class Supply(Enum):
    """The supply (load switch or valve) state: SMETS2 Disabled, Armed, Enabled."""

    DISABLED = "disabled"
    ARMED = "armed"
    ENABLED = "enabled"


@dataclass(frozen=True)
class Tariff:
    """What credit costs and the thresholds that matter, read from the device's objects (see prepayment_ports)."""

    prepayment: bool = False
    price: int = 0  # money per `per` units (Wh or dm3)
    per: int = 1000
    standing_charge: int = 0  # money per day
    low_credit: int = 0
    ec_limit: int = 0
    ec_threshold: int = 0
    disablement: int = 0
    max_credit: int = 0  # per top-up; 0: no limit
    max_balance: int = 0  # 0: no limit
    time_debt_rates: tuple[int, int] = (0, 0)  # money per day
    payment_debt_share: int = 0  # of each top-up, in 1/100 % (10000 = all of it)
    pricing: Pricing | None = None  # prices by TOU rate and block; None: *price* for every unit

    def __post_init__(self) -> None:
        if self.per <= 0 or self.price < 0 or self.standing_charge < 0 or min(self.time_debt_rates) < 0:
            raise InputError("prices and charges are non-negative amounts per a positive unit")

    @property
    def charges(self) -> list[int]:
        """What credit costs: price, per, standing charge, the two time debt rates (kept with a settled point)."""
        return [self.price, self.per, self.standing_charge, *self.time_debt_rates]

    @property
    def pricing_json(self) -> dict[str, Any] | None:
        """The rate and block prices as kept with a settled point (None for one price)."""
        return pricing_to_json(self.pricing)

    def charging_as(self, charges: list[int], pricing: dict[str, Any] | None = None) -> Tariff:
        """This tariff with the *charges* and *pricing* that were in force (a settled point's); itself when none are."""
        if len(charges) != 5:
            return self
        try:
            old = pricing_from_json(pricing)
        except ValueError:
            old = self.pricing
        if charges == self.charges and old == self.pricing:
            return self
        price, per, standing, first, second = (max(0, int(v)) for v in charges)
        return replace(self, price=price, per=max(1, per), standing_charge=standing, time_debt_rates=(first, second),
                       pricing=old)


@dataclass
class Credit:
    """The settled point and registers of a meter in prepayment (kept in ``objects["metering"]["prepayment"]``)."""

    settled_at: dt.datetime
    balance: int = 0
    ec_in_use: bool = False
    accumulated_debt: int = 0
    time_debts: list[int] = field(default_factory=lambda: [0, 0])
    payment_debt: int = 0
    used_utrns: list[int] = field(default_factory=list)
    alerted: list[str] = field(default_factory=list)  # levels already reported: "low", "ec", "disabled"
    mode_seen: bool = False  # the payment mode (prepayment?) the settled point was computed with
    supply_seen: str = Supply.ENABLED.value
    queued: list[tuple[str, int]] = field(default_factory=list)  # alerts for the timer: (ISO time, code)
    charges: list[int] = field(default_factory=list)  # Tariff.charges in force since the settled point
    pricing: dict[str, Any] | None = None  # Tariff.pricing_json in force since the settled point

    def combined(self, tariff: Tariff) -> int:
        """Meter balance plus the emergency credit limit while emergency credit is in use."""
        return self.balance + (tariff.ec_limit if self.ec_in_use else 0)

    def emergency_balance(self, tariff: Tariff) -> int:
        """Emergency credit left: the limit less what the negative balance used (0 when not in use)."""
        return max(0, tariff.ec_limit + min(self.balance, 0)) if self.ec_in_use else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "settled_at": self.settled_at.isoformat(), "balance": self.balance, "ec_in_use": self.ec_in_use,
            "accumulated_debt": self.accumulated_debt, "time_debts": list(self.time_debts),
            "payment_debt": self.payment_debt, "used_utrns": list(self.used_utrns), "alerted": list(self.alerted),
            "mode_seen": self.mode_seen, "supply_seen": self.supply_seen,
            "queued": [list(q) for q in self.queued], "charges": list(self.charges), "pricing": self.pricing,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Credit:
        return cls(
            settled_at=_aware(data["settled_at"]), balance=int(data["balance"]),
            ec_in_use=bool(data.get("ec_in_use")), accumulated_debt=int(data.get("accumulated_debt", 0)),
            time_debts=([int(v) for v in data.get("time_debts", [])] + [0, 0])[:2],
            payment_debt=int(data.get("payment_debt", 0)), used_utrns=[int(v) for v in data.get("used_utrns", [])],
            alerted=[str(v) for v in data.get("alerted", [])], mode_seen=bool(data.get("mode_seen")),
            supply_seen=str(data.get("supply_seen", Supply.ENABLED.value)),
            queued=[(_aware(str(t)).isoformat(), int(c)) for t, c in data.get("queued", [])],
            charges=[int(v) for v in data.get("charges", [])][:5],
            pricing=data.get("pricing") if isinstance(data.get("pricing"), dict) else None,
        )


def _aware(text: str) -> dt.datetime:
    """An ISO time as an aware UTC datetime (ValueError when it is not one)."""
    at = dt.datetime.fromisoformat(text)
    return at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at


@dataclass(frozen=True)
class Event:
    """Something that happened at *at* while settling: the alerts to raise and a new supply state, if any."""

    at: dt.datetime
    alerts: tuple[int, ...] = ()
    supply: Supply | None = None


# --------------------------------------------------------------------------- arithmetic


def _midnights(start: dt.datetime, end: dt.datetime) -> int:
    """UTC midnights in (start, end]."""
    return max(0, (end.date() - start.date()).days)


LAST = dt.datetime.max.replace(tzinfo=dt.UTC)


def _later(t: dt.datetime, delta: dt.timedelta) -> dt.datetime:
    """*t* + *delta*, or the last representable instant (a lab clock near year 9999 never overflows)."""
    try:
        return t + delta
    except OverflowError:
        return LAST


def _next_midnight(t: dt.datetime) -> dt.datetime:
    try:
        return dt.datetime.combine(t.date() + DAY, dt.time(), tzinfo=dt.UTC)
    except OverflowError:
        return LAST


def _cost_to(model: ConsumptionModel | None, tariff: Tariff, at: dt.datetime) -> int:
    """Price of the consumption from the model's origin to *at* (rounded down; differences telescope)."""
    priced = Priced.of(model, tariff)
    return 0 if priced is None else priced.cost(priced.quantity(at))


def charging(credit: Credit, tariff: Tariff) -> bool:
    """True while consumption and daily charges run the balance down (prepayment mode, supply enabled)."""
    return credit.mode_seen and credit.supply_seen == Supply.ENABLED.value and tariff.prepayment


def settle(credit: Credit, tariff: Tariff, model: ConsumptionModel | None, to: dt.datetime) -> Credit:
    """The registers at *to*, from the settled point (pure; see module doc). *to* before the point changes nothing."""
    start = credit.settled_at
    if to <= start:
        return credit
    tariff = tariff.charging_as(credit.charges, credit.pricing)
    if not credit.mode_seen:
        return replace(credit, settled_at=to)
    days = _midnights(start, to)
    if credit.supply_seen != Supply.ENABLED.value:
        return replace(credit, settled_at=to,
                       accumulated_debt=min(MAX_MONEY, credit.accumulated_debt + days * tariff.standing_charge))
    used = _cost_to(model, tariff, to) - _cost_to(model, tariff, start)
    debts = [max(0, owed - days * rate) for owed, rate in zip(credit.time_debts, tariff.time_debt_rates, strict=True)]
    recovered = sum(credit.time_debts) - sum(debts)
    balance = credit.balance - used - days * tariff.standing_charge - recovered
    return replace(credit, settled_at=to, balance=max(-MAX_MONEY, balance), time_debts=debts)


def first_crossing(credit: Credit, tariff: Tariff, model: ConsumptionModel | None, level: int,
                   horizon: dt.datetime) -> dt.datetime | None:
    """The first instant the combined credit is at or below *level* (charging assumed); None before *horizon*."""
    combined = credit.combined(tariff)
    t = credit.settled_at
    if combined <= level:
        return t
    debts = list(credit.time_debts)
    priced = Priced.of(model, tariff)
    daily_charges = tariff.standing_charge or any(r and d for r, d in zip(tariff.time_debt_rates, debts, strict=True))
    if not daily_charges:  # consumption alone: one search
        if priced is None:
            return None
        held = priced.quantity(t)
        at = priced.reach(t, priced.needed(combined - level + priced.cost(held)) - held)
        return at if at is not None and at < horizon else None
    end_cost = 0 if priced is None else priced.cost(priced.quantity(t))
    midnight = _next_midnight(t)
    at_midnight = priced.quantity(midnight) if priced is not None and midnight < LAST else 0
    days: list[int] = []  # quantity of each following day, fetched a chunk at a time
    while t < horizon:
        end = min(midnight, horizon)
        if end <= t:
            return None
        base = end_cost
        if priced is not None:
            end_cost = priced.cost(at_midnight if end == midnight else priced.quantity(end))
        used = end_cost - base
        need = combined - level
        if used >= need and priced is not None:
            held = priced.quantity(t)
            at = priced.reach(t, priced.needed(need + base) - held)
            return t if at is None or at < t else min(at, end)
        combined -= used
        if end == horizon:
            return None
        daily = tariff.standing_charge
        for i, rate in enumerate(tariff.time_debt_rates):
            taken = min(rate, debts[i])
            debts[i] -= taken
            daily += taken
        combined -= daily
        t = end
        if combined <= level:
            return t
        midnight = _next_midnight(t)
        if priced is not None:
            if not days:
                days = priced.days(half_hour_index(t), DAY_CHUNK)[::-1]
            at_midnight += days.pop()
    return None


def _debt_completion(credit: Credit, tariff: Tariff) -> tuple[dt.datetime, int] | None:
    """The midnight the first time debt is paid off by daily recovery, and its alert code."""
    best: tuple[dt.datetime, int] | None = None
    for i, (owed, rate) in enumerate(zip(credit.time_debts, tariff.time_debt_rates, strict=True)):
        if owed > 0 and rate > 0:
            days = -(-owed // rate)
            at = _next_midnight(_later(credit.settled_at, (days - 1) * DAY)) if days < 3_000_000 else LAST
            if best is None or at < best[0]:
                best = (at, DEBT_COMPLETED[i])
    return best


def _levels(credit: Credit, tariff: Tariff) -> list[tuple[int, str]]:
    """The levels still to report, highest first (the combined credit only falls between top-ups)."""
    levels: list[tuple[int, str]] = []
    if "low" not in credit.alerted and tariff.low_credit > tariff.disablement:
        levels.append((tariff.low_credit, "low"))
    if tariff.ec_limit > 0 and not credit.ec_in_use and "ec" not in credit.alerted:
        levels.append((tariff.ec_threshold, "ec"))
    if "disabled" not in credit.alerted:
        levels.append((tariff.disablement, "disabled"))
    return sorted(levels, reverse=True)


def next_event(credit: Credit, tariff: Tariff, model: ConsumptionModel | None) -> dt.datetime | None:
    """When :func:`run_due` next has work: a level crossed, a debt completed, or the look-ahead horizon."""
    if credit.queued:
        return min(dt.datetime.fromisoformat(t) for t, _ in credit.queued)
    if not charging(credit, tariff):
        return None
    horizon = _later(credit.settled_at, HORIZON_DAYS * DAY)
    earliest = horizon
    levels = _levels(credit, tariff)
    if levels:
        crossing = first_crossing(credit, tariff, model, levels[0][0], horizon)
        if crossing is not None:
            earliest = min(earliest, crossing)
    debt = _debt_completion(credit, tariff)
    if debt is not None:
        earliest = min(earliest, debt[0])
    return earliest


def run_due(credit: Credit, tariff: Tariff, model: ConsumptionModel | None,
            now: dt.datetime) -> tuple[Credit, list[Event]]:
    """Settle *credit* to every event up to *now* in order; the new registers and what happened (pure)."""
    events: list[Event] = []
    queued = [(dt.datetime.fromisoformat(t), c) for t, c in credit.queued if dt.datetime.fromisoformat(t) <= now]
    if queued:
        credit = replace(credit, queued=[q for q in credit.queued if dt.datetime.fromisoformat(q[0]) > now])
        events.extend(Event(at, (code,)) for at, code in queued)
    for _ in range(64):  # each round settles to one event; a bound guards against a level that never clears
        at = next_event(credit, tariff, model)
        if at is None or at > now:
            break
        credit = settle(credit, tariff, model, at)
        alerts: list[int] = []
        supply: Supply | None = None
        alerted = list(credit.alerted)
        combined = credit.combined(tariff)
        for i, owed in enumerate(credit.time_debts):
            if owed == 0 and f"debt{i}" not in alerted and tariff.time_debt_rates[i]:
                alerted.append(f"debt{i}")
                alerts.append(DEBT_COMPLETED[i])
        for level, name in _levels(credit, tariff):
            if name == "ec" and credit.balance > level or name != "ec" and combined > level:
                continue
            alerted.append(name)
            if name == "low":
                alerts.append(LOW_CREDIT)
            elif name == "ec":
                alerts.append(EMERGENCY_CREDIT_AVAILABLE)
            else:
                alerts.append(CREDIT_BELOW_DISABLEMENT)
                if credit.ec_in_use:
                    alerts.append(EMERGENCY_CREDIT_EXHAUSTED)
                supply = Supply.DISABLED
        credit = replace(credit, alerted=alerted)
        if supply is not None:
            credit = replace(credit, supply_seen=supply.value)
        if alerts or supply is not None:
            events.append(Event(at, tuple(alerts), supply))
    return credit, events
