"""FrameLink: a byte stream plus a framing, moving whole GBCS messages with counters.

A link owns one :class:`~smets_emu.hw.framing.StreamDecoder`. ``receive`` returns the next
intact frame; bad frames are dropped, counted and logged by the decoder and never reach the
caller. When a started frame gets no more bytes for ``idle_timeout`` seconds it is abandoned
and the decoder rescans past its start (a frame whose tail was lost cannot hide the frames
behind it).

Limits for links that face untrusted peers (all off by default; the WAN front sets them):

- ``frame_deadline``: a started frame must be complete within this many seconds, however
  slowly its bytes trickle in, or it is abandoned (counted in :attr:`LinkStats.expired`);
- ``quiet_timeout``: with no frame started, no byte for this many seconds closes the link
  (:attr:`FrameLink.close_reason` ``"idle"``);
- ``garbage_limit``: more than this many bytes skipped since the last intact frame closes the
  link (``"garbage"``): a peer that only sends noise cannot keep the decoder busy for ever; past
  a sixteenth of it the link is also throttled (one piece per :data:`NOISE_PAUSE`);
- ``budget``: a :class:`ReceiveBudget` shared by links caps the bytes they hold in partial
  frames together; the link whose frame would push the total past it is closed (``"budget"``).

Received data is fed to the decoder in pieces of ``feed_size`` bytes with a yield to the event
loop between pieces, so one busy link cannot hold the loop for longer than one piece takes.
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
DEFAULT_FEED_SIZE = 4096
"""Bytes fed to the decoder between two yields to the event loop."""
NOISE_PAUSE = 0.005
"""Seconds a link pauses between pieces once a sixteenth of its garbage limit is noise (throttling)."""
_GRACE = 0.02


class ReceiveBudget:
    """Bytes that the links sharing this budget may hold in partial frames, in total."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.refused = 0  # links closed because their frame did not fit

    def __repr__(self) -> str:
        return f"ReceiveBudget(used={self.used}, limit={self.limit})"


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
    expired: int = 0  # of ``abandoned``: past the frame deadline
    oversize: int = 0  # of ``dropped``: a declared length above the maximum

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
        feed_size: int = DEFAULT_FEED_SIZE,
        frame_deadline: float | None = None,
        quiet_timeout: float | None = None,
        garbage_limit: int | None = None,
        budget: ReceiveBudget | None = None,
        log_level: int = logging.INFO,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.framing = framing
        self.name = name
        self.idle_timeout = idle_timeout
        self.read_size = read_size
        self.feed_size = max(1, feed_size)
        self.frame_deadline = frame_deadline
        self.quiet_timeout = quiet_timeout
        self.garbage_limit = garbage_limit
        self.budget = budget
        self.decoder = framing.decoder()
        self.decoder.name = name
        self.decoder.log_level = log_level
        self.log_level = log_level
        self.close_reason: str | None = None
        """Why the link gave up on its peer: ``"idle"``, ``"garbage"`` or ``"budget"`` (None otherwise)."""
        self._frames: deque[Frame] = deque()
        self._send_lock = asyncio.Lock()
        self._frames_out = 0
        self._bytes_out = 0
        self._expired = 0
        self._closed = False
        self._data = b""  # received bytes not fed to the decoder yet
        self._fed = 0
        self._held = 0  # bytes of this link counted in the budget
        self._garbage_mark = 0  # decoder garbage count at the last intact frame
        self._frame_serial = -1
        self._frame_started = 0.0

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
            expired=self._expired,
            oversize=d.oversize,
        )

    @property
    def drop_counts(self) -> tuple[int, int, int]:
        """(dropped, oversize, expired) of :attr:`stats`, without taking the whole snapshot."""
        d = self.decoder.stats
        return d.dropped, d.oversize, self._expired

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
        if self._fed < len(self._data):
            await asyncio.sleep(self._pause())  # a piece of the last read is still to be fed: let others run first
        else:
            data = await self._read()
            if data is None:
                return
            self._data, self._fed = data, 0
            pause = self._pause()
            if pause:
                await asyncio.sleep(pause)
        piece = self._data[self._fed : self._fed + self.feed_size]
        self._fed += len(piece)
        if self._fed >= len(self._data):
            self._data, self._fed = b"", 0
        frames = self.decoder.feed(piece)
        self._frames.extend(frames)
        self._after_feed(bool(frames))

    def _pause(self) -> float:
        """0, or :data:`NOISE_PAUSE` while the peer has sent more than a sixteenth of its garbage limit in noise."""
        limit = self.garbage_limit
        if limit is not None and self.decoder.stats.garbage_bytes - self._garbage_mark > limit // 16:
            return NOISE_PAUSE
        return 0.0

    async def _read(self) -> bytes | None:
        """The next bytes from the stream, or None when a partial frame was abandoned instead."""
        loop = asyncio.get_running_loop()
        in_frame = self.decoder.in_frame
        timeout = self.idle_timeout if in_frame else self.quiet_timeout
        if in_frame and self.frame_deadline is not None:
            left = max(0.0, self._frame_started + self.frame_deadline - loop.time())
            timeout = left if timeout is None else min(timeout, left)
        try:
            try:
                data = await self._read_within(timeout)
            except TimeoutError:
                # bytes may be queued behind the timer on a busy loop: one short look before giving up
                data = await self._read_within(_GRACE)
        except TimeoutError:
            if not in_frame:
                self.close_reason = "idle"
                raise LinkClosed(f"{self.name}: nothing received for {self.quiet_timeout} s") from None
            self._abandon(loop.time())
            return None
        except (ConnectionError, OSError) as exc:
            raise LinkClosed(f"{self.name}: read failed: {exc}") from exc
        if not data:
            raise LinkClosed(f"{self.name}: end of stream")
        return data

    async def _read_within(self, timeout: float | None) -> bytes:
        """The next bytes from the stream; :class:`TimeoutError` when none come within *timeout* seconds."""
        if timeout is None:
            return await self.reader.read(self.read_size)
        async with asyncio.timeout(timeout):  # no extra task per read, unlike wait_for
            return await self.reader.read(self.read_size)

    def _abandon(self, now: float) -> None:
        if self.frame_deadline is not None and now >= self._frame_started + self.frame_deadline:
            self._expired += 1
            log.log(self.log_level, "%s: a frame was still incomplete %.1f s after it started", self.name,
                    self.frame_deadline)
        frames = self.decoder.abandon()
        self._frames.extend(frames)
        self._after_feed(bool(frames))

    def _after_feed(self, got_frames: bool) -> None:
        """Deadline, garbage and budget bookkeeping after the decoder moved."""
        decoder = self.decoder
        if got_frames:
            self._garbage_mark = decoder.stats.garbage_bytes
        if decoder.in_frame and decoder.pending_serial != self._frame_serial:
            self._frame_serial = decoder.pending_serial
            self._frame_started = asyncio.get_running_loop().time()
        budget = self.budget
        if budget is not None:
            held = decoder.buffered
            grew = held > self._held
            budget.used += held - self._held
            self._held = held
            if grew and budget.used > budget.limit:
                budget.refused += 1
                self.close_reason = "budget"
                raise LinkClosed(
                    f"{self.name}: a partial frame of {held} bytes does not fit the receive budget"
                    f" ({budget.used} of {budget.limit} bytes in use)"
                )
        if self.garbage_limit is not None and decoder.stats.garbage_bytes - self._garbage_mark > self.garbage_limit:
            self.close_reason = "garbage"
            raise LinkClosed(f"{self.name}: more than {self.garbage_limit} bytes with no intact frame")
        if (
            decoder.in_frame
            and self.frame_deadline is not None
            and asyncio.get_running_loop().time() >= self._frame_started + self.frame_deadline
        ):
            self._abandon(asyncio.get_running_loop().time())

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
        self._release()
        self.writer.close()
        try:
            await asyncio.wait_for(self.writer.wait_closed(), 2)
        except (TimeoutError, ConnectionError, OSError):
            pass
        log.debug("%s closed: %s", self.name, self.stats)

    def _release(self) -> None:
        """Give this link's bytes back to the budget and drop what it held."""
        if self.budget is not None:
            self.budget.used -= self._held
        self._held = 0
        self._data, self._fed = b"", 0

    async def __aenter__(self) -> FrameLink:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()
