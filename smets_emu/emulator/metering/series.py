"""Measured half-hourly consumption read from a CSV file, to drive a device instead of a load shape.

The file has one row per half-hour: an ISO 8601 time (the start of the half-hour; UTC when it
has no offset) and the units consumed in it (Wh for electricity, dm3 for gas; a decimal is
rounded). A header row is allowed; blank lines and lines starting with ``#`` are skipped. Rows
must be consecutive half-hours. The series repeats over its length, so a year of data drives a
device for as long as the lab runs.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from stat import S_ISREG

from smets_emu.errors import InputError

HALF_HOUR = 1800
"""Seconds in a half-hour, the metering interval (GBCS 'half-hourly' profile data, SMETS2 5.6.4)."""
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MAX_SERIES_BYTES = 64 * 1024 * 1024
"""Largest CSV file read (about 20 years of half-hours)."""
MAX_SERIES_ROWS = 400_000
MAX_INTERVAL_UNITS = 10**9
"""Largest value one half-hour may hold (Wh or dm3)."""


def half_hour_index(at: dt.datetime) -> int:
    """The UTC half-hour *at* falls in, counted from 1970-01-01T00:00Z."""
    if at.tzinfo is None:
        raise InputError("metering times must be aware (UTC)")
    return int((at - EPOCH).total_seconds() // HALF_HOUR)


def half_hour_start(index: int) -> dt.datetime:
    """The start of UTC half-hour *index*."""
    return EPOCH + dt.timedelta(seconds=index * HALF_HOUR)


@dataclass(frozen=True, slots=True, eq=False)
class HalfHourSeries:
    """Units consumed per half-hour from half-hour *first* on; repeats over its length (identity equality)."""

    first: int
    values: tuple[int, ...]
    source: str = ""

    def __post_init__(self) -> None:
        if not self.values:
            raise InputError(f"{self.source or 'series'}: no half-hour values")

    def at(self, index: int) -> int:
        """The value for half-hour *index* (the series repeated in both directions)."""
        return self.values[(index - self.first) % len(self.values)]


def _parse_time(text: str, where: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{where}: {text.strip()[:40]!r} is not an ISO 8601 time") from None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _parse_value(text: str, where: str) -> int:
    try:
        number = float(text.strip())
    except ValueError:
        raise InputError(f"{where}: {text.strip()[:40]!r} is not a number") from None
    if not 0 <= number <= MAX_INTERVAL_UNITS:  # also refuses nan and inf
        raise InputError(f"{where}: {text.strip()[:40]} is outside 0..{MAX_INTERVAL_UNITS}")
    return int(number + 0.5)


def parse_series(text: str, source: str = "series") -> HalfHourSeries:
    """A series from CSV text (see the module docstring); :class:`InputError` says which row is wrong."""
    first: int | None = None
    values: list[int] = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), 1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        where = f"{source} line {number}"
        if len(row) < 2:
            raise InputError(f"{where}: expected 'time,value'")
        if first is None and not values:
            try:
                when = _parse_time(row[0], where)
            except InputError:
                continue  # a header row
        else:
            when = _parse_time(row[0], where)
        if when.minute % 30 or when.second or when.microsecond:
            raise InputError(f"{where}: {row[0].strip()} is not the start of a half-hour")
        index = half_hour_index(when)
        if first is None:
            first = index
        elif index != first + len(values):
            expected = half_hour_start(first + len(values))
            raise InputError(f"{where}: expected the half-hour starting {expected:%Y-%m-%dT%H:%MZ}")
        if len(values) >= MAX_SERIES_ROWS:
            raise InputError(f"{source}: more than {MAX_SERIES_ROWS} half-hours")
        values.append(_parse_value(row[1], where))
    if first is None:
        raise InputError(f"{source}: no half-hour rows")
    return HalfHourSeries(first, tuple(values), source)


def load_series(path: str | os.PathLike[str]) -> HalfHourSeries:
    """The series in CSV file *path* (cached per file and modification time)."""
    file = Path(path)
    try:
        stat = file.stat()
    except OSError as exc:
        raise InputError(f"cannot read half-hourly data {file}: {exc.strerror or exc}") from None
    if not S_ISREG(stat.st_mode):  # a FIFO or a device would block the lab or never end
        raise InputError(f"half-hourly data {file} is not a regular file")
    return _load(str(file.resolve()), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _load(path: str, mtime_ns: int, size: int) -> HalfHourSeries:
    if size > MAX_SERIES_BYTES:
        raise InputError(f"half-hourly data {path} is {size} bytes; the limit is {MAX_SERIES_BYTES}")
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read(MAX_SERIES_BYTES + 1)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read half-hourly data {path}: {exc}") from None
    if len(text) > MAX_SERIES_BYTES:
        raise InputError(f"half-hourly data {path} is larger than {MAX_SERIES_BYTES} bytes")
    return parse_series(text, path)
