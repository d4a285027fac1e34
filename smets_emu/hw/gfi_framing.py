"""GFI text framing ``GBCS:DATA#<n>:<len>:<HEX>\\r\\n``, the line format of GB device test rigs.

Field rules are in :mod:`smets_emu.hw.framing`; the line has no check field, so integrity rests
on the GBCS MAC.
"""

from __future__ import annotations

import binascii
import re

from smets_emu.errors import EncodeError
from smets_emu.hw.frame_decoder import (
    DEFAULT_MAX_LENGTH,
    INCOMPLETE,
    MAX_SEQ,
    Frame,
    Framing,
    ParseResult,
    ParseStatus,
    check_seq,
)

_DIGITS = frozenset(b"0123456789")
_NON_HEX = re.compile(rb"[^0-9A-Fa-f]")
_GFI_MARKER = b"GBCS:DATA#"
_SEQ_DIGITS = 10
_LEN_DIGITS = 7
_FIELDS = re.compile(rb"([0-9]{1,%d}):([0-9]{1,%d}):" % (_SEQ_DIGITS, _LEN_DIGITS))
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
        check_seq(seq)
        if len(payload) > self.max_length:
            raise EncodeError(f"payload of {len(payload)} bytes exceeds the GFI maximum {self.max_length}")
        return b"GBCS:DATA#%d:%d:%s\r\n" % (seq, len(payload), binascii.hexlify(payload).upper())

    def overhead(self, payload_length: int) -> int:
        return len(_GFI_MARKER) + len(b"0::\r\n") + len(str(payload_length)) + payload_length

    def max_frame_size(self) -> int:
        return len(_GFI_MARKER) + _SEQ_DIGITS + len(str(self.max_length)) + len(b"::\r\n") + 2 * self.max_length

    def parse(self, buf: bytes | bytearray, start: int, resume: int = 0) -> ParseResult:
        pos = start + len(_GFI_MARKER)
        fields = _FIELDS.match(buf, pos)
        if fields is not None:  # both numbers complete and well formed: one match
            seq, length, pos = int(fields[1]), int(fields[2]), fields.end()
        else:  # incomplete or malformed: field by field, for the reason
            seq, pos, bad = _decimal(buf, pos, _SEQ_DIGITS, "sequence number")
            if bad or seq is None:
                return bad or INCOMPLETE
            length, pos, bad = _decimal(buf, pos, _LEN_DIGITS, "length")
            if bad or length is None:
                return bad or INCOMPLETE
        if seq > MAX_SEQ:
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


