"""Shared GBCS ASN.1 types as asn1crypto classes (GBCS 13.3.2): RemotePartyRole, KeyUsage, CellUsage,
trust anchor cell identifiers, DeviceType, StatusCode, alert codes, entity ids and device log entries;
INTEGER types with named numbers are made from the enums of :mod:`.asn1_enums` by :func:`named_integer`.
"""

from __future__ import annotations

from asn1crypto.core import (
    BitString,
    Integer,
    OctetString,
    Sequence,
    SequenceOf,
)
from asn1crypto.csr import CertificationRequest
from asn1crypto.x509 import Certificate

from smets_emu.protocols.payloads import asn1_enums as e


def named_integer(name: str, names: type[e.NamedNumber], doc: str, *, tag: int | None = None,
                   hex_numbers: bool = False) -> type[Integer]:
    """An INTEGER type (ENUMERATED with ``tag=10``) named *name* whose ``_map`` is the enum *names*; the
    GBCS ASN.1 declaration is *doc*."""
    attrs: dict[str, object] = {"__doc__": doc, "__module__": __name__, "_map": names.asn1_map()}
    if tag is not None:
        attrs["tag"] = tag
    if hex_numbers:
        attrs["hex_numbers"] = True
    return type(name, (Integer,), attrs)


# --- building blocks (shared GBCS ASN.1 types) ---------------------------------------------


class RemotePartyRole(Integer):
    """RemotePartyRole ::= INTEGER (GBCS); also the OU of organisation certificates."""

    _map = {int(role): name for role, name in e.ROLE_NAMES.items()}


class KeyUsage(BitString):
    """KeyUsage ::= BIT STRING, the X.509 named bits (RFC 5280 4.2.1.3); trailing zero bits dropped."""

    _map = e.KeyUsageBit.asn1_map()


CellUsage = named_integer("CellUsage", e.CellUsage, "CellUsage ::= INTEGER { management(0), prePaymentTopUp(1) }.")


class TrustAnchorCellIdentifier(Sequence):
    """TrustAnchorCellIdentifier ::= SEQUENCE { remotePartyRole, keyUsage, cellUsage OPTIONAL }."""

    _fields = [
        ("remotePartyRole", RemotePartyRole),
        ("keyUsage", KeyUsage),
        ("cellUsage", CellUsage, {"optional": True}),
    ]


DeviceType = named_integer("DeviceType", e.DeviceType, "DeviceType ::= INTEGER (CS03 join, device log entries).")


StatusCode = named_integer(
    "StatusCode", e.StatusCode, "StatusCode ::= ENUMERATED (tag 10) of the CS02a/CS02b responses.", tag=10,
)


AlertCode = named_integer(
    "AlertCode", e.AlertCode, "The GBCS alert code carried first in ASN.1 alert bodies (GBCS alert code table).",
    hex_numbers=True,
)


class EntityId(OctetString):
    """An EUI-64 entity identifier, OCTET STRING (SIZE(8))."""


class DeviceLogEntry(Sequence):
    """DeviceLogEntry ::= SEQUENCE { deviceId, deviceType } (CS07, GCS59, GCS62)."""

    _fields = [("deviceId", EntityId), ("deviceType", DeviceType)]


class DeviceLogEntries(SequenceOf):
    """SEQUENCE OF DeviceLogEntry."""

    _child_spec = DeviceLogEntry


class Certificates(SequenceOf):
    """SEQUENCE OF Certificate (X.509, SMKI profile)."""

    _child_spec = Certificate


OPAQUE_DER_TYPES: tuple[type, ...] = (Certificate, CertificationRequest)
"""Types carried as their DER bytes (rebuilt from hex), with readable fields alongside."""
