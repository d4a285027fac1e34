"""The consumption model: exact sums, seeded reproducibility, load shapes, CSV series, billing calendar."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smets_emu.emulator.metering.config import MeteringConfig, model_for
from smets_emu.emulator.metering.consumption import (
    HALF_HOUR,
    HORIZON,
    SHAPES,
    BillingCalendar,
    ConsumptionModel,
    half_hour_index,
    half_hour_start,
    load_series,
    parse_series,
)
from smets_emu.errors import InputError

ESME = bytes.fromhex("00DB1234567890A0")
GSME = bytes.fromhex("00DB1234567890A1")
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def test_profile_intervals_sum_to_the_register_delta_exactly() -> None:
    model = model_for(ESME, "ESME")
    assert model is not None
    first = half_hour_index(T0)
    days = 30
    intervals = model.intervals(first, days * 48)
    assert sum(intervals) == model.reading(T0 + dt.timedelta(days=days)) - model.reading(T0)
    assert len(set(intervals)) > 20, "values vary"
    # any split point: the parts add up
    middle = T0 + dt.timedelta(days=11, seconds=12_345)
    assert model.between(T0, middle) + model.between(middle, T0 + dt.timedelta(days=days)) == sum(intervals)


def test_partial_half_hour_is_pro_rata_and_never_goes_back() -> None:
    model = model_for(ESME, "ESME")
    assert model is not None
    start = half_hour_start(half_hour_index(T0) + 17)
    value = model.interval(half_hour_index(start))
    readings = [model.cumulative(start + dt.timedelta(seconds=s)) for s in range(0, HALF_HOUR + 1, 60)]
    assert readings == sorted(readings)
    assert readings[-1] - readings[0] == value
    assert model.cumulative(start + dt.timedelta(seconds=900)) - readings[0] == value * 900 // HALF_HOUR


def test_seeded_reproducible_and_distinct_per_device() -> None:
    a = model_for(ESME, "ESME", MeteringConfig(seed=7))
    b = model_for(ESME, "ESME", MeteringConfig(seed=7))
    c = model_for(ESME, "ESME", MeteringConfig(seed=8))
    other = model_for(bytes.fromhex("00DB1234567890B0"), "ESME", MeteringConfig(seed=7))
    assert a is not None and b is not None and c is not None and other is not None
    first = half_hour_index(T0)
    assert a.intervals(first, 96) == b.intervals(first, 96)
    assert a.intervals(first, 96) != c.intervals(first, 96)
    assert a.intervals(first, 96) != other.intervals(first, 96)


def test_annual_total_matches_the_configured_figure() -> None:
    model = model_for(ESME, "ESME", MeteringConfig(annual=3_650_000))
    assert model is not None
    year = model.between(T0, T0 + dt.timedelta(days=365))
    assert abs(year - 3_650_000) < 3_650_000 * 0.03


def test_shapes_follow_day_and_season() -> None:
    gas = model_for(GSME, "GSME", MeteringConfig(annual=1_000_000))
    assert gas is not None
    january = gas.between(T0, T0 + dt.timedelta(days=31))
    july = gas.between(dt.datetime(2026, 7, 1, tzinfo=dt.UTC), dt.datetime(2026, 8, 1, tzinfo=dt.UTC))
    assert january > 3 * july
    elec = model_for(ESME, "ESME", MeteringConfig(shape="flat", annual=17_532 * 100))
    assert elec is not None
    assert set(elec.intervals(half_hour_index(T0), 200)) == {100}
    assert elec.shape is SHAPES["flat"]


def test_nothing_before_the_origin() -> None:
    model = model_for(ESME, "ESME", MeteringConfig(origin=T0, start_reading=5_000))
    assert model is not None
    first = half_hour_index(T0)
    assert model.intervals(first - 4, 4) == [0, 0, 0, 0]
    assert model.reading(T0 - dt.timedelta(days=3)) == 5_000 == model.reading(T0)
    assert model.reading(T0 + dt.timedelta(hours=1)) == 5_000 + sum(model.intervals(first, 2))


@settings(max_examples=60, deadline=None)
@given(offset=st.integers(0, 400 * 86_400), amount=st.integers(1, 2_000_000))
def test_reaching_finds_the_first_second(offset: int, amount: int) -> None:
    model = model_for(ESME, "ESME", MeteringConfig(shape="solar", annual=2_000_000))  # zero half-hours at night
    assert model is not None
    start = T0 + dt.timedelta(seconds=offset)
    when = model.reaching(start, amount)
    assert when is not None
    assert model.between(start, when) >= amount
    assert model.between(start, when - dt.timedelta(seconds=1)) < amount


def test_reaching_gives_up_past_two_years() -> None:
    model = ConsumptionModel(seed=1, annual=0, shape=SHAPES["flat"])
    assert model.reaching(T0, 1) is None


def test_series_drives_the_model_and_repeats(tmp_path: Path) -> None:
    csv = tmp_path / "hh.csv"
    csv.write_text("time,wh\n2026-01-01T00:00:00Z,100\n2026-01-01T00:30:00Z,250.4\n# comment\n2026-01-01T01:00,50\n")
    model = model_for(ESME, "ESME", MeteringConfig(series=str(csv)))
    assert model is not None
    first = half_hour_index(T0)
    assert model.intervals(first, 7) == [100, 250, 50, 100, 250, 50, 100]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-01-01T00:00Z,1\n2026-01-01T01:00Z,1\n", "expected the half-hour"),
        ("2026-01-01T00:10Z,1\n", "not the start of a half-hour"),
        ("2026-01-01T00:00Z,nan\n", "outside"),
        ("2026-01-01T00:00Z,-1\n", "outside"),
        ("2026-01-01T00:00Z,1e30\n", "outside"),
        ("2026-01-01T00:00Z\n", "expected 'time,value'"),
        ("time,value\n", "no half-hour rows"),
        ("2026-01-01T00:00Z,1\nnot a time,2\n", "not an ISO 8601 time"),
    ],
)
def test_bad_series_rows_are_named(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_series(text, "hh.csv")


@pytest.mark.parametrize(
    "data",
    [
        {"shape": "nuclear"},
        {"annual": -1},
        {"annual": 10**13},
        {"annual": True},
        {"annual": "5"},
        {"seed": 2**64},
        {"origin": "yesterday"},
        {"origin": "0001-01-01T00:00:00"},
        {"series": 5},
        {"colour": "red"},
        [],
    ],
)
def test_bad_config_is_refused(data: object) -> None:
    with pytest.raises(InputError):
        MeteringConfig.from_json(data)


def test_config_round_trips_through_json() -> None:
    config = MeteringConfig(shape="small-business", annual=9_000_000, seed=3, export_annual=1_000_000, origin=T0,
                            start_reading=12)
    assert MeteringConfig.from_json(config.to_json()) == config
    assert model_for(ESME, "ESME", config) == model_for(ESME, "ESME", MeteringConfig.from_json(config.to_json()))
    model = model_for(ESME, "ESME", config)
    assert model is not None and model.export is not None and model.export.shape is SHAPES["solar"]
    assert model_for(ESME, "CHF", config) is None


def test_billing_calendar() -> None:
    calendar = BillingCalendar(day_of_month=15, hour=6)
    assert calendar.next_end(T0) == dt.datetime(2026, 1, 15, 6, tzinfo=dt.UTC)
    assert calendar.next_end(dt.datetime(2026, 12, 15, 6, tzinfo=dt.UTC)) == dt.datetime(2027, 1, 15, 6, tzinfo=dt.UTC)
    ends = calendar.period_ends(T0, dt.datetime(2026, 4, 15, 6, tzinfo=dt.UTC))
    assert [e.month for e in ends] == [1, 2, 3, 4]
    before = dt.datetime(2026, 1, 15, 5, tzinfo=dt.UTC)
    assert calendar.previous_end(before) == dt.datetime(2025, 12, 15, 6, tzinfo=dt.UTC)
    with pytest.raises(InputError):
        BillingCalendar(day_of_month=31)


def test_a_model_stops_counting_a_century_after_its_origin() -> None:
    """A clock set centuries ahead (a hostile ECS70) reads the century's total, computed once, not per year."""
    model = model_for(ESME, "ESME", MeteringConfig(origin=T0))
    assert model is not None
    end = half_hour_start(model.origin + HORIZON)
    total = model.cumulative(end)
    assert total > 0
    assert model.cumulative(dt.datetime(9999, 12, 31, tzinfo=dt.UTC)) == total
    assert model.intervals(model.origin + HORIZON, 3) == [0, 0, 0]
    assert model.reaching(end, 1) is None


def test_series_from_a_fifo_or_a_device_is_refused_at_once(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "hh.fifo"
    os.mkfifo(fifo)  # opening it would wait for a writer for ever
    for path in (fifo, Path("/dev/zero")):
        with pytest.raises(InputError, match="not a regular file"):
            load_series(path)
