"""The WAN front: GBCS over TCP in the GFI text framing and in the binary framing.

The framings are those of :mod:`smets_emu.hw.framing` (the same bytes as on serial lines); both
carry a frame number beside each GBCS message (GFI ``n``, binary ``SEQ``). Frames are read through
a :class:`~smets_emu.hw.link.FrameLink`, so a frame cut short at the end of a burst is abandoned
after the link's idle timeout instead of hiding the frames behind it.

Protocol:

- A client sends a GBCS command in a frame numbered ``n`` (1 or more). The front routes it by
  the recipient system title in its grouping header (GBCS 2.4) to the device, through the
  runtime, so it commits before anything is sent.
- Everything that command produced comes back on the same connection with the same number:
  first the alerts it raised (e.g. a security alert for a failed MAC), then its response. When
  the command produced no response (rejected, not addressed to a device of the fleet, not a
  GBCS message) an empty frame numbered ``n`` closes the exchange.
- Every connection is subscribed to alerts: alerts not caused by its own commands (timers,
  future-dated commands, other connections' commands) arrive with number 0.
- Frames that fail framing checks (binary header CRC-16 or CRC-32, GFI syntax) are dropped at
  the front and never reach a device; the GFI framing has no checksum, so a corrupted hex digit
  reaches the device, which rejects it on the GBCS MAC.
- A message that is not a GBCS message (truncated, extended, random bytes) or is addressed to no
  device of the fleet gets the empty frame too; the front counts it (``undecodable``,
  ``unknown_recipient`` in :class:`FrontStats`, ``GET /stats``) and logs it once per source host.

Protections (:class:`WanLimits`, defaults in brackets): frames longer than the GBCS maximum
(:data:`MAX_MESSAGE`) are dropped; a connection holds at most one frame in progress and all
connections together at most ``receive_budget`` bytes [24 MiB] of partial frames; a frame must
be complete within ``frame_deadline`` [60 s]; a connection that sends nothing for
``idle_timeout`` [300 s] (send an empty frame as a keep-alive), or only noise for
``garbage_limit`` bytes [1 MiB], is closed; at most ``max_connections`` [256] at once, more are
accepted and closed at once; a connection that does not read what it is sent is closed when
more than ``send_queue_limit`` bytes [1 MiB] wait for it (the alerts it missed stay in the
devices' records: ``GET /alerts``). Each closure is counted in :class:`FrontStats` and logged
once per source host.

Observers (:meth:`WanFront.observe`, :mod:`smets_emu.tools.wire_events`) see every frame received
or sent, as it crosses the front (``run --capture`` records them).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
import socket
from dataclasses import dataclass
from typing import Any, cast

from smets_emu.emulator.device import Inbound, Outbound
from smets_emu.errors import LinkClosed, SmetsError
from smets_emu.hosting.runtime import Runtime
from smets_emu.hw import Frame, FrameLink, Framing, framing_for
from smets_emu.hw.link import ReceiveBudget
from smets_emu.protocols.envelope import GroupingHeader
from smets_emu.tools.faults import FaultTable, corrupt
from smets_emu.tools.wan_limits import MAX_MESSAGE as MAX_MESSAGE
from smets_emu.tools.wan_limits import FrontStats as FrontStats
from smets_emu.tools.wan_limits import SourceLog
from smets_emu.tools.wan_limits import WanLimits as WanLimits
from smets_emu.tools.wire_events import FrameKind, ObserverHandle, ObserverHub, WireEvent, WireObserver, peer_text

log = logging.getLogger(__name__)

READ_SIZE = 16 * 1024
"""Bytes the front takes from one socket at a time (asyncio's default is 256 KiB per socket and loop turn,
which many connections sending at once turn into a memory peak)."""


def wan_framing(name: str, max_message: int = MAX_MESSAGE) -> Framing:
    """The framing *name* (``gfi`` or ``binary``) as the WAN front and its clients use it."""
    return framing_for(name, max_length=max_message)


@dataclass
class _LinkCounts:
    """A link's drop counters at the last look."""

    dropped: int = 0
    oversize: int = 0
    expired: int = 0


class _Connection:
    def __init__(self, front: WanFront, writer: asyncio.StreamWriter, framing: Framing, number: int) -> None:
        self.front = front
        self.number = number
        self.writer = writer
        self.framing = framing
        self.peer = writer.get_extra_info("peername")
        self.host = str(self.peer[0]) if isinstance(self.peer, tuple) and self.peer else str(self.peer)
        self.peer_text = peer_text(self.peer)
        self.slow = False
        self.link: FrameLink | None = None
        self.seen = _LinkCounts()

    def send(self, message: bytes, number: int, kind: FrameKind, header: GroupingHeader | None = None) -> None:
        if self.writer.is_closing():
            return
        transport = self.writer.transport
        if transport.get_write_buffer_size() > self.front.limits.send_queue_limit:
            self.front._close_slow_reader(self)
            return
        try:
            self.writer.write(self.framing.encode(message, seq=number))
        except (ConnectionError, RuntimeError) as exc:
            log.info("connection %s: write failed: %s", self.peer, exc)
            return
        if self.front._observers:
            self.front._emit(self, "out", number, message, kind if message else "empty", header)


class WanFront:
    """TCP listeners for the GFI and binary framings in front of a :class:`Runtime`.

    *limits* bounds what each client may cost (see :class:`WanLimits` for the defaults).
    """

    def __init__(self, runtime: Runtime, *, faults: FaultTable | None = None, limits: WanLimits | None = None) -> None:
        self.runtime = runtime
        self.faults = faults if faults is not None else FaultTable()
        self.limits = limits or WanLimits()
        self._stats = FrontStats()
        self._budget = ReceiveBudget(self.limits.receive_budget)
        self._sources = SourceLog()
        self._servers: list[asyncio.Server] = []
        self._connections: set[_Connection] = set()
        self._subscription = runtime.subscribe(self._on_alert)
        self._observers = ObserverHub()
        self._numbers = itertools.count(1)
        self.endpoints: dict[str, tuple[str, int]] = {}

    def observe(self, callback: WireObserver) -> ObserverHandle:
        """Call *callback* with a :class:`~smets_emu.tools.wire_events.WireEvent` for every frame received or sent.

        The callback runs in the front's loop and must return at once (see :mod:`smets_emu.tools.wire_events`);
        one that raises is logged once and ignored. Returns a handle whose ``cancel()`` stops the calls.
        """
        return self._observers.add(callback)

    def _emit(self, conn: _Connection, direction: str, seq: int, message: bytes, kind: FrameKind,
              header: GroupingHeader | None = None) -> None:
        try:
            virtual = self.runtime.clock.now()
        except Exception:  # a clock past its range must not stop the frames
            virtual = dt.datetime.now(dt.UTC)
        self._observers.emit(WireEvent(
            time=dt.datetime.now(dt.UTC), virtual_time=virtual, direction=direction,  # type: ignore[arg-type]
            connection=conn.number, peer=conn.peer_text, framing=conn.framing.name,  # type: ignore[arg-type]
            seq=seq, message=message, kind=kind, header=header))

    @property
    def stats(self) -> FrontStats:
        """The counters, with the gauges (connections served now, bytes buffered) brought up to date."""
        for conn in list(self._connections):
            if conn.link is not None:
                self._count_link(conn, conn.link, conn.seen)
        self._stats.active_connections = len(self._connections)
        self._stats.receive_buffered = self._budget.used
        return self._stats

    # -- listeners ----------------------------------------------------------------------------

    async def listen(self, framing: str, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        """Start a listener for *framing* ("gfi" or "binary"); returns the bound address."""
        chosen = wan_framing(framing, self.limits.max_message)

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await self._serve(reader, writer, chosen)

        server = await asyncio.start_server(serve, host, port, limit=READ_SIZE)
        self._servers.append(server)
        sock = server.sockets[0].getsockname()
        self.endpoints[framing] = (str(sock[0]), int(sock[1]))
        log.info("WAN front (%s framing) on %s:%d", framing, sock[0], sock[1])
        return self.endpoints[framing]

    async def close(self) -> None:
        """Stop listening and close every connection."""
        self._subscription.cancel()
        self._observers.clear()
        for server in self._servers:
            server.close()
        for conn in list(self._connections):
            conn.writer.close()
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()

    async def __aenter__(self) -> WanFront:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- connections --------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, framing: Framing) -> None:
        limits, stats = self.limits, self._stats
        if len(self._connections) >= limits.max_connections:
            stats.refused_connections += 1
            peer = writer.get_extra_info("peername")
            host = str(peer[0]) if isinstance(peer, tuple) and peer else str(peer)
            self._sources.once(host, "refused", "refused: %d connections already served (the cap)",
                               len(self._connections))
            writer.close()
            return
        transport = writer.transport
        if getattr(transport, "max_size", 0) > READ_SIZE:  # selector transports: bytes per recv()
            cast(Any, transport).max_size = READ_SIZE  # an attribute of selector transports only
        if limits.socket_send_buffer is not None:
            sock = writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, limits.socket_send_buffer)
        conn = _Connection(self, writer, framing, next(self._numbers))
        self._connections.add(conn)
        stats.connections += 1
        link = FrameLink(
            reader,
            writer,
            framing,
            name=f"wan {framing.name} {conn.peer}",
            read_size=READ_SIZE,
            idle_timeout=limits.frame_gap,
            frame_deadline=limits.frame_deadline,
            quiet_timeout=limits.idle_timeout,
            garbage_limit=limits.garbage_limit,
            budget=self._budget,
            log_level=logging.DEBUG,  # the front logs trouble once per source instead
        )
        conn.link, seen = link, conn.seen
        try:
            while True:
                frame = await link.receive_frame()
                self._count_link(conn, link, seen)
                await self._handle(conn, frame)
                if transport.get_write_buffer_size() == 0:
                    continue  # all sent: no drain to wait for (and no timer task to make for it)
                try:
                    await asyncio.wait_for(writer.drain(), limits.send_timeout)
                except TimeoutError:
                    self._close_slow_reader(conn)
                    break
        except LinkClosed as exc:
            log.debug("connection %s closed: %s", conn.peer, exc)
        except (ConnectionError, OSError) as exc:
            log.info("connection %s closed: %s", conn.peer, exc)
        finally:
            self._count_link(conn, link, seen)
            self._connections.discard(conn)
            reason = link.close_reason
            if reason == "idle":
                stats.idle_closed += 1
                log.debug("connection %s closed: sent nothing for %s s", conn.peer, limits.idle_timeout)
            elif reason == "garbage":
                stats.garbage_closed += 1
                self._sources.once(conn.host, "garbage", "closed: %d bytes with no intact frame", limits.garbage_limit)
            elif reason == "budget":
                stats.budget_closed += 1
                self._sources.once(conn.host, "budget", "closed: its partial frame did not fit the receive budget"
                                   " (%d bytes for all connections)", limits.receive_budget)
            await link.close()

    def _count_link(self, conn: _Connection, link: FrameLink, seen: _LinkCounts) -> None:
        """Add what the link's decoder dropped since the last look to the front's counters."""
        dropped, oversize, expired = link.drop_counts
        if dropped == seen.dropped and oversize == seen.oversize and expired == seen.expired:
            return  # the usual case: nothing new
        stats = self._stats
        if dropped != seen.dropped:
            stats.frames_dropped += dropped - seen.dropped
            self._sources.once(conn.host, "dropped", "sent frames failing the framing checks")
        if oversize != seen.oversize:
            stats.frames_oversize += oversize - seen.oversize
            self._sources.once(conn.host, "oversize", "sent a frame longer than %d bytes", self.limits.max_message)
        if expired != seen.expired:
            stats.frames_expired += expired - seen.expired
            self._sources.once(conn.host, "expired", "sent a frame still incomplete after %s s",
                               self.limits.frame_deadline)
        seen.dropped, seen.oversize, seen.expired = dropped, oversize, expired

    def _close_slow_reader(self, conn: _Connection) -> None:
        """Drop a connection that does not read what it is sent (its queue is discarded at once)."""
        if conn.slow:
            return
        conn.slow = True
        self._stats.slow_reader_closed += 1
        self._sources.once(conn.host, "slow", "closed: more than %d bytes waited to be read",
                           self.limits.send_queue_limit)
        self._connections.discard(conn)
        conn.writer.transport.abort()

    async def _handle(self, conn: _Connection, frame: Frame) -> None:
        message = frame.payload
        if not message:
            if self._observers:
                self._emit(conn, "in", frame.seq, message, "empty")
            conn.send(b"", frame.seq, "empty")  # an empty frame is a ping
            return
        self._stats.commands += 1
        inbound = Inbound.parse(message)  # the one decode: routing, observers, faults and the device use it
        if self._observers:
            self._emit(conn, "in", frame.seq, message, "command",
                       None if inbound.envelope is None else inbound.envelope.header)
        if not self._addressed_to_fleet(conn, inbound):
            self._stats.no_response += 1
            conn.send(b"", frame.seq, "empty")
            return
        if self.faults.faults:
            faulted = await self._inbound_faults(inbound)
            if faulted is None:
                return
            inbound = faulted
        try:
            sent = await self.runtime.exchange(inbound, exclude=self._on_alert)
        except SmetsError as exc:  # e.g. the store failed: nothing committed, nothing sent
            log.warning("command not handled: %s", exc)
            sent = []
        stats = self._stats
        alerts = [o for o in sent if o.kind == "alert"]
        for alert in alerts:  # the alerts first, then the response (the order of the module docstring)
            self._send(conn, alert, frame.seq)
            stats.alerts_sent += 1
        if alerts:
            self._broadcast(alerts, conn)
        answered = False
        for response in sent:
            if response.kind == "response":
                self._send(conn, response, frame.seq)
                stats.responses += 1
                answered = True
        if not answered:
            stats.no_response += 1
            conn.send(b"", frame.seq, "empty")

    def _addressed_to_fleet(self, conn: _Connection, inbound: Inbound) -> bool:
        """True for a GBCS message to a device of the fleet; counts and logs (once per source) the rest."""
        recipient = inbound.recipient
        if recipient is None:
            self._stats.undecodable += 1
            self._sources.once(conn.host, "undecodable", "sent a message that is not GBCS (%s)", inbound.error)
            return False
        if recipient not in self.runtime.fleet.devices:
            self._stats.unknown_recipient += 1
            self._sources.once(conn.host, "unknown", "sent a message for %s, no device of this fleet",
                               recipient.hex().upper())
            return False
        return True

    def _on_alert(self, alert: Outbound) -> None:
        """An alert not caused by a command of this front (timers, future-dated commands, another front)."""
        self._broadcast([alert], None)

    def _broadcast(self, alerts: list[Outbound], cause: _Connection | None) -> None:
        """Send *alerts* with number 0 to every connection but *cause* (which got them with its command's number)."""
        for alert in alerts:
            message = self._outbound_faults(alert)
            header = alert.header if message is alert.message else None
            for conn in list(self._connections):
                if conn is not cause:
                    conn.send(message, 0, "alert", header)
                    self._stats.alerts_sent += 1

    def _send(self, conn: _Connection, sent: Outbound, number: int) -> None:
        """Send a device's response or alert with the header it was built with (none when a fault changed it)."""
        message = self._outbound_faults(sent)
        conn.send(message, number, "response" if sent.kind == "response" else "alert",
                  sent.header if message is sent.message else None)

    # -- faults -------------------------------------------------------------------------------

    async def _inbound_faults(self, inbound: Inbound) -> Inbound | None:
        eui = inbound.recipient
        if eui is None:
            return inbound
        if self.faults.take(eui, "drop") is not None:
            self._stats.faults_applied += 1
            log.info("fault: dropped a command to %s", eui.hex().upper())
            return None
        delay = self.faults.take(eui, "delay")
        if delay is not None:
            self._stats.faults_applied += 1
            await asyncio.sleep(delay.seconds)
        if self.faults.take(eui, "corrupt", "command") is not None:
            self._stats.faults_applied += 1
            return Inbound.parse(corrupt(inbound.data))  # new bytes: parsed again, once
        return inbound

    def _outbound_faults(self, sent: Outbound) -> bytes:
        """The bytes to send for *sent* (its originator from the header it was built with, never re-decoded)."""
        if not self.faults.faults:
            return sent.message
        if self.faults.take(sent.header.originator, "corrupt", "reply") is not None:
            self._stats.faults_applied += 1
            return corrupt(sent.message)
        return sent.message
