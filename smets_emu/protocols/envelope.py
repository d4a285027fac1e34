"""GBCS envelopes: General-Ciphering MAC header and General-Signing grouping header.

Implements GBCS 7.2 (message structure), 7.2.7 (MAC header), 7.2.8 (grouping header and
other-information), 7.2.9 (signature field) and the PRECOMMAND form DUIS hands to users.

Wire shapes::

    MACed:       DD 00 00 00 00 00 00 <len> 11 00000000 <signing APDU> <MAC 12>
    signed-only: <signing APDU>
    signing APDU: DF 09 <CRA> <counter 8> 08 <orig 8> 08 <recip 8> <date-time>
                  <other-info> <content-len> <content> [<signature field>]

The signature field is ``00`` (none) or ``40`` + 64-byte r||s; a PRECOMMAND omits it.

The parts: :mod:`.envelope_types` (constants, constructs, values), :mod:`.envelope_read` (direct
reader), :mod:`.envelope_write` (direct writers); their public names are importable from here.
"""

from __future__ import annotations

from smets_emu.protocols.envelope_read import decode_envelope, decode_envelope_with_spans
from smets_emu.protocols.envelope_types import (
    EUI_LENGTH,
    MAC_AAD_PREFIX,
    MAC_HEADER_PREFIX,
    MAC_LENGTH,
    SECURITY_CONTROL,
    SIGNATURE_LENGTH,
    TRANSACTION_ID_AND_PARTIES,
    CraFlag,
    DateTimeField,
    Envelope,
    EnvelopeForm,
    EuiField,
    GeneralSigningInMac,
    GeneralSigningMessage,
    GroupingHeader,
    GroupingHeaderAndContent,
    MacedMessage,
    OtherInfo,
    OtherInformation,
    WireSpans,
)
from smets_emu.protocols.envelope_write import (
    append_signature,
    encode_envelope,
    encode_maced,
    encode_signed_span,
    encode_signing_apdu,
)

__all__ = [
    "CraFlag",
    "DateTimeField",
    "EUI_LENGTH",
    "Envelope",
    "EnvelopeForm",
    "EuiField",
    "GeneralSigningInMac",
    "GeneralSigningMessage",
    "GroupingHeader",
    "GroupingHeaderAndContent",
    "MAC_AAD_PREFIX",
    "MAC_HEADER_PREFIX",
    "MAC_LENGTH",
    "MacedMessage",
    "OtherInfo",
    "OtherInformation",
    "SECURITY_CONTROL",
    "SIGNATURE_LENGTH",
    "TRANSACTION_ID_AND_PARTIES",
    "WireSpans",
    "append_signature",
    "decode_envelope",
    "decode_envelope_with_spans",
    "encode_envelope",
    "encode_maced",
    "encode_signed_span",
    "encode_signing_apdu",
]

