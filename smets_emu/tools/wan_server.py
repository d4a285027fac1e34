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
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from dataclasses import dataclass, field

from smets_emu.emulator.device import Outbound
from smets_emu.emulator.runtime import Runtime
from smets_emu.errors import LinkClosed, SmetsError
from smets_emu.hw import Frame, FrameLink, Framing, framing_for
from smets_emu.protocols.envelope import decode_envelope
from smets_emu.tools.faults import FaultTable, corrupt

log = logging.getLogger(__name__)

MAX_MESSAGE = 4 * 1024 * 1024
"""The largest GBCS message a WAN frame may carry (bytes); longer frames are dropped."""


def wan_framing(name: str) -> Framing:
    """The framing *name* (``gfi`` or ``binary``) as the WAN front and its clients use it."""
    return framing_for(name, max_length=MAX_MESSAGE)


@dataclass
class _Exchange:
    """The command being handled for a connection, collecting the alerts it causes."""

    connection: _Connection
    alerts: list[Outbound] = field(default_factory=list)


_CURRENT: contextvars.ContextVar[_Exchange | None] = contextvars.ContextVar("smets_wan_exchange", default=None)


@dataclass
class FrontStats:
    """Counters of the front."""

    connections: int = 0
    commands: int = 0
    responses: int = 0
    no_response: int = 0
    alerts_sent: int = 0
    frames_dropped: int = 0
    faults_applied: int = 0


class _Connection:
    def __init__(self, front: WanFront, writer: asyncio.StreamWriter, framing: Framing) -> None:
        self.front = front
        self.writer = writer
        self.framing = framing
        self.peer = writer.get_extra_info("peername")

    def send(self, message: bytes, number: int) -> None:
        if self.writer.is_closing():
            return
        try:
            self.writer.write(self.framing.encode(message, seq=number))
        except (ConnectionError, RuntimeError) as exc:
            log.info("connection %s: write failed: %s", self.peer, exc)


class WanFront:
    """TCP listeners for the GFI and binary framings in front of a :class:`Runtime`."""

    def __init__(self, runtime: Runtime, *, faults: FaultTable | None = None) -> None:
        self.runtime = runtime
        self.faults = faults if faults is not None else FaultTable()
        self.stats = FrontStats()
        self._servers: list[asyncio.Server] = []
        self._connections: set[_Connection] = set()
        self._subscription = runtime.subscribe(self._on_alert)
        self.endpoints: dict[str, tuple[str, int]] = {}

    # -- listeners ----------------------------------------------------------------------------

    async def listen(self, framing: str, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        """Start a listener for *framing* ("gfi" or "binary"); returns the bound address."""
        chosen = wan_framing(framing)

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await self._serve(reader, writer, chosen)

        server = await asyncio.start_server(serve, host, port)
        self._servers.append(server)
        sock = server.sockets[0].getsockname()
        self.endpoints[framing] = (str(sock[0]), int(sock[1]))
        log.info("WAN front (%s framing) on %s:%d", framing, sock[0], sock[1])
        return self.endpoints[framing]

    async def close(self) -> None:
        """Stop listening and close every connection."""
        self._subscription.cancel()
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
        conn = _Connection(self, writer, framing)
        self._connections.add(conn)
        self.stats.connections += 1
        link = FrameLink(reader, writer, framing, name=f"wan {framing.name} {conn.peer}")
        dropped = 0
        try:
            while True:
                frame = await link.receive_frame()
                if link.decoder.stats.dropped != dropped:
                    self.stats.frames_dropped += link.decoder.stats.dropped - dropped
                    dropped = link.decoder.stats.dropped
                await self._handle(conn, frame)
                await writer.drain()
        except LinkClosed as exc:
            log.debug("connection %s closed: %s", conn.peer, exc)
        except (ConnectionError, OSError) as exc:
            log.info("connection %s closed: %s", conn.peer, exc)
        finally:
            self.stats.frames_dropped += link.decoder.stats.dropped - dropped
            self._connections.discard(conn)
            await link.close()

    async def _handle(self, conn: _Connection, frame: Frame) -> None:
        message = frame.payload
        if not message:
            conn.send(b"", frame.seq)  # an empty frame is a ping
            return
        self.stats.commands += 1
        if self.faults.faults:
            message = await self._inbound_faults(message)
            if message is None:
                return
        exchange = _Exchange(conn)
        token = _CURRENT.set(exchange)
        try:
            responses = await self.runtime.submit(message)
        except SmetsError as exc:  # e.g. the store failed: nothing committed, nothing sent
            log.warning("command not handled: %s", exc)
            responses = []
        finally:
            _CURRENT.reset(token)
        for alert in exchange.alerts:
            conn.send(self._outbound_faults(alert.message), frame.seq)
            self.stats.alerts_sent += 1
        for response in responses:
            conn.send(self._outbound_faults(response.message), frame.seq)
            self.stats.responses += 1
        if not responses:
            self.stats.no_response += 1
            conn.send(b"", frame.seq)

    def _on_alert(self, alert: Outbound) -> None:
        exchange = _CURRENT.get()
        if exchange is not None:
            exchange.alerts.append(alert)
        message = self._outbound_faults(alert.message) if self.faults.faults else alert.message
        for conn in list(self._connections):
            if exchange is None or conn is not exchange.connection:
                conn.send(message, 0)
                self.stats.alerts_sent += 1

    # -- faults -------------------------------------------------------------------------------

    async def _inbound_faults(self, message: bytes) -> bytes | None:
        try:
            eui = decode_envelope(message).header.recipient
        except SmetsError:
            return message
        if self.faults.take(eui, "drop") is not None:
            self.stats.faults_applied += 1
            log.info("fault: dropped a command to %s", eui.hex().upper())
            return None
        delay = self.faults.take(eui, "delay")
        if delay is not None:
            self.stats.faults_applied += 1
            await asyncio.sleep(delay.seconds)
        if self.faults.take(eui, "corrupt", "command") is not None:
            self.stats.faults_applied += 1
            message = corrupt(message)
        return message

    def _outbound_faults(self, message: bytes) -> bytes:
        if not self.faults.faults:
            return message
        try:
            eui = decode_envelope(message).header.originator
        except SmetsError:
            return message
        if self.faults.take(eui, "corrupt", "reply") is not None:
            self.stats.faults_applied += 1
            return corrupt(message)
        return message
