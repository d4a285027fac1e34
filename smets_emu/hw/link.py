"""FrameLink: a byte stream plus a framing, moving whole GBCS messages with counters.

A link owns one :class:`~smets_emu.hw.framing.StreamDecoder`. ``receive`` returns the next
intact frame; bad frames are dropped, counted and logged by the decoder and never reach the
caller. When a started frame gets no more bytes for ``idle_timeout`` seconds it is abandoned
and the decoder rescans past its start (a frame whose tail was lost cannot hide the frames
behind it).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

from smets_emu.errors import LinkClosed
from smets_emu.hw.faults import ByteWriter
from smets_emu.hw.framing import Frame, Framing

log = logging.getLogger(__name__)

DEFAULT_IDLE_TIMEOUT = 0.5
"""Seconds a partial frame may wait for its next byte before it is abandoned."""
_GRACE = 0.02


@dataclass(frozen=True, slots=True)
class LinkStats:
    """A snapshot of a link's counters."""

    frames_out: int
    bytes_out: int
    frames_in: int
    bytes_in: int
    dropped: int
    crc_errors: int
    resyncs: int
    garbage_bytes: int
    abandoned: int

    def as_dict(self) -> dict[str, int]:
        """The counters as a plain dict (for JSON output)."""
        return asdict(self)


class FrameLink:
    """Whole messages over an asyncio byte stream with *framing* (send, receive, stats, close)."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: ByteWriter,
        framing: Framing,
        *,
        name: str = "link",
        idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT,
        read_size: int = 1 << 16,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.framing = framing
        self.name = name
        self.idle_timeout = idle_timeout
        self.read_size = read_size
        self.decoder = framing.decoder()
        self.decoder.name = name
        self._frames: deque[Frame] = deque()
        self._send_lock = asyncio.Lock()
        self._frames_out = 0
        self._bytes_out = 0
        self._closed = False

    @property
    def stats(self) -> LinkStats:
        """Frames and bytes each way and the decoder's drop counters."""
        d = self.decoder.stats
        return LinkStats(
            frames_out=self._frames_out,
            bytes_out=self._bytes_out,
            frames_in=d.frames,
            bytes_in=d.bytes_in,
            dropped=d.dropped,
            crc_errors=d.crc_errors,
            resyncs=d.resyncs,
            garbage_bytes=d.garbage_bytes,
            abandoned=d.abandoned,
        )

    async def send(self, message: bytes, *, seq: int = 0) -> None:
        """Frame *message* and write it (frames from concurrent senders never interleave)."""
        data = self.framing.encode(message, seq=seq)
        async with self._send_lock:
            try:
                self.writer.write(data)
                await self.writer.drain()
            except (ConnectionError, OSError) as exc:
                raise LinkClosed(f"{self.name}: write failed: {exc}") from exc
            self._frames_out += 1
            self._bytes_out += len(data)

    async def receive(self) -> bytes:
        """The next intact message; raises :class:`~smets_emu.errors.LinkClosed` at end of stream."""
        return (await self.receive_frame()).payload

    async def receive_frame(self) -> Frame:
        """The next intact frame (payload and sequence number)."""
        while not self._frames:
            await self._fill()
        return self._frames.popleft()

    async def _fill(self) -> None:
        timeout = self.idle_timeout if self.decoder.in_frame else None
        try:
            try:
                data = await asyncio.wait_for(self.reader.read(self.read_size), timeout)
            except TimeoutError:
                # bytes may be queued behind the timer on a busy loop: one short look before giving up
                data = await asyncio.wait_for(self.reader.read(self.read_size), _GRACE)
        except TimeoutError:
            self._frames.extend(self.decoder.abandon())
            return
        except (ConnectionError, OSError) as exc:
            raise LinkClosed(f"{self.name}: read failed: {exc}") from exc
        if not data:
            raise LinkClosed(f"{self.name}: end of stream")
        self._frames.extend(self.decoder.feed(data))

    def __aiter__(self) -> FrameLink:
        return self

    async def __anext__(self) -> bytes:
        try:
            return await self.receive()
        except LinkClosed:
            raise StopAsyncIteration from None

    async def close(self) -> None:
        """Close the underlying stream (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self.writer.close()
        try:
            await asyncio.wait_for(self.writer.wait_closed(), 2)
        except (TimeoutError, ConnectionError, OSError):
            pass
        log.debug("%s closed: %s", self.name, self.stats)

    async def __aenter__(self) -> FrameLink:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()
