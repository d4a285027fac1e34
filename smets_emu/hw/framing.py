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

from smets_emu.hw.binary_framing import BinaryFrame, BinaryFraming, BinaryHeader
from smets_emu.hw.frame_decoder import (
    DEFAULT_MAX_LENGTH,
    DecoderStats,
    Frame,
    Framing,
    ParseResult,
    ParseStatus,
    StreamDecoder,
)
from smets_emu.hw.gfi_framing import GFI_MAX_LENGTH, GfiFraming

__all__ = [
    "DEFAULT_MAX_LENGTH", "FRAMINGS", "GFI_MAX_LENGTH", "BinaryFrame", "BinaryFraming", "BinaryHeader",
    "DecoderStats", "Frame", "Framing", "GfiFraming", "ParseResult", "ParseStatus", "StreamDecoder", "framing_for",
]

FRAMINGS: dict[str, type[Framing]] = {"gfi": GfiFraming, "binary": BinaryFraming}
"""Framings by name (``--framing``)."""


def framing_for(name: str, *, max_length: int = DEFAULT_MAX_LENGTH) -> Framing:
    """The framing called *name* (``gfi`` or ``binary``)."""
    try:
        return FRAMINGS[name](max_length=max_length)
    except KeyError:
        raise ValueError(f"unknown framing {name!r} (choose from {', '.join(FRAMINGS)})") from None
