"""GBCS envelopes: General-Ciphering MAC header and General-Signing grouping header.

Implements GBCS 7.2 (message structure), 7.2.7 (MAC header), 7.2.8 (grouping header and
other-information), 7.2.9 (signature field) and the PRECOMMAND form DUIS hands to users.

Wire shapes::

    MACed:       DD 00 00 00 00 00 00 <len> 11 00000000 <signing APDU> <MAC 12>
    signed-only: <signing APDU>
    signing APDU: DF 09 <CRA> <counter 8> 08 <orig 8> 08 <recip 8> <date-time>
                  <other-info> <content-len> <content> [<signature field>]

The signature field is ``00`` (none) or ``40`` + 64-byte r||s; a PRECOMMAND omits it.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass, field, replace
from typing import Any

from construct import (
    Adapter,
    Byte,
    Bytes,
    Const,
    Construct,
    ConstructError,
    Enum,
    GreedyBytes,
    Int64ub,
    Prefixed,
    RawCopy,
    Struct,
    Terminated,
    stream_read,
    stream_tell,
    stream_write,
)

from smets_emu.errors import EncodeError, FrameError
from smets_emu.protocols.lengths import MAX_LENGTH, ber_length, encode_length, read_length
from smets_emu.protocols.timestamps import DlmsDateTime, DlmsDateTimeStruct

MAC_LENGTH = 12
SIGNATURE_LENGTH = 64
EUI_LENGTH = 8
SECURITY_CONTROL = 0x11
MAC_HEADER_PREFIX = bytes([0xDD, 0, 0, 0, 0, 0, 0])
MAC_AAD_PREFIX = bytes([SECURITY_CONTROL, 0, 0, 0, 0, 0])


class CraFlag(enum.IntEnum):
    """Command/Response/Alert flag of the grouping header (GBCS 7.2.8)."""

    COMMAND = 1
    RESPONSE = 2
    ALERT = 3


class EnvelopeForm(enum.Enum):
    """How the General-Signing APDU travels."""

    MACED = "maced"  # inside a General-Ciphering MAC header, with a 12-byte MAC
    SIGNED = "signed"  # bare General-Signing APDU (signed-only, or a PRECOMMAND)


class _EuiField(Adapter):
    """An EUI-64 system title with its ``08`` length byte (GBCS 4.3.1.2)."""

    def _decode(self, obj: Any, context: Any, path: str) -> bytes:
        return bytes(obj.eui)

    def _encode(self, obj: Any, context: Any, path: str) -> dict[str, bytes]:
        return {"eui": obj}


EuiField = _EuiField(Struct("length" / Const(b"\x08"), "eui" / Bytes(EUI_LENGTH)))
"""System title: ``08`` followed by 8 bytes."""

class _DateTimeField(Construct):
    """Grouping-header date-time: ``00`` absent or ``0C`` + 12-byte COSEM date-time."""

    def _parse(self, stream: Any, context: Any, path: str) -> Any:
        marker = stream_read(stream, 1, path)[0]
        if marker == 0:
            return None
        if marker != 12:
            raise ConstructError(f"bad date-time length {marker}", path=path)
        return DlmsDateTimeStruct._parsereport(stream, context, path)

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> Any:
        if obj is None:
            stream_write(stream, b"\x00", 1, path)
            return obj
        stream_write(stream, b"\x0c", 1, path)
        DlmsDateTimeStruct._build(obj, stream, context, path)
        return obj


DateTimeField = _DateTimeField()


class _OtherInformationBody(Construct):
    """Other-information content, selected by its length (GBCS 7.2.8.3).

    2 bytes: message code; 10: + supplementary remote party ID; 18: + supplementary
    remote party counter; 26: + supplementary originator counter; longer: + a DER
    certificate of the supplementary remote party (URP key agreement).
    """

    def _parse(self, stream: Any, context: Any, path: str) -> dict[str, Any]:
        data = stream.read()
        n = len(data)
        if n < 2 or (2 < n < 10) or (10 < n < 18) or (18 < n < 26):
            raise ConstructError(f"bad other-information length {n}", path=path)
        out: dict[str, Any] = {
            "message_code": int.from_bytes(data[0:2], "big"),
            "supplementary_remote_party_id": data[2:10] if n >= 10 else None,
            "supplementary_remote_party_counter": int.from_bytes(data[10:18], "big") if n >= 18 else None,
            "supplementary_originator_counter": int.from_bytes(data[18:26], "big") if n == 26 else None,
            "certificate": data[18:] if n > 26 else None,
        }
        return out

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> Any:
        parts = [int(obj["message_code"]).to_bytes(2, "big")]
        srp = obj.get("supplementary_remote_party_id")
        counter = obj.get("supplementary_remote_party_counter")
        orig = obj.get("supplementary_originator_counter")
        cert = obj.get("certificate")
        if srp is not None:
            if len(srp) != EUI_LENGTH:
                raise ConstructError("supplementary remote party ID must be 8 bytes", path=path)
            parts.append(bytes(srp))
            if counter is not None:
                parts.append(int(counter).to_bytes(8, "big"))
                if orig is not None and cert is not None:
                    raise ConstructError("supplementary originator counter and certificate are exclusive", path=path)
                if orig is not None:
                    parts.append(int(orig).to_bytes(8, "big"))
                elif cert is not None:
                    if len(cert) <= 8:
                        raise ConstructError("certificate too short", path=path)
                    parts.append(bytes(cert))
            elif orig is not None or cert is not None:
                raise ConstructError("supplementary counter missing", path=path)
        elif counter is not None or orig is not None or cert is not None:
            raise ConstructError("supplementary remote party ID missing", path=path)
        data = b"".join(parts)
        stream_write(stream, data, len(data), path)
        return obj


OtherInformation = Prefixed(ber_length, _OtherInformationBody())
"""Other-information field with its BER length (GBCS 7.2.8.3)."""

TRANSACTION_ID_AND_PARTIES = (
    "transaction_id_length" / Const(b"\x09"),
    "cra_flag" / Enum(Byte, CraFlag),
    "originator_counter" / Int64ub,
    "originator" / EuiField,
    "recipient" / EuiField,
)
"""Transaction id (length 09: CRA flag, originator counter), originator and recipient system titles: the fields
shared by the General-Signing grouping header (GBCS 7.2.8) and the GBT routing header (GBCS 7.2.11)."""

GroupingHeaderAndContent = Struct(
    "tag" / Const(b"\xdf"),
    *TRANSACTION_ID_AND_PARTIES,
    "date_time" / DateTimeField,
    "other_information" / OtherInformation,
    "content" / Prefixed(ber_length, GreedyBytes),
)
"""General-Signing grouping header followed by the content (GBCS 7.2.8)."""


class _SignatureField(Construct):
    """``00`` (no signature) or ``40`` + 64-byte r||s; optionally absent at end of input."""

    def __init__(self, *, optional: bool) -> None:
        super().__init__()
        self.optional = optional

    def _parse(self, stream: Any, context: Any, path: str) -> Any:
        if self.optional:
            here = stream_tell(stream, path)
            rest = stream.read(1)
            if not rest:
                return {"present": False, "signature": None}
            stream.seek(here)
        marker = stream_read(stream, 1, path)[0]
        if marker == 0:
            return {"present": True, "signature": None}
        if marker != SIGNATURE_LENGTH:
            raise ConstructError(f"bad signature field 0x{marker:02X}", path=path)
        return {"present": True, "signature": stream_read(stream, SIGNATURE_LENGTH, path)}

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> Any:
        if not obj["present"]:
            if not self.optional:
                raise ConstructError("a MACed message needs a signature field", path=path)
            return obj
        sig = obj["signature"]
        if sig is None:
            stream_write(stream, b"\x00", 1, path)
        else:
            if len(sig) != SIGNATURE_LENGTH:
                raise ConstructError("signature must be 64 bytes", path=path)
            stream_write(stream, bytes([SIGNATURE_LENGTH]) + bytes(sig), 1 + SIGNATURE_LENGTH, path)
        return obj


GeneralSigningInMac = Struct(
    "signed" / RawCopy(GroupingHeaderAndContent),
    "signature_field" / _SignatureField(optional=False),
)
"""General-Signing APDU inside a MAC header (signature field mandatory)."""

GeneralSigningMessage = Struct(
    "apdu" / RawCopy(
        Struct(
            "signed" / RawCopy(GroupingHeaderAndContent),
            "signature_field" / _SignatureField(optional=True),
        )
    ),
    Terminated,
)
"""A bare General-Signing APDU: signed-only message or PRECOMMAND (GBCS 7.2.8, DUIS)."""

MacedMessage = Struct(
    "mac_header" / Const(MAC_HEADER_PREFIX),
    "ciphered" / Prefixed(
        ber_length,
        Struct(
            "security_header" / Const(bytes([SECURITY_CONTROL, 0, 0, 0, 0])),
            "apdu" / RawCopy(GeneralSigningInMac),
            "mac" / Bytes(MAC_LENGTH),
            Terminated,
        ),
    ),
    Terminated,
)
"""General-Ciphering APDU carrying a MAC only (GBCS 7.2.7)."""


@dataclass(frozen=True)
class OtherInfo:
    """Other-information of the grouping header (GBCS 7.2.8.3)."""

    message_code: int
    supplementary_remote_party_id: bytes | None = None
    supplementary_remote_party_counter: int | None = None
    supplementary_originator_counter: int | None = None
    certificate: bytes | None = None


@dataclass(frozen=True)
class GroupingHeader:
    """The General-Signing grouping header (GBCS 7.2.8)."""

    cra_flag: CraFlag
    originator_counter: int
    originator: bytes
    recipient: bytes
    other_information: OtherInfo
    date_time: DlmsDateTime | None = None

    @property
    def message_code(self) -> int:
        """The message code carried in the other-information."""
        return self.other_information.message_code


@dataclass(frozen=True)
class Envelope:
    """A whole GBCS message with the content still as bytes.

    ``signature`` is None for an unsigned message; ``signature_field`` is False only for a
    PRECOMMAND (no signature field at all); ``mac`` is None for the signed-only form.
    """

    header: GroupingHeader
    content: bytes
    signature: bytes | None = None
    mac: bytes | None = None
    signature_field: bool = True

    @property
    def form(self) -> EnvelopeForm:
        """MACed or bare General-Signing."""
        return EnvelopeForm.SIGNED if self.mac is None else EnvelopeForm.MACED

    @property
    def is_precommand(self) -> bool:
        """True for a DUIS PRECOMMAND (unsigned, no signature field)."""
        return self.mac is None and not self.signature_field


@dataclass(frozen=True)
class WireSpans:
    """Exact byte spans of a received message that the crypto checks cover (GBCS 6.2.4)."""

    signed: bytes  # from the byte after DF through the last content byte (ECDSA input)
    signing_apdu: bytes  # DF .. signature field (the MACed span, after the AAD prefix)
    mac: bytes | None = field(default=None)


def _header_to_dict(h: GroupingHeader, content: bytes) -> dict[str, Any]:
    oi = h.other_information
    return {
        "cra_flag": int(h.cra_flag),
        "originator_counter": h.originator_counter,
        "originator": h.originator,
        "recipient": h.recipient,
        "date_time": None if h.date_time is None else dict(h.date_time.__dict__),
        "other_information": {
            "message_code": oi.message_code,
            "supplementary_remote_party_id": oi.supplementary_remote_party_id,
            "supplementary_remote_party_counter": oi.supplementary_remote_party_counter,
            "supplementary_originator_counter": oi.supplementary_originator_counter,
            "certificate": oi.certificate,
        },
        "content": content,
    }


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
        year, month, day, dow, hour, minute, second, hundredths, deviation, status = _DATE_TIME.unpack_from(
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


_DATE_TIME = struct.Struct(">HBBBBBBBHB")
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
        if data[start : start + 5] != _SECURITY_HEADER:
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


_SECURITY_HEADER = bytes([SECURITY_CONTROL, 0, 0, 0, 0])


def decode_envelope(data: bytes) -> Envelope:
    """Decode a GBCS message (MACed, signed-only or PRECOMMAND) without touching its content."""
    return _parse(data)[0]


def decode_envelope_with_spans(data: bytes) -> tuple[Envelope, WireSpans]:
    """Decode and also return the exact spans the MAC and signature cover."""
    return _parse(data)


def _signature_dict(env: Envelope) -> dict[str, Any]:
    return {"present": env.signature_field or env.signature is not None, "signature": env.signature}


def _eui_ok(value: Any) -> bool:
    return type(value) is bytes and len(value) == EUI_LENGTH


def _u64_ok(value: Any) -> bool:
    return type(value) is int and 0 <= value < 1 << 64


def _write_other_information(oi: OtherInfo) -> bytes | None:
    """Other-information with its length, as :data:`OtherInformation` builds it; None off the plain path."""
    code, srp = oi.message_code, oi.supplementary_remote_party_id
    counter, orig, cert = oi.supplementary_remote_party_counter, oi.supplementary_originator_counter, oi.certificate
    if type(code) is not int or not 0 <= code <= 0xFFFF:
        return None
    if srp is None:
        if counter is not None or orig is not None or cert is not None:
            return None
        return b"\x02" + code.to_bytes(2, "big")
    if not _eui_ok(srp):
        return None
    body = code.to_bytes(2, "big") + srp
    if counter is not None:
        if not _u64_ok(counter) or (orig is not None and cert is not None):
            return None
        body += counter.to_bytes(8, "big")
        if orig is not None:
            if not _u64_ok(orig):
                return None
            body += orig.to_bytes(8, "big")
        elif cert is not None:
            if type(cert) is not bytes or len(cert) <= 8 or len(cert) > 0xFFFF:
                return None
            body += cert
    elif orig is not None or cert is not None:
        return None
    return encode_length(len(body)) + body


def _write_signing_apdu(env: Envelope, *, in_mac: bool) -> bytes | None:
    """``DF`` grouping header, content and signature field written directly from the fields.

    The plain path of :data:`GroupingHeaderAndContent` plus the signature field (the constructs
    stay the definition: any field off the plain path returns None and the construct builds or
    rejects it). The two give the same bytes; the test suite holds them to each other.
    """
    h, content, signature = env.header, env.content, env.signature
    cra, counter = h.cra_flag, h.originator_counter
    if (
        not isinstance(cra, int) or not 0 <= cra <= 0xFF or not _u64_ok(counter)
        or not _eui_ok(h.originator) or not _eui_ok(h.recipient)
        or type(content) is not bytes or len(content) > MAX_LENGTH
    ):
        return None
    dt = h.date_time
    if dt is None:
        date_time = b"\x00"
    else:
        try:
            date_time = b"\x0c" + _DATE_TIME.pack(
                dt.year, dt.month, dt.day, dt.day_of_week, dt.hour, dt.minute, dt.second, dt.hundredths,
                dt.deviation, dt.clock_status,
            )
        except struct.error:
            return None
    other = _write_other_information(h.other_information)
    if other is None:
        return None
    if signature is not None:
        if type(signature) is not bytes or len(signature) != SIGNATURE_LENGTH:
            return None
        tail = b"\x40" + signature
    elif env.signature_field:
        tail = b"\x00"
    elif in_mac:
        return None
    else:
        tail = b""
    return b"".join((
        b"\xdf\x09", bytes((int(cra),)), counter.to_bytes(8, "big"), b"\x08", h.originator, b"\x08", h.recipient,
        date_time, other, encode_length(len(content)), content, tail,
    ))


def _wrap_maced(apdu: bytes, mac: bytes) -> bytes:
    return MAC_HEADER_PREFIX + encode_length(len(apdu) + 5 + MAC_LENGTH) + _SECURITY_HEADER + apdu + mac


def encode_signed_span(env: Envelope) -> bytes:
    """Bytes an ECDSA signature covers: the grouping header and content without ``DF`` (GBCS 6.2.4)."""
    apdu = _write_signing_apdu(replace(env, signature=None, signature_field=False), in_mac=False)
    if apdu is not None:
        return apdu[1:]
    try:
        return GroupingHeaderAndContent.build(_header_to_dict(env.header, env.content))[1:]
    except (ConstructError, ValueError, TypeError, OverflowError) as exc:
        raise EncodeError(f"cannot encode grouping header: {exc}") from exc


def encode_envelope(env: Envelope) -> bytes:
    """Build the wire bytes from the envelope's fields."""
    maced = env.mac is not None
    apdu = _write_signing_apdu(env, in_mac=maced)
    if apdu is not None and not maced:
        return apdu
    if apdu is not None and type(env.mac) is bytes and len(env.mac) == MAC_LENGTH and len(apdu) < MAX_LENGTH - 64:
        return _wrap_maced(apdu, env.mac)
    return _build_with_constructs(env)


def _build_with_constructs(env: Envelope) -> bytes:
    """Build through the constructs: the definition, and the path for fields off the plain path."""
    inner = {"signed": {"value": _header_to_dict(env.header, env.content)}, "signature_field": _signature_dict(env)}
    try:
        if env.mac is None:
            return GeneralSigningMessage.build({"apdu": {"value": inner}})
        return MacedMessage.build({"ciphered": {"apdu": {"value": inner}, "mac": env.mac}})
    except (ConstructError, ValueError, TypeError, OverflowError, AttributeError) as exc:
        raise EncodeError(f"cannot encode GBCS message: {exc}") from exc


def encode_signing_apdu(env: Envelope) -> bytes:
    """The General-Signing APDU (the span a MAC covers after its AAD prefix)."""
    apdu = _write_signing_apdu(env, in_mac=env.mac is not None)
    if apdu is not None and (env.mac is None or (type(env.mac) is bytes and len(env.mac) == MAC_LENGTH)):
        return apdu
    data = _build_with_constructs(env)
    if env.mac is None:
        return data
    return data[read_length(data, len(MAC_HEADER_PREFIX))[1] + len(_SECURITY_HEADER) : -MAC_LENGTH]


def encode_maced(signing_apdu: bytes, mac: bytes) -> bytes:
    """Wrap an already-built General-Signing APDU and its MAC in the MAC header (GBCS 7.2.7)."""
    if len(mac) != MAC_LENGTH:
        raise EncodeError("MAC must be 12 bytes")
    apdu = bytes(signing_apdu)
    if len(apdu) + 5 + MAC_LENGTH > MAX_LENGTH:
        raise EncodeError("cannot wrap APDU in a MAC header: length out of range")
    return _wrap_maced(apdu, bytes(mac))


def append_signature(unsigned_apdu: bytes, signature: bytes) -> bytes:
    """Complete a PRECOMMAND-form APDU (no signature field) with the ``40`` signature field (GBCS 7.2.9)."""
    if len(signature) != SIGNATURE_LENGTH:
        raise EncodeError("signature must be 64 bytes")
    return bytes(unsigned_apdu) + bytes([SIGNATURE_LENGTH]) + bytes(signature)
