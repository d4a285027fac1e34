"""Certificate checks a device runs before it trusts a new credential (GBCS 12, 13.3.5).

Certification path validation of a replacement Remote Party certificate against the
issuing CA certificates carried in the command and the device's root trust anchor cell,
the checks on a new device certificate (CS02d), and the PKCS#10 request a device produces
for CS02c (empty subject, the device EUI in a hardwareModuleName subjectAltName).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from smets_emu.emulator.anchors import AnchorCell, CellId, CellKeyUsage, Role, point
from smets_emu.errors import KeyMaterialError, SignatureError
from smets_emu.protocols.certificates import (
    authority_key_identifier,
    certificate_eui,
    certificate_public_key,
    certificate_role,
    hardware_module_name,
    key_usages,
    load_certificate,
    subject_key_identifier,
    verify_certificate_signature,
)
from smets_emu.protocols.payloads.asn1_enums import StatusCode, UpdateDeviceCertificateCode

SUCCESS = StatusCode.SUCCESS
BAD_CERTIFICATE = StatusCode.BAD_CERTIFICATE
NO_TRUST_ANCHOR = StatusCode.NO_TRUST_ANCHOR
TRUST_ANCHOR_NOT_FOUND = StatusCode.TRUST_ANCHOR_NOT_FOUND
OTHER = StatusCode.OTHER
"""StatusCode values of the CS02a/CS02b responses (GBCS 13.3.5)."""

_USAGE_NAMES = {
    CellKeyUsage.DIGITAL_SIGNATURE: "digitalSignature",
    CellKeyUsage.KEY_AGREEMENT: "keyAgreement",
    CellKeyUsage.KEY_CERT_SIGN: "keyCertSign",
}

ACCEPTED_CERTIFICATE_ROLES: dict[Role, frozenset[int]] = {
    Role.LOAD_CONTROLLER: frozenset({int(Role.LOAD_CONTROLLER), int(Role.SUPPLIER), int(Role.OTHER)}),
}
"""Certificate OU roles a cell accepts besides its own role: the load controller cells take the
certificate of whichever party acts as load controller (RTDS CS02g installs a supplier's)."""


@dataclass(frozen=True)
class CheckResult:
    """Outcome of checking one replacement certificate."""

    status: int
    certificate: x509.Certificate | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status == SUCCESS


def _within(cert: x509.Certificate, at: dt.datetime) -> bool:
    return cert.not_valid_before_utc <= at <= cert.not_valid_after_utc


def _same_key(cert: x509.Certificate, key: ec.EllipticCurvePublicKey) -> bool:
    try:
        return point(certificate_public_key(cert)) == point(key)
    except KeyMaterialError:
        return False


def _signed_by(cert: x509.Certificate, key: ec.EllipticCurvePublicKey) -> bool:
    try:
        verify_certificate_signature(cert, key)
    except SignatureError:
        return False
    return True


def _load_all(ders: list[bytes]) -> list[x509.Certificate]:
    out = []
    for der in ders:
        try:
            out.append(load_certificate(der))
        except KeyMaterialError:
            continue
    return out


def check_replacement(
    der: bytes,
    target: CellId,
    path: list[bytes],
    root_cell: AnchorCell | None,
    *,
    at: dt.datetime | None,
    recovery_key: ec.EllipticCurvePublicKey | None = None,
    root_authorised: bool = False,
) -> CheckResult:
    """Check a replacement certificate for *target* (GBCS 12, 13.3.5 certification path validation).

    *at* is the time for the validity checks (None when applyTimeBasedCPVChecks is disapply).
    A new root is accepted only when *root_authorised* (a command signed by the recovery key)
    or when a certificate of the new root key signed by *recovery_key* comes with it.
    """
    try:
        cert = load_certificate(der)
        new_key = certificate_public_key(cert)
        usages = key_usages(cert)
        role = certificate_role(cert)
    except (KeyMaterialError, ValueError) as exc:
        return CheckResult(BAD_CERTIFICATE, reason=f"unreadable certificate: {exc}")
    wanted = _USAGE_NAMES[target.key_usage]
    if wanted not in usages:
        return CheckResult(BAD_CERTIFICATE, reason=f"key usage {sorted(usages)} does not fit {target.label()}")
    if target.key_usage is not CellKeyUsage.KEY_CERT_SIGN and len(usages & {"digitalSignature", "keyAgreement"}) != 1:
        return CheckResult(BAD_CERTIFICATE, reason="certificate has more than one end-entity key usage")
    accepted = ACCEPTED_CERTIFICATE_ROLES.get(target.role, frozenset({int(target.role)}))
    if role not in accepted:
        return CheckResult(BAD_CERTIFICATE, reason=f"certificate role {role} does not fit {target.label()}")
    if at is not None and not _within(cert, at):
        return CheckResult(BAD_CERTIFICATE, reason="certificate is not valid at this time")
    chain = _load_all(path)
    if target.role is Role.ROOT:
        return _check_root(cert, new_key, chain, recovery_key, root_authorised)
    if certificate_eui(cert) is None:
        return CheckResult(BAD_CERTIFICATE, reason="certificate names no entity identifier")
    aki = authority_key_identifier(cert)
    issuers = [c for c in chain if c.subject == cert.issuer and (aki is None or subject_key_identifier(c) == aki)]
    if not issuers:
        return CheckResult(NO_TRUST_ANCHOR, reason="no issuing CA certificate for the replacement")
    issuer = issuers[0]
    if not _signed_by(cert, certificate_public_key(issuer)):
        return CheckResult(BAD_CERTIFICATE, reason="certificate signature does not verify")
    if "keyCertSign" not in key_usages(issuer):
        return CheckResult(BAD_CERTIFICATE, reason="issuing CA certificate may not sign certificates")
    if at is not None and not _within(issuer, at):
        return CheckResult(BAD_CERTIFICATE, reason="issuing CA certificate is not valid at this time")
    if root_cell is None or root_cell.subject_key_id is None:
        return CheckResult(NO_TRUST_ANCHOR, reason="device holds no root trust anchor")
    if root_cell.public_point is not None:
        if not _signed_by(issuer, root_cell.public_key()):
            return CheckResult(NO_TRUST_ANCHOR, reason="issuing CA does not chain to the root trust anchor")
    elif authority_key_identifier(issuer) != root_cell.subject_key_id:
        return CheckResult(NO_TRUST_ANCHOR, reason="issuing CA does not name the root trust anchor")
    return CheckResult(SUCCESS, cert)


def _check_root(
    cert: x509.Certificate,
    new_key: ec.EllipticCurvePublicKey,
    chain: list[x509.Certificate],
    recovery_key: ec.EllipticCurvePublicKey | None,
    root_authorised: bool,
) -> CheckResult:
    if cert.issuer != cert.subject or not _signed_by(cert, new_key):
        return CheckResult(BAD_CERTIFICATE, reason="a root certificate is self-signed")
    if root_authorised:
        return CheckResult(SUCCESS, cert)
    if recovery_key is not None:
        for candidate in (cert, *chain):
            if _same_key(candidate, new_key) and _signed_by(candidate, recovery_key):
                return CheckResult(SUCCESS, cert)
    return CheckResult(NO_TRUST_ANCHOR, reason="root replacement is not authorised by the recovery key")


# --- device certificates (CS02c, CS02d) ---------------------------------------------------------------------

CS02D_SUCCESS = UpdateDeviceCertificateCode.SUCCESS
CS02D_INVALID_CERTIFICATE = UpdateDeviceCertificateCode.INVALID_CERTIFICATE
CS02D_WRONG_DEVICE_IDENTITY = UpdateDeviceCertificateCode.WRONG_DEVICE_IDENTITY
CS02D_INVALID_KEY_USAGE = UpdateDeviceCertificateCode.INVALID_KEY_USAGE
CS02D_NO_KEY_PAIR = UpdateDeviceCertificateCode.NO_CORRESPONDING_KEY_PAIR_GENERATED
CS02D_WRONG_PUBLIC_KEY = UpdateDeviceCertificateCode.WRONG_PUBLIC_KEY


def device_certificate_usage(cert: x509.Certificate) -> str | None:
    """``"ds"`` or ``"ka"`` when the certificate has exactly one of those key usages, else None."""
    usages = key_usages(cert)
    if usages == {"digitalSignature"}:
        return "ds"
    if usages == {"keyAgreement"}:
        return "ka"
    return None


def certification_request(eui: bytes, usage: str, key: ec.EllipticCurvePrivateKey) -> bytes:
    """A PKCS#10 request for a device key pair: empty subject, key usage and hardwareModuleName SAN (GBCS 12)."""
    signing = usage == "ds"
    key_usage = x509.KeyUsage(
        digital_signature=signing, content_commitment=False, key_encipherment=False, data_encipherment=False,
        key_agreement=not signing, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
    )
    from cryptography.hazmat.primitives.serialization import Encoding

    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([]))
        .add_extension(key_usage, critical=True)
        .add_extension(x509.SubjectAlternativeName([hardware_module_name(eui)]), critical=True)
        .sign(key, hashes.SHA256())
    )
    return request.public_bytes(Encoding.DER)


def check_device_certificate(der: bytes, eui: bytes) -> tuple[int, x509.Certificate | None, str | None]:
    """First CS02d checks: readable, names this device, one key usage. Returns (code, cert, usage)."""
    try:
        cert = load_certificate(der)
        certificate_public_key(cert)
        cert_eui = certificate_eui(cert)
    except (KeyMaterialError, ValueError):
        return CS02D_INVALID_CERTIFICATE, None, None
    if cert_eui != eui:
        return CS02D_WRONG_DEVICE_IDENTITY, cert, None
    usage = device_certificate_usage(cert)
    if usage is None:
        return CS02D_INVALID_KEY_USAGE, cert, None
    return CS02D_SUCCESS, cert, usage
