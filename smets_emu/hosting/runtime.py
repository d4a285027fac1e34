"""The asyncio runtime: binds a fleet to transports and to a (virtual) clock.

This is the only module family of the emulator that owns asyncio. Device logic stays sans-IO:
the runtime calls ``Fleet.deliver`` for inbound messages and ``Fleet.tick`` when the clock
moves, and publishes what devices send to the connection that asked (responses) and to the
subscribers of alerts.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from smets_emu.emulator.device import Inbound, Outbound
from smets_emu.errors import SmetsError
from smets_emu.hosting.fleet import Fleet
from smets_emu.protocols.timestamps import GBCS_EPOCH

log = logging.getLogger(__name__)

MIN_TIME = GBCS_EPOCH
"""The earliest instant every device wire format carries: 2000-01-01T00:00:00Z, second 0 of the
GBZ / ZigBee ``UTCTime`` (seconds since 2000-01-01, GBCS 7.2 GBZ headers; ZCL 2.6.2 ``UTCTime``)."""

MAX_TIME = GBCS_EPOCH + dt.timedelta(seconds=0xFFFFFFFE)
"""The latest instant every device wire format carries: 2136-02-07T06:28:14Z.

The tightest of the formats devices put their clock into: the GBZ alert and response headers
and the ZigBee ``UTCTime`` attributes are an unsigned 32-bit count of seconds since
2000-01-01T00:00:00Z in which 0xFFFFFFFF means "invalid" (ZCL 2.6.2), so 0xFFFFFFFE is the last
usable second. The DLMS COSEM date-time (16-bit year, 0xFFFF "not specified") and the DUIS
``xs:dateTime`` reach much further."""


async def cancel_and_wait(*tasks: asyncio.Future[Any] | None) -> None:
    """Cancel *tasks* (None entries skipped) and wait until each has ended; their cancellation is not an error."""
    running = [task for task in tasks if task is not None]
    for task in running:
        task.cancel()
    for task in running:
        try:
            await task
        except asyncio.CancelledError:
            pass


class ClockRangeError(SmetsError, ValueError):
    """A time the devices' wire formats cannot carry (outside :data:`MIN_TIME` .. :data:`MAX_TIME`)."""


def check_time(when: dt.datetime, what: str = "time") -> dt.datetime:
    """Return *when* (aware) if devices can represent it, else raise :class:`ClockRangeError`."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ClockRangeError(f"{what} {when.isoformat()} has no time zone (give UTC, e.g. +00:00)")
    if not MIN_TIME <= when <= MAX_TIME:
        raise ClockRangeError(
            f"{what} {when.isoformat()} is outside the range the devices' wire formats carry "
            f"({MIN_TIME.isoformat()} .. {MAX_TIME.isoformat()})"
        )
    return when


class VirtualClock:
    """Time for the devices: starts at *start* and moves only when told (or with the wall clock).

    With ``follow_wall_clock`` the virtual time advances at ``speed`` times real time from the
    moment the clock is created, plus any explicit :meth:`advance`.

    The clock stays inside :data:`MIN_TIME` .. :data:`MAX_TIME`, what the devices' wire formats
    carry: a start outside it and an advance past it raise :class:`ClockRangeError` and leave the
    clock unchanged; a clock following the wall clock stops at :data:`MAX_TIME`.
    """

    min_time = MIN_TIME
    max_time = MAX_TIME

    def __init__(
        self, start: dt.datetime | None = None, *, follow_wall_clock: bool = False, speed: float = 1.0
    ) -> None:
        self._base = check_time(start or dt.datetime.now(dt.UTC).replace(microsecond=0), "start time")
        self._offset = dt.timedelta()
        self._follow = follow_wall_clock
        self._speed = speed
        self._loop_start = dt.datetime.now(dt.UTC)

    @property
    def follows_wall_clock(self) -> bool:
        """True when the virtual time moves with real time."""
        return self._follow

    def _moved(self) -> dt.timedelta:
        if not self._follow:
            return dt.timedelta()
        try:
            return (dt.datetime.now(dt.UTC) - self._loop_start) * self._speed
        except OverflowError:
            return MAX_TIME - MIN_TIME

    def now(self) -> dt.datetime:
        """The current virtual time (aware, UTC), never past :data:`MAX_TIME`."""
        try:
            return min(self._base + self._offset + self._moved(), MAX_TIME)
        except OverflowError:
            return MAX_TIME

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        """Move the clock forward; refuse (unchanged) a move past :data:`MAX_TIME`."""
        if delta < dt.timedelta():
            raise ClockRangeError("the clock only moves forward")
        current = self.now()
        try:
            target = current + delta
        except OverflowError:
            target = None
        if target is None or target > MAX_TIME:
            raise ClockRangeError(
                f"advancing {current.isoformat()} by {delta} passes {MAX_TIME.isoformat()}, the last instant the "
                f"devices' wire formats carry (at most {MAX_TIME - current} more)"
            )
        self._offset += delta
        return self.now()


TICK_SHARE = 5
"""Timer ticks take at most one fifth of the runtime's time (see :meth:`Runtime._timer_loop`)."""

AlertListener = Callable[[Outbound], None]
_T = TypeVar("_T")


@dataclass
class Subscription:
    """An alert subscription; call :meth:`cancel` to stop receiving."""

    runtime: Runtime
    listener: AlertListener

    def cancel(self) -> None:
        self.runtime._listeners.remove(self.listener)


class Runtime:
    """Serialises work per fleet, runs timers and fans alerts out to subscribers."""

    def __init__(self, fleet: Fleet, clock: VirtualClock | None = None, *, tick_interval: float = 1.0) -> None:
        self.fleet = fleet
        self.clock = clock or VirtualClock()
        self.tick_interval = tick_interval
        self._lock = asyncio.Lock()
        self._listeners: list[AlertListener] = []
        self._timer: asyncio.Task[None] | None = None

    def subscribe(self, listener: AlertListener) -> Subscription:
        """Receive every alert the fleet raises."""
        self._listeners.append(listener)
        return Subscription(self, listener)

    def _publish(self, sent: list[Outbound], exclude: AlertListener | None = None) -> None:
        listeners = [listener for listener in self._listeners if exclude is None or listener != exclude]
        for item in sent:
            if item.kind != "alert":
                continue
            for listener in listeners:
                try:
                    listener(item)
                except Exception:  # a faulty subscriber must not stop the fleet
                    log.exception("alert listener failed")

    async def exchange(self, data: bytes | Inbound, *, exclude: AlertListener | None = None) -> list[Outbound]:
        """Deliver one inbound message (bytes, or as a transport parsed it); returns all it produced, alerts beside
        responses.

        The alerts also go to every subscriber but *exclude* (the caller, which gets them here). The
        fleet runs in a worker thread, so the loop keeps reading every connection (and the frame
        deadlines keep counting from the bytes' arrival) while a command is handled.
        """
        async with self._lock:
            sent = await asyncio.to_thread(self.fleet.deliver, data, self.clock.now())
        if sent:
            self._publish(sent, exclude)
        return sent

    async def submit(self, data: bytes | Inbound) -> list[Outbound]:
        """Deliver one inbound message; returns the responses (alerts go to subscribers)."""
        return [o for o in await self.exchange(data) if o.kind == "response"]

    async def call(self, fn: Callable[[], _T]) -> _T:
        """Run *fn* serialised with deliveries and ticks (e.g. reloading a device after a power cycle)."""
        async with self._lock:
            return await asyncio.to_thread(fn)

    async def tick(self) -> list[Outbound]:
        """Run due timers now."""
        async with self._lock:
            sent = await asyncio.to_thread(self.fleet.tick, self.clock.now())
        self._publish(sent)
        return sent

    async def advance(self, delta: dt.timedelta) -> list[Outbound]:
        """Move the virtual clock and run whatever became due."""
        self.clock.advance(delta)
        return await self.tick()

    async def _timer_loop(self) -> None:
        loop = asyncio.get_running_loop()
        pause = self.tick_interval
        while True:
            await asyncio.sleep(pause)
            started = loop.time()
            try:
                await self.tick()
            except Exception:
                log.exception("timer tick failed")
            # a tick runs the devices whose timers are due: when many are, the ticks space out so they hold the fleet
            # (and the WAN front waiting for it) at most 1 / TICK_SHARE of the time; what became due
            # meanwhile runs at the next tick
            pause = max(self.tick_interval, (loop.time() - started) * (TICK_SHARE - 1))

    async def __aenter__(self) -> Runtime:
        self._timer = asyncio.create_task(self._timer_loop())
        return self

    async def __aexit__(self, *exc: object) -> None:
        await cancel_and_wait(self._timer)
