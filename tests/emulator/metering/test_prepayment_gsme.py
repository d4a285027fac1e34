"""GSME prepayment over GBCS (CS01b, GCS03, GCS06, GCS14, GCS32): UTRN credit, replay refusal, credit used at the
TOU tier prices with the standing charge and time-based debt recovery, emergency credit, valve closed at zero with its
alerts at the right virtual time, re-armed by a top-up and enabled again, and a restart."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from prepayment_lab import GSME, PrepaymentLab, first_second

from smets_emu.emulator.metering import prepayment as engine
from smets_emu.emulator.metering import prepayment_ports as ports
from smets_emu.emulator.metering.config import device_model
from smets_emu.emulator.metering.consumption import ConsumptionModel, half_hour_index, half_hour_start
from smets_emu.emulator.metering.utrn import DUPLICATE_UTRN
from smets_emu.emulator.state import DeviceState
from smets_emu.emulator.zcl.metering_tiers import TouCalendar, tou_calendar
from smets_emu.emulator.zcl.profiles import apply_profile

STANDING, DEBT, RATE = 22_465, 20_000, 5_000
"""Standing charge per day (profile, 5 trailing digits); each time debt and its daily rate."""
TIER_PRICES = (10_100, 10_700, 11_250, 11_500)
"""Tier 1..4 (block 1) prices per m3 of the profile (Price 0x0410, 0x0420, ..): its TOU calendar is active."""
SCALE = engine.MONEY_SCALE


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[PrepaymentLab]:
    opened = PrepaymentLab(tmp_path / "lab")
    try:
        yield opened
    finally:
        opened.close()


def _setup(balance: int, **attributes: int) -> Callable[[DeviceState], None]:
    values = {0x0001: balance, 0x0211: DEBT, 0x0221: DEBT, 0x0231: 0, 0x0217: RATE, 0x0227: RATE,
              0x0010: 2 * SCALE, 0x0011: SCALE, 0x0031: 3 * SCALE,
              **{int(k[1:], 16): v for k, v in attributes.items()}}

    def edit(state: DeviceState) -> None:
        apply_profile(state)
        for attribute, value in values.items():
            state.objects["clusters"]["0705"][f"{attribute:04X}"]["value"] = value

    return edit


def _fields(reply: Any, index: int = 0) -> dict[str, Any]:
    assert reply.response is not None
    component = reply.payload.to_json()["components"][index]["zcl"]
    return component["decrypted"]["fields"] if "decrypted" in component else component["fields"]


@functools.lru_cache(maxsize=8)
def _prefix(model: ConsumptionModel, calendar: TouCalendar, end: int) -> list[int]:
    """Running units x tier price of half-hours [origin, end): entry k is the weight before half-hour origin + k."""
    values = model.intervals(model.origin, end - model.origin)
    out, total, days = [0], 0, {}
    for k, v in enumerate(values):
        index = model.origin + k
        if index // 48 not in days:
            days[index // 48] = calendar.day_tiers(half_hour_start(index).date())
        total += v * TIER_PRICES[days[index // 48][index % 48]]
        out.append(total)
    return out


def _weight(lab: PrepaymentLab, at: dt.datetime) -> int:
    """Units x tier price from the model's origin to *at*: each half-hour of ConsumptionModel.intervals at the price
    of the tier the profile's TOU calendar gives it (the current half-hour pro rata, as the register counts it)."""
    state = lab.state(GSME)
    model = device_model(state)
    calendar = tou_calendar(state.objects_view().get("tables") or {})
    assert model is not None and calendar is not None
    index = half_hour_index(at)
    prefix = _prefix(model, calendar, -(-(index + 1) // 4096) * 4096)
    tier = calendar.day_tiers(half_hour_start(index).date())[index % 48]
    seconds = int((at - half_hour_start(index)).total_seconds())
    return prefix[index - model.origin] + model.interval(index) * seconds // 1800 * TIER_PRICES[tier]


def _balance(lab: PrepaymentLab, start: dt.datetime, balance: int, at: dt.datetime, debts: int = DEBT) -> int:
    """The meter balance at *at*: the half-hours' units at their TOU tier's price, less the standing charge and
    the time debt recovered at each UTC midnight (what SMETS2 prepayment charges)."""
    cost = _weight(lab, at) // 1000 - _weight(lab, start) // 1000
    days = (at.date() - start.date()).days
    return balance - cost - days * STANDING - 2 * min(debts, days * RATE)




def _in_prepayment(lab: PrepaymentLab, balance: int) -> dt.datetime:
    lab.change(GSME, _setup(balance))
    reply = lab.command("GCS03", to=GSME)
    assert reply.response is not None
    started = lab.now
    lab.tick()
    assert lab.stored(GSME)["mode_seen"] is True and lab.stored(GSME)["settled_at"] == started.isoformat()
    return started


def test_a_valid_utrn_adds_its_credit_and_the_same_utrn_again_is_refused(lab: PrepaymentLab) -> None:
    lab.change(GSME, _setup(5 * SCALE, x0231=3 * SCALE))  # a payment debt recovered at 10 % of each top-up
    utrn, reply = lab.top_up(GSME, pounds=10)
    fields = _fields(reply)
    assert (fields["result_type"], fields["top_up_value"]) == (0, 10 * SCALE)
    assert fields["credit_remaining"] == 5 * SCALE + 9 * SCALE  # 1.00 went to the payment debt
    assert lab.credit(GSME).payment_debt == 2 * SCALE
    again = _fields(lab.resend(GSME, utrn))
    assert (again["result_type"], again["top_up_value"]) == (2, -1)  # rejected: duplicate (SE D.7.2.4.3)
    sent_at = lab.now
    assert [(a.code, a.at) for a in lab.tick() if a.code == DUPLICATE_UTRN] == [(DUPLICATE_UTRN, sent_at)]
    assert lab.credit(GSME).balance == 14 * SCALE


def test_credit_runs_down_with_consumption_at_the_tariff_price(lab: PrepaymentLab) -> None:
    start = _in_prepayment(lab, 20 * SCALE)
    later = start + dt.timedelta(days=2, hours=5, seconds=7)
    expected = _balance(lab, start, 20 * SCALE, later)
    lab.now = later - dt.timedelta(seconds=1)
    records = _fields(lab.command("GCS14", to=GSME))["records"]  # GSME prepayment registers, protected
    assert records[0]["attribute"] == "CreditRemaining" and records[0]["value"] == expected
    assert expected < 20 * SCALE - 2 * STANDING


def test_emergency_credit_then_zero_closes_the_valve_with_alerts_and_a_top_up_re_enables(lab: PrepaymentLab) -> None:
    balance = 5 * SCALE
    start = _in_prepayment(lab, balance)
    limit, threshold, low = 2 * SCALE, SCALE, 3 * SCALE

    def below(level: int) -> dt.datetime:
        return first_second(lambda t: _balance(lab, start, balance, t) <= level, start)

    low_at, ec_at = below(low), below(threshold)
    alerts = lab.tick(ec_at + dt.timedelta(minutes=1))
    assert [(a.code, a.at) for a in alerts if a.code in (engine.LOW_CREDIT, engine.EMERGENCY_CREDIT_AVAILABLE)] == [
        (engine.LOW_CREDIT, low_at), (engine.EMERGENCY_CREDIT_AVAILABLE, ec_at)]
    debts_paid = dt.datetime.combine(start.date() + dt.timedelta(days=DEBT // RATE), dt.time(), tzinfo=dt.UTC)
    if debts_paid <= ec_at:
        assert {a.code for a in alerts if a.at == debts_paid} >= set(engine.DEBT_COMPLETED)

    reply = lab.command("GCS06", to=GSME)  # Select Available Emergency Credit
    assert _fields(reply)["status"] == "SUCCESS"
    assert engine.EMERGENCY_CREDIT_ACTIVATED in [a.code for a in lab.tick()]
    exhausted_at = below(-limit)
    alerts = lab.tick(exhausted_at + dt.timedelta(days=2, hours=3))
    assert [(a.code, a.at) for a in alerts if a.code in (engine.CREDIT_BELOW_DISABLEMENT,
                                                         engine.EMERGENCY_CREDIT_EXHAUSTED)] == [
        (engine.CREDIT_BELOW_DISABLEMENT, exhausted_at), (engine.EMERGENCY_CREDIT_EXHAUSTED, exhausted_at)]
    assert ports.supply_of(lab.state(GSME)) is engine.Supply.DISABLED  # valve closed: Supply Status 0
    left = _balance(lab, start, balance, exhausted_at)
    assert lab.credit(GSME).balance == left

    _, reply = lab.top_up(GSME, pounds=10)
    standing_while_off = (lab.now.date() - exhausted_at.date()).days * STANDING  # accumulated debt, paid first
    assert _fields(reply)["credit_remaining"] == left + 10 * SCALE - standing_while_off
    assert engine.SUPPLY_ARMED in [a.code for a in lab.tick()]
    assert ports.supply_of(lab.state(GSME)) is engine.Supply.ARMED
    lab.command("GCS32", to=GSME)  # Change Supply: ON
    enabled_at = lab.now
    lab.tick()
    assert ports.supply_of(lab.state(GSME)) is engine.Supply.ENABLED
    later = enabled_at + dt.timedelta(hours=20)
    restarted = left + 10 * SCALE - standing_while_off
    assert lab.credit(GSME, later).balance == _balance(lab, enabled_at, restarted, later, debts=0)


def test_balance_and_used_utrns_survive_a_restart(lab: PrepaymentLab) -> None:
    start = _in_prepayment(lab, 8 * SCALE)
    utrn, _ = lab.top_up(GSME, pounds=2)
    lab.tick()
    before = lab.stored(GSME)
    lab.reopen()
    assert lab.stored(GSME) == before
    later = lab.now + dt.timedelta(hours=5)
    assert lab.credit(GSME, later).balance == _balance(lab, start, 8 * SCALE, later) + 2 * SCALE
    assert _fields(lab.resend(GSME, utrn))["result_type"] == 2


def test_the_consumer_enables_an_armed_valve_only_with_credit(lab: PrepaymentLab) -> None:
    start = _in_prepayment(lab, SCALE // 2)
    lab.tick(start + dt.timedelta(days=30))
    assert ports.supply_of(lab.state(GSME)) is engine.Supply.DISABLED
    enabled: list[bool] = []
    lab.change(GSME, lambda state: enabled.append(ports.enable_by_consumer(state, lab.now)))
    assert enabled == [False]  # not armed: the consumer cannot open a valve closed for lack of credit
    lab.top_up(GSME, pounds=20)
    lab.tick()
    assert ports.supply_of(lab.state(GSME)) is engine.Supply.ARMED
    lab.change(GSME, lambda state: enabled.append(ports.enable_by_consumer(state, lab.now)))
    assert enabled == [False, True] and ports.supply_of(lab.state(GSME)) is engine.Supply.ENABLED
    assert lab.stored(GSME)["supply_seen"] == "enabled"
