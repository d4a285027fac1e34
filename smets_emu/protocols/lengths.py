"""BER/A-XDR length prefixes used throughout the GBCS envelopes (GBCS 4.3.1, DLMS A-XDR).

``0x00``-``0x7F`` is the length itself; ``0x81 LL``, ``0x82 LLLL`` and ``0x83 LLLLLL`` carry
one to three length bytes. Only the shortest form is accepted, so every decoded
message rebuilds byte for byte.
"""

from __future__ import annotations

from typing import Any

from construct import Construct, SizeofError, StreamError, stream_read, stream_write
from construct.core import ConstructError

_MAX_LENGTH = 0xFFFFFF

MAX_LENGTH = _MAX_LENGTH
"""The largest value a GBCS length prefix carries: at most three length bytes (``0x83 LL LL LL``)."""

MAX_MESSAGE = MAX_LENGTH + 1 + 4096
"""The largest GBCS message (``2**24 + 4096`` bytes): what the WAN front and message files accept.

A GBCS message is one length-prefixed body (the MAC header's ciphered block, or the grouping
header's content) inside a short envelope, so no message exceeds ``2**24 - 1`` bytes plus its
envelope; 4 KiB more covers the envelope (headers, other information with a certificate, signature).
Real traffic is far below: the largest message of the DCC reference test data is 3,986 bytes
(CS02b replace the root certificate by recovery), and firmware images do not travel as one
message (SRV 11.1 hands them to the Communications Hub, which moves them over the HAN in blocks).
"""


class NonMinimalLengthError(ConstructError):
    """A length encoded in more bytes than needed."""


def encode_length(value: int) -> bytes:
    """Return the shortest BER encoding of *value* (0 .. 2**24-1)."""
    if value < 0 or value > _MAX_LENGTH:
        raise ValueError(f"length {value} out of range")
    if value < 0x80:
        return bytes([value])
    size = (value.bit_length() + 7) // 8
    return bytes([0x80 | size]) + value.to_bytes(size, "big")


def read_length(data: bytes, pos: int) -> tuple[int, int]:
    """Read a length prefix at ``data[pos]``: (value, position after it).

    The byte-string counterpart of :data:`ber_length` for direct readers; same forms, same
    rejection of non-minimal encodings, ConstructError subclasses on malformed input.
    """
    if pos >= len(data):
        raise StreamError("truncated length prefix")
    first = data[pos]
    if first < 0x80:
        return first, pos + 1
    size = first & 0x7F
    if size == 0 or size > 3:
        raise ConstructError(f"unsupported length form 0x{first:02X}")
    end = pos + 1 + size
    if end > len(data):
        raise StreamError("truncated length prefix")
    value = int.from_bytes(data[pos + 1 : end], "big")
    if value < 0x80 or (value.bit_length() + 7) // 8 != size:
        raise NonMinimalLengthError(f"non-minimal length encoding of {value}")
    return value, end


class BerLength(Construct):
    """A GBCS length prefix (shortest BER form, at most three length bytes)."""

    def _parse(self, stream: Any, context: Any, path: str) -> int:
        first = stream_read(stream, 1, path)[0]
        if first < 0x80:
            return first
        size = first & 0x7F
        if size == 0 or size > 3:
            raise ConstructError(f"unsupported length form 0x{first:02X}", path=path)
        value = int.from_bytes(stream_read(stream, size, path), "big")
        if encode_length(value)[0] != first:
            raise NonMinimalLengthError(f"non-minimal length encoding of {value}", path=path)
        return value

    def _build(self, obj: int, stream: Any, context: Any, path: str) -> int:
        try:
            data = encode_length(obj)
        except (ValueError, TypeError) as exc:
            raise ConstructError(str(exc), path=path) from exc
        stream_write(stream, data, len(data), path)
        return obj

    def _sizeof(self, context: Any, path: str) -> int:
        raise SizeofError("BerLength has a variable size", path=path)


ber_length = BerLength()
