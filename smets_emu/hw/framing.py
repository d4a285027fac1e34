"""Sans-IO stream framings that carry GBCS messages over byte streams (serial lines, TCP).

Two framings, one decoder contract:

GFI text framing (:class:`GfiFraming`), the line format of GB device test rigs::

    GBCS:DATA#<n>:<len>:<HEX>\\r\\n

- ``n``: decimal sequence/channel number, 1-10 digits, ``0..2**32-1``; the encoder writes
  ``0`` unless told otherwise and the decoder reports it as :attr:`Frame.seq`.
- ``len``: decimal byte length of the GBCS message, 1-7 digits, no sign, ``<= max_length``.
- ``HEX``: exactly ``2 * len`` hex digits (either case on input, upper case on output).
- the line ends with CR LF; anything else where CR LF belongs makes the frame invalid.

The text framing has no check field: a substituted hex digit is a well-formed frame, so
integrity rests on the GBCS MAC (``integrity_check`` is ``False``).

Binary framing (:class:`BinaryFraming`), length-delimited with two CRCs (big-endian)::

    A5 5A | SEQ u32 | LEN u32 | HCRC u16 | payload (LEN bytes) | CRC u32

- ``SEQ``: sequence number ``0..2**32-1``, reported as :attr:`Frame.seq` (the WAN front
  answers a command in frame ``n`` with frames numbered ``n``; 0 is "unsolicited");
- ``LEN``: payload length in bytes, ``<= max_length``;
- ``HCRC``: CRC-16/CCITT-FALSE (``binascii.crc_hqx``, init 0xFFFF) over SOF, SEQ and LEN, so a
  damaged length (or sequence number) is caught before the decoder waits for the payload;
- ``CRC``: CRC-32/ISO-HDLC (``zlib.crc32``) over everything before it.

Both framings carry the sequence number ``n``; the same bytes go over TCP (``smets-emu run``)
and serial lines (``--serial``, ``smets-emu hw``).

Resync is length-based (no byte stuffing): a frame that fails any check is dropped and the
search for the next start marker resumes one byte after the failed start, so a good frame
that began inside a damaged one is still found.

Work is linear in the bytes received, whatever they are:

- a pending frame is validated once: :meth:`Framing.parse` takes the offset up to which it was
  already checked (``resume``) and reports how far it got (:attr:`ParseResult.checked`), so a
  frame arriving in many pieces is not re-read from its start on every piece (GFI hex digits);
- a binary header is checked with :mod:`struct` and :func:`binascii.crc_hqx` (about a
  microsecond per false start, e.g. a stream of ``A5 5A``); the ``construct`` definitions
  :data:`BinaryHeader` and :data:`BinaryFrame` stay the reference the encoder builds with;
- a rescan inside a frame that failed its CRC-32 may find further well-formed headers whose
  frames fail in turn; the CRC work those re-checks cost is paid from a credit earned by the
  bytes received (:attr:`StreamDecoder.recheck_credit`), and when it runs out the failed frame is
  skipped whole, so crafted nested headers cannot make the decoder quadratic.

A decoder holds at most one frame's wire bytes (:meth:`Framing.max_frame_size`) plus the
piece being fed: everything before a frame start is discarded at once.

Decoders never raise on input: :meth:`StreamDecoder.feed` returns whole frames and counts
what it drops; each framing's :meth:`Framing.parse` tells :attr:`ParseStatus.INCOMPLETE`
("wait for more bytes") from :attr:`ParseStatus.INVALID` ("drop to the next frame start").
"""

from __future__ import annotations

import abc
import binascii
import enum
import logging
import re
import struct
import zlib
from dataclasses import dataclass

from construct import Bytes, Checksum, Const, ConstructError, Int16ub, Int32ub, RawCopy, Rebuild, Struct, len_, this

from smets_emu.errors import EncodeError

log = logging.getLogger(__name__)

DEFAULT_MAX_LENGTH = 1 << 20
"""Largest payload a decoder accepts by default (1 MiB)."""


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


_INCOMPLETE = ParseResult(ParseStatus.INCOMPLETE)


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


# --------------------------------------------------------------------------- GFI text


_DIGITS = frozenset(b"0123456789")
_NON_HEX = re.compile(rb"[^0-9A-Fa-f]")
_GFI_MARKER = b"GBCS:DATA#"
_SEQ_DIGITS = 10
_LEN_DIGITS = 7
_MAX_SEQ = 0xFFFFFFFF
GFI_MAX_LENGTH = 10**_LEN_DIGITS - 1
"""The longest message the GFI line can describe: its length field has at most seven digits."""


class GfiFraming(Framing):
    """GFI text framing ``GBCS:DATA#<n>:<len>:<HEX>\\r\\n`` (DCC GFI test-tool line format)."""

    name = "gfi"
    marker = _GFI_MARKER
    integrity_check = False

    def __init__(self, *, max_length: int = DEFAULT_MAX_LENGTH) -> None:
        super().__init__(max_length=min(max_length, GFI_MAX_LENGTH))

    def encode(self, payload: bytes, *, seq: int = 0) -> bytes:
        """One GFI line for *payload* with sequence number *seq*."""
        _check_seq(seq)
        if len(payload) > self.max_length:
            raise EncodeError(f"payload of {len(payload)} bytes exceeds the GFI maximum {self.max_length}")
        return b"GBCS:DATA#%d:%d:%s\r\n" % (seq, len(payload), binascii.hexlify(payload).upper())

    def overhead(self, payload_length: int) -> int:
        return len(_GFI_MARKER) + len(b"0::\r\n") + len(str(payload_length)) + payload_length

    def max_frame_size(self) -> int:
        return len(_GFI_MARKER) + _SEQ_DIGITS + len(str(self.max_length)) + len(b"::\r\n") + 2 * self.max_length

    def parse(self, buf: bytes | bytearray, start: int, resume: int = 0) -> ParseResult:
        pos = start + len(_GFI_MARKER)
        seq, pos, bad = _decimal(buf, pos, _SEQ_DIGITS, "sequence number")
        if bad or seq is None:
            return bad or _INCOMPLETE
        length, pos, bad = _decimal(buf, pos, _LEN_DIGITS, "length")
        if bad or length is None:
            return bad or _INCOMPLETE
        if seq > _MAX_SEQ:
            return ParseResult(ParseStatus.INVALID, reason=f"sequence number {seq} out of range")
        if length > self.max_length:
            return ParseResult(ParseStatus.INVALID, reason=f"length {length} exceeds {self.max_length}", oversize=True)
        hex_end = pos + 2 * length
        # check whatever hex has arrived (and not been checked before), so a damaged length fails
        # as soon as CR LF shows up
        check_to = min(hex_end, len(buf))
        bad_char = _NON_HEX.search(buf, max(pos, resume), check_to)
        if bad_char is not None:
            return ParseResult(
                ParseStatus.INVALID, reason=f"non-hex byte {bad_char.group()!r} at hex digit {bad_char.start() - pos}"
            )
        if len(buf) < hex_end + 2:
            if len(buf) > hex_end and buf[hex_end] != 0x0D:
                return ParseResult(ParseStatus.INVALID, reason="no CR LF after the declared length")
            return ParseResult(ParseStatus.INCOMPLETE, checked=check_to)
        if buf[hex_end : hex_end + 2] != b"\r\n":
            return ParseResult(ParseStatus.INVALID, reason="no CR LF after the declared length")
        try:
            with memoryview(buf) as view, view[pos:hex_end] as digits:
                payload = binascii.unhexlify(digits)
        except binascii.Error:  # only if *resume* vouched for bytes it had not checked
            return ParseResult(ParseStatus.INVALID, reason="non-hex byte in the hex digits")
        return ParseResult(ParseStatus.FRAME, Frame(payload, seq), hex_end + 2)


def _check_seq(seq: int) -> None:
    if not 0 <= seq <= _MAX_SEQ:
        raise EncodeError(f"sequence number {seq} outside 0..{_MAX_SEQ}")


def _decimal(
    buf: bytes | bytearray, pos: int, max_digits: int, what: str
) -> tuple[int | None, int, ParseResult | None]:
    """A decimal field ended by ``:``: (value or None if incomplete, offset after ``:``, INVALID result)."""
    end = pos
    limit = min(len(buf), pos + max_digits + 1)
    while end < limit and buf[end] in _DIGITS:
        end += 1
    if end == len(buf):
        return None, pos, None
    if buf[end] != 0x3A:  # ':'
        reason = f"{what} too long" if end - pos > max_digits else f"bad byte {bytes(buf[end : end + 1])!r} in {what}"
        return None, pos, ParseResult(ParseStatus.INVALID, reason=reason)
    if end == pos:
        return None, pos, ParseResult(ParseStatus.INVALID, reason=f"empty {what}")
    return int(buf[pos:end]), end + 1, None


# --------------------------------------------------------------------------- binary

_SOF = b"\xa5\x5a"


def _crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF)."""
    return binascii.crc_hqx(data, 0xFFFF)


BinaryHeader = Struct(
    "head"
    / RawCopy(
        Struct(
            "sof" / Const(_SOF),
            "seq" / Int32ub,
            # built from the payload beside the header (BinaryFrame.body); parsed as is
            "length" / Rebuild(Int32ub, len_(this._._.payload)),
        )
    ),
    "hcrc" / Checksum(Int16ub, _crc16, this.head.data),
)
"""Binary frame header: SOF ``A5 5A``, sequence number, payload length, CRC-16 over all three."""

BinaryFrame = Struct(
    "body" / RawCopy(Struct("header" / BinaryHeader, "payload" / Bytes(this.header.head.value.length))),
    "crc" / Checksum(Int32ub, zlib.crc32, this.body.data),
)
"""Binary frame: header, payload, CRC-32 over header and payload (the reference for building)."""

_HEADER_SIZE = BinaryHeader.sizeof()
_TRAILER_SIZE = 4
_HEAD = struct.Struct(">2sIIH")  # the decoder's hot path reads the header with struct (same layout)
_CRC32 = struct.Struct(">I")
_HCRC_COVERED = _HEAD.size - 2
_BAD_HCRC = ParseResult(ParseStatus.INVALID, reason="header CRC mismatch", crc_error=True)
_NOT_SOF = ParseResult(ParseStatus.INVALID, reason="no start of frame")


class BinaryFraming(Framing):
    """Length-delimited binary framing with a header CRC-16 and a frame CRC-32 (see module docstring)."""

    name = "binary"
    marker = _SOF
    integrity_check = True

    def encode(self, payload: bytes, *, seq: int = 0) -> bytes:
        """One binary frame for *payload* with sequence number *seq*."""
        _check_seq(seq)
        if len(payload) > self.max_length:
            raise EncodeError(f"payload of {len(payload)} bytes exceeds the maximum {self.max_length}")
        try:
            return BinaryFrame.build(
                {"body": {"value": {"header": {"head": {"value": {"seq": seq}}}, "payload": payload}}}
            )
        except ConstructError as exc:  # pragma: no cover - fields are computed above
            raise EncodeError(str(exc)) from exc

    def overhead(self, payload_length: int) -> int:
        return _HEADER_SIZE + _TRAILER_SIZE

    def max_frame_size(self) -> int:
        return _HEADER_SIZE + self.max_length + _TRAILER_SIZE

    def parse(self, buf: bytes | bytearray, start: int, resume: int = 0) -> ParseResult:
        if len(buf) - start < _HEADER_SIZE:
            return _INCOMPLETE
        sof, seq, length, hcrc = _HEAD.unpack_from(buf, start)
        if sof != _SOF:
            return _NOT_SOF
        if binascii.crc_hqx(buf[start : start + _HCRC_COVERED], 0xFFFF) != hcrc:
            return _BAD_HCRC  # SEQ and LEN are intact past this point
        if length > self.max_length:
            return ParseResult(ParseStatus.INVALID, reason=f"length {length} exceeds {self.max_length}", oversize=True)
        end = start + _HEADER_SIZE + length + _TRAILER_SIZE
        if len(buf) < end:
            return _INCOMPLETE
        (crc,) = _CRC32.unpack_from(buf, end - _TRAILER_SIZE)
        with memoryview(buf) as view:
            with view[start : end - _TRAILER_SIZE] as covered:
                if zlib.crc32(covered) != crc:
                    return ParseResult(ParseStatus.INVALID, end=end, reason="frame CRC mismatch", crc_error=True)
            payload = bytes(view[start + _HEADER_SIZE : end - _TRAILER_SIZE])
        return ParseResult(ParseStatus.FRAME, Frame(payload, seq), end)


FRAMINGS: dict[str, type[Framing]] = {"gfi": GfiFraming, "binary": BinaryFraming}
"""Framings by name (``--framing``)."""


def framing_for(name: str, *, max_length: int = DEFAULT_MAX_LENGTH) -> Framing:
    """The framing called *name* (``gfi`` or ``binary``)."""
    try:
        return FRAMINGS[name](max_length=max_length)
    except KeyError:
        raise ValueError(f"unknown framing {name!r} (choose from {', '.join(FRAMINGS)})") from None
