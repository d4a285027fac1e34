"""ESME metering objects from the consumption model: TOU split, maximum demand, billing calendar, clock offset,
export, the tariff-change log and the fleet-file hook (GBCS 5.11; SMETS2 5.6.4)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from smets_emu.emulator.cosem.engine import read_attribute
from smets_emu.emulator.cosem.metering_objects import (
    billing_calendar,
    billing_snapshot,
    device_time,
    half_hour_import,
    import_reading,
    record_change,
)
from smets_emu.emulator.cosem.metering_tariff import TariffTable, parse_calendar
from smets_emu.emulator.cosem.methods import ExecContext
from smets_emu.emulator.cosem.model import CLOCK_OFFSET_KEY, CosemModel
from smets_emu.emulator.metering.config import CONFIG_KEY, METERING_KEY, MeteringConfig, device_model
from smets_emu.emulator.metering.consumption import half_hour_index
from smets_emu.emulator.state import DeviceState
from smets_emu.protocols.payloads.dlms_data import (
    ArrayData,
    DataTag,
    DlmsData,
    IntegerData,
    OctetStringData,
    StructureData,
)
from smets_emu.protocols.timestamps import GBCS_EPOCH, DlmsDateTime
from smets_emu.tools.fleet_file import FleetFileError, load_fleet, parse_fleet

ORIGIN = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 2, 20, 15, 40, 12, tzinfo=dt.UTC)
CALENDAR = "0-0:13.0.0.255"


def esme(config: dict[str, object] | None = None, profile: str = "default") -> DeviceState:
    state = DeviceState(bytes.fromhex("00DB1234567890A0"), "ESME", profile=profile)
    state.put_object(METERING_KEY, CONFIG_KEY, {"origin": ORIGIN.isoformat(), "seed": 5, **(config or {})})
    return state


def read(state: DeviceState, class_id: int, obis: str, attribute: int = 2, now: dt.datetime = NOW,
         window: tuple[dt.datetime, dt.datetime] | None = None) -> DlmsData:
    ctx = ExecContext(model=CosemModel(state), now=now)
    selection = None
    if window is not None:
        selection = StructureData(tuple(IntegerData(DataTag.DOUBLE_LONG_UNSIGNED,
                                                    int((t - GBCS_EPOCH).total_seconds())) for t in window))
    result, value = read_attribute(ctx, class_id, obis, attribute, 2 if window else None, selection)
    assert result == 0 and value is not None
    value.encode()
    return value


def ints(value: DlmsData) -> list[int]:
    return [v.value for v in value.walk() if isinstance(v, IntegerData) and v.tag == DataTag.DOUBLE_LONG_UNSIGNED]


def os(raw: bytes) -> OctetStringData:
    return OctetStringData(raw)


def two_rate_calendar(state: DeviceState) -> None:
    """Night (00:00-07:00) on rate 2, day on rate 1, every day of the year (ECS01-style active attributes)."""
    model = CosemModel(state)
    start = DlmsDateTime(0xFFFF, 1, 1, 0xFF, 0, 0, 0, 0).to_bytes()
    script = bytes.fromhex("00000A0064FF")
    action = [StructureData((os(bytes([h, 0, 0, 0])), os(script), IntegerData(DataTag.LONG_UNSIGNED, sel)))
              for h, sel in ((0, 2), (7, 1))]
    obj = model.get_object(20, CALENDAR, write=True)
    assert obj is not None
    model.store(obj, 3, ArrayData((StructureData((os(b"\x01"), os(start), os(b"\x01"))),)))
    model.store(obj, 4, ArrayData((StructureData((os(b"\x01"), *[IntegerData(DataTag.UNSIGNED, 1)] * 7)),)))
    model.store(obj, 5, ArrayData((StructureData((IntegerData(DataTag.UNSIGNED, 1), ArrayData(tuple(action)))),)))


def test_registers_agree_with_the_model_and_the_profile() -> None:
    state = esme()
    register = ints(read(state, 3, "1-0:1.8.0.255"))[0]
    model = device_model(state)
    assert model is not None and register == import_reading(state, NOW) == model.reading(NOW)
    ecs17b = ints(read(state, 1, "0-0:94.44.34.10"))
    assert ecs17b[0] == register and ecs17b[1] > 0  # active, then reactive import
    midnight = NOW.replace(hour=0, minute=0, second=0)
    start = midnight - dt.timedelta(days=20)
    profile = half_hour_import(state, start + dt.timedelta(minutes=30), midnight)
    assert len(profile) == 20 * 48
    assert sum(v for _, v in profile) == import_reading(state, midnight) - import_reading(state, start)
    assert half_hour_import(state, start, midnight)[6] == profile[5]  # reproducible


def test_tou_registers_split_by_the_tariff_switching_table() -> None:
    state = esme()
    single = ints(read(state, 1, "0-0:94.44.34.1"))
    assert single[0] == import_reading(state, NOW) and not any(single[1:])
    two_rate_calendar(state)
    split = ints(read(state, 1, "0-0:94.44.34.1"))
    assert len(split) == 48 and sum(split) == import_reading(state, NOW) and not any(split[2:])
    model = device_model(state)
    assert model is not None
    first, last = half_hour_index(ORIGIN), half_hour_index(NOW)
    night = sum(v for i, v in zip(range(first, last), model.intervals(first, last - first), strict=True)
                if i % 48 < 14)
    assert split[1] == night  # the current half-hour (15:30) is a day one: its part is in rate 1
    (daily,) = read(state, 7, "0-0:98.1.9.255", window=(NOW - dt.timedelta(days=3), NOW)).items[-1:]
    tou = ints(daily)[2:50]
    assert sum(tou) == ints(daily)[1] and tou[1] > 0


def test_unreadable_calendar_gives_one_rate() -> None:
    assert parse_calendar(ArrayData(()), ArrayData(()), ArrayData(())) == TariffTable()
    assert TariffTable().single_rate


def test_maximum_demand_is_the_largest_half_hour_of_the_billing_period() -> None:
    state = esme()
    demand = read(state, 4, "1-0:1.6.0.255")
    stamp = read(state, 4, "1-0:1.6.0.255", 5)
    assert isinstance(stamp, OctetStringData)
    captured = DlmsDateTime.from_bytes(stamp.value).to_datetime()
    model = device_model(state)
    assert model is not None
    start = half_hour_index(dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
    values = model.intervals(start, half_hour_index(NOW) - start)
    assert demand == IntegerData(DataTag.DOUBLE_LONG_UNSIGNED, max(values) * 2)
    assert captured is not None and model.interval(half_hour_index(captured) - 1) == max(values)


def test_billing_calendar_and_snapshots() -> None:
    state = esme()
    assert billing_calendar(state).day_of_month == 1
    obj = CosemModel(state).get_object(22, "0-0:15.0.0.255", write=True)
    assert obj is not None
    CosemModel.store(obj, 4, ArrayData((StructureData((os(bytes(4)), os(bytes.fromhex("FFFFFF0FFF")))),)))
    calendar = billing_calendar(state)
    assert (calendar.day_of_month, calendar.hour) == (15, 0)
    log = read(state, 7, "0-0:98.1.0.255", window=(ORIGIN, NOW))
    assert [ints(e)[0] for e in log.items] == [int((dt.datetime(2026, m, 15, tzinfo=dt.UTC) - GBCS_EPOCH)
                                                    .total_seconds()) for m in (1, 2)]
    end = dt.datetime(2026, 2, 15, tzinfo=dt.UTC)
    assert billing_snapshot(state, end) == log.items[1]
    assert ints(log.items[1])[1] == import_reading(state, end)


def test_clock_offset_moves_every_value() -> None:
    state = esme()
    state.objects[CLOCK_OFFSET_KEY] = 3600.0
    assert device_time(state, NOW) == NOW + dt.timedelta(hours=1)
    assert ints(read(state, 3, "1-0:1.8.0.255"))[0] == import_reading(state, NOW + dt.timedelta(hours=1))


def test_export_register_and_profile() -> None:
    state = esme({"export_annual": 1_500_000})
    noon = NOW.replace(hour=12, minute=0, second=0)
    day = read(state, 7, "0-0:99.1.1.255", window=(noon - dt.timedelta(days=1), noon))
    exported = sum(ints(e)[1] for e in day.items[1:])
    before = ints(read(state, 3, "1-0:2.8.0.255", now=noon - dt.timedelta(days=1)))[0]
    assert exported > 0 and ints(read(state, 3, "1-0:2.8.0.255", now=noon))[0] - before == exported
    assert ints(read(esme(), 3, "1-0:2.8.0.255"))[0] == 0  # no export model, nothing exported


def test_tariff_change_log_and_twin_element() -> None:
    state = esme(profile="twin")
    assert read(state, 7, "0-0:98.1.2.255", window=(ORIGIN, NOW)).items == ()
    record_change(state, NOW - dt.timedelta(days=2))
    (entry,) = read(state, 7, "0-0:98.1.2.255", window=(ORIGIN, NOW)).items
    assert ints(entry)[1] == import_reading(state, NOW - dt.timedelta(days=2))
    profile = read(state, 7, "0-0:99.1.0.255")
    assert all(len(e.items) == 3 for e in profile.items)  # primary and secondary element columns
    assert len(read(state, 1, "0-0:94.44.34.10").items) == 5


def test_hostile_ranges_are_bounded() -> None:
    state = esme()
    started = time.perf_counter()
    far = read(state, 7, "0-0:99.1.0.255", now=NOW, window=(GBCS_EPOCH, dt.datetime(9999, 1, 1, tzinfo=dt.UTC)))
    assert len(far.items) == 31 * 48 + 1  # from the year 2000, capped; nothing after the device time
    assert not read(state, 7, "0-0:98.1.9.255", window=(NOW + dt.timedelta(days=9), NOW)).items
    assert time.perf_counter() - started < 30  # a sanity bound, not a benchmark


def test_fleet_file_metering(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "use.csv").write_text("time,wh\n2026-01-01T00:00Z,100\n2026-01-01T00:30Z,300\n")
    (tmp_path / "fleet.toml").write_text('''
[types.ESME]
metering = { shape = "flat", annual = 876000 }

[[premises]]
name = "home"
devices = [
  { type = "ESME", eui = "00DB1234567890A0", metering = { seed = 4 } },
  { type = "ESME", eui = "00DB1234567890B0", metering = { series = "data/use.csv" } },
  { type = "CHF", eui = "00DB1234567890A2" },
]
''')
    first, second, chf = load_fleet(tmp_path / "fleet.toml").devices
    assert first.metering == MeteringConfig(shape="flat", annual=876000, seed=4)
    assert second.metering is not None and second.metering.series == str(tmp_path / "data" / "use.csv")
    assert chf.metering is None


@pytest.mark.parametrize(("metering", "message"), [
    ({"shape": "volcano"}, "unknown load shape"),
    ({"annual": -5}, "annual"),
    ({"annual": True}, "annual"),
    ({"seed": "x"}, "seed"),
    ({"series": "missing.csv"}, "cannot read"),
    ({"colour": "red"}, "unknown metering field"),
    ("flat", "table"),
])
def test_fleet_file_refuses_bad_metering(metering: object, message: str) -> None:
    with pytest.raises(FleetFileError, match=message):
        parse_fleet({"premises": [{"devices": [{"type": "ESME", "eui": "00DB1234567890A0", "metering": metering}]}]})
    with pytest.raises(FleetFileError, match="does not meter"):
        parse_fleet({"premises": [{"devices": [{"type": "CHF", "eui": "00DB1234567890A2", "metering": {}}]}]})


def test_maximum_demand_restarts_at_a_reset() -> None:
    """ECS57 resets the maximum demand register (method 1): the period then starts at the reset."""
    from smets_emu.emulator.cosem.engine import invoke_method

    state = esme()
    assert ints(read(state, 4, "1-0:1.6.0.255"))[0] > 0
    ctx = ExecContext(model=CosemModel(state), now=NOW)
    assert invoke_method(ctx, 4, "1-0:1.6.0.255", 1, IntegerData(DataTag.INTEGER, 0))[0] == 0
    assert ints(read(state, 4, "1-0:1.6.0.255"))[0] == 0  # no whole half-hour since the reset
    model = device_model(state)
    assert model is not None
    later = NOW + dt.timedelta(hours=3)
    first = half_hour_index(NOW) + 1  # the first half-hour wholly after the reset
    expected = max(model.intervals(first, half_hour_index(later) - first)) * 2
    assert ints(read(state, 4, "1-0:1.6.0.255", now=later))[0] == expected
