"""Direct writers of GBCS message envelopes (GBCS 7.2.8-7.2.10): the signing APDU, the signed span, the
MAC'd message and the signature; the constructs of :mod:`.envelope_types` build what is off the plain path.
"""

from __future__ import annotations

import struct
from dataclasses import replace
from typing import Any

from construct import (
    ConstructError,
)

from smets_emu.errors import EncodeError
from smets_emu.protocols.envelope_types import (
    EUI_LENGTH,
    MAC_HEADER_PREFIX,
    MAC_LENGTH,
    SECURITY_HEADER,
    SIGNATURE_LENGTH,
    Envelope,
    GeneralSigningMessage,
    GroupingHeader,
    GroupingHeaderAndContent,
    MacedMessage,
    OtherInfo,
)
from smets_emu.protocols.lengths import MAX_LENGTH, encode_length, read_length
from smets_emu.protocols.timestamps import DATE_TIME_LAYOUT


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
            date_time = b"\x0c" + DATE_TIME_LAYOUT.pack(
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
    return MAC_HEADER_PREFIX + encode_length(len(apdu) + 5 + MAC_LENGTH) + SECURITY_HEADER + apdu + mac


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
    return data[read_length(data, len(MAC_HEADER_PREFIX))[1] + len(SECURITY_HEADER) : -MAC_LENGTH]


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
