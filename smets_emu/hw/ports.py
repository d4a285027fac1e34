"""The one port factory: pyserial URLs as asyncio streams, plus pty pairs and raw descriptors.

:func:`open_port` opens any ``serial.serial_for_url`` URL (a real ``/dev/tty*``, a pty slave,
``socket://host:port``, ``loop://``, ``rfc2217://``...) and returns asyncio
``(StreamReader, StreamWriter)``:

- a port with a file descriptor (ttys, ptys) runs on pyserial-asyncio-fast's transport, which
  watches the descriptor with ``add_reader``/``add_writer``;
- a port without one (``loop://``, ``socket://``) runs on :class:`PollingSerialTransport`: one
  thread blocks in ``read`` with a short timeout, one thread writes; the event loop never blocks.

:func:`open_pty` makes a raw-mode pty pair (the slave path is what a rig tool opens) and
:func:`open_fd` wraps the master descriptor as streams.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import queue
import threading
import time
import tty
from dataclasses import dataclass
from typing import Any

import serial
from serial_asyncio_fast import SerialTransport

from smets_emu.errors import TransportError

log = logging.getLogger(__name__)

DEFAULT_BAUDRATE = 115200
POLL_INTERVAL = 0.005
"""Read timeout of the polling fallback: the most latency it adds to an idle port."""

Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]


def _has_fileno(port: serial.SerialBase) -> bool:
    try:
        port.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation, ValueError):
        return False
    return True


def _streams(loop: asyncio.AbstractEventLoop, limit: int) -> tuple[asyncio.StreamReader, asyncio.StreamReaderProtocol]:
    reader = asyncio.StreamReader(limit=limit, loop=loop)
    return reader, asyncio.StreamReaderProtocol(reader, loop=loop)


async def open_port(
    url: str, *, baudrate: int = DEFAULT_BAUDRATE, limit: int = 1 << 16, **serial_kwargs: Any
) -> Streams:
    """Open *url* through ``serial.serial_for_url`` and return asyncio streams (see module docstring).

    The serial instance is available as ``writer.get_extra_info("serial")``. Raises
    :class:`~smets_emu.errors.TransportError` when the port cannot be opened.
    """
    loop = asyncio.get_running_loop()
    try:
        port = await loop.run_in_executor(None, lambda: serial.serial_for_url(url, baudrate=baudrate, **serial_kwargs))
    except (serial.SerialException, OSError, ValueError) as exc:
        raise TransportError(f"cannot open {url}: {exc}") from exc
    reader, protocol = _streams(loop, limit)
    if _has_fileno(port):
        transport: asyncio.Transport = FdSerialTransport(loop, protocol, port)
        log.debug("opened %s at %d baud on its file descriptor", url, baudrate)
    else:
        transport = PollingSerialTransport(loop, protocol, port)
        log.debug("opened %s at %d baud with the polling fallback", url, baudrate)
    return reader, asyncio.StreamWriter(transport, protocol, reader, loop)


class FdSerialTransport(SerialTransport):
    """pyserial-asyncio-fast's descriptor transport, unregistering its writer once the buffer is empty.

    The upstream transport leaves the writer callback registered after a partial write has been
    completed, and the next writable event then finds an empty buffer.
    """

    def _write_ready(self) -> None:
        if self._write_buffer:
            super()._write_ready()
        if not self._write_buffer:
            self._remove_writer()


class PollingSerialTransport(asyncio.Transport):
    """An asyncio transport over a pyserial port without a file descriptor (reader and writer threads)."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        protocol: asyncio.Protocol,
        port: serial.SerialBase,
        *,
        poll_interval: float = POLL_INTERVAL,
    ) -> None:
        super().__init__(extra={"serial": port})
        self._loop = loop
        self._protocol = protocol
        self._port = port
        self._closing = False
        self._lost = False
        self._paused = threading.Event()
        self._outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._pending_out = 0
        self._lock = threading.Lock()
        self._high_water = 1 << 16
        self._protocol_paused = False
        self._poll_interval = poll_interval
        self._read_size = 1 << 16
        port.timeout = poll_interval
        port.write_timeout = None
        self._reader = threading.Thread(target=self._read_loop, name=f"serial-rx {port.name}", daemon=True)
        self._writer = threading.Thread(target=self._write_loop, name=f"serial-tx {port.name}", daemon=True)
        loop.call_soon(protocol.connection_made, self)
        loop.call_soon(self._reader.start)
        self._writer.start()

    # -- threads
    def _read_loop(self) -> None:
        port = self._port
        while not self._closing:
            if self._paused.is_set():
                time.sleep(self._poll_interval)
                continue
            try:
                data = port.read(1)  # blocks for at most the poll interval
                if data:  # then take whatever else has arrived, without waiting
                    port.timeout = 0
                    data += port.read(self._read_size)
                    port.timeout = self._poll_interval
            except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
                if not self._closing:
                    self._loop.call_soon_threadsafe(self._fatal, exc)
                return
            if data:
                with contextlib.suppress(RuntimeError):  # loop closed
                    self._loop.call_soon_threadsafe(self._deliver, data)

    def _write_loop(self) -> None:
        while True:
            data = self._outbox.get()
            if data is None:
                return
            try:
                self._port.write(data)
            except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
                if not self._closing:
                    with contextlib.suppress(RuntimeError):
                        self._loop.call_soon_threadsafe(self._fatal, exc)
                return
            with self._lock:
                self._pending_out -= len(data)
                resume = self._protocol_paused and self._pending_out <= self._high_water // 4
            if resume:
                with contextlib.suppress(RuntimeError):
                    self._loop.call_soon_threadsafe(self._resume_protocol)

    # -- loop side
    def _deliver(self, data: bytes) -> None:
        if not self._lost:
            self._protocol.data_received(data)

    def _fatal(self, exc: BaseException) -> None:
        log.warning("serial port %s failed: %s", self._port.name, exc)
        self._shutdown(exc)

    def _resume_protocol(self) -> None:
        if self._protocol_paused and not self._lost:
            self._protocol_paused = False
            self._protocol.resume_writing()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._closing or not data:
            return
        data = bytes(data)
        with self._lock:
            self._pending_out += len(data)
            pause = not self._protocol_paused and self._pending_out > self._high_water
            if pause:
                self._protocol_paused = True
        self._outbox.put(data)
        if pause:
            self._protocol.pause_writing()

    def get_write_buffer_size(self) -> int:
        return self._pending_out

    def can_write_eof(self) -> bool:
        return False

    def is_closing(self) -> bool:
        return self._closing

    def pause_reading(self) -> None:
        self._paused.set()

    def resume_reading(self) -> None:
        self._paused.clear()

    def is_reading(self) -> bool:
        return not self._paused.is_set()

    def close(self) -> None:
        self._shutdown(None)

    def abort(self) -> None:
        self._shutdown(None)

    def _shutdown(self, exc: BaseException | None) -> None:
        if self._closing:
            return
        self._closing = True
        self._outbox.put(None)
        self._loop.call_soon(self._finish, exc)

    def _finish(self, exc: BaseException | None) -> None:
        def join_and_close() -> None:
            self._writer.join(timeout=2)
            if self._reader.is_alive():
                self._reader.join(timeout=2)
            with contextlib.suppress(Exception):
                self._port.close()

        threading.Thread(target=join_and_close, name="serial-close", daemon=True).start()
        if not self._lost:
            self._lost = True
            self._protocol.connection_lost(exc)


# --------------------------------------------------------------------------- pty pairs and descriptors


@dataclass(frozen=True, slots=True)
class PtyPair:
    """A raw-mode pseudo-terminal: open :attr:`path` as a serial port, drive :attr:`master_fd` with :func:`open_fd`."""

    master_fd: int
    slave_fd: int
    path: str

    def close(self) -> None:
        """Close both descriptors (ignores ones already closed)."""
        for fd in (self.master_fd, self.slave_fd):
            with contextlib.suppress(OSError):
                os.close(fd)


def open_pty() -> PtyPair:
    """A new pty pair with the slave in raw mode (no echo, no CR/LF translation)."""
    master, slave = os.openpty()
    tty.setraw(slave)
    os.set_blocking(master, False)
    return PtyPair(master, slave, os.ttyname(slave))


class _WritePipeProtocol(asyncio.streams.FlowControlMixin, asyncio.Protocol):
    """Flow control for the write half of :func:`open_fd`; closing it closes the read half too."""

    def __init__(self, read_transport: asyncio.BaseTransport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop=loop)
        self._read_transport = read_transport
        self._closed: asyncio.Future[None] = loop.create_future()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._read_transport.close()
        if not self._closed.done():
            self._closed.set_result(None)

    def _get_close_waiter(self, stream: asyncio.StreamWriter) -> asyncio.Future[None]:
        return self._closed


async def open_fd(fd: int, *, limit: int = 1 << 16) -> Streams:
    """Asyncio streams over a readable and writable descriptor (a pty master); the caller keeps *fd*."""
    loop = asyncio.get_running_loop()
    reader, protocol = _streams(loop, limit)
    try:
        read_transport, _ = await loop.connect_read_pipe(lambda: protocol, os.fdopen(os.dup(fd), "rb", buffering=0))
        transport, write_protocol = await loop.connect_write_pipe(
            lambda: _WritePipeProtocol(read_transport, loop), os.fdopen(os.dup(fd), "wb", buffering=0)
        )
    except (OSError, ValueError) as exc:
        raise TransportError(f"cannot use descriptor {fd}: {exc}") from exc
    return reader, asyncio.StreamWriter(transport, write_protocol, reader, loop)


def set_pty_baudrate(fd: int, baudrate: int) -> None:
    """Set the termios line speed of a pty or tty descriptor (ptys record it but do not pace to it)."""
    import termios

    speed = getattr(termios, f"B{baudrate}", None)
    if speed is None:
        raise TransportError(f"baud rate {baudrate} has no termios constant")
    attrs = termios.tcgetattr(fd)
    attrs[4] = attrs[5] = speed
    termios.tcsetattr(fd, termios.TCSANOW, attrs)
