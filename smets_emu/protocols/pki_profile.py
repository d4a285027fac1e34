"""The certificate profile of the project's test PKI: names, extensions, validity and one builder (GBCS 12).

What :mod:`smets_emu.protocols.pki` issues is built here: issuing-authority names as PrintableString,
keyUsage / certificatePolicies / authorityKeyIdentifier extensions, 10- and 25-year validity ending a
second before the anniversary, P-256 keys and 16-byte positive serials derived from a seed when one
is given (so a seeded PKI is byte-identical each time, RFC 6979 signatures included).
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID, ObjectIdentifier

from smets_emu.errors import PkiError
from smets_emu.protocols.certificates import EUI_LENGTH, subject_key_identifier

SERIAL_LENGTH = 16

_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

Authority = tuple[x509.Certificate, ec.EllipticCurvePrivateKey]
"""A CA: its certificate and private key."""


def printable_name(*, ou: str | None, cn: str) -> x509.Name:
    """An issuing authority's name: ``OU`` then ``CN``, both PrintableString."""
    attributes = []
    if ou is not None:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou, _type=_ASN1Type.PrintableString))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, cn, _type=_ASN1Type.PrintableString))
    return x509.Name(attributes)


def add_years(moment: datetime, years: int) -> datetime:
    """*moment* moved on *years* (28 February for a 29 February that year lacks)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


def key_usage_extension(*, signing: bool = False, agreement: bool = False, ca: bool = False) -> x509.KeyUsage:
    """keyUsage: digitalSignature, keyAgreement, or keyCertSign+cRLSign for a CA (GBCS 12 certificate profiles)."""
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=agreement,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def policy_extension(*oids: str) -> x509.CertificatePolicies:
    """certificatePolicies naming *oids*, no qualifiers."""
    return x509.CertificatePolicies([x509.PolicyInformation(ObjectIdentifier(oid), None) for oid in oids])


class Randomness:
    """Private keys and serial numbers: derived from a seed when given, random otherwise."""

    def __init__(self, seed: bytes | str | int | None) -> None:
        if seed is None:
            self.seed: bytes | None = None
        elif isinstance(seed, bytes):
            self.seed = seed
        elif isinstance(seed, str | int):
            self.seed = str(seed).encode()
        else:
            raise PkiError(f"seed must be bytes, str or int, got {type(seed).__name__}")
        self._uses: dict[str, int] = {}

    def _label(self, label: str) -> str:
        """``label``, made unique per use so that asking twice gives two different values."""
        count = self._uses.get(label, 0)
        self._uses[label] = count + 1
        return label if count == 0 else f"{label}#{count}"

    def _stream(self, label: str, counter: int) -> bytes:
        assert self.seed is not None
        data = b"smets-emu test pki\x00" + self.seed + b"\x00" + label.encode() + counter.to_bytes(4, "big")
        return hashlib.sha256(data).digest()

    def private_key(self, label: str) -> ec.EllipticCurvePrivateKey:
        if self.seed is None:
            return ec.generate_private_key(ec.SECP256R1())
        label = self._label(label)
        counter = 0
        while True:
            scalar = int.from_bytes(self._stream("key:" + label, counter), "big")
            if 0 < scalar < _P256_ORDER:
                return ec.derive_private_key(scalar, ec.SECP256R1())
            counter += 1

    def serial(self, label: str) -> int:
        if self.seed is None:
            raw = bytearray(os.urandom(SERIAL_LENGTH))
        else:
            raw = bytearray(self._stream("serial:" + self._label(label), 0)[:SERIAL_LENGTH])
        raw[0] = (raw[0] & 0x7F) or 0x01  # positive, and exactly 16 bytes in DER
        return int.from_bytes(raw, "big")


def check_eui(eui: bytes) -> None:
    """PkiError unless *eui* is an 8-byte EUI-64."""
    if not isinstance(eui, bytes) or len(eui) != EUI_LENGTH:
        raise PkiError(f"an EUI is {EUI_LENGTH} bytes, got {eui!r}")


def p256(key: ec.EllipticCurvePublicKey) -> ec.EllipticCurvePublicKey:
    """*key*, when it is a P-256 public key (the only curve SMKI certifies); PkiError otherwise."""
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise PkiError("SMKI certificates carry P-256 public keys only")
    return key


def aki_extension(issuer: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    """authorityKeyIdentifier: the keyIdentifier only, the issuer's subjectKeyIdentifier."""
    ski = subject_key_identifier(issuer)
    if ski is None:
        raise PkiError("issuer certificate has no subjectKeyIdentifier")
    return x509.AuthorityKeyIdentifier(
        key_identifier=ski, authority_cert_issuer=None, authority_cert_serial_number=None
    )


def utc(moment: datetime) -> datetime:
    """*moment* in UTC (a naive one is taken as UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def build_certificate(
    *,
    subject: x509.Name,
    issuer: Authority | None,
    public_key: ec.EllipticCurvePublicKey,
    serial: int,
    validity: tuple[datetime, datetime],
    extensions: tuple[tuple[x509.ExtensionType, bool], ...],
    signer: ec.EllipticCurvePrivateKey | None = None,
    deterministic: bool,
) -> x509.Certificate:
    """A certificate with *extensions* (extension, critical) in that order, signed by *issuer*'s key
    (self-signed by *signer* when *issuer* is None); RFC 6979 signatures when *deterministic*."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject if issuer is None else issuer[0].subject)
        .public_key(public_key)
        .serial_number(serial)
        .not_valid_before(validity[0])
        .not_valid_after(validity[1])
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    key = signer if issuer is None else issuer[1]
    assert key is not None, "a self-signed certificate names its signer"
    return builder.sign(key, hashes.SHA256(), ecdsa_deterministic=deterministic or None)
