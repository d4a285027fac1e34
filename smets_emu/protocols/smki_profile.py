"""Checking an SMKI certificate against the GBCS certificate profile (GBCS 12).

Common rules for every certificate, then the rules of its shape (root, organisation CA,
device CA, organisation, device; see :func:`~smets_emu.protocols.certificates.certificate_profile`).
"""

from __future__ import annotations

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.x509.oid import ExtensionOID, NameOID, SignatureAlgorithmOID

from smets_emu.errors import KeyMaterialError
from smets_emu.protocols.certificates import (
    AGREEMENT,
    CERT_SIGN,
    DEVICE_NOT_AFTER,
    EUI_LENGTH,
    KEY_IDENTIFIER_LENGTH,
    KNOWN_EXTENSIONS,
    LIBRARY_ERRORS,
    SIGNING,
    CertificateProfile,
    certificate_der,
    certificate_extensions,
    certificate_profile,
    certificate_public_key,
    certificate_role,
    find_extension,
    hardware_module_names,
    key_identifier,
    key_usages,
    subject_unique_identifier,
)


def check_smki_profile(cert: x509.Certificate) -> list[str]:
    """Violations of the GBCS 12 certificate rules by ``cert`` (empty when it conforms).

    Common rules: v3, ecdsa-with-SHA256, an uncompressed P-256 key, keyUsage critical,
    subjectKeyIdentifier non-critical and equal to the 8-byte method-2 identifier,
    certificatePolicies critical with at least one policy, authorityKeyIdentifier non-critical
    keyIdentifier (except on the root), a positive serial, no unknown critical extension.
    Then the rules of the certificate's profile (see :func:`certificate_profile`).
    """
    try:
        return _check(cert)
    except KeyMaterialError as exc:
        return [str(exc)]
    except LIBRARY_ERRORS as exc:
        return [f"unreadable certificate: {exc}"]


def _check(cert: x509.Certificate) -> list[str]:
    problems: list[str] = []
    if cert.version != x509.Version.v3:
        problems.append("version is not v3")
    if cert.signature_algorithm_oid != SignatureAlgorithmOID.ECDSA_WITH_SHA256:
        problems.append("signature algorithm is not ecdsa-with-SHA256")
    if cert.serial_number <= 0:
        problems.append("serial number is not positive")
    problems.extend(_check_public_key(cert))
    exts = certificate_extensions(cert)
    for ext in exts:
        if ext.critical and ext.oid not in KNOWN_EXTENSIONS:
            problems.append(f"unknown critical extension {ext.oid.dotted_string}")
    profile = certificate_profile(cert)
    problems.extend(_check_key_usage_extension(cert))
    problems.extend(_check_key_identifiers(cert, root=profile is CertificateProfile.ROOT))
    problems.extend(_check_policies(cert, exactly_one=profile is CertificateProfile.DEVICE))
    if not cert.not_valid_before_utc < cert.not_valid_after_utc:
        problems.append("notBefore is not before notAfter")
    checker = {
        CertificateProfile.ROOT: _check_root,
        CertificateProfile.ORGANISATION_CA: _check_issuing_ca,
        CertificateProfile.DEVICE_CA: _check_issuing_ca,
        CertificateProfile.ORGANISATION: _check_organisation,
        CertificateProfile.DEVICE: _check_device,
    }[profile]
    problems.extend(checker(cert))
    return problems


def _check_public_key(cert: x509.Certificate) -> list[str]:
    try:
        certificate_public_key(cert)
    except KeyMaterialError as exc:
        return [str(exc)]
    raw = asn1_x509.Certificate.load(certificate_der(cert))
    point = raw["tbs_certificate"]["subject_public_key_info"]["public_key"].contents
    # BIT STRING contents: unused-bits byte, then the point.
    if len(point) != 66 or point[1] != 0x04:
        return ["public key is not an uncompressed P-256 point"]
    return []


def _check_key_usage_extension(cert: x509.Certificate) -> list[str]:
    ext = find_extension(cert, ExtensionOID.KEY_USAGE)
    if ext is None:
        return ["keyUsage is absent"]
    return [] if ext.critical else ["keyUsage is not critical"]


def _check_key_identifiers(cert: x509.Certificate, *, root: bool) -> list[str]:
    problems = []
    ski = find_extension(cert, ExtensionOID.SUBJECT_KEY_IDENTIFIER)
    if ski is None:
        problems.append("subjectKeyIdentifier is absent")
    else:
        if ski.critical:
            problems.append("subjectKeyIdentifier is critical")
        expected = key_identifier(certificate_public_key(cert))
        if ski.value.digest != expected:
            problems.append(
                f"subjectKeyIdentifier {ski.value.digest.hex().upper()} is not the method-2 "
                f"identifier {expected.hex().upper()}"
            )
    aki = find_extension(cert, ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
    if aki is None:
        if not root:
            problems.append("authorityKeyIdentifier is absent")
        return problems
    if aki.critical:
        problems.append("authorityKeyIdentifier is critical")
    value = aki.value
    if value.key_identifier is None:
        problems.append("authorityKeyIdentifier has no keyIdentifier")
    elif len(value.key_identifier) != KEY_IDENTIFIER_LENGTH:
        problems.append(f"authorityKeyIdentifier keyIdentifier is not {KEY_IDENTIFIER_LENGTH} bytes")
    if value.authority_cert_issuer is not None or value.authority_cert_serial_number is not None:
        problems.append("authorityKeyIdentifier carries more than a keyIdentifier")
    return problems


def _check_policies(cert: x509.Certificate, *, exactly_one: bool) -> list[str]:
    ext = find_extension(cert, ExtensionOID.CERTIFICATE_POLICIES)
    if ext is None:
        return ["certificatePolicies is absent"]
    problems = [] if ext.critical else ["certificatePolicies is not critical"]
    count = len(ext.value)
    if count == 0:
        problems.append("certificatePolicies holds no policy")
    elif exactly_one and count != 1:
        problems.append(f"certificatePolicies holds {count} policies, a device certificate has exactly one")
    return problems


def _check_end_entity_usage(cert: x509.Certificate) -> list[str]:
    usages = key_usages(cert)
    if usages not in (frozenset({SIGNING}), frozenset({AGREEMENT})):
        return [f"keyUsage {sorted(usages)} is not exactly one of digitalSignature or keyAgreement"]
    return []


def _check_basic_constraints_ca(cert: x509.Certificate) -> list[str]:
    problems = []
    ext = find_extension(cert, ExtensionOID.BASIC_CONSTRAINTS)
    if ext is None or not ext.value.ca:
        problems.append("basicConstraints CA:TRUE is absent")
    elif not ext.critical:
        problems.append("basicConstraints is not critical")
    if CERT_SIGN not in key_usages(cert):
        problems.append("keyUsage lacks keyCertSign")
    return problems


def _check_root(cert: x509.Certificate) -> list[str]:
    problems = _check_basic_constraints_ca(cert)
    if cert.subject != cert.issuer:
        problems.append("root certificate is not self-issued")
    return problems


def _check_issuing_ca(cert: x509.Certificate) -> list[str]:
    return _check_basic_constraints_ca(cert)


def _check_organisation(cert: x509.Certificate) -> list[str]:
    problems = _check_end_entity_usage(cert)
    subject = cert.subject
    ous = subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    if len(ous) != 1:
        problems.append(f"subject has {len(ous)} OU attributes, expected one")
    elif certificate_role(cert) is None:
        problems.append(f"subject OU {ous[0].value!r} is not a role written as two hex digits")
    ids = subject.get_attributes_for_oid(NameOID.X500_UNIQUE_IDENTIFIER)
    if len(ids) != 1:
        problems.append(f"subject has {len(ids)} x500UniqueIdentifier attributes, expected one")
    elif subject_unique_identifier(cert) is None:
        problems.append("subject x500UniqueIdentifier is not a 64-bit BIT STRING")
    allowed = {NameOID.COMMON_NAME, NameOID.ORGANIZATIONAL_UNIT_NAME, NameOID.X500_UNIQUE_IDENTIFIER}
    for attribute in subject:
        if attribute.oid not in allowed:
            problems.append(f"unexpected subject attribute {attribute.oid.dotted_string}")
    bc = find_extension(cert, ExtensionOID.BASIC_CONSTRAINTS)
    if bc is not None and bc.value.ca:
        problems.append("organisation certificate has CA:TRUE")
    return problems


def _check_device(cert: x509.Certificate) -> list[str]:
    problems = _check_end_entity_usage(cert)
    if len(cert.subject) != 0:
        problems.append("device certificate subject is not empty")
    if cert.not_valid_after_utc != DEVICE_NOT_AFTER:
        problems.append(f"device certificate notAfter {cert.not_valid_after_utc.isoformat()} is not 99991231235959Z")
    ext = find_extension(cert, ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    if ext is None:
        problems.append("subjectAltName is absent")
        return problems
    if not ext.critical:
        problems.append("subjectAltName is not critical")
    names = list(ext.value)
    modules = hardware_module_names(cert) or []
    if len(names) != 1 or len(modules) != 1:
        problems.append("subjectAltName is not a single hardwareModuleName otherName")
    for _, serial in modules:
        if len(serial) != EUI_LENGTH:
            problems.append(f"hwSerialNum is {len(serial)} bytes, expected an {EUI_LENGTH}-byte EUI")
    bc = find_extension(cert, ExtensionOID.BASIC_CONSTRAINTS)
    if bc is not None and bc.value.ca:
        problems.append("device certificate has CA:TRUE")
    return problems
