"""Bridges: serve a message handler on a frame link, relay TCP <-> serial, front a real device.

- :func:`serve_link` answers every message arriving on a link with whatever an async handler
  (``bytes -> list[bytes]``, e.g. a fleet runtime's dispatcher) returns, in frames carrying the
  request's sequence number (GFI ``n``, binary ``SEQ``). A failing handler is logged and counted;
  the link keeps running.
- :func:`relay` copies whole frames, sequence numbers included, both ways between two links (each
  side may use its own framing), and :func:`forward` runs it between a TCP head-end and a serial port, so a rig's
  real meter appears on the same TCP front as the virtual fleet.
- :class:`RemoteDevice` wraps a link to a real device as a handler: send a command, collect
  the frames that come back within a quiet window. Unsolicited frames go to a callback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from smets_emu.errors import LinkClosed
from smets_emu.hw.framing import Frame, Framing
from smets_emu.hw.link import FrameLink
from smets_emu.hw.ports import DEFAULT_BAUDRATE, open_port

log = logging.getLogger(__name__)

Handler = Callable[[bytes], Awaitable[Sequence[bytes]]]
"""An async message handler: one inbound GBCS message in, the outbound messages (maybe none) back."""


@dataclass(slots=True)
class BridgeStats:
    """Counters of :func:`serve_link`."""

    requests: int = 0
    responses: int = 0
    handler_errors: int = 0


async def serve_link(
    link: FrameLink, handler: Handler, *, stats: BridgeStats | None = None, max_in_flight: int = 64
) -> BridgeStats:
    """Answer every message on *link* with *handler*'s outputs until the link closes; returns the counters.

    Up to *max_in_flight* messages are handled concurrently; answers go out as each handler finishes,
    numbered like the request they answer.
    """
    stats = stats if stats is not None else BridgeStats()
    slots = asyncio.Semaphore(max_in_flight)
    tasks: set[asyncio.Task[None]] = set()

    async def one(frame: Frame) -> None:
        try:
            try:
                outbound = await handler(frame.payload)
            except Exception:
                stats.handler_errors += 1
                log.exception("%s: handler failed on a %d-byte message", link.name, len(frame.payload))
                return
            for out in outbound:
                await link.send(out, seq=frame.seq)
                stats.responses += 1
        except LinkClosed:
            pass
        finally:
            slots.release()

    try:
        while True:
            try:
                frame = await link.receive_frame()
            except LinkClosed:
                break
            stats.requests += 1
            await slots.acquire()
            task = asyncio.create_task(one(frame))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
    finally:
        for task in list(tasks):
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
    return stats


async def serve_port(
    url: str, handler: Handler, framing: Framing, *, baudrate: int = DEFAULT_BAUDRATE, name: str | None = None
) -> BridgeStats:
    """Open *url* with :func:`~smets_emu.hw.ports.open_port` and :func:`serve_link` on it until it closes."""
    reader, writer = await open_port(url, baudrate=baudrate)
    link = FrameLink(reader, writer, framing, name=name or url)
    try:
        return await serve_link(link, handler)
    finally:
        await link.close()


async def _pump(src: FrameLink, dst: FrameLink) -> None:
    """Copy frames (payload and sequence number) from *src* to *dst* until *src* closes."""
    while True:
        try:
            frame = await src.receive_frame()
        except LinkClosed:
            return
        await dst.send(frame.payload, seq=frame.seq)
        log.debug("relayed %d bytes (seq %d) %s -> %s", len(frame.payload), frame.seq, src.name, dst.name)


async def _pump_both_ways(a: FrameLink, b: FrameLink) -> None:
    """Copy frames a -> b and b -> a until either direction ends; both pumps are stopped on return."""
    tasks = [asyncio.create_task(_pump(a, b)), asyncio.create_task(_pump(b, a))]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, LinkClosed):
                await task


async def relay(a: FrameLink, b: FrameLink) -> None:
    """Copy frames a -> b and b -> a until either side closes (then close both)."""
    try:
        await _pump_both_ways(a, b)
    finally:
        await a.close()
        await b.close()


async def forward(
    serial_url: str,
    serial_framing: Framing,
    tcp_framing: Framing,
    *,
    baudrate: int = DEFAULT_BAUDRATE,
    listen: tuple[str, int] | None = None,
    connect: tuple[str, int] | None = None,
    ready: Callable[[tuple[str, int]], None] | None = None,
) -> None:
    """Relay between a TCP head-end and the device on *serial_url*.

    With *listen*, accept head-end connections (one at a time; the serial port stays open) and call
    *ready* with the bound address; with *connect*, dial the head-end and relay until either side closes.
    """
    if (listen is None) == (connect is None):
        raise ValueError("give exactly one of listen or connect")
    reader, writer = await open_port(serial_url, baudrate=baudrate)
    serial_link = FrameLink(reader, writer, serial_framing, name=serial_url)
    try:
        if connect is not None:
            tcp_reader, tcp_writer = await asyncio.open_connection(*connect)
            await relay(FrameLink(tcp_reader, tcp_writer, tcp_framing, name=f"tcp {connect}"), serial_link)
            return
        assert listen is not None
        busy = asyncio.Lock()

        async def on_client(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            peer = w.get_extra_info("peername")
            if busy.locked():
                log.warning("refusing head-end %s: %s already has a head-end", peer, serial_url)
                w.close()
                return
            async with busy:
                tcp_link = FrameLink(r, w, tcp_framing, name=f"tcp {peer}")
                await _relay_keep_serial(tcp_link, serial_link)

        server = await asyncio.start_server(on_client, *listen)
        async with server:
            address = server.sockets[0].getsockname()[:2]
            log.info("forwarding %s <-> %s:%d", serial_url, *address)
            if ready is not None:
                ready(address)
            await server.serve_forever()
    finally:
        await serial_link.close()


async def _relay_keep_serial(tcp_link: FrameLink, serial_link: FrameLink) -> None:
    """Relay one head-end session; the serial link stays open for the next one."""
    try:
        await _pump_both_ways(tcp_link, serial_link)
    finally:
        await tcp_link.close()


class RemoteDevice:
    """A real device behind a link, usable as a :data:`Handler` (one command at a time).

    ``await device(command)`` sends the command and returns the frames received until *quiet*
    seconds pass without one (at most *timeout* seconds after sending). Frames that arrive while
    no command is outstanding go to *on_unsolicited* (alerts).
    """

    def __init__(
        self,
        link: FrameLink,
        *,
        timeout: float = 5.0,
        quiet: float = 0.2,
        on_unsolicited: Callable[[bytes], None] | None = None,
    ) -> None:
        self.link = link
        self.timeout = timeout
        self.quiet = quiet
        self.on_unsolicited = on_unsolicited
        self._inbox: asyncio.Queue[bytes] = asyncio.Queue()
        self._busy = asyncio.Lock()
        self._reader: asyncio.Task[None] | None = None

    async def _read(self) -> None:
        async for frame in self.link:
            if self._busy.locked() or self.on_unsolicited is None:
                self._inbox.put_nowait(frame)
            else:
                self.on_unsolicited(frame)

    async def __call__(self, message: bytes) -> list[bytes]:
        if self._reader is None:
            self._reader = asyncio.create_task(self._read())
        async with self._busy:
            while not self._inbox.empty():
                stale = self._inbox.get_nowait()
                if self.on_unsolicited is not None:
                    self.on_unsolicited(stale)
            await self.link.send(message)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.timeout
            out: list[bytes] = []
            while True:
                wait = deadline - loop.time() if not out else min(self.quiet, deadline - loop.time())
                if wait <= 0:
                    break
                try:
                    out.append(await asyncio.wait_for(self._inbox.get(), wait))
                except TimeoutError:
                    break
            return out

    async def close(self) -> None:
        """Stop reading and close the link."""
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, LinkClosed):
                await self._reader
        await self.link.close()
