"""ESME profile and log buffers computed from the consumption model on read (GBCS 5.11; SMETS2 5.6.4).

A range read (Profile generic attribute 2 with a selection, or through Data protection) of one of
these objects gets entries computed at the device time, never stored:

========================  ==================================================================
``0-0:99.1.0.255``         ECS22b: half-hourly active import (capture at the half-hour's end);
                           a twin element ESME adds its secondary element's column
``0-0:99.1.1.255``         ECS22a: half-hourly active and reactive export
``0-0:99.1.2.255``         ECS22c: half-hourly reactive import
``0-0:99.1.3.255``         ECS66: Daily Consumption Log (the day ending at each midnight)
``0-0:98.1.9.255``         ECS21a: Daily Read Log (registers and TOU matrix at each UTC midnight)
``0-0:98.1.10.255``        ECS21c: Daily Read Log, export register
``0-0:98.1.0.255``         ECS20c: Billing Data Log (registers at each billing period end)
``0-0:98.1.1.255``         ECS20c: Billing Data Log, prepayment part (:data:`PREPAYMENT_SNAPSHOTS`)
``0-0:98.1.2.255``         ECS20b: Billing Data Log on a change of tariff or payment mode (:func:`record_change`)
========================  ==================================================================

Entries follow the object's type description: after the capture time (GBCS UTC seconds, or a
COSEM date-time for an octet-string column) the unsigned columns take the register values in
order (primary, then secondary element), an array of 48 the TOU Register Matrix, an array of 4
the secondary element's TOU registers, the arrays of 8 the Tariff TOU Block Register Matrix (block
1..4, each by block rate, :mod:`.metering_blocks`) and double-long columns the prepayment values. So the half-hour
captures after midnight *D* up to midnight *D'* sum to the Daily Read Log's register at *D'*
less that at *D*, and a log entry equals the register read at its capture time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from smets_emu.emulator.cosem.metering_blocks import block_registers, block_split
from smets_emu.emulator.cosem.metering_tariff import (
    BLOCK_RATES,
    SECONDARY_CALENDAR,
    SECONDARY_RATES,
    TOU_RATES,
    billing_calendar_of,
    tariff_table,
)
from smets_emu.emulator.cosem.metering_values import Meter, intervals, meter_of, tou_registers, tou_series
from smets_emu.emulator.cosem.model import MAX_BUFFER_ENTRIES, capture_span, now_dlms
from smets_emu.emulator.metering.config import METERING_KEY
from smets_emu.emulator.metering.consumption import HALF_HOUR, ConsumptionModel, half_hour_index
from smets_emu.emulator.state import DeviceState
from smets_emu.errors import InputError
from smets_emu.protocols.payloads.dlms_data import (
    ArrayData,
    CompactArrayData,
    DataTag,
    DlmsData,
    IntegerData,
    StructureData,
    TypeDescription,
)
from smets_emu.protocols.timestamps import GBCS_EPOCH

if TYPE_CHECKING:
    from smets_emu.emulator.cosem.model import CosemModel

DAY = 86400
CHANGES_KEY = "esme_changes"
MAX_CHANGES = 100

PREPAYMENT_SNAPSHOTS: list[Callable[[DeviceState, dt.datetime], Sequence[int]]] = []
"""Hooks giving the six prepayment values of the Billing Data Log (``0-0:98.1.1.255``) at a device time.

The prepayment component appends one; without it the six values are zero.
"""

HALF_HOURLY = frozenset({"0-0:99.1.0.255", "0-0:99.1.1.255", "0-0:99.1.2.255"})
DAILY = frozenset({"0-0:99.1.3.255", "0-0:98.1.9.255", "0-0:98.1.10.255"})
BILLING = frozenset({"0-0:98.1.0.255", "0-0:98.1.1.255"})
CHANGES = "0-0:98.1.2.255"
METERED_BUFFERS = HALF_HOURLY | DAILY | BILLING | {CHANGES}

_SIGNED = {DataTag.DOUBLE_LONG: 32, DataTag.LONG: 16, DataTag.INTEGER: 8, DataTag.LONG64: 64}
_UNSIGNED = {DataTag.DOUBLE_LONG_UNSIGNED: 32, DataTag.LONG_UNSIGNED: 16, DataTag.UNSIGNED: 8,
             DataTag.LONG64_UNSIGNED: 64, DataTag.ENUM: 8}


# --------------------------------------------------------------------------- rows to DLMS entries


class Row:
    """The values of one entry by role: unsigned register columns, arrays by size, signed (prepayment) columns."""

    __slots__ = ("arrays", "signed", "stamp", "unsigned")

    def __init__(self, stamp: dt.datetime, unsigned: Sequence[int] = (), arrays: dict[int, Sequence[Any]] | None = None,
                 signed: Sequence[int] = ()) -> None:
        self.stamp, self.unsigned, self.arrays, self.signed = stamp, unsigned, arrays or {}, signed


def _fit(tag: DataTag, value: int) -> int:
    """A value in the column's type: unsigned registers roll over, signed values saturate."""
    if tag in _UNSIGNED:
        return value % (1 << _UNSIGNED[tag])
    bits = _SIGNED.get(tag, 64)
    return max(-(1 << (bits - 1)), min(value, (1 << (bits - 1)) - 1))


def _scalar(desc: TypeDescription, value: int | dt.datetime) -> DlmsData:
    if isinstance(value, dt.datetime):
        if desc.tag == DataTag.OCTET_STRING:
            return now_dlms(value)
        value = int((value - GBCS_EPOCH).total_seconds())
    return IntegerData(desc.tag, _fit(desc.tag, int(value)))


def entry(desc: TypeDescription, row: Row) -> StructureData:
    """One buffer entry of type *desc* (a structure whose first element is the capture time)."""
    unsigned, signed = iter(row.unsigned), iter(row.signed)
    cells: list[DlmsData] = [_scalar(desc.elements[0], row.stamp)]
    seen: dict[int, int] = {}
    for element in desc.elements[1:]:
        if element.tag == DataTag.ARRAY:
            given: Any = row.arrays.get(element.count, ())
            if len(given) and isinstance(given[0], list | tuple):  # repeated arrays of a size: one list each
                occurrence = seen[element.count] = seen.get(element.count, -1) + 1
                given = given[occurrence] if occurrence < len(given) else ()
            values = list(given)[: element.count]
            values += [0] * (element.count - len(values))
            cells.append(ArrayData(tuple(_scalar(element.elements[0], v) for v in values)))
        elif element.tag in _SIGNED:
            cells.append(_scalar(element, next(signed, 0)))
        else:
            cells.append(_scalar(element, next(unsigned, 0)))
    return StructureData(tuple(cells))


def flat_entries(desc: TypeDescription, first: int, period: int, columns: Sequence[Sequence[int]]
                 ) -> tuple[StructureData, ...] | None:
    """Entries of a flat structure of unsigned integers (capture time in GBCS UTC seconds from *first*, every
    *period*, then *columns*) built directly: the half-hourly profiles' fast path. None for other types."""
    tags = [e.tag for e in desc.elements]
    if desc.tag != DataTag.STRUCTURE or len(tags) != len(columns) + 1 or any(t not in _UNSIGNED for t in tags):
        return None
    head, rest = tags[0], tags[1:]
    count = len(columns[0]) if columns else 0
    cache: dict[tuple[int, int], IntegerData] = {}  # repeated values share one cell
    entries: list[StructureData] = []
    for k in range(count):
        cells: list[DlmsData] = [IntegerData(head, _fit(head, first + k * period))]
        for n, column in enumerate(columns):
            value = int(column[k])
            cell = cache.get((n, value))
            if cell is None:
                cell = cache[(n, value)] = IntegerData(rest[n], _fit(rest[n], value))
            cells.append(cell)
        entries.append(StructureData(tuple(cells)))
    return tuple(entries)


def _unsigned_columns(desc: TypeDescription) -> int:
    return sum(1 for e in desc.elements[1:] if e.tag in _UNSIGNED)


# --------------------------------------------------------------------------- what each buffer holds


def stamps(low: dt.datetime, high: dt.datetime, period: int) -> list[dt.datetime]:
    """Capture times, multiples of *period* seconds (UTC), in [low, high]; at most MAX_BUFFER_ENTRIES."""
    first, count = capture_span(low, high, period)
    return [GBCS_EPOCH + dt.timedelta(seconds=first + k * period) for k in range(count)]


def half_hour_values(meter: Meter, obis: str, first: dt.datetime, count: int, columns: int = 1) -> list[list[int]]:
    """The columns of *count* half-hourly captures from *first*: each capture closes the half-hour before it."""
    index = half_hour_index(first) - 1
    if obis == "0-0:99.1.0.255":
        models: list[ConsumptionModel | None] = [meter.active, meter.secondary][:max(columns, 1)]
    elif obis == "0-0:99.1.2.255":
        models = [meter.reactive]
    else:
        models = [meter.export, meter.reactive_export]
    return [intervals(m, index, count).tolist() for m in models]


def half_hour_rows(meter: Meter, obis: str, times: list[dt.datetime], columns: int = 1) -> list[Row]:
    """Half-hourly captures as rows (see :func:`half_hour_values`)."""
    if not times:
        return []
    values = half_hour_values(meter, obis, times[0], len(times), columns)
    return [Row(t, [v[k] for v in values]) for k, t in enumerate(times)]


def midnight_readings(model: ConsumptionModel | None, times: list[dt.datetime]) -> np.ndarray:
    """The register at each of the consecutive midnights *times* (unwrapped), by one sum over the span."""
    if model is None:
        return np.zeros(len(times), dtype=np.int64)
    per_day = intervals(model, half_hour_index(times[0]), (len(times) - 1) * 48).reshape(-1, 48).sum(axis=1)
    return model.reading(times[0]) + np.concatenate(([0], np.cumsum(per_day)))


def _register_rows(meter: Meter, model: CosemModel, desc: TypeDescription, times: list[dt.datetime],
                   daily: bool) -> list[Row]:
    """(registers, TOU matrices) at each capture time: consecutive midnights, or any times."""
    twin = _unsigned_columns(desc) >= 2
    elements = [(meter.active, TOU_RATES, tariff_table(model))]
    if twin:
        elements.append((meter.secondary, SECONDARY_RATES, tariff_table(model, SECONDARY_CALENDAR)))
    registers: list[list[int]] = []
    matrices: list[np.ndarray] = []
    for source, size, table in elements:
        if daily:
            registers.append(midnight_readings(source, times).tolist())
            matrices.append(tou_series(source, table, half_hour_index(times[0]) // 48, len(times), size))
        else:
            registers.append([source.reading(t) for t in times])
            matrices.append(np.array([tou_registers(source, table, t, size) for t in times],
                                     dtype=np.int64).reshape(len(times), size))
    split = block_split(model)
    blocks = [block_registers(meter.active, split, t) if split is not None else None for t in times]
    rows = [Row(t, [r[k] for r in registers], {m.shape[1]: m[k].tolist() for m in matrices})
            for k, t in enumerate(times)]
    for row, block in zip(rows, blocks, strict=True):
        if block is not None:
            row.arrays[BLOCK_RATES] = block
    return rows


def _daily_rows(meter: Meter, model: CosemModel, obis: str, desc: TypeDescription,
                times: list[dt.datetime]) -> list[Row]:
    if not times:
        return []
    if obis == "0-0:98.1.10.255":
        return [Row(t, [int(v)]) for t, v in zip(times, midnight_readings(meter.export, times), strict=True)]
    if obis == "0-0:99.1.3.255":  # the day's consumption: this midnight's register less the one before
        readings = midnight_readings(meter.active, times)
        before = readings[0] - meter.active.between(times[0] - dt.timedelta(days=1), times[0])
        used = np.diff(np.concatenate(([before], readings)))
        return [Row(t, [int(v)]) for t, v in zip(times, used, strict=True)]
    return _register_rows(meter, model, desc, times, daily=True)


def prepayment_values(state: DeviceState, at: dt.datetime) -> list[int]:
    """The six prepayment values of the Billing Data Log at device time *at* (zeros without a hook)."""
    for hook in PREPAYMENT_SNAPSHOTS:
        return [int(v) for v in hook(state, at)][:6]
    return [0] * 6


def log_rows(meter: Meter, model: CosemModel, obis: str, desc: TypeDescription, times: list[dt.datetime]) -> list[Row]:
    """Billing Data Log entries (ECS20b/c) at *times*."""
    if obis == "0-0:98.1.1.255":
        return [Row(t, signed=prepayment_values(model.state, t)) for t in times]
    rows = _register_rows(meter, model, desc, times, daily=False) if times else []
    if obis == CHANGES:
        for row in rows:
            row.signed = prepayment_values(model.state, row.stamp)
    return rows


def changes(state: DeviceState) -> list[dt.datetime]:
    """The recorded changes of tariff or payment mode (device times) that wrote the Billing Data Log."""
    group = state.objects_view().get(METERING_KEY) or {}
    out: list[dt.datetime] = []
    for text in (group.get(CHANGES_KEY) or {}).get("times", []):
        try:
            out.append(dt.datetime.fromisoformat(text))
        except (TypeError, ValueError):
            continue
    return out


def record_change(state: DeviceState, when: dt.datetime) -> None:
    """Record a change of tariff or payment mode at device time *when* on a working copy (ECS20b entries)."""
    if when.tzinfo is None:
        raise InputError("metering times must be aware (UTC)")
    times = [t.isoformat() for t in changes(state)][-(MAX_CHANGES - 1):] + [when.isoformat()]
    state.put_object(METERING_KEY, CHANGES_KEY, {"times": times})


def metered_buffer(model: CosemModel, obj: dict[str, Any], now: dt.datetime, low: dt.datetime | None,
                   high: dt.datetime | None) -> DlmsData | None:
    """The entries of a metering profile in [low, high] (default: the last day); None when not one."""
    obis = obj["obis"]
    if obis not in METERED_BUFFERS:
        return None
    meter = meter_of(model.state)
    if meter is None:
        return None
    spec = obj["buffer"]
    desc = TypeDescription.from_json(spec["description"])
    low, high = model.read_window(spec, now, low, high)
    rows: list[Row] = []
    compact = spec.get("compact", True)
    if high >= low:
        if obis in HALF_HOURLY:
            first, count = capture_span(low, high, HALF_HOUR)
            start = GBCS_EPOCH + dt.timedelta(seconds=first)
            columns = half_hour_values(meter, obis, start, count, _unsigned_columns(desc)) if count else []
            fast = flat_entries(desc, first, HALF_HOUR, columns) if count else ()
            if fast is not None:
                return CompactArrayData(desc, fast) if compact else ArrayData(fast)
            rows = [Row(start + dt.timedelta(seconds=k * HALF_HOUR), [c[k] for c in columns]) for k in range(count)]
        elif obis in DAILY:
            rows = _daily_rows(meter, model, obis, desc, stamps(low, high, DAY))
        elif obis in BILLING:
            ends = billing_calendar_of(model).period_ends(low - dt.timedelta(microseconds=1), high)
            rows = log_rows(meter, model, obis, desc, ends[:MAX_BUFFER_ENTRIES])
        else:
            times = [t for t in changes(model.state) if low <= t <= high]
            rows = log_rows(meter, model, obis, desc, times[:MAX_BUFFER_ENTRIES])
    cells = tuple(entry(desc, row) for row in rows)
    return CompactArrayData(desc, cells) if compact else ArrayData(cells)
