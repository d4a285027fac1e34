"""GSME logs computed on read from the consumption model: profile data logs and snapshots (GBCS 10.4.2; SE 1.4 D.3).

Nothing here is stored per interval or per day; every answer is worked out from
:class:`~smets_emu.emulator.zcl.metering_registers.GasRegisters` at the device's current time, so
the logs agree with the registers exactly:

- **Sampled data** (Get Sampled Data, SE 1.4 D.3.2.3.1.8): the GSME Profile Data Log (sample id
  0, half-hourly, GCS17), the daily consumption log (id 1, interval 0xFFFF = one UTC day) and the
  Network Data Log (id 2, GCS18) are rolling logs of the last ``max`` intervals before now
  (0 before the model's origin); a Start Sampling session samples from its start time. Each
  sample is the register delta over its interval, so consecutive samples add up to the register
  delta over their span.
- **Snapshots** (Get Snapshot / Publish Snapshot, SE 1.4 D.3.2.3.1.7, D.3.2.4.6): the Daily Read
  Log takes a snapshot with cause General (0x00000001) at every midnight UTC (GBCS 10.4.2.x
  "Daily Read Log"; the last 731 days), the Billing Data Log one with cause End of Billing
  Period (0x00000002) at each billing period end (the last 12). Snapshots kept in the ``snapshots``
  table (other causes: change of tariff, mode, supplier...) keep their time and cause; their
  payload too is the register at their time. Every payload is snapshot payload type 6 "Block
  Tier Information Set Delivered (No Billing)" in the 56-byte form GBCS devices send:
  CurrentSummationDelivered, four TOU tier registers, then the four no-tier block counters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from smets_emu.emulator.metering.consumption import HALF_HOUR, BillingCalendar, half_hour_start
from smets_emu.emulator.state import DeviceState
from smets_emu.emulator.zcl.metering_registers import GasRegisters, billing_calendar
from smets_emu.emulator.zcl.metering_tiers import BLOCKS, TIERS
from smets_emu.errors import InputError
from smets_emu.protocols.timestamps import datetime_to_gbz_seconds, gbz_seconds_to_datetime

__all__ = [
    "ANY_CAUSE", "BILLING_LOG_ENTRIES", "DAILY_LOG_DAYS", "END_OF_BILLING_PERIOD", "GENERAL", "PAYLOAD_TYPE",
    "Snapshot", "billing_calendar", "billing_snapshot", "find_snapshots", "profile_intervals", "record_snapshot",
    "sampled_data",
    "snapshot_fields", "snapshot_payload",
]

GENERAL, END_OF_BILLING_PERIOD, ANY_CAUSE = 0x00000001, 0x00000002, 0xFFFFFFFF
"""Snapshot causes (SE 1.4 D.3.2.3.1.7.4): daily read log, billing data log, any."""
CHANGE_OF_TARIFF, CHANGE_OF_SUPPLIER, CHANGE_OF_MODE = 0x00000008, 0x00002000, 0x00004000
"""Event snapshot causes of the billing data log (GCS15b asks for 0x6008)."""
PAYLOAD_TYPE = 6
"""Block Tier Information Set Delivered (No Billing) (SE 1.4 Table D-53), the GSME snapshot payload."""
TIERS_AND_BLOCKS = 0x10 | BLOCKS
"""NumberOfTiersAndBlockThresholdsInUse as GBCS GSMEs send it: one (no-)tier, four block counters."""
DAILY_LOG_DAYS = 731
"""Entries of the GSME Daily Read Log (SMETS2 5.7.4: 731 days)."""
BILLING_LOG_ENTRIES = 12
"""Entries of the GSME Billing Data Log (SMETS2 5.7.4: 12 entries)."""
DAILY_INTERVAL = 0xFFFF
"""SampleRequestInterval of a daily log (GBCS GCS61): one UTC day."""
DAY = 86400
_UNIX_OFFSET = 946_684_800  # 2000-01-01T00:00Z in Unix seconds (ZCL UTCTime epoch)


# --- snapshots ----------------------------------------------------------------------------


def _u48(value: int) -> bytes:
    return max(0, min(value, 0xFFFFFFFFFFFF)).to_bytes(6, "little")


def snapshot_payload(registers: GasRegisters, at: dt.datetime, horizon: dt.datetime | None = None) -> bytes:
    """The 56-byte type 6 snapshot payload of the registers at *at* (GBCS Publish Snapshot, SE 1.4 D.3.2.4.6)."""
    tiers = registers.tiers(at, horizon)
    blocks = registers.blocks(at, horizon)
    return b"".join((_u48(registers.summation(at)), bytes([TIERS]), *map(_u48, tiers), bytes([TIERS_AND_BLOCKS]),
                     *map(_u48, blocks)))


@dataclass(frozen=True, order=True)
class Snapshot:
    """One entry of a snapshot log: when, why, and its id."""

    time: int  # ZCL UTCTime (seconds since 2000)
    cause: int
    snapshot_id: int

    def fields(self, registers: GasRegisters, found: int, horizon: dt.datetime | None = None) -> dict[str, Any]:
        """The Publish Snapshot fields of this entry, its payload computed from *registers*."""
        payload = snapshot_payload(registers, gbz_seconds_to_datetime(self.time), horizon)
        return {
            "snapshot_id": self.snapshot_id, "snapshot_time": {"utc": self.time}, "total_snapshots_found": found,
            "command_index": 0, "total_number_of_commands": 1, "snapshot_cause": self.cause,
            "snapshot_payload_type": PAYLOAD_TYPE, "snapshot_payload": payload.hex().upper(),
        }


def _registers(state: DeviceState) -> GasRegisters:
    registers = GasRegisters.of(state)
    if registers is None:
        raise InputError(f"a {state.device_type} has no consumption model")
    return registers


def snapshot_fields(state: DeviceState, at: dt.datetime, cause: int, snapshot_id: int | None = None) -> dict[str, Any]:
    """Publish Snapshot fields of a snapshot taken at *at* (aware) with *cause*; the id defaults to its time."""
    if at.tzinfo is None:
        raise InputError("snapshot times must be aware (UTC)")
    seconds = datetime_to_gbz_seconds(at)
    if not 0 <= seconds <= 0xFFFFFFFF:
        raise InputError(f"snapshot time {at.isoformat()} is outside the ZCL UTCTime range")
    snapshot = Snapshot(seconds, cause & 0xFFFFFFFF, seconds if snapshot_id is None else snapshot_id & 0xFFFFFFFF)
    return snapshot.fields(_registers(state), 1)


def billing_snapshot(state: DeviceState, end: dt.datetime) -> dict[str, Any]:
    """Publish Snapshot fields of the billing data log entry for the billing period ending at *end* (GCS53, GCS15c).

    The same snapshot a later Get Snapshot (cause End of Billing Period) returns for that period end.
    """
    return snapshot_fields(state, end, END_OF_BILLING_PERIOD)


def _daily(origin: dt.datetime, now: dt.datetime, earliest: dt.datetime, latest: dt.datetime) -> list[Snapshot]:
    first = max(origin + dt.timedelta(microseconds=1), earliest, now - dt.timedelta(days=DAILY_LOG_DAYS - 1))
    last = min(latest, now)
    day = first.replace(hour=0, minute=0, second=0, microsecond=0)
    if day < first:
        day += dt.timedelta(days=1)
    out = []
    while day <= last:
        seconds = datetime_to_gbz_seconds(day)
        out.append(Snapshot(seconds, GENERAL, seconds))
        day += dt.timedelta(days=1)
    return out


def _billing(billing: BillingCalendar, origin: dt.datetime, now: dt.datetime, earliest: dt.datetime,
             latest: dt.datetime) -> list[Snapshot]:
    ends = billing.period_ends(origin, now, limit=BILLING_LOG_ENTRIES)
    return [Snapshot(s, END_OF_BILLING_PERIOD, s) for s in map(datetime_to_gbz_seconds, ends)
            if earliest <= gbz_seconds_to_datetime(s) <= latest]


def find_snapshots(state: DeviceState, registers: GasRegisters, now: dt.datetime, earliest: int, latest: int,
                   cause: int) -> list[Snapshot]:
    """The Metering snapshots taken in [*earliest*, *latest*] (ZCL UTCTime) whose cause matches, oldest first."""
    low = gbz_seconds_to_datetime(max(0, earliest))
    high = gbz_seconds_to_datetime(min(max(0, latest), 0xFFFFFFFF))
    origin = half_hour_start(registers.model.origin)
    found: dict[tuple[int, int], Snapshot] = {}
    if cause & GENERAL:
        found.update(((s.time, s.cause), s) for s in _daily(origin, now, low, high))
    if cause & END_OF_BILLING_PERIOD:
        found.update(((s.time, s.cause), s) for s in _billing(registers.billing, origin, now, low, high))
    table = (state.objects_view().get("tables") or {}).get("snapshots") or []
    for index, entry in enumerate(table):  # kept snapshots: as the table has them
        try:
            when, why = int(entry["time"]), int(entry["cause"])
        except (KeyError, TypeError, ValueError):
            continue
        if entry.get("cluster") == "0702" and earliest <= when <= latest and why & cause:
            found.setdefault((when, why), Snapshot(when, why, index))
    return sorted(found.values())


def record_snapshot(table: list[Any], cause: int, time: int) -> None:
    """Keep an event snapshot (time and cause; its payload is computed when read) in the ``snapshots`` table.

    GBCS 10.4.2 / SMETS2 5.7.4: a change of tariff, payment mode or supplier writes the billing
    data log (GCS15b reads causes 0x0008, 0x4000, 0x2000); the log keeps the last
    :data:`BILLING_LOG_ENTRIES` such snapshots.
    """
    table.append({"cluster": "0702", "cause": cause & 0xFFFFFFFF, "time": time})
    mine = [i for i, entry in enumerate(table) if entry.get("cluster") == "0702" and "payload" not in entry]
    for index in reversed(mine[:-BILLING_LOG_ENTRIES]):
        del table[index]


# --- sampled data -------------------------------------------------------------------------


def _step(interval: int) -> int:
    return interval if 0 < interval < DAILY_INTERVAL else DAY


def sampled_data(registers: GasRegisters, sampling: dict[str, Any], now: dt.datetime, earliest: int,
                 count: int) -> tuple[int, list[int]] | None:
    """(first sample time, samples) of a sampling log from *earliest* (ZCL UTCTime), at most *count*; None if none.

    Rolling logs (``"rolling": true``) hold the last ``max`` whole intervals before *now* (those
    before the model's origin hold 0, as the model has it); a Start Sampling session holds up to
    ``max`` intervals from its start.
    """
    step = _step(int(sampling["interval"]))
    capacity = max(0, int(sampling["max"]))
    now_utc = datetime_to_gbz_seconds(now)
    if sampling.get("rolling"):
        last = now_utc // step * step
        begin = max(last - capacity * step, -(-max(0, earliest) // step) * step)
    else:
        start = int(sampling["start"])
        last = min(start + capacity * step, start + max(0, now_utc - start) // step * step)
        begin = start + max(0, -(-(earliest - start) // step)) * step
    number = min(max(0, count), (last - begin) // step) if last > begin else 0
    if number <= 0:
        return None
    readings = _readings(registers, [begin + k * step for k in range(number + 1)])
    return begin, [max(0, min(b - a, 0xFFFFFF)) for a, b in zip(readings, readings[1:], strict=False)]


def _readings(registers: GasRegisters, times: list[int]) -> list[int]:
    """The register at each of *times* (ZCL UTCTime, ascending), from one pass over the half-hours they span."""
    model = registers.model
    unix = np.asarray(times, dtype=np.int64) + _UNIX_OFFSET
    index = unix // HALF_HOUR
    first = int(index[0])
    values = np.asarray(model.intervals(first, int(index[-1]) - first + 1), dtype=np.int64)
    prefix = np.concatenate(([0], np.cumsum(values)))
    base = model.cumulative(half_hour_start(first))
    offset = index - first
    cumulative = base + prefix[offset] + values[offset] * (unix % HALF_HOUR) // HALF_HOUR
    return [registers.convert(model.start_reading + int(c)) for c in cumulative]


PROFILE_LOG_ENTRIES = 18_960
"""Half-hours the GSME Profile Data Log holds (about 13 months, SMETS2 5.7.4)."""


def profile_intervals(registers: GasRegisters, now: dt.datetime, end_time: int, periods: int) -> tuple[int, list[int]]:
    """Get Profile (SE 1.4 D.3.2.3.1.1): the end of the latest half-hour asked for and up to *periods*
    half-hour consumptions ending by then, the most recent first (empty when none is available).

    *end_time* 0 means now; only whole half-hours that have ended count.
    """
    now_utc = datetime_to_gbz_seconds(now)
    last = min(end_time if end_time else now_utc, now_utc) // HALF_HOUR * HALF_HOUR
    session = {"start": last - max(0, periods) * HALF_HOUR, "interval": HALF_HOUR, "max": max(0, periods)}
    oldest = now_utc // HALF_HOUR * HALF_HOUR - PROFILE_LOG_ENTRIES * HALF_HOUR
    result = sampled_data(registers, session, gbz_seconds_to_datetime(max(0, last)), oldest, periods)
    return last, list(reversed(result[1])) if result else []
