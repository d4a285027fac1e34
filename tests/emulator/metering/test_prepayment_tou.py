"""ESME prepayment priced by TOU rate and block (SMETS2 5.6.5; GBCS ECS01a price matrix, Tariff Threshold Matrix):
credit runs down at each half-hour's rate and block price, checked against an independent sum over
ConsumptionModel.intervals and the switching table, and the disablement alert comes at the exact second."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from prepayment_lab import ESME, PrepaymentLab, first_second

from smets_emu.emulator.cosem.model import CosemModel
from smets_emu.emulator.metering import prepayment as engine
from smets_emu.emulator.metering import prepayment_ports as ports
from smets_emu.emulator.metering.config import device_model
from smets_emu.emulator.metering.consumption import BillingCalendar, ConsumptionModel, half_hour_index, half_hour_start
from smets_emu.emulator.metering.prepayment_pricing import Pricing
from smets_emu.emulator.metering.prepayment_timers import PrepaymentTimers
from smets_emu.emulator.state import DeviceState
from smets_emu.protocols.payloads.dlms_data import ArrayData, DataTag, IntegerData, OctetStringData, StructureData
from smets_emu.protocols.timestamps import DlmsDateTime

SCALE = engine.MONEY_SCALE
DAY_PRICE, NIGHT_PRICE = 30_000, 12_000
"""TOU rate 1 (07:00-24:00) and rate 2 (00:00-07:00), money per kWh."""
BLOCK_PRICES, THRESHOLD = (15_000, 40_000), 2_000
"""Block rate 1's block 1 and block 2 prices per kWh, and its threshold (Wh in a billing period)."""
NIGHT_SLOTS = 14


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[PrepaymentLab]:
    opened = PrepaymentLab(tmp_path / "lab")
    try:
        yield opened
    finally:
        opened.close()


def _os(raw: bytes) -> OctetStringData:
    return OctetStringData(raw)


def _tariff(day_selector: int, night_selector: int, *, thresholds: tuple[int, ...] = ()) -> Callable[[DeviceState],
                                                                                                      None]:
    """An active switching table (night 00:00-07:00, day after), the price matrix and block rate 1's thresholds."""

    def edit(state: DeviceState) -> None:
        model = CosemModel(state)
        start = DlmsDateTime(0xFFFF, 1, 1, 0xFF, 0, 0, 0, 0).to_bytes()
        script = bytes.fromhex("00000A0064FF")
        actions = tuple(StructureData((_os(bytes([h, 0, 0, 0])), _os(script), IntegerData(DataTag.LONG_UNSIGNED, s)))
                        for h, s in ((0, night_selector), (7, day_selector)))
        calendar = model.get_object(20, "0-0:13.0.0.255", write=True)
        assert calendar is not None
        model.store(calendar, 3, ArrayData((StructureData((_os(b"\x01"), _os(start), _os(b"\x01"))),)))
        model.store(calendar, 4, ArrayData((StructureData((_os(b"\x01"), *[IntegerData(DataTag.UNSIGNED, 1)] * 7)),)))
        model.store(calendar, 5, ArrayData((StructureData((IntegerData(DataTag.UNSIGNED, 1), ArrayData(actions))),)))
        entries = [("01", DAY_PRICE), ("02", NIGHT_PRICE), ("A1", BLOCK_PRICES[0]), ("B1", BLOCK_PRICES[1])]
        charge = model.get_object(113, "0-0:19.20.0.255", write=True)
        assert charge is not None
        model.store(charge, 5, StructureData((
            StructureData((IntegerData(DataTag.INTEGER, 3), IntegerData(DataTag.INTEGER, -5))),
            StructureData((IntegerData(DataTag.LONG_UNSIGNED, 3), _os(bytes.fromhex("0100010800FF")),
                           IntegerData(DataTag.INTEGER, 2))),
            ArrayData(tuple(StructureData((_os(bytes.fromhex(i)), IntegerData(DataTag.LONG, p)))
                            for i, p in entries)))))
        monitor = model.get_object(21, "0-0:16.1.11.255", write=True)
        assert monitor is not None
        model.store(monitor, 2, ArrayData(tuple(IntegerData(DataTag.DOUBLE_LONG_UNSIGNED, v)
                                                for v in (*thresholds, 0xFFFFFFFF))))
        for obis in ("0-0:94.44.128.2", "0-0:94.44.128.3", "0-0:94.44.128.9"):
            ext = model.get_object(9000, obis, write=True)
            assert ext is not None
            model.store(ext, 2, IntegerData(DataTag.DOUBLE_LONG, 0))

    return edit


# --------------------------------------------------------------------------- the independent sums


@functools.lru_cache(maxsize=8)
def _prefix(model: ConsumptionModel, blocks: bool, end: int) -> tuple[list[int], list[int]]:
    """Running units x price before each half-hour from the origin, and the block counter before it (blocks only).

    TOU: night half-hours (slots 0..13) at NIGHT_PRICE, the rest at DAY_PRICE. Blocks: night half-hours at
    NIGHT_PRICE (TOU rate 2), day half-hours in block rate 1: its units up to THRESHOLD in a billing period (the
    1st of the month, 00:00 UTC) at block 1's price, the rest at block 2's, split unit by unit.
    """
    calendar = BillingCalendar()
    weights, counters, total, counter = [0], [0], 0, 0
    for k, v in enumerate(model.intervals(model.origin, end - model.origin)):
        index = model.origin + k
        start = half_hour_start(index)
        if calendar.previous_end(start) == start:
            counter = 0
            counters[-1] = 0
        if index % 48 < NIGHT_SLOTS:
            total += v * NIGHT_PRICE
        elif not blocks:
            total += v * DAY_PRICE
        else:
            first = max(0, min(v, THRESHOLD - counter))
            total += first * BLOCK_PRICES[0] + (v - first) * BLOCK_PRICES[1]
            counter += v
        weights.append(total)
        counters.append(counter)
    return weights, counters


def _weight(model: ConsumptionModel, at: dt.datetime, blocks: bool = False) -> int:
    index = half_hour_index(at)
    weights, counters = _prefix(model, blocks, -(-(index + 1) // 4096) * 4096)
    used = model.interval(index) * int((at - half_hour_start(index)).total_seconds()) // 1800
    if index % 48 < NIGHT_SLOTS:
        return weights[index - model.origin] + used * NIGHT_PRICE
    if not blocks:
        return weights[index - model.origin] + used * DAY_PRICE
    counter = counters[index - model.origin]
    first = max(0, min(used, THRESHOLD - counter))
    return weights[index - model.origin] + first * BLOCK_PRICES[0] + (used - first) * BLOCK_PRICES[1]


def _cost(lab: PrepaymentLab, start: dt.datetime, end: dt.datetime, blocks: bool = False) -> int:
    model = device_model(lab.state(ESME))
    assert model is not None
    return _weight(model, end, blocks) // 1000 - _weight(model, start, blocks) // 1000


def _in_prepayment(lab: PrepaymentLab, edit: Callable[[DeviceState], None], pounds: int) -> dt.datetime:
    lab.change(ESME, edit)
    lab.top_up(ESME, pounds=pounds)
    lab.command("ECS03", to=ESME)
    lab.tick()
    assert lab.stored(ESME)["mode_seen"] is True
    return lab.now




# --------------------------------------------------------------------------- tests


def test_a_two_rate_tariff_runs_credit_down_at_each_rates_price(lab: PrepaymentLab) -> None:
    start = _in_prepayment(lab, _tariff(1, 2), pounds=30)
    tariff = ports.tariff_of(lab.state(ESME))
    assert isinstance(tariff.pricing, Pricing)  # two prices: priced per half-hour
    later = start + dt.timedelta(days=1, hours=20, minutes=13, seconds=9)
    expected = 30 * SCALE - _cost(lab, start, later)
    assert lab.credit(ESME, later).balance == expected
    lab.tick(start + dt.timedelta(hours=17, seconds=3))  # settling on the way changes nothing
    assert lab.credit(ESME, later).balance == expected
    model = device_model(lab.state(ESME))
    assert model is not None
    units = model.between(start, later)
    assert units * NIGHT_PRICE // 1000 < 30 * SCALE - expected < units * DAY_PRICE // 1000  # a real mix


def test_credit_exhaustion_alert_comes_at_the_exact_second(lab: PrepaymentLab) -> None:
    start = _in_prepayment(lab, _tariff(1, 2), pounds=4)
    exhausted_at = first_second(lambda t: _cost(lab, start, t) >= 4 * SCALE, start)
    alerts = lab.tick(exhausted_at + dt.timedelta(hours=7))
    assert [(a.code, a.at) for a in alerts if a.code == engine.CREDIT_BELOW_DISABLEMENT] == [
        (engine.CREDIT_BELOW_DISABLEMENT, exhausted_at)]
    assert ports.supply_of(lab.state(ESME)) is engine.Supply.DISABLED
    assert lab.credit(ESME).balance == 4 * SCALE - _cost(lab, start, exhausted_at)


def test_block_prices_follow_the_billing_periods_block_counter(lab: PrepaymentLab) -> None:
    start = _in_prepayment(lab, _tariff(101, 2, thresholds=(THRESHOLD,)), pounds=60)  # day: block rate 1
    later = dt.datetime.combine(start.date() + dt.timedelta(days=35), dt.time(13, 29, 41), tzinfo=dt.UTC)
    expected = 60 * SCALE - _cost(lab, start, later, blocks=True)
    assert lab.credit(ESME, later).balance == expected  # across a billing period end: block 1 again after it
    assert expected != 60 * SCALE - _cost(lab, start, later)
    exhausted_at = first_second(lambda t: _cost(lab, start, t, blocks=True) >= 60 * SCALE, start)
    alerts = lab.tick(exhausted_at + dt.timedelta(days=1))
    assert [(a.code, a.at) for a in alerts if a.code == engine.CREDIT_BELOW_DISABLEMENT] == [
        (engine.CREDIT_BELOW_DISABLEMENT, exhausted_at)]


def test_an_idle_meter_in_credit_mode_is_never_due(lab: PrepaymentLab) -> None:
    lab.change(ESME, _tariff(1, 2))
    lab.top_up(ESME, pounds=5)  # credit mode: the balance is kept, nothing is charged
    lab.tick()
    assert PrepaymentTimers(None).next_due(lab.state(ESME)) is None  # type: ignore[arg-type]
