"""Building blocks of the GBCS message envelope (GBCS 7.2.8-7.2.10; DLMS general-signing, general-ciphering).

Lengths and prefixes, the CRA flag, the field constructs (system titles, date-time, other-information,
signature field), the constructs of the General-Signing and MAC'd message forms, and the values
:class:`Envelope`, :class:`GroupingHeader`, :class:`OtherInfo` and :class:`WireSpans`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
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

from smets_emu.protocols.lengths import ber_length
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





SECURITY_HEADER = bytes([SECURITY_CONTROL, 0, 0, 0, 0])
