"""Trust anchor cells: the Known Remote Party credentials a device holds (GBCS 4.3.2, 6.2.2).

A cell is identified by (remote party role, key usage, cell usage) and holds the subject
unique ID (the party's EUI), the subject key identifier and the public key of the party's
certificate. The role-0 root cell holds the root CA key (key usage keyCertSign).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from smets_emu.errors import KeyMaterialError
from smets_emu.protocols.certificates import (
    certificate_eui,
    certificate_role,
    key_identifier,
    key_usages,
    subject_key_identifier,
)
from smets_emu.protocols.payloads.asn1_models import CellIdentifier, CellUsage, KeyUsageBit
from smets_emu.protocols.roles import Role

__all__ = ["AnchorCell", "CellId", "CellKeyUsage", "CellUsage", "Role", "cell_for_certificate", "point"]


class CellKeyUsage(enum.Enum):
    """Key usage of a trust anchor cell."""

    DIGITAL_SIGNATURE = "ds"
    KEY_AGREEMENT = "ka"
    KEY_CERT_SIGN = "kcs"

    @property
    def bit(self) -> KeyUsageBit:
        """The KeyUsage BIT STRING bit of this usage (RFC 5280 4.2.1.3)."""
        return _USAGE_BITS[self]


_USAGE_BITS = {
    CellKeyUsage.DIGITAL_SIGNATURE: KeyUsageBit.DIGITAL_SIGNATURE,
    CellKeyUsage.KEY_AGREEMENT: KeyUsageBit.KEY_AGREEMENT,
    CellKeyUsage.KEY_CERT_SIGN: KeyUsageBit.KEY_CERT_SIGN,
}
_CELL_KEY_USAGE = {bit: usage for usage, bit in _USAGE_BITS.items()}


@dataclass(frozen=True)
class CellId:
    """TrustAnchorCellIdentifier."""

    role: Role
    key_usage: CellKeyUsage
    cell_usage: CellUsage = CellUsage.MANAGEMENT

    def sort_key(self) -> tuple[int, str, int]:
        """A stable ordering key."""
        return (int(self.role), self.key_usage.value, int(self.cell_usage))

    def label(self) -> str:
        """Readable label, e.g. ``supplier/ds``."""
        suffix = "/prepayment" if self.cell_usage is CellUsage.PREPAYMENT_TOP_UP else ""
        return f"{self.role.name.lower()}/{self.key_usage.value}{suffix}"

    @classmethod
    def from_identifier(cls, ident: CellIdentifier) -> CellId | None:
        """The cell a TrustAnchorCellIdentifier names (GBCS 13.3.2), None when it names no possible cell."""
        role = ident.known_role
        bit = ident.single_usage
        try:
            cell_usage = CellUsage(ident.cell_usage or 0)
        except ValueError:
            return None
        if role is None or bit is None:
            return None
        return cls(role, _CELL_KEY_USAGE[bit], cell_usage)

    def identifier(self) -> CellIdentifier:
        """This cell as a TrustAnchorCellIdentifier (cellUsage absent for management, as devices send it)."""
        return CellIdentifier(int(self.role), frozenset({int(self.key_usage.bit)}),
                              None if self.cell_usage is CellUsage.MANAGEMENT else int(self.cell_usage))


def point(public_key: ec.EllipticCurvePublicKey) -> bytes:
    """The uncompressed P-256 point of a public key."""
    return public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


@dataclass(frozen=True)
class AnchorCell:
    """One populated trust anchor cell (or an empty one: ``subject_id`` None)."""

    cell: CellId
    subject_id: bytes | None = None
    subject_key_id: bytes | None = None
    public_point: bytes | None = None
    certificate: bytes | None = None

    @property
    def empty(self) -> bool:
        """True when the cell holds no credential."""
        return self.public_point is None

    def public_key(self) -> ec.EllipticCurvePublicKey:
        """The cell's P-256 public key."""
        if self.public_point is None:
            raise KeyMaterialError(f"trust anchor cell {self.cell.label()} is empty")
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), self.public_point)

    @classmethod
    def from_certificate(cls, cell: CellId, cert: x509.Certificate, *, subject_id: bytes | None = None) -> AnchorCell:
        """Populate a cell from a certificate (root cells take subject ID 00..00)."""
        pub = cert.public_key()
        if not isinstance(pub, ec.EllipticCurvePublicKey):
            raise KeyMaterialError("trust anchors hold P-256 keys only")
        eui = subject_id if subject_id is not None else (certificate_eui(cert) or bytes(8))
        ski = subject_key_identifier(cert) or key_identifier(pub)
        return cls(cell, eui, ski, point(pub), cert.public_bytes(Encoding.DER))

    def to_json(self) -> dict[str, Any]:
        """JSON form for the state store."""
        return {
            "role": int(self.cell.role),
            "key_usage": self.cell.key_usage.value,
            "cell_usage": int(self.cell.cell_usage),
            "subject_id": _hex(self.subject_id),
            "subject_key_id": _hex(self.subject_key_id),
            "public_point": _hex(self.public_point),
            "certificate": _hex(self.certificate),
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> AnchorCell:
        """Inverse of :meth:`to_json`."""
        return cls(
            CellId(Role(obj["role"]), CellKeyUsage(obj["key_usage"]), CellUsage(obj["cell_usage"])),
            _unhex(obj.get("subject_id")),
            _unhex(obj.get("subject_key_id")),
            _unhex(obj.get("public_point")),
            _unhex(obj.get("certificate")),
        )

    def cleared(self) -> AnchorCell:
        """The same cell with no credential."""
        return replace(self, subject_id=None, subject_key_id=None, public_point=None, certificate=None)


def cell_for_certificate(cert: x509.Certificate, *, prepayment: bool = False) -> CellId:
    """The cell a remote-party certificate belongs in, from its OU role and key usage."""
    role = certificate_role(cert)
    if role is None:
        raise KeyMaterialError("certificate carries no remote party role")
    usages = key_usages(cert)
    if "keyCertSign" in usages:
        usage = CellKeyUsage.KEY_CERT_SIGN
    elif "keyAgreement" in usages:
        usage = CellKeyUsage.KEY_AGREEMENT
    elif "digitalSignature" in usages:
        usage = CellKeyUsage.DIGITAL_SIGNATURE
    else:
        raise KeyMaterialError("certificate key usage fits no trust anchor cell")
    return CellId(Role(role), usage, CellUsage.PREPAYMENT_TOP_UP if prepayment else CellUsage.MANAGEMENT)


def _hex(value: bytes | None) -> str | None:
    return None if value is None else value.hex().upper()


def _unhex(value: str | None) -> bytes | None:
    return None if value is None else bytes.fromhex(value)


DS, KA = CellKeyUsage.DIGITAL_SIGNATURE, CellKeyUsage.KEY_AGREEMENT

TYPE1_HAN_CELLS: tuple[CellId, ...] = (
    CellId(Role.ROOT, CellKeyUsage.KEY_CERT_SIGN),
    CellId(Role.RECOVERY, DS),
    CellId(Role.SUPPLIER, DS),
    CellId(Role.SUPPLIER, KA),
    CellId(Role.ACCESS_CONTROL_BROKER, DS),
    CellId(Role.ACCESS_CONTROL_BROKER, KA),
)
"""Cells of a type 1 HAN device (PPMID, HCALCS)."""

_ROOT, _RECOVERY = CellId(Role.ROOT, CellKeyUsage.KEY_CERT_SIGN), CellId(Role.RECOVERY, DS)
_SUPPLIER = (
    CellId(Role.SUPPLIER, DS), CellId(Role.SUPPLIER, KA), CellId(Role.SUPPLIER, KA, CellUsage.PREPAYMENT_TOP_UP),
)
_GPF_CELLS = (
    _ROOT, _RECOVERY, *_SUPPLIER,
    CellId(Role.NETWORK_OPERATOR, DS), CellId(Role.NETWORK_OPERATOR, KA),
    CellId(Role.ACCESS_CONTROL_BROKER, DS), CellId(Role.ACCESS_CONTROL_BROKER, KA),
    CellId(Role.TRANSITIONAL_COS, DS),
)

CELL_LAYOUTS: dict[str, tuple[CellId, ...]] = {
    "ESME": (*_GPF_CELLS, CellId(Role.LOAD_CONTROLLER, DS), CellId(Role.LOAD_CONTROLLER, KA)),
    "GSME": (_ROOT, _RECOVERY, *_SUPPLIER, CellId(Role.ACCESS_CONTROL_BROKER, KA), CellId(Role.TRANSITIONAL_COS, DS)),
    "CHF": (
        _ROOT, _RECOVERY, CellId(Role.ACCESS_CONTROL_BROKER, DS), CellId(Role.ACCESS_CONTROL_BROKER, KA),
        CellId(Role.WAN_PROVIDER, DS),
    ),
    "GPF": _GPF_CELLS,
    "PPMID": TYPE1_HAN_CELLS,
    "HCALCS": TYPE1_HAN_CELLS,
}
"""Trust anchor cells per device type (GBCS 4.3.2 tables; GSME holds no network operator cells; the
type 1 HAN devices (PPMID, HCALCS) take ACB-signed joins and supplier-signed critical joins)."""
