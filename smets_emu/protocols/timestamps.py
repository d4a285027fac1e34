"""Date-time encodings used by GBCS (GBCS 4.3.1.1 grouping header, DLMS clock, GBZ headers).

- :class:`DlmsDateTime`: the 12-byte COSEM date-time (year BE, month, day, weekday, hour,
  minute, second, hundredths, deviation BE, clock status); ``0xFF`` fields mean "not specified".
- GBZ timestamps: 4-byte seconds since 2000-01-01T00:00:00Z.
"""

from __future__ import annotations

import datetime as _dt
import struct
from dataclasses import dataclass
from typing import Any

from construct import Int8ub, Int16ub, Struct

from smets_emu.errors import EncodeError

GBCS_EPOCH = _dt.datetime(2000, 1, 1, tzinfo=_dt.UTC)

DlmsDateTimeStruct = Struct(
    "year" / Int16ub,
    "month" / Int8ub,
    "day" / Int8ub,
    "day_of_week" / Int8ub,
    "hour" / Int8ub,
    "minute" / Int8ub,
    "second" / Int8ub,
    "hundredths" / Int8ub,
    "deviation" / Int16ub,
    "clock_status" / Int8ub,
)
"""COSEM date-time, 12 bytes (DLMS Blue Book 4.1.6.1; GBCS grouping-header date-time)."""

DATE_TIME_LAYOUT = struct.Struct(">HBBBBBBBHB")
"""The same 12-byte layout as :data:`DlmsDateTimeStruct`, packed or read in one call."""


@dataclass(frozen=True)
class DlmsDateTime:
    """A COSEM date-time with every field kept, so unusual values round-trip exactly."""

    year: int
    month: int
    day: int
    day_of_week: int = 0xFF
    hour: int = 0
    minute: int = 0
    second: int = 0
    hundredths: int = 0
    deviation: int = 0x8000
    clock_status: int = 0xFF

    @classmethod
    def from_bytes(cls, data: bytes) -> DlmsDateTime:
        """Decode 12 bytes."""
        c = DlmsDateTimeStruct.parse(data)
        return cls(**{k: v for k, v in c.items() if not k.startswith("_")})

    def to_bytes(self) -> bytes:
        """Encode to 12 bytes (the layout of :data:`DlmsDateTimeStruct`)."""
        try:
            return DATE_TIME_LAYOUT.pack(self.year, self.month, self.day, self.day_of_week, self.hour, self.minute,
                                self.second, self.hundredths, self.deviation, self.clock_status)
        except (struct.error, TypeError) as exc:  # a field out of range or not an integer
            raise EncodeError(f"invalid DLMS date-time {self}: {exc}") from exc

    @classmethod
    def from_datetime(cls, value: _dt.datetime) -> DlmsDateTime:
        """Express an aware UTC datetime (deviation and status 'not specified')."""
        value = value.astimezone(_dt.UTC)
        return cls(
            value.year, value.month, value.day, value.isoweekday(), value.hour,
            value.minute, value.second, value.microsecond // 10000,
        )

    def to_datetime(self) -> _dt.datetime | None:
        """Return the UTC datetime, or None when a field is 'not specified' or out of range."""
        try:
            return _dt.datetime(
                self.year, self.month, self.day, self.hour, self.minute, self.second,
                (self.hundredths % 100) * 10000 if self.hundredths != 0xFF else 0,
                tzinfo=_dt.UTC,
            )
        except ValueError:
            return None

    def to_json(self) -> dict[str, Any]:
        """JSON form: every field plus a readable ISO string where one exists."""
        out: dict[str, Any] = dict(self.__dict__)
        when = self.to_datetime()
        if when is not None:
            out["iso"] = when.isoformat()
        return out

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> DlmsDateTime:
        """Inverse of :meth:`to_json` (the ``iso`` field is informative only)."""
        return cls(**{k: v for k, v in obj.items() if k != "iso"})


def gbz_seconds_to_datetime(seconds: int) -> _dt.datetime:
    """Seconds since 2000-01-01 UTC to an aware datetime."""
    return GBCS_EPOCH + _dt.timedelta(seconds=seconds)


def datetime_to_gbz_seconds(value: _dt.datetime) -> int:
    """An aware datetime to seconds since 2000-01-01 UTC."""
    return int((value - GBCS_EPOCH).total_seconds())
