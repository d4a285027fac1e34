"""GBCS ASN.1 DER payloads: security credentials, joins, firmware activation, GPF device log, set time.

Implements the GBCS ASN.1 payload grammars (CS02a-g, CS03, CS04, CS06, CS07, CS08, CS09, CCS08,
GCS28, GCS59, GCS62 and the future-dated alerts 0x00CA/0x00CB/0x0124) with the asn1crypto classes
of :mod:`smets_emu.protocols.payloads.asn1_types`, plus the 0x00D5 alert (a DLMS notification that
ends in a DER SEQUENCE header). Content with a message code outside the table but DER-shaped is
kept as a generic tag/length/value tree.

The decoded value is a JSON-friendly tree: named numbers read ``"supplier(2)"``, key usages are
lists of bit names, octet strings are upper-case hex, GeneralizedTime is its ASCII text, and
certificates are ``{"der": hex, ...readable fields}``. :meth:`Asn1Payload.encode` builds fresh
asn1crypto objects from the tree; decoding rejects anything that would not rebuild byte for byte
(non-minimal DER, trailing bytes, unexpected tags).

The parts: :mod:`.asn1_schemas` (the schema table), :mod:`.asn1_payload` (the payload and its decoder),
:mod:`.asn1_readable` (readable trees and certificate fields), :mod:`.asn1_generic` (generic DER tree and
the 0x00D5 alert), :mod:`.asn1_samples` (samples); their public names are importable from here.
"""

from __future__ import annotations

from smets_emu.protocols.payloads.asn1_generic import FailureToDeliverAlert
from smets_emu.protocols.payloads.asn1_payload import Asn1Payload, decode_asn1
from smets_emu.protocols.payloads.asn1_samples import placeholder_certificate, sample_asn1
from smets_emu.protocols.payloads.asn1_schemas import (
    ALERT,
    ASN1_MESSAGE_CODES,
    COMMAND,
    FAILURE_TO_DELIVER_CODE,
    FAILURE_TO_DELIVER_SCHEMA,
    FAMILY,
    GENERIC_SCHEMA,
    RESPONSE,
    SCHEMA_TABLE,
    schema_for,
)

__all__ = [
    "ALERT",
    "ASN1_MESSAGE_CODES",
    "COMMAND",
    "FAILURE_TO_DELIVER_CODE",
    "FAILURE_TO_DELIVER_SCHEMA",
    "FAMILY",
    "GENERIC_SCHEMA",
    "RESPONSE",
    "SCHEMA_TABLE",
    "Asn1Payload",
    "FailureToDeliverAlert",
    "decode_asn1",
    "placeholder_certificate",
    "sample_asn1",
    "schema_for",
]
