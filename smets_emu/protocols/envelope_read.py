"""Direct reader of GBCS message envelopes (GBCS 7.2.8-7.2.10): MAC'd, signed-only and PRECOMMAND messages,
with the spans the MAC and the signature cover; held to the constructs of :mod:`.envelope_types` by the tests.
"""

from __future__ import annotations

from typing import Any

from construct import (
    ConstructError,
)

from smets_emu.errors import FrameError
from smets_emu.protocols.envelope_types import (
    MAC_HEADER_PREFIX,
    MAC_LENGTH,
    SECURITY_HEADER,
    SIGNATURE_LENGTH,
    CraFlag,
    Envelope,
    GroupingHeader,
    OtherInfo,
    WireSpans,
)
from smets_emu.protocols.lengths import read_length
from smets_emu.protocols.timestamps import DATE_TIME_LAYOUT, DlmsDateTime


def _read_ber_length(data: bytes, pos: int) -> tuple[int, int]:
    """:data:`ber_length` over a byte string: (value, position after it); shortest form only."""
    try:
        return read_length(data, pos)
    except ConstructError as exc:
        raise FrameError(f"malformed GBCS envelope: {exc}") from exc


def _read_signing_apdu(data: bytes, pos: int, end: int, *, optional_signature: bool) -> tuple[Any, ...]:
    """Read ``DF`` grouping header, content and signature field from ``data[pos:end]``.

    Direct reader of :data:`GroupingHeaderAndContent` followed by the signature field (same
    grammar, same checks); the constructs stay the definition and build the bytes. Returns
    (header, content, signature, signature_field_present, end of content, end of APDU).
    """
    if end - pos < 22 or data[pos] != 0xDF or data[pos + 1] != 0x09 or data[pos + 11] != 8 or data[pos + 20] != 8:
        raise FrameError("malformed GBCS envelope: bad grouping header")
    cra = data[pos + 2]
    if not 1 <= cra <= 3:
        raise FrameError(f"malformed GBCS envelope: bad CRA flag {cra}")
    counter = int.from_bytes(data[pos + 3 : pos + 11], "big")
    originator = data[pos + 12 : pos + 20]
    recipient = data[pos + 21 : pos + 29]
    p = pos + 29
    if p >= end:
        raise FrameError("malformed GBCS envelope: truncated grouping header")
    marker = data[p]
    if marker == 0:
        date_time = None
        p += 1
    elif marker == 12:
        if p + 13 > end:
            raise FrameError("malformed GBCS envelope: truncated date-time")
        year, month, day, dow, hour, minute, second, hundredths, deviation, status = DATE_TIME_LAYOUT.unpack_from(
            data, p + 1
        )
        date_time = DlmsDateTime(year, month, day, dow, hour, minute, second, hundredths, deviation, status)
        p += 13
    else:
        raise FrameError(f"malformed GBCS envelope: bad date-time length {marker}")
    if p >= end:
        raise FrameError("malformed GBCS envelope: truncated other-information")
    n, p = _read_ber_length(data, p)
    if p + n > end:
        raise FrameError("malformed GBCS envelope: truncated other-information")
    if n < 2 or (2 < n < 10) or (10 < n < 18) or (18 < n < 26):
        raise FrameError(f"malformed GBCS envelope: bad other-information length {n}")
    oi = OtherInfo(
        message_code=(data[p] << 8) | data[p + 1],
        supplementary_remote_party_id=data[p + 2 : p + 10] if n >= 10 else None,
        supplementary_remote_party_counter=int.from_bytes(data[p + 10 : p + 18], "big") if n >= 18 else None,
        supplementary_originator_counter=int.from_bytes(data[p + 18 : p + 26], "big") if n == 26 else None,
        certificate=data[p + 18 : p + n] if n > 26 else None,
    )
    p += n
    if p >= end:
        raise FrameError("malformed GBCS envelope: truncated content length")
    n, p = _read_ber_length(data, p)
    if p + n > end:
        raise FrameError("malformed GBCS envelope: truncated content")
    content = data[p : p + n]
    content_end = p + n
    header = GroupingHeader(
        cra_flag=_CRA_FLAGS[cra],
        originator_counter=counter,
        originator=originator,
        recipient=recipient,
        other_information=oi,
        date_time=date_time,
    )
    if content_end == end and optional_signature:
        return header, content, None, False, content_end, content_end
    if content_end >= end:
        raise FrameError("malformed GBCS envelope: missing signature field")
    marker = data[content_end]
    if marker == 0:
        return header, content, None, True, content_end, content_end + 1
    if marker != SIGNATURE_LENGTH:
        raise FrameError(f"malformed GBCS envelope: bad signature field 0x{marker:02X}")
    apdu_end = content_end + 1 + SIGNATURE_LENGTH
    if apdu_end > end:
        raise FrameError("malformed GBCS envelope: truncated signature")
    return header, content, data[content_end + 1 : apdu_end], True, content_end, apdu_end




_CRA_FLAGS = {int(flag): flag for flag in CraFlag}


def _parse(data: bytes) -> tuple[Envelope, WireSpans]:
    """Decode wire bytes with a direct reader of the envelope grammar.

    The spans in :class:`WireSpans` are slices of the received bytes at the offsets where the
    grouping header, content and signature field were read, so they are exactly what the
    sender MACed and signed (not a re-encoding).
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise FrameError("message must be bytes")
    data = bytes(data)
    if not data:
        raise FrameError("empty message")
    tag = data[0]
    if tag == 0xDD:
        if data[:2] == b"\xdd\x09":
            raise FrameError("GBT block: reassemble it first (smets_emu.protocols.gbt)")
        if not data.startswith(MAC_HEADER_PREFIX) or len(data) < 8:
            raise FrameError("malformed GBCS envelope: bad MAC header")
        length, start = _read_ber_length(data, 7)
        end = start + length
        if end != len(data):
            raise FrameError("malformed GBCS envelope: ciphered length does not match the message")
        if data[start : start + 5] != SECURITY_HEADER:
            raise FrameError("malformed GBCS envelope: bad security header")
        apdu_start = start + 5
        header, content, signature, _, content_end, apdu_end = _read_signing_apdu(
            data, apdu_start, end - MAC_LENGTH, optional_signature=False
        )
        if apdu_end + MAC_LENGTH != end:
            raise FrameError("malformed GBCS envelope: trailing bytes before the MAC")
        mac = data[apdu_end:end]
        env = Envelope(header=header, content=content, signature=signature, mac=mac, signature_field=True)
        return env, WireSpans(
            signed=data[apdu_start + 1 : content_end], signing_apdu=data[apdu_start:apdu_end], mac=mac
        )
    if tag == 0xDF:
        header, content, signature, present, content_end, apdu_end = _read_signing_apdu(
            data, 0, len(data), optional_signature=True
        )
        if apdu_end != len(data):
            raise FrameError("malformed GBCS envelope: trailing bytes after the signature field")
        env = Envelope(header=header, content=content, signature=signature, mac=None, signature_field=present)
        return env, WireSpans(signed=data[1:content_end], signing_apdu=data[:apdu_end])
    raise FrameError(f"unknown GBCS message tag 0x{tag:02X}")






def decode_envelope(data: bytes) -> Envelope:
    """Decode a GBCS message (MACed, signed-only or PRECOMMAND) without touching its content."""
    return _parse(data)[0]


def decode_envelope_with_spans(data: bytes) -> tuple[Envelope, WireSpans]:
    """Decode and also return the exact spans the MAC and signature cover."""
    return _parse(data)
