"""SMKI certificate fields and the GBCS 12 profile check, on RTDS and on hand-built certificates."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID, ObjectIdentifier
from hypothesis import given, settings
from hypothesis import strategies as st

from smets_emu.errors import KeyMaterialError, SignatureError
from smets_emu.protocols.certificates import (
    DEVICE_NOT_AFTER,
    CertificateProfile,
    authority_key_identifier,
    certificate_der,
    certificate_details,
    certificate_eui,
    certificate_policies,
    certificate_profile,
    certificate_role,
    hardware_module_name,
    key_identifier,
    key_usages,
    load_certificate,
    subject_key_identifier,
    unique_identifier_attribute,
    verify_certificate_signature,
)
from smets_emu.protocols.smki_profile import check_smki_profile

RTDS = Path(__file__).resolve().parents[2] / ".." / "shared" / "rtds"
KEYSTORE = RTDS / "keystore"
MESSAGES = RTDS / "RTDS-4.5.0"

EUI = bytes.fromhex("90B3D51F30010000")
DEVICE_EUI = bytes.fromhex("00DB1234567890A0")
POLICY = ObjectIdentifier("1.2.826.0.1.8641679.1.2.1.4")


def keystore_certificates() -> list[Path]:
    if not KEYSTORE.is_dir():
        return []
    return sorted(p for p in KEYSTORE.glob("*.pem") if b"BEGIN CERTIFICATE" in p.read_bytes())


def require_rtds_keystore() -> list[Path]:
    files = keystore_certificates()
    if not files:
        pytest.skip("RTDS keystore not available")
    return files


def embedded_certificates() -> list[tuple[str, x509.Certificate]]:
    """Every distinct DER certificate found inside the RTDS messages (CS02b, CS02d, CS03C ...)."""
    found: dict[bytes, tuple[str, x509.Certificate]] = {}
    for path in sorted(MESSAGES.glob("*/*.HEX")):
        data = bytes.fromhex(path.read_text().strip())
        for match in re.finditer(rb"\x30\x82", data):
            start = match.start()
            end = start + 4 + int.from_bytes(data[start + 2 : start + 4], "big")
            if end > len(data) or end - start < 200:
                continue
            try:
                cert = load_certificate(data[start:end])
            except KeyMaterialError:
                continue
            found.setdefault(data[start:end], (path.parent.name, cert))
    return list(found.values())


# --- RTDS keystore ----------------------------------------------------------------------------------------


def test_rtds_keystore_profiles() -> None:
    certs = [load_certificate(p.read_bytes()) for p in require_rtds_keystore()]
    profiles = Counter(certificate_profile(c) for c in certs)
    assert profiles == {CertificateProfile.DEVICE: 400, CertificateProfile.ORGANISATION: 16}


def test_rtds_keystore_conforms_except_load_controller_aki() -> None:
    deviations = {}
    for path in require_rtds_keystore():
        cert = load_certificate(path.read_bytes())
        problems = check_smki_profile(cert)
        if problems:
            deviations[path.name] = (certificate_role(cert), problems)
    # The Load Controller certificates are the only ones without an authorityKeyIdentifier.
    assert deviations == {
        "90b3d51f30010008-ds.pem": (8, ["authorityKeyIdentifier is absent"]),
        "90b3d51f30010008-ka.pem": (8, ["authorityKeyIdentifier is absent"]),
    }


def test_rtds_keystore_fields() -> None:
    for path in require_rtds_keystore():
        cert = load_certificate(path.read_bytes())
        details = certificate_details(cert)
        file_eui = bytes.fromhex(path.name[:16])
        assert details.subject_key_identifier == key_identifier(cert.public_key())
        assert len(details.key_usages) == 1
        expected_usage = "digitalSignature" if path.stem.endswith("-ds") else "keyAgreement"
        assert details.key_usages == {expected_usage}
        if details.profile is CertificateProfile.DEVICE:
            assert details.eui == file_eui
            assert details.role is None
            assert details.not_after == DEVICE_NOT_AFTER
            assert details.authority_key_identifier == bytes.fromhex("47D40AF3412904A0")
            assert details.policies == ("1.2.826.0.1.1800000.1.2.1.4",)
        else:
            assert details.role is not None
            assert details.policies == ("1.2.826.0.1.8641679.1.2.1.4",)
            if path.name != "90b3d51f30000007-ka.pem":  # holds supplier 2's certificate
                assert details.eui == file_eui


def test_rtds_organisation_roles_and_names() -> None:
    require_rtds_keystore()
    expected = {
        "90b3d51f30000001-ds.pem": (1, None),
        "90b3d51f30000002-ka.pem": (4, None),
        "90b3d51f30000004-ds.pem": (5, None),
        "90b3d51f30000007-ds.pem": (6, None),
        "90b3d51f30010000-ds.pem": (2, "GITTESTSUPPLIER"),
        "90b3d51f30030000-ds.pem": (2, "GITTESTSUPPLIER2"),
        "90b3d51f30020000-ka.pem": (3, None),
        "90b3d51f30010008-ds.pem": (8, None),
    }
    for name, (role, cn) in expected.items():
        details = certificate_details(load_certificate((KEYSTORE / name).read_bytes()))
        assert (details.role, details.common_name) == (role, cn)
        assert details.authority_key_identifier in (None, bytes.fromhex("4F5688D7EC933BE2"))


def test_rtds_embedded_certificates() -> None:
    if not MESSAGES.is_dir():
        pytest.skip("RTDS messages not available")
    certs = embedded_certificates()
    assert certs
    profiles = Counter(certificate_profile(c) for _, c in certs)
    assert profiles[CertificateProfile.ORGANISATION_CA] >= 1
    assert profiles[CertificateProfile.ORGANISATION] >= 1
    for folder, cert in certs:
        problems = check_smki_profile(cert)
        assert all(isinstance(p, str) for p in problems)
        if certificate_profile(cert) is not CertificateProfile.DEVICE:
            assert problems == [], folder


# --- hand-built certificates ------------------------------------------------------------------------------


def _key(curve: ec.EllipticCurve | None = None) -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(curve or ec.SECP256R1())


ISSUER_KEY = _key()
ISSUER_NAME = x509.Name(
    [
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "07", _type=_ASN1Type.PrintableString),
        x509.NameAttribute(NameOID.COMMON_NAME, "Z9", _type=_ASN1Type.PrintableString),
    ]
)


def _usage(*, ds: bool = False, ka: bool = False, content_commitment: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(ds, content_commitment, False, False, ka, False, False, False, False)


def build(
    *,
    device: bool = False,
    key: ec.EllipticCurvePrivateKey | None = None,
    usage: x509.KeyUsage | None = None,
    usage_critical: bool = True,
    ski: bytes | None | bool = True,
    aki: bool = True,
    policies: list[ObjectIdentifier] | None = None,
    policies_critical: bool = True,
    subject: x509.Name | None = None,
    san: bool | None = None,
    not_after: datetime | None = None,
    algorithm: hashes.HashAlgorithm | None = None,
    basic_ca: bool | None = None,
    role: str = "02",
) -> x509.Certificate:
    """A certificate of the SMKI profile, with one rule broken when asked."""
    key = key or _key()
    if subject is None and device:
        subject = x509.Name([])
    elif subject is None:
        subject = x509.Name(
            [x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, role), unique_identifier_attribute(EUI)]
        )
    builder = (
        x509.CertificateBuilder()
        .issuer_name(ISSUER_NAME)
        .subject_name(subject)
        .public_key(key.public_key())
        .serial_number(0x11223344556677889900AABBCCDDEEFF)
        .not_valid_before(datetime(2024, 1, 1, tzinfo=UTC))
        .not_valid_after(not_after or (DEVICE_NOT_AFTER if device else datetime(2033, 12, 31, 23, 59, 59, tzinfo=UTC)))
    )
    builder = builder.add_extension(usage or _usage(ds=True), critical=usage_critical)
    if ski is True:
        builder = builder.add_extension(x509.SubjectKeyIdentifier(key_identifier(key.public_key())), critical=False)
    elif isinstance(ski, bytes):
        builder = builder.add_extension(x509.SubjectKeyIdentifier(ski), critical=False)
    if san if san is not None else device:
        builder = builder.add_extension(x509.SubjectAlternativeName([hardware_module_name(DEVICE_EUI)]), critical=True)
    pols = [POLICY] if policies is None else policies
    builder = builder.add_extension(
        x509.CertificatePolicies([x509.PolicyInformation(p, None) for p in pols]), critical=policies_critical
    )
    if basic_ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=basic_ca, path_length=None), critical=True)
    if aki:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier(key_identifier(ISSUER_KEY.public_key()), None, None), critical=False
        )
    return builder.sign(ISSUER_KEY, algorithm or hashes.SHA256())


def test_good_organisation_and_device() -> None:
    org = build()
    dev = build(device=True, usage=_usage(ka=True))
    assert check_smki_profile(org) == []
    assert check_smki_profile(dev) == []
    assert certificate_profile(org) is CertificateProfile.ORGANISATION
    assert certificate_profile(dev) is CertificateProfile.DEVICE
    assert (certificate_role(org), certificate_eui(org)) == (2, EUI)
    assert (certificate_role(dev), certificate_eui(dev)) == (None, DEVICE_EUI)
    assert key_usages(dev) == {"keyAgreement"}
    assert certificate_policies(org) == (POLICY.dotted_string,)
    assert authority_key_identifier(org) == key_identifier(ISSUER_KEY.public_key())
    assert subject_key_identifier(org) is not None and len(subject_key_identifier(org)) == 8
    verify_certificate_signature(org, ISSUER_KEY.public_key())
    details = certificate_details(dev).to_json()
    assert details["eui"] == DEVICE_EUI.hex().upper()
    assert details["profile"] == "device"


BROKEN = [
    ("keyUsage not critical", dict(usage_critical=False), "keyUsage is not critical"),
    ("two key usages", dict(usage=_usage(ds=True, ka=True)), "is not exactly one of"),
    ("content commitment", dict(usage=_usage(content_commitment=True)), "is not exactly one of"),
    ("no SKI", dict(ski=None), "subjectKeyIdentifier is absent"),
    ("wrong SKI", dict(ski=b"\x40" * 8), "is not the method-2 identifier"),
    ("no AKI", dict(aki=False), "authorityKeyIdentifier is absent"),
    ("no policy", dict(policies=[]), "holds no policy"),
    ("policy not critical", dict(policies_critical=False), "certificatePolicies is not critical"),
    ("SHA-384", dict(algorithm=hashes.SHA384()), "ecdsa-with-SHA256"),
    ("P-384 key", dict(key=_key(ec.SECP384R1())), "not a P-256"),
    ("CA:TRUE without keyCertSign", dict(basic_ca=True), "keyUsage lacks keyCertSign"),
    ("bad OU", dict(role="XY"), "is not a role"),
    (
        "no unique identifier",
        dict(subject=x509.Name([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "02")])),
        "x500UniqueIdentifier",
    ),
    ("device expiring", dict(device=True, not_after=datetime(2040, 1, 1, tzinfo=UTC)), "is not 99991231235959Z"),
    ("device two policies", dict(device=True, policies=[POLICY, POLICY]), "exactly one"),
]


@pytest.mark.parametrize(("case", "kwargs", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_profile_violations(case: str, kwargs: dict, message: str) -> None:
    problems = check_smki_profile(build(**kwargs))
    assert any(message in p for p in problems), problems


def test_device_without_san() -> None:
    cert = build(device=True, san=False)
    assert certificate_profile(cert) is CertificateProfile.DEVICE
    assert "subjectAltName is absent" in check_smki_profile(cert)
    assert certificate_eui(cert) is None


def test_device_with_subject() -> None:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "meter")])
    cert = build(device=True, subject=subject)
    assert certificate_profile(cert) is CertificateProfile.DEVICE
    assert "device certificate subject is not empty" in check_smki_profile(cert)


def test_verify_certificate_signature_rejects_wrong_issuer() -> None:
    cert = build()
    with pytest.raises(SignatureError):
        verify_certificate_signature(cert, _key().public_key())
    other_issuer = build()  # subject is not the issuer name of ``cert``
    with pytest.raises(SignatureError):
        verify_certificate_signature(cert, other_issuer)


def test_builder_helpers_encode_the_profile() -> None:
    der = certificate_der(build(device=True))
    assert bytes.fromhex("3019060D2A863A0001848FB90F010202010408") + DEVICE_EUI in der
    der = certificate_der(build())
    assert bytes.fromhex("060355042D030900") + EUI in der  # x500UniqueIdentifier BIT STRING
    with pytest.raises(KeyMaterialError):
        unique_identifier_attribute(b"\x00" * 7)
    with pytest.raises(KeyMaterialError):
        hardware_module_name(b"\x00" * 9)


# --- robustness -------------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_load_certificate_random_bytes(data: bytes) -> None:
    try:
        load_certificate(data)
    except KeyMaterialError:
        pass


GOOD_DERS = [certificate_der(build(device=True)), certificate_der(build())]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(GOOD_DERS), st.integers(min_value=0, max_value=400), st.integers(min_value=1, max_value=255))
def test_mutated_certificates_never_crash_the_checker(der: bytes, position: int, flip: int) -> None:
    data = bytearray(der)
    data[position % len(data)] ^= flip
    try:
        cert = load_certificate(bytes(data))
    except KeyMaterialError:
        return
    problems = check_smki_profile(cert)
    assert all(isinstance(p, str) for p in problems)
    try:
        certificate_details(cert)
    except KeyMaterialError:
        pass
