"""Binary framing ``A5 5A | SEQ u32 | LEN u32 | HCRC u16 | payload | CRC u32`` (see :mod:`smets_emu.hw.framing`).

The constructs :data:`BinaryHeader` and :data:`BinaryFrame` define the layout and build frames;
the decoder's hot path reads the same layout with :mod:`struct`.
"""

from __future__ import annotations

import binascii
import struct
import zlib

from construct import Bytes, Checksum, Const, ConstructError, Int16ub, Int32ub, RawCopy, Rebuild, Struct, len_, this

from smets_emu.errors import EncodeError
from smets_emu.hw.frame_decoder import INCOMPLETE, Frame, Framing, ParseResult, ParseStatus, check_seq

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
        check_seq(seq)
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
            return INCOMPLETE
        sof, seq, length, hcrc = _HEAD.unpack_from(buf, start)
        if sof != _SOF:
            return _NOT_SOF
        if binascii.crc_hqx(buf[start : start + _HCRC_COVERED], 0xFFFF) != hcrc:
            return _BAD_HCRC  # SEQ and LEN are intact past this point
        if length > self.max_length:
            return ParseResult(ParseStatus.INVALID, reason=f"length {length} exceeds {self.max_length}", oversize=True)
        end = start + _HEADER_SIZE + length + _TRAILER_SIZE
        if len(buf) < end:
            return INCOMPLETE
        (crc,) = _CRC32.unpack_from(buf, end - _TRAILER_SIZE)
        with memoryview(buf) as view:
            with view[start : end - _TRAILER_SIZE] as covered:
                if zlib.crc32(covered) != crc:
                    return ParseResult(ParseStatus.INVALID, end=end, reason="frame CRC mismatch", crc_error=True)
            payload = bytes(view[start + _HEADER_SIZE : end - _TRAILER_SIZE])
        return ParseResult(ParseStatus.FRAME, Frame(payload, seq), end)


