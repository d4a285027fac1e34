"""Framings the WAN front speaks: the GFI text framing and a length-prefixed binary framing.

Both are stream decoders that tell "incomplete, wait" from "invalid, drop to the next frame
start", so one corrupted or truncated frame never costs the frames after it.

- GFI text: ``GBCS:DATA#<n>:<len>:<HEX>\\r\\n`` with ``<n>`` a decimal frame number, ``<len>``
  the decimal number of message bytes and ``<HEX>`` the GBCS message in hex. It carries no
  checksum: a corrupted hex digit is caught by the GBCS MAC at the device.
- Binary: ``A5 5A | n (4, BE) | len (4, BE) | message | CRC-32 (4, BE)`` with the CRC over
  ``n``, ``len`` and the message; a frame whose CRC fails never leaves the decoder.

The front uses this adapter interface (:class:`Framing`); a framing from ``smets_emu.hw`` with
the same shape can stand in for it.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass
from typing import Protocol

MAX_MESSAGE = 4 * 1024 * 1024
"""The largest GBCS message a frame may carry (bytes)."""


@dataclass(frozen=True)
class Frame:
    """One decoded frame: its number and the GBCS message it carries (empty = end of exchange)."""

    number: int
    message: bytes


class FrameDecoder(Protocol):
    """A stream decoder: feed bytes, get whole frames."""

    def feed(self, data: bytes) -> list[Frame]: ...

    @property
    def dropped(self) -> int: ...


class Framing(Protocol):
    """A framing: a name, a decoder factory and an encoder."""

    name: str

    def decoder(self) -> FrameDecoder: ...

    def encode(self, message: bytes, number: int) -> bytes: ...


# ---------------------------------------------------------------------------------------------- GFI text

_GFI_START = b"GBCS:DATA#"
_GFI_HEADER = re.compile(rb"GBCS:DATA#(\d{1,10}):(\d{1,7}):")
_GFI_HEADER_PREFIX = re.compile(rb"GBCS:DATA#\d{0,10}(?::\d{0,7})?\Z")
_HEX = re.compile(rb"[0-9A-Fa-f]*\Z")


class GfiDecoder:
    """Stream decoder for ``GBCS:DATA#<n>:<len>:<HEX>\\r\\n`` frames."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self.dropped = 0  # invalid frames skipped

    def _skip(self) -> None:
        """Drop the frame start at the head of the buffer and resynchronise on the next one."""
        self.dropped += 1
        del self._buf[:1]

    def feed(self, data: bytes) -> list[Frame]:
        """Add bytes; return every frame now complete."""
        self._buf += data
        out: list[Frame] = []
        while True:
            start = self._buf.find(_GFI_START)
            if start < 0:
                keep = len(_GFI_START) - 1  # a frame start may be split across reads
                if len(self._buf) > keep:
                    del self._buf[: len(self._buf) - keep]
                return out
            if start:
                del self._buf[:start]
            match = _GFI_HEADER.match(self._buf)
            if match is None:
                if _GFI_HEADER_PREFIX.match(self._buf):
                    return out  # header still arriving
                self._skip()
                continue
            number, length = int(match[1]), int(match[2])
            if length > MAX_MESSAGE:
                self._skip()
                continue
            body_start = match.end()
            end = body_start + 2 * length
            available = bytes(self._buf[body_start : min(end, len(self._buf))])
            if not _HEX.match(available):
                self._skip()  # a frame cut short by a lost byte: the next frame start is inside
                continue
            if len(self._buf) < end + 2:
                if len(self._buf) > end and self._buf[end : end + 1] != b"\r":
                    self._skip()
                    continue
                return out
            if self._buf[end : end + 2] != b"\r\n":
                self._skip()
                continue
            out.append(Frame(number, bytes.fromhex(self._buf[body_start:end].decode("ascii"))))
            del self._buf[: end + 2]


class GfiFraming:
    """The GFI text framing."""

    name = "gfi"

    def decoder(self) -> GfiDecoder:
        return GfiDecoder()

    def encode(self, message: bytes, number: int) -> bytes:
        return b"GBCS:DATA#%d:%d:%s\r\n" % (number, len(message), message.hex().upper().encode("ascii"))


# ---------------------------------------------------------------------------------------------- binary

_SYNC = b"\xa5\x5a"
_BIN_HEADER = struct.Struct(">2sII")
_CRC = struct.Struct(">I")


class BinaryDecoder:
    """Stream decoder for ``A5 5A | n | len | message | CRC-32`` frames."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self.dropped = 0

    def feed(self, data: bytes) -> list[Frame]:
        """Add bytes; return every frame now complete."""
        self._buf += data
        out: list[Frame] = []
        while True:
            start = self._buf.find(_SYNC)
            if start < 0:
                del self._buf[: max(0, len(self._buf) - 1)]
                return out
            if start:
                del self._buf[:start]
            if len(self._buf) < _BIN_HEADER.size:
                return out
            _, number, length = _BIN_HEADER.unpack_from(self._buf)
            if length > MAX_MESSAGE:
                self.dropped += 1
                del self._buf[:1]
                continue
            end = _BIN_HEADER.size + length
            if len(self._buf) < end + _CRC.size:
                later = self._later_frame()
                if later is None:
                    return out
                self.dropped += 1  # a corrupted length must not hold back the intact frames behind it
                del self._buf[:later]
                continue
            (crc,) = _CRC.unpack_from(self._buf, end)
            if zlib.crc32(self._buf[2:end]) != crc:
                self.dropped += 1
                del self._buf[:1]
                continue
            out.append(Frame(number, bytes(self._buf[_BIN_HEADER.size : end])))
            del self._buf[: end + _CRC.size]


    def _valid_at(self, pos: int) -> bool:
        if len(self._buf) < pos + _BIN_HEADER.size:
            return False
        _, _, length = _BIN_HEADER.unpack_from(self._buf, pos)
        end = pos + _BIN_HEADER.size + length
        if length > MAX_MESSAGE or len(self._buf) < end + _CRC.size:
            return False
        return zlib.crc32(self._buf[pos + 2 : end]) == _CRC.unpack_from(self._buf, end)[0]

    def _later_frame(self) -> int | None:
        """The offset of a complete, valid frame after the head of the buffer, if any."""
        pos = self._buf.find(_SYNC, 1)
        while pos >= 0:
            if self._valid_at(pos):
                return pos
            pos = self._buf.find(_SYNC, pos + 1)
        return None


class BinaryFraming:
    """The length-prefixed binary framing with CRC-32."""

    name = "binary"

    def decoder(self) -> BinaryDecoder:
        return BinaryDecoder()

    def encode(self, message: bytes, number: int) -> bytes:
        head = struct.pack(">II", number & 0xFFFFFFFF, len(message))
        return _SYNC + head + message + _CRC.pack(zlib.crc32(head + message))


FRAMINGS: dict[str, Framing] = {"gfi": GfiFraming(), "binary": BinaryFraming()}
