"""The framing contract and the stream decoder shared by the GFI text and binary framings.

A :class:`Framing` encodes one message and parses one frame at a start offset; the
:class:`StreamDecoder` finds frame starts in a byte stream, hands whole frames on and resyncs
past garbage and bad frames in time linear in the bytes fed (see :mod:`smets_emu.hw.framing`).
"""

from __future__ import annotations

import abc
import enum
import logging
from dataclasses import dataclass

from smets_emu.errors import EncodeError

log = logging.getLogger(__name__)

DEFAULT_MAX_LENGTH = 1 << 20
"""Largest payload a decoder accepts by default (1 MiB)."""
MAX_SEQ = 0xFFFFFFFF
"""The largest frame sequence number (an unsigned 32-bit value in both framings)."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded frame: the GBCS message and the framing's sequence number (0 if none)."""

    payload: bytes
    seq: int = 0


class ParseStatus(enum.Enum):
    """Outcome of parsing at a candidate frame start."""

    FRAME = "frame"  # a whole, valid frame
    INCOMPLETE = "incomplete"  # valid so far: wait for more bytes
    INVALID = "invalid"  # cannot be a frame: drop to the next frame start


@dataclass(frozen=True, slots=True)
class ParseResult:
    """What :meth:`Framing.parse` found at one start offset."""

    status: ParseStatus
    frame: Frame | None = None
    end: int = 0  # offset just past the frame (FRAME; INVALID after a CRC-32 check: the failed frame's end)
    reason: str = ""  # why a frame is INVALID
    crc_error: bool = False
    oversize: bool = False  # INVALID: the declared length is above the framing's maximum
    checked: int = 0  # INCOMPLETE: offset up to which the frame's bytes are already validated


INCOMPLETE = ParseResult(ParseStatus.INCOMPLETE)
"""The result of parsing a frame whose bytes have not all arrived."""


@dataclass(slots=True)
class DecoderStats:
    """Counters kept by a :class:`StreamDecoder`."""

    frames: int = 0
    bytes_in: int = 0
    dropped: int = 0  # candidate frames rejected (bad header, length, syntax or CRC)
    crc_errors: int = 0  # of ``dropped``: a checksum mismatch
    resyncs: int = 0  # runs of skipped bytes (each ends at the next accepted frame)
    garbage_bytes: int = 0  # bytes skipped outside any accepted frame
    abandoned: int = 0  # partial frames given up on after an idle timeout
    oversize: int = 0  # of ``dropped``: a declared length above the framing's maximum
    skipped_frames: int = 0  # failed frames skipped whole when the recheck credit ran out


class Framing(abc.ABC):
    """A stream framing: encode one message, parse one frame at a start offset."""

    name: str = ""
    marker: bytes = b""
    integrity_check: bool = True

    def __init__(self, *, max_length: int = DEFAULT_MAX_LENGTH) -> None:
        self.max_length = max_length

    @abc.abstractmethod
    def encode(self, payload: bytes, *, seq: int = 0) -> bytes:
        """The wire bytes of one frame carrying *payload*."""

    @abc.abstractmethod
    def parse(self, buf: bytes | bytearray, start: int, resume: int = 0) -> ParseResult:
        """Parse the frame that starts with :attr:`marker` at ``buf[start]``.

        *resume* is an offset up to which this same frame was validated by an earlier call (the
        ``checked`` of its INCOMPLETE result); those bytes are not checked again.
        """

    @abc.abstractmethod
    def overhead(self, payload_length: int) -> int:
        """Framing bytes around a payload of *payload_length* bytes (GFI: at ``seq`` 0, its shortest)."""

    @abc.abstractmethod
    def max_frame_size(self) -> int:
        """Wire bytes of the largest frame a decoder accepts (its largest sequence number included)."""

    def efficiency(self, payload_length: int) -> float:
        """Payload bytes / wire bytes for frames of *payload_length* bytes."""
        return payload_length / (payload_length + self.overhead(payload_length))

    def decoder(self) -> StreamDecoder:
        """A fresh stream decoder for this framing."""
        return StreamDecoder(self)


class StreamDecoder:
    """Incremental decoder: feed bytes, get whole frames; resyncs after garbage and bad frames.

    Linear in the bytes fed (see the module docstring); holds at most one frame's wire bytes
    beyond the piece being fed.
    """

    def __init__(self, framing: Framing, *, name: str = "", log_level: int = logging.INFO) -> None:
        self.framing = framing
        self.name = name or framing.name
        self.log_level = log_level
        """Level of the one line logged per resync run and per abandoned frame (the rest is debug)."""
        self.stats = DecoderStats()
        self._buf = bytearray()
        self._pending = False  # the buffer starts with an incomplete frame
        self._checked = 0  # how far the pending frame at offset 0 is validated
        self._skipping = False  # inside a run of skipped bytes (one resync)
        self._logged_run = False  # the current resync run was logged
        self.pending_serial = 0  # changes whenever a new partial frame starts waiting
        self._credit_cap = 2 * framing.max_frame_size()
        self.recheck_credit = 0
        """Bytes of failed frames that may still be re-scanned for frame starts (earned per byte fed)."""

    @property
    def buffered(self) -> int:
        """Bytes held back (a partial frame or a possible marker prefix)."""
        return len(self._buf)

    @property
    def in_frame(self) -> bool:
        """True while a started frame is waiting for more bytes."""
        return self._pending

    def feed(self, data: bytes | bytearray | memoryview) -> list[Frame]:
        """Add received bytes; return the frames they completed (never raises on content)."""
        self.stats.bytes_in += len(data)
        self.recheck_credit = min(self._credit_cap, self.recheck_credit + len(data))
        self._buf += data
        return self._scan(0)

    def abandon(self) -> list[Frame]:
        """Give up on the partial frame at the front (idle timeout) and rescan past its start."""
        if not self._pending:
            return []
        self._pending = False
        self.stats.abandoned += 1
        self.stats.dropped += 1
        log.log(self.log_level, "%s: abandoned a partial frame (%d bytes buffered)", self.name, len(self._buf))
        return self._scan(1)

    def _scan(self, pos: int) -> list[Frame]:
        framing, buf, frames = self.framing, self._buf, []
        marker = framing.marker
        skipped = 0
        was_pending, resume = self._pending, self._checked if self._pending and pos == 0 else 0
        while True:
            start = buf.find(marker, pos)
            if start < 0:
                # keep a tail that may be the beginning of a marker
                keep = len(marker) - 1
                cut = max(pos, len(buf) - keep)
                while cut < len(buf) and not marker.startswith(bytes(buf[cut:])):
                    cut += 1
                skipped += cut - pos
                del buf[:cut]
                self._pending = False
                self._checked = 0
                break
            skipped += start - pos
            result = framing.parse(buf, start, resume if start == 0 else 0)
            resume = 0
            status = result.status
            if status is ParseStatus.INCOMPLETE:
                if start or not was_pending or frames or skipped:
                    self.pending_serial += 1
                del buf[:start]
                self._pending = True
                self._checked = max(0, result.checked - start)
                break
            if status is ParseStatus.INVALID:
                self._drop(start, result)
                skipped += 1
                pos = start + 1
                if result.end > start:  # a frame with a well-formed header failed its CRC-32
                    self.recheck_credit -= result.end - start
                    if self.recheck_credit < 0:  # rescanning it could be quadratic: skip it whole
                        self.recheck_credit = 0
                        self.stats.skipped_frames += 1
                        skipped += result.end - pos
                        pos = result.end
                continue
            if skipped:
                self._count_skip(skipped)
                skipped = 0
            assert result.frame is not None
            self._skipping = False
            self._logged_run = False
            frames.append(result.frame)
            self.stats.frames += 1
            pos = result.end
        if skipped:
            self._count_skip(skipped)
        return frames

    def _drop(self, start: int, result: ParseResult) -> None:
        stats = self.stats
        stats.dropped += 1
        stats.crc_errors += result.crc_error
        stats.oversize += result.oversize
        if not self._logged_run:  # one line per resync run, not one per false start
            self._logged_run = True
            log.log(self.log_level, "%s: dropped a frame at offset %d: %s (further drops until the next good frame:"
                    " debug)", self.name, start, result.reason)
        else:
            log.debug("%s: dropped a frame at offset %d: %s", self.name, start, result.reason)

    def _count_skip(self, n: int) -> None:
        self.stats.garbage_bytes += n
        if not self._skipping:
            self._skipping = True
            self.stats.resyncs += 1
        log.debug("%s: skipped %d bytes to the next frame start", self.name, n)


def check_seq(seq: int) -> None:
    """EncodeError unless *seq* is a frame sequence number (0 .. 2**32-1)."""
    if not 0 <= seq <= MAX_SEQ:
        raise EncodeError(f"sequence number {seq} outside 0..{MAX_SEQ}")
