"""Frames crossing the WAN front, as typed events for observers (capture, dashboards, metrics).

:meth:`WanFront.observe <smets_emu.tools.wan_server.WanFront.observe>` registers a callback that
receives a :class:`WireEvent` for every frame the front receives or sends, on every connection of
both framings: inbound commands (and empty keep-alive frames) as they arrive, before any fault
injection; outbound responses, alerts and the empty frames that close an exchange as they are
written, after fault injection (what the client gets).

Callbacks run in the front's event loop, synchronously, so they must return at once: copy what they
need and hand heavier work to a task (:class:`WireEventQueue` is a bounded queue for that). A
callback that raises is logged once and otherwise ignored; the front keeps serving. At most
:data:`MAX_OBSERVERS` callbacks are registered at a time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from smets_emu.errors import SmetsError
from smets_emu.protocols.envelope import GroupingHeader

log = logging.getLogger(__name__)

Direction = Literal["in", "out"]
FrameKind = Literal["command", "response", "alert", "empty"]

MAX_OBSERVERS = 64
"""Observers registered on one front at a time; one more is refused (:class:`ObserverLimitError`)."""


class ObserverLimitError(SmetsError, RuntimeError):
    """More than :data:`MAX_OBSERVERS` observers on one front."""


@dataclass(frozen=True)
class WireEvent:
    """One WAN frame, received (``direction="in"``) or sent (``"out"``) by the front.

    ``seq`` is the frame number (GFI ``n``, binary ``SEQ``): an outbound frame carries the number of
    the command that caused it, or 0 for an alert not caused by that connection's commands. ``kind``
    is ``command`` for an inbound frame with a message (whether or not it is GBCS), ``response`` and
    ``alert`` for outbound GBCS messages, and ``empty`` for an empty frame either way (a keep-alive,
    or the close of an exchange that produced no response).
    """

    time: dt.datetime
    """Wall-clock time (aware, UTC)."""
    virtual_time: dt.datetime
    """The lab's virtual time (aware, UTC) when the frame crossed the front."""
    direction: Direction
    connection: int
    """Number of the connection, from 1, stable for its life and unique for the front's life."""
    peer: str
    """The client's address, ``host:port`` (``[host]:port`` for IPv6)."""
    framing: Literal["gfi", "binary"]
    seq: int
    message: bytes
    kind: FrameKind
    header: GroupingHeader | None = None
    """The message's grouping header as the front parsed it (in) or the device built it (out), so observers
    need not decode the message again; None for empty frames, messages that are not GBCS and bytes an
    injected fault changed."""


WireObserver = Callable[[WireEvent], None]


class ObserverHandle:
    """A registered observer; :meth:`cancel` stops it (idempotent)."""

    def __init__(self, hub: ObserverHub, callback: WireObserver) -> None:
        self._hub = hub
        self.callback = callback
        self.failures = 0
        self.cancelled = False

    def cancel(self) -> None:
        if not self.cancelled:
            self.cancelled = True
            self._hub._remove(self)


class ObserverHub:
    """The observers of one front; :meth:`emit` calls each, isolating their failures."""

    def __init__(self, limit: int = MAX_OBSERVERS) -> None:
        self._handles: list[ObserverHandle] = []
        self._limit = limit

    def __bool__(self) -> bool:
        return bool(self._handles)

    def add(self, callback: WireObserver) -> ObserverHandle:
        if len(self._handles) >= self._limit:
            raise ObserverLimitError(f"at most {self._limit} observers of WAN frames at a time")
        handle = ObserverHandle(self, callback)
        self._handles = [*self._handles, handle]  # copy on write: emit() iterates without copying
        return handle

    def _remove(self, handle: ObserverHandle) -> None:
        self._handles = [h for h in self._handles if h is not handle]

    def emit(self, event: WireEvent) -> None:
        for handle in self._handles:
            try:
                handle.callback(event)
            except Exception:
                handle.failures += 1
                if handle.failures == 1:
                    log.exception("WAN frame observer %r failed (logged once; the front goes on)", handle.callback)

    def clear(self) -> None:
        for handle in self._handles:
            handle.cancelled = True
        self._handles = []


class WireEventQueue:
    """A bounded queue of events for an observer that consumes them in a task.

    Register :meth:`put` as the callback; ``await get()`` in the consumer. When *maxsize* events
    wait, the oldest is dropped and counted in :attr:`dropped` (the front never waits).
    """

    def __init__(self, maxsize: int = 10_000) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._items: deque[WireEvent] = deque(maxlen=maxsize)
        self._ready = asyncio.Event()
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._items)

    def put(self, event: WireEvent) -> None:
        if len(self._items) == self._items.maxlen:
            self.dropped += 1
        self._items.append(event)
        self._ready.set()

    def get_nowait(self) -> WireEvent | None:
        """The oldest waiting event, or None."""
        if not self._items:
            self._ready.clear()
            return None
        return self._items.popleft()

    async def get(self) -> WireEvent:
        """Wait for the next event."""
        while not self._items:
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()


def peer_text(peer: object) -> str:
    """``host:port`` for a socket peer address (``[host]:port`` for IPv6); ``str(peer)`` otherwise."""
    if isinstance(peer, tuple) and len(peer) >= 2:
        host = str(peer[0])
        return f"[{host}]:{peer[1]}" if ":" in host else f"{host}:{peer[1]}"
    return str(peer)
