"""Acceptance 1 (ESME): a lab 30 virtual days on, read over GBCS (ECS17b register, ECS22b half-hourly profile,
ECS21a daily read log, ECS20c billing data log): the numbers agree exactly, move, and follow the seed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from esme_reader import Reader

from smets_emu.tools.fleet_file import FleetSpec, parse_fleet
from smets_emu.tools.lab import Lab, open_lab

ESME = bytes.fromhex("00DB1234567890A0")
START = dt.datetime(2026, 3, 10, tzinfo=dt.UTC)  # the lab's first day (the model's origin)
DAY = dt.timedelta(days=1)
ECS17B, ECS20C, ECS21A, ECS22B = 0x0027, 0x0030, 0x0033, 0x0037


def fleet(seed: int) -> FleetSpec:
    return parse_fleet({"premises": [{"name": "home", "devices": [
        {"type": "ESME", "eui": ESME.hex(), "metering": {"seed": seed, "origin": START.isoformat()}},
        {"type": "CHF", "eui": "00DB1234567890A2"},
    ]}]})


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    opened = open_lab(tmp_path / "lab", fleet(7))
    try:
        yield opened
    finally:
        opened.close()


def readings(lab: Lab) -> dict[str, Any]:
    """Everything acceptance 1 reads, 30 virtual days after the lab's start."""
    reader = Reader(lab)
    end = START + 30 * DAY
    now = end + dt.timedelta(hours=5, minutes=10)
    (profile,) = reader.buffer(ECS22B, now, START, end)
    (daily,) = reader.buffer(ECS21A, now, START, end)
    billing, _prepayment = reader.buffer(ECS20C, now, START, end)
    return {
        "profile": profile, "daily": daily, "billing": billing,
        "register_now": reader.register(now), "register_end": reader.register(now + dt.timedelta(seconds=1)),
        "now": now,
    }


def test_profile_register_and_snapshots_agree_after_30_days(lab: Lab) -> None:
    reader = Reader(lab)
    end = START + 30 * DAY
    at_start = reader.register(START + dt.timedelta(minutes=1))
    at_end = reader.register(end)  # read exactly at the midnight the last daily snapshot is taken
    (profile,) = reader.buffer(ECS22B, end + dt.timedelta(hours=2), START, end)
    (daily,) = reader.buffer(ECS21A, end + dt.timedelta(hours=2), START, end)
    billing, prepayment = reader.buffer(ECS20C, end + dt.timedelta(hours=2), START, end)

    # the half-hourly profile: one capture per half-hour end, summing exactly to the register's rise
    assert len(profile) == 30 * 48 + 1
    assert profile[0][0] == START and profile[-1][0] == end
    assert profile[0][1] == 0  # the half-hour before the origin: nothing metered yet
    assert sum(row[1] for row in profile) == at_end - daily[0][1]
    assert len({row[1] for row in profile}) > 20  # values vary with the load shape and noise

    # daily snapshots: at each midnight, equal to the register at that instant; profile sums between them
    assert [row[0] for row in daily] == [START + k * DAY for k in range(31)]
    assert daily[0][1] == 0 and daily[-1][1] == at_end
    assert 0 < at_start - daily[0][1] < 1000  # one minute in: a part of the first half-hour
    for k in range(30):
        inside = [row[1] for row in profile if daily[k][0] < row[0] <= daily[k + 1][0]]
        assert len(inside) == 48
        assert sum(inside) == daily[k + 1][1] - daily[k][1]
    deltas = {daily[k + 1][1] - daily[k][1] for k in range(30)}
    assert len(deltas) > 20 and min(deltas) > 0
    assert daily[-1][2][0] == daily[-1][1]  # one tariff rate: TOU rate 1 is the whole register
    assert not any(daily[-1][2][1:])

    # the billing data log: a snapshot at the period end (the 1st of the month, 00:00 UTC) equal to the register
    (snapshot,) = billing
    assert snapshot[0] == dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    assert snapshot[1] == next(row[1] for row in daily if row[0] == snapshot[0])
    assert [row[0] for row in prepayment] == [snapshot[0]]


def test_register_moves_with_lab_time(lab: Lab) -> None:
    reader = Reader(lab)
    values = [reader.register(START + k * dt.timedelta(hours=7)) for k in range(1, 8)]
    assert values == sorted(values) and len(set(values)) == len(values)


def test_same_seed_same_values_other_seed_other_values(lab: Lab, tmp_path: Path) -> None:
    first = readings(lab)
    twin = open_lab(tmp_path / "twin", fleet(7))
    other = open_lab(tmp_path / "other", fleet(8))
    try:
        assert readings(twin) == first
        changed = readings(other)
    finally:
        twin.close()
        other.close()
    assert changed["register_now"] != first["register_now"]
    assert [r[1] for r in changed["profile"]] != [r[1] for r in first["profile"]]


def test_a_restarted_lab_reads_the_same_values(tmp_path: Path) -> None:
    folder = tmp_path / "lab"
    lab = open_lab(folder, fleet(11))
    try:
        before = readings(lab)
    finally:
        lab.close()
    again = open_lab(folder)  # resumed from the store: the metering configuration came back with the device
    try:
        assert not again.created
        assert readings(again) == before
    finally:
        again.close()
