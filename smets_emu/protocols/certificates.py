"""Reading SMKI certificates and checking them against the GBCS certificate profile (GBCS 12).

SMKI certificates are X.509 v3 (RFC 5280 / RFC 5759) with P-256 keys and ECDSA-with-SHA-256
signatures. Two end-entity shapes exist:

- organisation certificates: subject ``[CN] OU=<role as two hex digits> x500UniqueIdentifier=<EUI>``
  (the identifier is a 64-bit BIT STRING), keyUsage digitalSignature or keyAgreement;
- device certificates: empty subject, the EUI in a critical subjectAltName otherName of type
  hardwareModuleName (RFC 4108), notAfter ``99991231235959Z``.

Issuing certificates are the root (OU ``00``), the organisation CA (OU ``07``) and device CAs.
Key identifiers use RFC 5280 section 4.2.1.2 method 2 (8 bytes).
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from asn1crypto import core as asn1_core
from cryptography import x509
from cryptography.exceptions import InvalidKey, InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import ExtensionOID, NameOID, ObjectIdentifier, SignatureAlgorithmOID

from smets_emu.errors import KeyMaterialError, SignatureError

EUI_LENGTH = 8
KEY_IDENTIFIER_LENGTH = 8

ROLE_ROOT = 0x00
ROLE_ISSUING_AUTHORITY = 0x07

ORGANISATION_POLICY_OID = "1.2.826.0.1.8641679.1.2.1.4"
"""Certificate policy of the organisation certificates in the RTDS keystore (test environment)."""
DEVICE_POLICY_OID = "1.2.826.0.1.1800000.1.2.1.4"
"""Certificate policy of the device certificates in the RTDS keystore (test environment)."""
HW_TYPE_OID = "1.2.826.0.1.8641679.1.2.2.1"
"""hwType carried in the hardwareModuleName of device certificates."""
HARDWARE_MODULE_NAME_OID = ObjectIdentifier("1.3.6.1.5.5.7.8.4")
"""id-on-hardwareModuleName (RFC 4108 section 5)."""

DEVICE_NOT_AFTER = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
"""notAfter of every device certificate: GeneralizedTime ``99991231235959Z`` (GBCS 12)."""

SIGNING = "digitalSignature"
AGREEMENT = "keyAgreement"
CERT_SIGN = "keyCertSign"
_KEY_USAGE_FLAGS = (
    ("digital_signature", SIGNING),
    ("content_commitment", "contentCommitment"),
    ("key_encipherment", "keyEncipherment"),
    ("data_encipherment", "dataEncipherment"),
    ("key_agreement", AGREEMENT),
    ("key_cert_sign", CERT_SIGN),
    ("crl_sign", "cRLSign"),
)
LIBRARY_ERRORS: tuple[type[Exception], ...] = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    UnsupportedAlgorithm,
    InvalidKey,
    x509.InvalidVersion,
    x509.DuplicateExtension,
    x509.UnsupportedGeneralNameType,
)
"""What ``cryptography`` and ``asn1crypto`` raise on malformed input; never let out of this package."""

KNOWN_EXTENSIONS = frozenset(
    {
        ExtensionOID.KEY_USAGE,
        ExtensionOID.SUBJECT_KEY_IDENTIFIER,
        ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
        ExtensionOID.CERTIFICATE_POLICIES,
        ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
        ExtensionOID.BASIC_CONSTRAINTS,
    }
)


class CertificateProfile(enum.Enum):
    """Which SMKI certificate shape a certificate has."""

    ROOT = "root"
    ORGANISATION_CA = "organisation-ca"
    DEVICE_CA = "device-ca"
    ORGANISATION = "organisation"
    DEVICE = "device"


class _HardwareModuleName(asn1_core.Sequence):
    """HardwareModuleName ::= SEQUENCE { hwType OBJECT IDENTIFIER, hwSerialNum OCTET STRING } (RFC 4108)."""

    _fields = [
        ("hw_type", asn1_core.ObjectIdentifier),
        ("hw_serial_num", asn1_core.OctetString),
    ]


@dataclass(frozen=True)
class CertificateDetails:
    """The SMKI-relevant fields of one certificate."""

    profile: CertificateProfile
    role: int | None
    eui: bytes | None
    common_name: str | None
    serial_number: int
    subject_key_identifier: bytes | None
    authority_key_identifier: bytes | None
    key_usages: frozenset[str]
    not_before: datetime
    not_after: datetime
    policies: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """JSON-safe view: bytes as upper-case hex, times as ISO 8601."""
        return {
            "profile": self.profile.value,
            "role": self.role,
            "eui": self.eui.hex().upper() if self.eui is not None else None,
            "commonName": self.common_name,
            "serialNumber": f"{self.serial_number:X}",
            "subjectKeyIdentifier": _hex_or_none(self.subject_key_identifier),
            "authorityKeyIdentifier": _hex_or_none(self.authority_key_identifier),
            "keyUsage": sorted(self.key_usages),
            "notBefore": self.not_before.isoformat(),
            "notAfter": self.not_after.isoformat(),
            "policies": list(self.policies),
        }


def _hex_or_none(value: bytes | None) -> str | None:
    return value.hex().upper() if value is not None else None


# --- loading ---------------------------------------------------------------------------------------------


def load_certificate(data: bytes) -> x509.Certificate:
    """Load one certificate from PEM or DER bytes; raise KeyMaterialError if that fails.

    The subject and issuer names are parsed at once, so that a certificate with unreadable
    names is refused here; extensions are left to the readers and to the profile check
    (:func:`smets_emu.protocols.smki_profile.check_smki_profile`).
    """
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            cert = x509.load_pem_x509_certificate(data)
        else:
            cert = x509.load_der_x509_certificate(data)
        _ = cert.subject, cert.issuer, cert.serial_number
        return cert
    except LIBRARY_ERRORS as exc:
        raise KeyMaterialError(f"not an X.509 certificate: {exc}") from exc


def certificate_der(cert: x509.Certificate) -> bytes:
    """The DER encoding of ``cert``."""
    return cert.public_bytes(serialization.Encoding.DER)


# --- key identifiers and builder helpers -------------------------------------------------------------------


def key_identifier(public_key: ec.EllipticCurvePublicKey) -> bytes:
    """RFC 5280 4.2.1.2 method 2: ``0100`` then the low 60 bits of SHA-1 of the uncompressed point."""
    point = public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    digest = hashlib.sha1(point).digest()[-KEY_IDENTIFIER_LENGTH:]
    return bytes([0x40 | (digest[0] & 0x0F)]) + digest[1:]


def unique_identifier_attribute(eui: bytes) -> x509.NameAttribute:
    """x500UniqueIdentifier name attribute: BIT STRING of 64 bits holding the EUI."""
    _check_eui(eui)
    return x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, b"\x00" + eui, _type=_ASN1Type.BitString)


def hardware_module_name(eui: bytes, hw_type: str = HW_TYPE_OID) -> x509.OtherName:
    """subjectAltName otherName hardwareModuleName with hwSerialNum = the device EUI (RFC 4108)."""
    _check_eui(eui)
    value = _HardwareModuleName({"hw_type": hw_type, "hw_serial_num": eui}).dump()
    return x509.OtherName(HARDWARE_MODULE_NAME_OID, value)


def _check_eui(eui: bytes) -> None:
    if not isinstance(eui, bytes | bytearray) or len(eui) != EUI_LENGTH:
        raise KeyMaterialError(f"an EUI is {EUI_LENGTH} bytes, got {eui!r}")


# --- field readers -----------------------------------------------------------------------------------------


def certificate_extensions(cert: x509.Certificate) -> x509.Extensions:
    """The extensions of *cert*; KeyMaterialError when they are malformed."""
    try:
        return cert.extensions
    except LIBRARY_ERRORS as exc:
        raise KeyMaterialError(f"malformed certificate extensions: {exc}") from exc


def _subject(cert: x509.Certificate) -> x509.Name:
    try:
        return cert.subject
    except LIBRARY_ERRORS as exc:
        raise KeyMaterialError(f"malformed certificate subject: {exc}") from exc


def find_extension(cert: x509.Certificate, oid: ObjectIdentifier) -> x509.Extension[Any] | None:
    """The extension *oid* of *cert*, or None."""
    try:
        return certificate_extensions(cert).get_extension_for_oid(oid)
    except x509.ExtensionNotFound:
        return None


def _subject_value(cert: x509.Certificate, oid: ObjectIdentifier) -> str | bytes | None:
    """The value of the subject attribute *oid*, if there is exactly one."""
    values = _subject(cert).get_attributes_for_oid(oid)
    return values[0].value if len(values) == 1 else None


def certificate_role(cert: x509.Certificate) -> int | None:
    """The remote party role written as two hex digits in the subject OU (GBCS RemotePartyRole)."""
    text = _subject_value(cert, NameOID.ORGANIZATIONAL_UNIT_NAME)
    if not isinstance(text, str) or len(text) != 2:
        return None
    try:
        return int(text, 16)
    except ValueError:
        return None


def subject_unique_identifier(cert: x509.Certificate) -> bytes | None:
    """The EUI of the subject x500UniqueIdentifier (a 64-bit BIT STRING), or None."""
    value = _subject_value(cert, NameOID.X500_UNIQUE_IDENTIFIER)
    if not isinstance(value, bytes) or len(value) != EUI_LENGTH + 1 or value[0] != 0:
        return None
    return value[1:]


def hardware_module_names(cert: x509.Certificate) -> list[tuple[str, bytes]] | None:
    """(hwType, hwSerialNum) of every hardwareModuleName in the SAN; None if there is no SAN."""
    ext = find_extension(cert, ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    if ext is None:
        return None
    found = []
    for name in ext.value:
        if isinstance(name, x509.OtherName) and name.type_id == HARDWARE_MODULE_NAME_OID:
            try:
                parsed = _HardwareModuleName.load(name.value, strict=True)
                found.append((parsed["hw_type"].dotted, parsed["hw_serial_num"].native))
            except LIBRARY_ERRORS as exc:
                raise KeyMaterialError(f"malformed hardwareModuleName: {exc}") from exc
    return found


def certificate_eui(cert: x509.Certificate) -> bytes | None:
    """The entity identifier: the subject x500UniqueIdentifier, else the SAN hwSerialNum."""
    eui = subject_unique_identifier(cert)
    if eui is not None:
        return eui
    names = hardware_module_names(cert) or []
    serials = [serial for _, serial in names if len(serial) == EUI_LENGTH]
    return serials[0] if len(serials) == 1 else None


def common_name(cert: x509.Certificate) -> str | None:
    """The subject CN, if there is exactly one."""
    value = _subject_value(cert, NameOID.COMMON_NAME)
    return None if value is None else str(value)


def subject_key_identifier(cert: x509.Certificate) -> bytes | None:
    """The subjectKeyIdentifier extension value."""
    ext = find_extension(cert, ExtensionOID.SUBJECT_KEY_IDENTIFIER)
    return bytes(ext.value.digest) if ext is not None else None


def authority_key_identifier(cert: x509.Certificate) -> bytes | None:
    """The keyIdentifier of the authorityKeyIdentifier extension."""
    ext = find_extension(cert, ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
    if ext is None or ext.value.key_identifier is None:
        return None
    return bytes(ext.value.key_identifier)


def key_usages(cert: x509.Certificate) -> frozenset[str]:
    """The keyUsage bits set, by their RFC 5280 names (e.g. ``digitalSignature``)."""
    ext = find_extension(cert, ExtensionOID.KEY_USAGE)
    if ext is None:
        return frozenset()
    usage = ext.value
    names = {name for attr, name in _KEY_USAGE_FLAGS if getattr(usage, attr)}
    if usage.key_agreement:
        if usage.encipher_only:
            names.add("encipherOnly")
        if usage.decipher_only:
            names.add("decipherOnly")
    return frozenset(names)


def certificate_policies(cert: x509.Certificate) -> tuple[str, ...]:
    """Dotted policy OIDs of the certificatePolicies extension, in order."""
    ext = find_extension(cert, ExtensionOID.CERTIFICATE_POLICIES)
    if ext is None:
        return ()
    return tuple(info.policy_identifier.dotted_string for info in ext.value)


def _is_ca(cert: x509.Certificate) -> bool:
    ext = find_extension(cert, ExtensionOID.BASIC_CONSTRAINTS)
    if ext is not None and ext.value.ca:
        return True
    return CERT_SIGN in key_usages(cert)


def certificate_profile(cert: x509.Certificate) -> CertificateProfile:
    """Classify a certificate as root, organisation CA, device CA, organisation or device."""
    if _is_ca(cert):
        role = certificate_role(cert)
        if role == ROLE_ROOT:
            return CertificateProfile.ROOT
        if role == ROLE_ISSUING_AUTHORITY:
            return CertificateProfile.ORGANISATION_CA
        return CertificateProfile.DEVICE_CA
    if len(_subject(cert)) == 0 or hardware_module_names(cert):
        return CertificateProfile.DEVICE
    return CertificateProfile.ORGANISATION


def certificate_details(cert: x509.Certificate) -> CertificateDetails:
    """All SMKI-relevant fields of ``cert``; KeyMaterialError if its extensions are malformed."""
    try:
        return _details(cert)
    except LIBRARY_ERRORS as exc:
        raise KeyMaterialError(f"malformed certificate: {exc}") from exc


def _details(cert: x509.Certificate) -> CertificateDetails:
    return CertificateDetails(
        profile=certificate_profile(cert),
        role=certificate_role(cert),
        eui=certificate_eui(cert),
        common_name=common_name(cert),
        serial_number=cert.serial_number,
        subject_key_identifier=subject_key_identifier(cert),
        authority_key_identifier=authority_key_identifier(cert),
        key_usages=key_usages(cert),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        policies=certificate_policies(cert),
    )


def certificate_public_key(cert: x509.Certificate) -> ec.EllipticCurvePublicKey:
    """The certificate's P-256 public key; KeyMaterialError for any other key type or curve."""
    try:
        key = cert.public_key()
    except LIBRARY_ERRORS as exc:
        raise KeyMaterialError(f"unreadable certificate public key: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise KeyMaterialError("certificate key is not a P-256 public key")
    return key


def verify_certificate_signature(cert: x509.Certificate, issuer: x509.Certificate | ec.EllipticCurvePublicKey) -> None:
    """Check ``cert``'s ECDSA-with-SHA-256 signature with the issuer's key; raise SignatureError if bad.

    Given an issuer certificate, the issuer name must also match ``cert``'s issuer field.
    """
    if isinstance(issuer, x509.Certificate):
        if cert.issuer != issuer.subject:
            raise SignatureError("issuer name does not match the issuing certificate's subject")
        issuer_key = certificate_public_key(issuer)
    else:
        issuer_key = issuer
    if cert.signature_algorithm_oid != SignatureAlgorithmOID.ECDSA_WITH_SHA256:
        raise SignatureError("certificate is not signed with ecdsa-with-SHA256")
    try:
        issuer_key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, *LIBRARY_ERRORS) as exc:
        raise SignatureError("certificate signature does not verify") from exc
