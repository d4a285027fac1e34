"""GSME metering over GBCS: register, half-hourly profile, daily and billing snapshots from the consumption model.

Acceptance item 1 (issue 14) for the GSME: a lab advanced by 30 virtual days is read through the
head-end (GCS13a register, GCS17 profile data log, GCS16a daily read log, GCS15c billing data log);
profile intervals add up to the register delta, snapshots equal the register at their time, values
move and come back the same from the same seed.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "devices"))

from gbz_lab import S2C, GbzLab, cluster_command, fields_of, gbz, read  # noqa: E402

from smets_emu.emulator.zcl.metering_logs import billing_snapshot, snapshot_fields  # noqa: E402
from smets_emu.errors import InputError  # noqa: E402
from smets_emu.protocols.timestamps import datetime_to_gbz_seconds  # noqa: E402

ORIGIN = "2026-02-01T00:00:00+00:00"
T0 = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
T1 = T0 + dt.timedelta(days=30)
DAYS = 30
GCS13A, GCS15C, GCS16A, GCS17, GCS13B, GCS13C = 0x0074, 0x0076, 0x0077, 0x0078, 0x00B8, 0x00B6


def gas_lab(seed: int = 7) -> GbzLab:
    lab = GbzLab("GSME")
    lab.device.state.objects["metering"] = {"config": {"seed": seed, "origin": ORIGIN}}
    return lab


def register(lab: GbzLab, now: dt.datetime) -> int:
    (comp,) = lab.components(lab.send(GCS13A, gbz(read(0x0702, 0x0302, 0x0301, 0x0300, 0x0000)), now))
    records = {r["attribute_id"]: r["value"] for r in fields_of(comp)["records"]}
    assert (records[0x0300], records[0x0301], records[0x0302]) == (1, 1, 1000)  # m3 x 1/1000: dm3
    return int(records[0x0000])


def profile(lab: GbzLab, start: dt.datetime, count: int, now: dt.datetime) -> list[int]:
    """The half-hourly profile from *start*, read in GCS17 commands of at most 480 samples."""
    values: list[int] = []
    while len(values) < count:
        first = start + dt.timedelta(minutes=30 * len(values))
        ask = {"sample_id": 0, "earliest_sample_time": {"utc": datetime_to_gbz_seconds(first)}, "sample_type": 0,
               "number_of_samples": min(480, count - len(values))}
        (comp,) = lab.components(lab.send(GCS17, gbz(cluster_command(0x0702, 0x08, ask)), now))
        got = fields_of(comp)
        assert comp["encrypted"] and got["sample_start_time"]["utc"] == datetime_to_gbz_seconds(first)
        assert got["sample_request_interval"] == 1800
        values += got["samples"]
    return values


def snapshots(lab: GbzLab, code: int, cause: int, count: int, now: dt.datetime) -> list[dict[str, Any]]:
    window = {"earliest_start_time": {"utc": datetime_to_gbz_seconds(T0)},
              "latest_end_time": {"utc": datetime_to_gbz_seconds(T1)}, "snapshot_cause": cause}
    parts = [cluster_command(0x0702, 0x06, {**window, "snapshot_offset": n}) for n in range(count)]
    return [fields_of(c) for c in lab.components(lab.send(code, gbz(*parts), now))]


def u48(payload: bytes, offset: int) -> int:
    return int.from_bytes(payload[offset: offset + 6], "little")


def decoded(snapshot: dict[str, Any]) -> tuple[int, list[int], list[int]]:
    """(summation, tiers, blocks) of a type 6 snapshot payload (56 bytes, GBCS layout)."""
    payload = bytes.fromhex(snapshot["snapshot_payload"])
    assert len(payload) == 56 and snapshot["snapshot_payload_type"] == 6
    assert payload[6] == 4 and payload[31] == 0x14
    return u48(payload, 0), [u48(payload, 7 + 6 * n) for n in range(4)], [u48(payload, 32 + 6 * n) for n in range(4)]


@pytest.fixture(scope="module")
def month() -> dict[str, Any]:
    lab = gas_lab()
    r0, r1 = register(lab, T0), register(lab, T1)
    return {"lab": lab, "r0": r0, "r1": r1, "profile": profile(lab, T0, DAYS * 48, T1),
            "daily": snapshots(lab, GCS16A, 0x01, DAYS + 2, T1)}


def test_profile_intervals_sum_to_the_register_delta(month: dict[str, Any]) -> None:
    values = month["profile"]
    assert len(values) == DAYS * 48
    assert sum(values) == month["r1"] - month["r0"] > 0
    assert len(set(values)) > 20  # not constant: daily shape, season, noise


def test_daily_snapshots_equal_the_register_at_midnight(month: dict[str, Any]) -> None:
    daily, values = month["daily"], month["profile"]
    found = [s for s in daily if "snapshot_payload" in s]
    assert len(found) == DAYS + 1 and all(s["total_snapshots_found"] == DAYS + 1 for s in found)
    assert daily[-1] == {"command_id": 0x06, "status": "NOT_FOUND", "command": "Get Snapshot"}
    for day, snap in enumerate(found):
        assert snap["snapshot_time"]["utc"] == datetime_to_gbz_seconds(T0 + dt.timedelta(days=day))
        assert snap["snapshot_cause"] == 0x01
        summation, tiers, blocks = decoded(snap)
        assert summation == month["r0"] + sum(values[: 48 * day])
        assert sum(tiers) == summation == sum(blocks)
    per_day = [decoded(b)[0] - decoded(a)[0] for a, b in zip(found, found[1:], strict=False)]
    assert len(set(per_day)) > 5 and min(per_day) > 0


def test_billing_snapshot_is_the_register_at_the_period_end(month: dict[str, Any]) -> None:
    lab = month["lab"]
    (snap, missing) = snapshots(lab, GCS15C, 0x02, 2, T1)
    end = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)  # the billing calendar's month end inside [T0, T1]
    assert snap["snapshot_time"]["utc"] == datetime_to_gbz_seconds(end) and snap["snapshot_cause"] == 0x02
    assert missing["status"] == "NOT_FOUND"
    assert decoded(snap)[0] == month["r0"] + sum(month["profile"][: 48 * (end - T0).days])
    pushed = billing_snapshot(lab.device.state, end)  # what the GCS53 alert carries
    assert pushed["snapshot_payload"] == snap["snapshot_payload"] and pushed["snapshot_cause"] == 0x02


def test_tou_and_block_registers_add_up(month: dict[str, Any]) -> None:
    lab = month["lab"]
    now = T1 + dt.timedelta(hours=13, minutes=17)
    (tou,) = lab.components(lab.send(GCS13C, gbz(read(0x0702, 0x0000, 0x0100, 0x0102, 0x0104, 0x0106)), now))
    (blk,) = lab.components(lab.send(GCS13B, gbz(read(0x0702, 0x0000, 0x0700, 0x0701, 0x0702, 0x0703)), now))
    tou_values = [r["value"] for r in fields_of(tou)["records"]]
    blk_values = [r["value"] for r in fields_of(blk)["records"]]
    assert tou_values[0] == sum(tou_values[1:]) == blk_values[0] == sum(blk_values[1:])
    assert sum(1 for v in tou_values[1:] if v) >= 2  # the default TOU calendar uses two tiers


def test_historical_attributes(month: dict[str, Any]) -> None:
    lab = month["lab"]
    now = T1 + dt.timedelta(hours=5)
    (comp,) = lab.components(lab.send(GCS13A, gbz(read(0x0702, 0x0000, 0x0401, 0x0403, 0x0420)), now))
    summation, today, yesterday, day2 = (r["value"] for r in fields_of(comp)["records"])
    values = month["profile"]
    assert yesterday == sum(values[-48:]) and day2 == sum(values[-96:-48])
    assert today == summation - month["r1"] > 0


def test_same_seed_same_values_other_seed_other_values(month: dict[str, Any]) -> None:
    start = T1 - dt.timedelta(days=2)
    try:  # labs of one EUI share the test PKI's keystore: use one at a time
        again = gas_lab(7)
        assert profile(again, start, 96, T1) == month["profile"][-96:]
        assert register(again, T1) == month["r1"]
        other = gas_lab(8)
        assert profile(other, start, 96, T1) != month["profile"][-96:]
        assert register(other, T1) != month["r1"]
    finally:
        month["lab"].head_end.register_device(month["lab"].device.state)


def test_profile_edges(month: dict[str, Any]) -> None:
    lab = month["lab"]

    def ask(earliest: int, number: int) -> dict[str, Any]:
        fields = {"sample_id": 0, "earliest_sample_time": {"utc": earliest}, "sample_type": 0,
                  "number_of_samples": number}
        (comp,) = lab.components(lab.send(GCS17, gbz(cluster_command(0x0702, 0x08, fields)), T1))
        return fields_of(comp)

    assert ask(0xFFFFFFFF, 10)["status"] == "NOT_FOUND"  # nothing after now
    first = ask(0, 5)  # the log holds about 13 months: before the model's origin, half-hours of 0
    assert first["sample_start_time"]["utc"] == datetime_to_gbz_seconds(T1) - 18_960 * 1800
    assert first["samples"] == [0] * 5
    late = ask(datetime_to_gbz_seconds(T1 - dt.timedelta(hours=2)), 65535)  # capped at what is complete
    assert late["number_of_samples"] == 4 and late["samples"] == month["profile"][-4:]


def test_snapshot_fields_refuse_naive_times_and_non_meters(month: dict[str, Any]) -> None:
    with pytest.raises(InputError):
        snapshot_fields(month["lab"].device.state, dt.datetime(2026, 4, 1), 0x02)
    gpf = GbzLab("GPF")  # a GPF answers from its copy of the GSME's data: it has no model of its own
    with pytest.raises(InputError):
        billing_snapshot(gpf.device.state, T1)


def test_tariff_change_and_block_thresholds(month: dict[str, Any]) -> None:
    """A change of tariff (GCS01a 0x006B) writes a billing data log snapshot GCS15b reads (cause 0x6008);
    block thresholds split each billing period's consumption over the block counters (GCS13b)."""
    from smets_emu.protocols.payloads.zcl_cluster_commands.price import (
        PublishBlockThresholds,
        PublishTariffInformation,
    )
    from smets_emu.protocols.payloads.zcl_clusters import example_fields

    tariff = {**example_fields(PublishTariffInformation), "start_time": {"utc": 0},
              "number_of_block_thresholds_in_use": 3, "block_threshold_multiplier": 1,
              "block_threshold_divisor": 1000}
    thresholds = {**example_fields(PublishBlockThresholds), "start_time": {"utc": 0}, "sub_payload_control": 0,
                  "tiers": [{"tier_and_threshold_count": 3, "thresholds": [10_000, 20_000, 30_000]}]}  # 10/20/30 m3
    changed = T0 + dt.timedelta(hours=7, minutes=45)
    try:
        lab = gas_lab(7)
        comps = lab.components(lab.send(0x006B, gbz(cluster_command(0x0700, 0x04, tariff, S2C),
                                                    cluster_command(0x0700, 0x06, thresholds, S2C)), changed))
        assert [fields_of(c)["status"] for c in comps] == ["SUCCESS", "SUCCESS"]
        window = {"earliest_start_time": {"utc": datetime_to_gbz_seconds(T0)},
                  "latest_end_time": {"utc": datetime_to_gbz_seconds(T1)}, "snapshot_cause": 0x6008,
                  "snapshot_offset": 0}
        (snap,) = [fields_of(c) for c in lab.components(lab.send(0x00C3, gbz(cluster_command(0x0702, 0x06, window)),
                                                                 T1))]
        assert snap["snapshot_time"]["utc"] == datetime_to_gbz_seconds(changed) and snap["snapshot_cause"] == 0x08
        assert decoded(snap)[0] == register(lab, changed)
        (blk,) = lab.components(lab.send(GCS13B, gbz(read(0x0702, 0x0000, 0x0700, 0x0701, 0x0702, 0x0703)), T1))
        total, *blocks = (r["value"] for r in fields_of(blk)["records"])
        assert sum(blocks) == total and 0 < blocks[1] <= 10_000  # March passes 10 m3 after the change
        assert len(lab.device.state.objects_view()["metering"]["registers"]["settled"]) == 1
        daily = snapshots(lab, GCS16A, 0x01, 2, T1)  # taken before the change: all in block 1
        assert decoded(daily[0])[2] == [decoded(daily[0])[0], 0, 0, 0]
    finally:
        month["lab"].head_end.register_device(month["lab"].device.state)


def test_a_new_tou_calendar_applies_from_its_time_on() -> None:
    """Registers before a change of calendar keep the old tiers (the settled point); after it, the new ones."""
    from smets_emu.emulator.state import DeviceState
    from smets_emu.emulator.zcl.metering_registers import GasRegisters, settle
    from smets_emu.emulator.zcl.profiles import apply_profile

    state = apply_profile(DeviceState(eui=bytes.fromhex("00DB1234567890A1"), device_type="GSME"))
    state.objects["metering"] = {"config": {"seed": 7, "origin": ORIGIN}}
    change, later = T0 + dt.timedelta(days=3, hours=5), T1
    before = GasRegisters.of(state)
    assert before is not None and before.calendar is not None
    early = before.tiers(T0 + dt.timedelta(days=1))
    settle(state, change)
    state.objects["tables"]["active_calendars"].pop("0")  # no TOU calendar from `change` on: all in tier 1
    after = GasRegisters.of(state)
    assert after is not None and after.calendar is None
    assert after.tiers(T0 + dt.timedelta(days=1)) == early  # the past is as it was metered
    at_change = after.tiers(change)
    assert at_change == before.tiers(change)
    grown = [b - a for a, b in zip(at_change, after.tiers(later), strict=True)]
    assert grown[0] == after.summation(later) - after.summation(change) and grown[1:] == [0, 0, 0]


def test_start_sampling_session_samples_the_model(month: dict[str, Any]) -> None:
    """Start Sampling (0x0080) then Get Sampled Data (GCS18): quarter-hours that add up to the profile."""
    lab = month["lab"]
    start = T0 + dt.timedelta(hours=1)
    ask = {"issuer_event_id": 1, "start_sampling_time": {"utc": datetime_to_gbz_seconds(start)}, "sample_type": 0,
           "sample_request_interval": 900, "max_number_of_samples": 8}
    (comp,) = lab.components(lab.send(0x0080, gbz(cluster_command(0x0702, 0x07, ask)), T0))
    sample_id = fields_of(comp)["sample_id"]
    assert sample_id == 3  # after the profile, daily and network data logs
    fetch = {"sample_id": sample_id, "earliest_sample_time": {"utc": 0}, "sample_type": 0, "number_of_samples": 100}
    (comp,) = lab.components(lab.send(0x0079, gbz(cluster_command(0x0702, 0x08, fetch)), T1))
    got = fields_of(comp)
    assert got["number_of_samples"] == 8 and got["sample_start_time"]["utc"] == datetime_to_gbz_seconds(start)
    quarters = got["samples"]
    halves = [a + b for a, b in zip(quarters[::2], quarters[1::2], strict=True)]
    assert halves == month["profile"][2:6]


def _engine(state: Any, command: int, fields: dict[str, Any], now: dt.datetime = T1) -> dict[str, Any]:
    """One Metering command through the ZCL engine (no GBCS envelope): the reply's fields."""
    from smets_emu.emulator.zcl.commands import ExecContext
    from smets_emu.emulator.zcl.engine import execute
    from smets_emu.emulator.zcl.model import ZclModel
    from smets_emu.protocols.payloads.gbz import GbzComponent, GbzPayload
    from smets_emu.protocols.payloads.zcl import ZclDirection, ZclFrameType, ZclHeader

    ctx = ExecContext(model=ZclModel(state, now), now=now, now_utc=datetime_to_gbz_seconds(now), message_code=GCS17,
                      originator_counter=1, requester=bytes(8))
    header = ZclHeader(ZclFrameType.CLUSTER_SPECIFIC, ZclDirection.CLIENT_TO_SERVER, 0, command)
    result = execute(GbzPayload(components=(GbzComponent(0x0702, header, fields=fields, last=True),),
                                form="command"), ctx)
    got = result.payload.components[0].fields
    assert got is not None
    return got


def _gas_state() -> Any:
    from smets_emu.emulator.state import DeviceState
    from smets_emu.emulator.zcl.profiles import apply_profile

    state = apply_profile(DeviceState(eui=bytes.fromhex("00DB1234567890A1"), device_type="GSME"))
    state.objects["metering"] = {"config": {"seed": 7, "origin": ORIGIN}}
    return state


def test_a_state_saved_with_stored_profile_values_reads_the_model() -> None:
    """A GSME state saved before logs were computed (its profile log holding values) answers from its model."""
    from smets_emu.emulator.zcl.metering_registers import GasRegisters

    state = _gas_state()
    state.objects["tables"]["samples"] = [{"sample_id": 0, "sample_type": 0, "start": 0, "interval": 1800,
                                           "max": 3, "values": [1, 2, 3]}]
    first = T1 - dt.timedelta(hours=1)
    got = _engine(state, 0x08, {"sample_id": 0, "earliest_sample_time": {"utc": datetime_to_gbz_seconds(first)},
                                "sample_type": 0, "number_of_samples": 2})
    registers = GasRegisters.of(state)
    assert registers is not None
    assert sum(got["samples"]) == registers.consumption(first, T1) and got["samples"] != [1, 2]


def test_get_profile_returns_the_latest_half_hours_first(month: dict[str, Any]) -> None:
    """Get Profile (SE 1.4 D.3.2.3.1.1): half-hourly consumption, most recent first, as the profile log has it."""
    state = _gas_state()
    now = T1 + dt.timedelta(minutes=10)  # the current half-hour has not ended: it is not returned
    got = _engine(state, 0x00, {"interval_channel": 0, "end_time": {"utc": 0}, "number_of_periods": 10}, now)
    assert (got["status"], got["profile_interval_period"], got["number_of_periods_delivered"]) == (0, 2, 10)
    assert got["end_time"]["utc"] == datetime_to_gbz_seconds(T1)
    assert got["intervals"] == list(reversed(month["profile"][-10:]))
    earlier = _engine(state, 0x00, {"interval_channel": 0, "end_time": {"utc": datetime_to_gbz_seconds(T0) + 900},
                                    "number_of_periods": 2}, now)
    assert earlier["end_time"]["utc"] == datetime_to_gbz_seconds(T0)
    received = _engine(state, 0x00, {"interval_channel": 1, "end_time": {"utc": 0}, "number_of_periods": 1}, now)
    assert received["status"] == 0x02 and received["intervals"] == []
    before = _engine(state, 0x00, {"interval_channel": 0, "end_time": {"utc": 1000}, "number_of_periods": 5}, now)
    assert before["status"] == 0x05 and before["number_of_periods_delivered"] == 0
