"""Whole GBCS messages: envelope plus typed payload, with a JSON form (GBCS 7.2).

:func:`decode_message` parses the envelope and its content; :func:`encode_message`
rebuilds the content from the payload's fields and the envelope from the header's
fields. MAC and signature are carried as they are; :mod:`smets_emu.protocols.security`
checks and recomputes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from smets_emu.errors import EncodeError, FrameError, SmetsError
from smets_emu.protocols.envelope import (
    CraFlag,
    Envelope,
    EnvelopeForm,
    GroupingHeader,
    OtherInfo,
    decode_envelope,
    encode_envelope,
)
from smets_emu.protocols.message_codes import lookup
from smets_emu.protocols.payloads import Decryptor, Payload, PayloadContext, decode_payload, payload_from_json
from smets_emu.protocols.timestamps import DlmsDateTime


@dataclass(frozen=True)
class Message:
    """A decoded GBCS message."""

    header: GroupingHeader
    payload: Payload
    signature: bytes | None = None
    mac: bytes | None = None
    signature_field: bool = True

    @property
    def message_code(self) -> int:
        """Message code from the other-information."""
        return self.header.other_information.message_code

    @property
    def cra_flag(self) -> CraFlag:
        """Command, response or alert."""
        return self.header.cra_flag

    @property
    def form(self) -> EnvelopeForm:
        """MACed or bare General-Signing."""
        return EnvelopeForm.SIGNED if self.mac is None else EnvelopeForm.MACED

    @property
    def use_case(self) -> str:
        """The GBCS use case the message code names ("" if unknown)."""
        info = lookup(self.message_code)
        return info.use_case if info else ""

    def to_envelope(self) -> Envelope:
        """The envelope with the content rebuilt from the payload."""
        return Envelope(
            header=self.header,
            content=self.payload.encode(),
            signature=self.signature,
            mac=self.mac,
            signature_field=self.signature_field,
        )


def payload_context(header: GroupingHeader, decrypt: Decryptor | None = None) -> PayloadContext:
    """The context a payload decoder sees for a message with this header."""
    return PayloadContext(message_code=header.message_code, cra_flag=int(header.cra_flag), decrypt=decrypt)


def message_from_envelope(env: Envelope, *, decrypt: Decryptor | None = None) -> Message:
    """Decode the content of an already-parsed envelope."""
    payload = decode_payload(env.content, payload_context(env.header, decrypt))
    return Message(
        header=env.header,
        payload=payload,
        signature=env.signature,
        mac=env.mac,
        signature_field=env.signature_field,
    )


def decode_message(data: bytes, *, decrypt: Decryptor | None = None) -> Message:
    """Decode a GBCS message; raises :class:`FrameError` on anything malformed."""
    return message_from_envelope(decode_envelope(data), decrypt=decrypt)


def encode_message(message: Message) -> bytes:
    """Build the wire bytes from the message's fields."""
    return encode_envelope(message.to_envelope())


# -- JSON ------------------------------------------------------------------------------------


def _hex(value: bytes | None) -> str | None:
    return None if value is None else value.hex().upper()


def _unhex(value: Any, name: str, size: int | None = None) -> bytes | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise EncodeError(f"{name} must be a hex string")
    try:
        data = bytes.fromhex(value.replace("-", "").replace(" ", ""))
    except ValueError as exc:
        raise EncodeError(f"{name} is not hex: {exc}") from exc
    if size is not None and len(data) != size:
        raise EncodeError(f"{name} must be {size} bytes")
    return data


def header_to_json(header: GroupingHeader) -> dict[str, Any]:
    """JSON form of a grouping header."""
    oi = header.other_information
    return {
        "cra_flag": header.cra_flag.name.lower(),
        "originator_counter": header.originator_counter,
        "originator": _hex(header.originator),
        "recipient": _hex(header.recipient),
        "date_time": None if header.date_time is None else header.date_time.to_json(),
        "other_information": {
            "message_code": f"0x{oi.message_code:04X}",
            "supplementary_remote_party_id": _hex(oi.supplementary_remote_party_id),
            "supplementary_remote_party_counter": oi.supplementary_remote_party_counter,
            "supplementary_originator_counter": oi.supplementary_originator_counter,
            "certificate": _hex(oi.certificate),
        },
    }


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise EncodeError(f"{name} must be an integer")
    try:
        return int(value, 0) if isinstance(value, str) else value
    except ValueError as exc:
        raise EncodeError(f"{name} must be an integer") from exc


def _opt_int(value: Any, name: str) -> int | None:
    return None if value is None else _int(value, name)


def header_from_json(obj: dict[str, Any]) -> GroupingHeader:
    """Inverse of :func:`header_to_json`."""
    try:
        cra_raw = obj["cra_flag"]
        cra = CraFlag[cra_raw.upper()] if isinstance(cra_raw, str) else CraFlag(cra_raw)
        oi = obj["other_information"]
        dt = obj.get("date_time")
        return GroupingHeader(
            cra_flag=cra,
            originator_counter=_int(obj["originator_counter"], "originator_counter"),
            originator=_unhex(obj["originator"], "originator", 8),  # type: ignore[arg-type]
            recipient=_unhex(obj["recipient"], "recipient", 8),  # type: ignore[arg-type]
            date_time=None if dt is None else DlmsDateTime.from_json(dt),
            other_information=OtherInfo(
                message_code=_int(oi["message_code"], "message_code"),
                supplementary_remote_party_id=_unhex(oi.get("supplementary_remote_party_id"), "srp id", 8),
                supplementary_remote_party_counter=_opt_int(oi.get("supplementary_remote_party_counter"), "counter"),
                supplementary_originator_counter=_opt_int(oi.get("supplementary_originator_counter"), "counter"),
                certificate=_unhex(oi.get("certificate"), "certificate"),
            ),
        )
    except SmetsError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise EncodeError(f"bad grouping header JSON: {exc!r}") from exc


def message_to_json(message: Message) -> dict[str, Any]:
    """JSON form of a whole message (readable, and complete enough to rebuild it)."""
    return {
        "form": message.form.value,
        "precommand": message.mac is None and not message.signature_field,
        "header": header_to_json(message.header),
        "payload": message.payload.to_json(),
        "signature": _hex(message.signature),
        "mac": _hex(message.mac),
    }


def message_from_json(obj: dict[str, Any]) -> Message:
    """Inverse of :func:`message_to_json`."""
    if not isinstance(obj, dict):
        raise EncodeError("message must be a JSON object")
    try:
        form = EnvelopeForm(obj.get("form", "maced"))
        mac = _unhex(obj.get("mac"), "mac", 12)
        if form is EnvelopeForm.MACED and mac is None:
            raise EncodeError("a MACed message needs a mac")
        if form is EnvelopeForm.SIGNED:
            mac = None
        signature = _unhex(obj.get("signature"), "signature", 64)
        payload = payload_from_json(obj["payload"])
    except SmetsError as exc:
        if isinstance(exc, EncodeError):
            raise
        raise EncodeError(str(exc)) from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise EncodeError(f"bad message JSON: {exc!r}") from exc
    return Message(
        header=header_from_json(obj["header"]),
        payload=payload,
        signature=signature,
        mac=mac,
        signature_field=not bool(obj.get("precommand", False)),
    )


__all__ = [
    "FrameError",
    "Message",
    "decode_message",
    "encode_message",
    "message_from_envelope",
    "message_from_json",
    "message_to_json",
    "payload_context",
]
