"""The DSP's check of the DUIS RequestID counter before it becomes a GBCS originator counter.

A DUIS RequestID is ``<Business Originator ID>:<target EUI>:<counter>``, the counter a 64-bit
unsigned integer (DUIS schema ``RequestIDType``). The DCC's tools build it from the time, in
milliseconds since 1970-01-01T00:00:00Z (the DCC Boxed signing tool writes
``System.currentTimeMillis()``; the DCC responses in ``../shared/duis/samples`` carry counters such
as ``1658482675800`` for a response dated 2022-07-22T09:37:56Z), and a request for a SMETS2 device
reaches it as a GBCS command whose grouping-header originator counter *is* that counter (the same
sample's GBCSPayload repeats it). A device takes every later command of that remote party only
with a greater counter (GBCS 4.3.1.5 anti-replay), so one command with counter 2^64-1 would lock
the party out of the device for good.

The rule (:class:`RequestIdRule`): the counter must be strictly greater than the last one accepted
for the same (Business Originator ID, target), and inside a window around the time-based counter
of now: at most ``future`` ahead of the later of the DSP's clock and the wall clock (so the largest
counter anyone can make a device take is a few minutes of milliseconds ahead of real time), and,
when ``past`` is set, at least ``past`` behind the earlier of the two (an old or made-up counter is
refused even by a DSP that has never seen the sender).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

COUNTER_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
"""Time-based RequestID counters count milliseconds from here (as the DCC's tools build them)."""
MAX_STORED_COUNTER = 2**63 - 1
"""The largest counter the DSP store (SQLite INTEGER) and the GBCS ASN.1 SeqNumber fields can carry."""


def time_counter(when: dt.datetime) -> int:
    """The time-based RequestID counter of an instant: milliseconds since 1970-01-01T00:00:00Z."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    delta = when - COUNTER_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


@dataclass(frozen=True)
class RequestIdRule:
    """Which RequestID counters the DSP accepts (see the module docstring).

    ``past`` None drops the lower bound (a one-shot DSP over a throw-away fleet answering the DUIS
    templates, whose counter is 1000); the upper bound and "strictly greater than the last" always hold.
    """

    past: dt.timedelta | None = dt.timedelta(days=1)
    future: dt.timedelta = dt.timedelta(minutes=10)

    def ceiling(self, *clocks: dt.datetime) -> int:
        """The largest counter accepted now: ``future`` after the latest of *clocks*."""
        return min(time_counter(max(clocks) + self.future), MAX_STORED_COUNTER)

    def floor(self, *clocks: dt.datetime) -> int:
        """The smallest counter accepted now: ``past`` before the earliest of *clocks* (0 without ``past``)."""
        if self.past is None:
            return 0
        return max(time_counter(min(clocks) - self.past), 0)

    def refusal(self, counter: int, last: int | None, *clocks: dt.datetime) -> str | None:
        """Why *counter* is refused (None when it may be used), given the last accepted one and the clocks."""
        high = self.ceiling(*clocks)
        if counter > high:
            return (f"RequestID counter {counter} is ahead of the time-based counter of now (milliseconds since "
                    f"1970-01-01T00:00:00Z, at most {high})")
        low = self.floor(*clocks)
        if counter < low:
            return (f"RequestID counter {counter} is too old: a time-based counter (milliseconds since "
                    f"1970-01-01T00:00:00Z) of at least {low} is expected")
        if last is not None and counter <= last:
            return f"RequestID counter {counter} is not above {last}, the last accepted for this sender and target"
        return None
