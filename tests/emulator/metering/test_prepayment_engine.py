"""The prepayment credit engine on its own: exact lazy settlement, level crossings at the exact second, time-based
and payment-based debt recovery, emergency credit, top-up limits, the UTRN counter cache, idle devices."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from smets_emu.emulator.metering import prepayment as engine
from smets_emu.emulator.metering import prepayment_commands as commands
from smets_emu.emulator.metering.config import model_for
from smets_emu.emulator.metering.consumption import SHAPES, ConsumptionModel, half_hour_index
from smets_emu.emulator.metering.prepayment import Credit, Supply, Tariff
from smets_emu.emulator.metering.utrn import UTRN_HISTORY, counter_refused, remember

T0 = dt.datetime(2026, 2, 3, 7, 12, 5, tzinfo=dt.UTC)
MODEL = model_for(bytes.fromhex("00DB1234567890A0"), "ESME")
SCALE = engine.MONEY_SCALE


def _credit(balance: int, **changes: object) -> Credit:
    credit = Credit(settled_at=T0, balance=balance, mode_seen=True)
    for name, value in changes.items():
        setattr(credit, name, value)
    return credit


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=40 * 86_400), min_size=1, max_size=5))
def test_settling_in_steps_costs_the_same_as_at_once(offsets: list[int]) -> None:
    tariff = Tariff(prepayment=True, price=24_500, standing_charge=60_000, time_debt_rates=(7_000, 3_000))
    assert MODEL is not None
    credit = _credit(50 * SCALE, time_debts=[40_000, 500_000])
    end = T0 + dt.timedelta(seconds=max(offsets))
    stepped = credit
    for offset in sorted(offsets):
        stepped = engine.settle(stepped, tariff, MODEL, T0 + dt.timedelta(seconds=offset))
    once = engine.settle(credit, tariff, MODEL, end)
    assert (stepped.balance, stepped.time_debts) == (once.balance, once.time_debts)
    days = (end.date() - T0.date()).days
    used = MODEL.cumulative(end) * 24_500 // 1000 - MODEL.cumulative(T0) * 24_500 // 1000
    recovered = min(40_000, 7_000 * days) + min(500_000, 3_000 * days)
    assert once.balance == 50 * SCALE - used - 60_000 * days - recovered


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=SCALE + 1, max_value=400 * SCALE), st.integers(min_value=0, max_value=86_399),
       st.integers(min_value=0, max_value=90_000))
def test_a_crossing_is_found_at_the_exact_second_with_daily_charges(balance: int, second: int, standing: int) -> None:
    assert MODEL is not None
    tariff = Tariff(prepayment=True, price=30_000, standing_charge=standing, low_credit=SCALE)
    credit = _credit(balance, settled_at=T0 + dt.timedelta(seconds=second))
    at = engine.next_event(credit, tariff, MODEL)
    if at == credit.settled_at + engine.HORIZON_DAYS * engine.DAY:
        assert engine.settle(credit, tariff, MODEL, at).balance > SCALE
        return
    assert at is not None
    assert engine.settle(credit, tariff, MODEL, at).balance <= SCALE
    assert engine.settle(credit, tariff, MODEL, at - dt.timedelta(seconds=1)).balance > SCALE


def test_time_debts_complete_at_a_midnight_and_payment_debt_takes_its_share_of_a_top_up() -> None:
    flat = ConsumptionModel(seed=1, annual=0, shape=SHAPES["flat"], origin=half_hour_index(T0))
    tariff = Tariff(prepayment=True, price=10_000, time_debt_rates=(5_000, 0), payment_debt_share=2_500)
    credit = _credit(10 * SCALE, time_debts=[12_000, 0], payment_debt=30_000)
    at = engine.next_event(credit, tariff, flat)
    assert at == dt.datetime(2026, 2, 6, tzinfo=dt.UTC)  # 5 000 on each of three midnights
    settled, events = engine.run_due(credit, tariff, flat, at)
    assert [(e.at, e.alerts) for e in events] == [(at, (engine.DEBT_COMPLETED[0],))]
    assert (settled.balance, settled.time_debts) == (10 * SCALE - 12_000, [0, 0])
    top = commands.apply_top_up(settled, tariff, 100_000, at, counter=1 << 32)
    assert (top.debt_paid, top.credit.payment_debt, top.credited) == (25_000, 5_000, 75_000)
    top = commands.apply_top_up(top.credit, tariff, 100_000, at, counter=2 << 32)
    assert top.debt_paid == 5_000 and engine.PAYMENT_DEBT_COMPLETED in top.alerts
    assert top.credit.used_utrns == [1 << 32, 2 << 32]


def test_top_ups_over_the_credit_limits_are_refused() -> None:
    tariff = Tariff(prepayment=True, max_credit=20 * SCALE, max_balance=50 * SCALE)
    credit = _credit(40 * SCALE)
    assert commands.apply_top_up(credit, tariff, 25 * SCALE, T0, 1 << 32).refused_alert == 0x8F5B
    assert commands.apply_top_up(credit, tariff, 15 * SCALE, T0, 1 << 32).refused_alert == 0x8F47
    assert commands.apply_top_up(credit, tariff, 10 * SCALE, T0, 1 << 32).refused_alert is None


def test_emergency_credit_is_available_only_below_its_threshold_and_rearms_a_disabled_supply() -> None:
    tariff = Tariff(prepayment=True, ec_limit=3 * SCALE, ec_threshold=SCALE)
    assert commands.activate_emergency(_credit(2 * SCALE), tariff) is None
    activated = commands.activate_emergency(_credit(0, supply_seen=Supply.DISABLED.value), tariff)
    assert activated is not None
    credit, alerts, supply = activated
    assert credit.ec_in_use and credit.combined(tariff) == 3 * SCALE and supply is Supply.ARMED
    assert alerts == (engine.EMERGENCY_CREDIT_ACTIVATED, engine.SUPPLY_DISABLED_THEN_ARMED_EC)
    assert commands.activate_emergency(_credit(0), Tariff(prepayment=True)) is None  # no emergency credit configured


def test_the_utrn_counter_cache_refuses_replays_and_old_counters() -> None:
    used: list[int] = []
    for n in range(1, UTRN_HISTORY + 6):
        assert not counter_refused(n << 32, used, None)
        used = remember(used, n << 32)
    assert len(used) == UTRN_HISTORY
    assert counter_refused((UTRN_HISTORY + 5) << 32, used, None)  # the same token again
    assert counter_refused(3 << 32, used, None)  # older than anything kept
    assert counter_refused((UTRN_HISTORY + 9) << 32, used, floor=(UTRN_HISTORY + 9) << 32)  # CS02b floor


def test_idle_meters_have_nothing_due() -> None:
    assert MODEL is not None
    credit_mode = Credit(settled_at=T0, balance=SCALE)
    assert engine.next_event(credit_mode, Tariff(), MODEL) is None
    disabled = _credit(0, supply_seen=Supply.DISABLED.value, alerted=["disabled"])
    assert engine.next_event(disabled, Tariff(prepayment=True, price=1), MODEL) is None
    far = engine.next_event(_credit(10**12), Tariff(prepayment=True, price=1), MODEL)
    assert far == T0 + engine.HORIZON_DAYS * engine.DAY  # woken once to look further, nothing raised


def test_the_end_of_time_neither_overflows_nor_hangs() -> None:
    assert MODEL is not None
    last = dt.datetime(9999, 12, 30, tzinfo=dt.UTC)
    tariff = Tariff(prepayment=True, price=24_500, standing_charge=5_000, time_debt_rates=(1, 0))
    credit = Credit(settled_at=last, balance=10**12, mode_seen=True, time_debts=[10**15, 0])
    at = engine.next_event(credit, tariff, MODEL)
    assert at is not None and at >= last
    settled, _ = engine.run_due(credit, tariff, MODEL, dt.datetime.max.replace(tzinfo=dt.UTC))
    assert settled.settled_at >= last
