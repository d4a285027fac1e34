"""The project's SMKI-shaped test PKI: profile, chaining, key agreement, persistence."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtensionOID

from smets_emu.errors import PkiError, SignatureError
from smets_emu.protocols.certificates import (
    DEVICE_NOT_AFTER,
    CertificateProfile,
    certificate_der,
    certificate_details,
    key_identifier,
    verify_certificate_signature,
)
from smets_emu.protocols.keystore import Keystore, KeyUsage
from smets_emu.protocols.pki import (
    DEFAULT_DEVICES,
    DEFAULT_ORGANISATIONS,
    ROLE_SUPPLIER,
    TestPki,
    generate_test_pki,
)
from smets_emu.protocols.smki_profile import check_smki_profile

NOT_BEFORE = datetime(2015, 10, 30, tzinfo=UTC)
SUPPLIER = bytes.fromhex("90B3D51F30010000")
ESME = bytes.fromhex("00DB1234567890A0")
P384_KEY = ec.generate_private_key(ec.SECP384R1()).public_key()

ORGANISATION_EXTENSIONS = [
    ExtensionOID.KEY_USAGE,
    ExtensionOID.SUBJECT_KEY_IDENTIFIER,
    ExtensionOID.CERTIFICATE_POLICIES,
    ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
]
DEVICE_EXTENSIONS = [
    ExtensionOID.KEY_USAGE,
    ExtensionOID.SUBJECT_KEY_IDENTIFIER,
    ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
    ExtensionOID.CERTIFICATE_POLICIES,
    ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
]
CA_EXTENSIONS = [
    ExtensionOID.KEY_USAGE,
    ExtensionOID.BASIC_CONSTRAINTS,
    ExtensionOID.CERTIFICATE_POLICIES,
    ExtensionOID.SUBJECT_KEY_IDENTIFIER,
    ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
]


@pytest.fixture(scope="module")
def pki() -> TestPki:
    return generate_test_pki(not_before=NOT_BEFORE, seed="tests", common_names={SUPPLIER: "GITTESTSUPPLIER"})


def _all_certificates(pki: TestPki) -> list[x509.Certificate]:
    return [*pki.ca_certificates, *(e.certificate for e in pki.keystore.entries())]


def test_contents(pki: TestPki) -> None:
    store = pki.keystore
    suppliers = sum(1 for role in DEFAULT_ORGANISATIONS.values() if role == ROLE_SUPPLIER)
    assert len(store) == 2 * len(DEFAULT_ORGANISATIONS) + suppliers + 2 * len(DEFAULT_DEVICES) == 32
    assert store.euis() == sorted([*DEFAULT_ORGANISATIONS, *DEFAULT_DEVICES])
    for eui, role in DEFAULT_ORGANISATIONS.items():
        assert store.role_of(eui) == role
        usages = {e.usage for e in store.entries() if e.eui == eui}
        expected = {KeyUsage.DS, KeyUsage.KA} | ({KeyUsage.KA_PREPAYMENT} if role == ROLE_SUPPLIER else set())
        assert usages == expected
    for eui in DEFAULT_DEVICES:
        assert store.role_of(eui) is None
    for entry in store.entries():
        assert entry.certificate is not None and entry.private_key is not None
        assert entry.private_key.public_key().public_numbers() == entry.certificate.public_key().public_numbers()
        assert certificate_details(entry.certificate).eui == entry.eui


def test_every_certificate_meets_the_profile(pki: TestPki) -> None:
    expected = {
        CertificateProfile.ROOT: 1,
        CertificateProfile.ORGANISATION_CA: 1,
        CertificateProfile.DEVICE_CA: 1,
        CertificateProfile.ORGANISATION: 18,
        CertificateProfile.DEVICE: 14,
    }
    seen: dict[CertificateProfile, int] = {}
    for cert in _all_certificates(pki):
        assert check_smki_profile(cert) == []
        profile = certificate_details(cert).profile
        seen[profile] = seen.get(profile, 0) + 1
    assert seen == expected


def test_certificates_chain(pki: TestPki) -> None:
    root = pki.root_certificate
    verify_certificate_signature(root, root)
    verify_certificate_signature(pki.organisation_ca_certificate, root)
    verify_certificate_signature(pki.device_ca_certificate, root)
    for entry in pki.keystore.entries():
        issuer = pki.issuer_of(entry.certificate)
        profile = certificate_details(entry.certificate).profile
        device = profile is CertificateProfile.DEVICE
        assert issuer is (pki.device_ca_certificate if device else pki.organisation_ca_certificate)
        verify_certificate_signature(entry.certificate, issuer)
        with pytest.raises(SignatureError):
            verify_certificate_signature(entry.certificate, pki.root_certificate.public_key())
        # cryptography's own issuer check agrees
        entry.certificate.verify_directly_issued_by(issuer)
    assert pki.issuer_of(root) is root


def test_key_agreement_pairs_agree(pki: TestPki) -> None:
    store = pki.keystore
    parties = [
        (eui, usage)
        for eui, role in DEFAULT_ORGANISATIONS.items()
        for usage in (KeyUsage.KA, KeyUsage.KA_PREPAYMENT)
        if usage is KeyUsage.KA or role == ROLE_SUPPLIER
    ]
    for device in DEFAULT_DEVICES:
        device_private = store.require_private_key(device, KeyUsage.KA)
        device_public = store.require_certificate(device, KeyUsage.KA).public_key()
        for eui, usage in parties:
            party_private = store.require_private_key(eui, usage)
            party_public = store.require_certificate(eui, usage).public_key()
            assert party_private.exchange(ec.ECDH(), device_public) == device_private.exchange(ec.ECDH(), party_public)


def test_signing_keys_sign(pki: TestPki) -> None:
    data = b"general-signing apdu"
    for entry in pki.keystore.entries():
        if entry.usage is KeyUsage.DS:
            signature = entry.private_key.sign(data, ec.ECDSA(hashes.SHA256()))
            entry.certificate.public_key().verify(signature, data, ec.ECDSA(hashes.SHA256()))


def _raw(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate_der(cert))


def test_organisation_certificate_encoding(pki: TestPki) -> None:
    cert = pki.keystore.require_certificate(SUPPLIER, KeyUsage.DS)
    tbs = _raw(cert)["tbs_certificate"]
    issuer = tbs["issuer"].chosen
    assert [rdn[0]["type"].native for rdn in issuer] == ["organizational_unit_name", "common_name"]
    assert all(rdn[0]["value"].name == "printable_string" for rdn in issuer)
    subject = tbs["subject"].chosen
    assert [rdn[0]["type"].dotted for rdn in subject] == ["2.5.4.3", "2.5.4.11", "2.5.4.45"]
    assert [rdn[0]["value"].native for rdn in subject[:2]] == ["GITTESTSUPPLIER", "02"]
    assert subject[2][0]["value"].dump() == bytes.fromhex("030900") + SUPPLIER
    serial = tbs["serial_number"].contents
    assert len(serial) == 16 and serial[0] < 0x80 and serial[0] != 0
    assert tbs["validity"]["not_before"].name == "utc_time"
    assert tbs["validity"]["not_after"].name == "utc_time"
    assert cert.not_valid_before_utc == NOT_BEFORE
    assert cert.not_valid_after_utc == datetime(2025, 10, 29, 23, 59, 59, tzinfo=UTC)
    assert [ext.oid for ext in cert.extensions] == ORGANISATION_EXTENSIONS
    assert certificate_details(cert).authority_key_identifier == key_identifier(
        pki.organisation_ca_certificate.public_key()
    )
    der = certificate_der(cert)
    assert bytes.fromhex("0603551D0F0101FF040403020780") in der  # keyUsage critical digitalSignature
    ka = certificate_der(pki.keystore.require_certificate(SUPPLIER, KeyUsage.KA))
    assert bytes.fromhex("0603551D0F0101FF040403020308") in ka  # keyUsage critical keyAgreement
    assert bytes.fromhex("0603551D200101FF0413301130") in der  # certificatePolicies critical, one policy
    # Only DS certificates of named organisations carry a CN.
    ka_subject = _raw(pki.keystore.require_certificate(SUPPLIER, KeyUsage.KA))["tbs_certificate"]["subject"].chosen
    assert [rdn[0]["type"].dotted for rdn in ka_subject] == ["2.5.4.11", "2.5.4.45"]


def test_device_certificate_encoding(pki: TestPki) -> None:
    cert = pki.keystore.require_certificate(ESME, KeyUsage.KA)
    tbs = _raw(cert)["tbs_certificate"]
    assert tbs["subject"].dump() == b"\x30\x00"
    assert tbs["validity"]["not_after"].name == "general_time"
    assert tbs["validity"]["not_after"].chosen.contents == b"99991231235959Z"
    assert cert.not_valid_after_utc == DEVICE_NOT_AFTER
    assert [ext.oid for ext in cert.extensions] == DEVICE_EXTENSIONS
    assert cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).critical
    issuer = tbs["issuer"].chosen
    assert len(issuer) == 1 and issuer[0][0]["value"].name == "printable_string"
    assert len(issuer[0][0]["value"].native) == 4
    assert bytes.fromhex("3019060D2A863A0001848FB90F010202010408") + ESME in certificate_der(cert)


def test_ca_certificates(pki: TestPki) -> None:
    root, org_ca, device_ca = pki.ca_certificates
    assert root.subject == root.issuer
    assert [ext.oid for ext in root.extensions] == CA_EXTENSIONS[:-1]
    assert [ext.oid for ext in org_ca.extensions] == CA_EXTENSIONS
    assert [ext.oid for ext in device_ca.extensions] == CA_EXTENSIONS
    assert certificate_details(root).role == 0
    assert certificate_details(org_ca).role == 7
    for ca in (org_ca, device_ca):
        constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints)
        assert constraints.critical and constraints.value.ca and constraints.value.path_length == 0
    assert org_ca.not_valid_after_utc == datetime(2040, 10, 29, 23, 59, 59, tzinfo=UTC)


def test_seeded_generation_is_reproducible() -> None:
    a = generate_test_pki(seed=b"same", devices=[ESME], organisations={SUPPLIER: 2})
    b = generate_test_pki(seed=b"same", devices=[ESME], organisations={SUPPLIER: 2})
    c = generate_test_pki(seed=b"other", devices=[ESME], organisations={SUPPLIER: 2})
    ders = [[certificate_der(cert) for cert in _all_certificates(p)] for p in (a, b, c)]
    assert ders[0] == ders[1]
    assert not set(ders[0]) & set(ders[2])
    assert a.root_certificate.not_valid_before_utc == datetime(2024, 1, 1, tzinfo=UTC)


def test_unseeded_generation_is_random() -> None:
    a = generate_test_pki(devices=[], organisations={})
    b = generate_test_pki(devices=[], organisations={})
    assert certificate_der(a.root_certificate) != certificate_der(b.root_certificate)
    assert a.root_certificate.not_valid_before_utc <= datetime.now(UTC)


def test_issuing_later(pki: TestPki) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = pki.issue_organisation_certificate(SUPPLIER, 2, KeyUsage.KA, key.public_key())
    assert check_smki_profile(cert) == []
    verify_certificate_signature(cert, pki.organisation_ca_certificate)
    first = pki.new_private_key("replacement")
    second = pki.new_private_key("replacement")
    assert first.private_numbers() != second.private_numbers()
    device = pki.issue_device_certificate(bytes.fromhex("00DB123456789999"), KeyUsage.DS, key.public_key())
    assert check_smki_profile(device) == []
    assert certificate_details(device).eui == bytes.fromhex("00DB123456789999")


@pytest.mark.parametrize(
    "call",
    [
        lambda p, k: p.issue_organisation_certificate(SUPPLIER, 0, KeyUsage.DS, k),
        lambda p, k: p.issue_organisation_certificate(SUPPLIER, 7, KeyUsage.DS, k),
        lambda p, k: p.issue_organisation_certificate(SUPPLIER, 256, KeyUsage.DS, k),
        lambda p, k: p.issue_organisation_certificate(b"\x01" * 7, 2, KeyUsage.DS, k),
        lambda p, k: p.issue_device_certificate(ESME, KeyUsage.KA_PREPAYMENT, k),
        lambda p, k: p.issue_device_certificate(ESME, KeyUsage.DS, P384_KEY),
    ],
)
def test_bad_issuing_requests(pki: TestPki, call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PkiError):
        call(pki, ec.generate_private_key(ec.SECP256R1()).public_key())


def test_bad_generation_arguments() -> None:
    with pytest.raises(PkiError):
        generate_test_pki(devices=[b"\x00" * 9])
    with pytest.raises(PkiError):
        generate_test_pki(device_ca_name="TOOLONG")
    with pytest.raises(PkiError):
        generate_test_pki(seed=1.5)  # type: ignore[arg-type]


def test_save_and_load(pki: TestPki, tmp_path: Path) -> None:
    pki.save(tmp_path)
    names = {p.name for p in tmp_path.iterdir()}
    for stem in ("root-ca", "organisation-ca", "device-ca"):
        assert {f"{stem}.pem", f"{stem}.key"} <= names
    again = TestPki.load(tmp_path)
    assert [certificate_der(c) for c in _all_certificates(again)] == [
        certificate_der(c) for c in _all_certificates(pki)
    ]
    assert again.root_private_key.private_numbers() == pki.root_private_key.private_numbers()
    for entry in pki.keystore.entries():
        assert again.keystore.require_private_key(entry.eui, entry.usage).private_numbers() == (
            entry.private_key.private_numbers()
        )
    # A plain keystore load of the same folder ignores the CA files.
    assert len(Keystore.load(tmp_path)) == len(pki.keystore)
    # The loaded PKI can keep issuing.
    key = ec.generate_private_key(ec.SECP256R1())
    verify_certificate_signature(
        again.issue_device_certificate(ESME, KeyUsage.DS, key.public_key()), again.device_ca_certificate
    )


def test_load_missing_or_mismatched_ca(pki: TestPki, tmp_path: Path) -> None:
    pki.save(tmp_path)
    (tmp_path / "device-ca.key").write_bytes((tmp_path / "root-ca.key").read_bytes())
    with pytest.raises(PkiError):
        TestPki.load(tmp_path)
    (tmp_path / "device-ca.key").unlink()
    with pytest.raises(PkiError):
        TestPki.load(tmp_path)
    (tmp_path / "root-ca.pem").write_bytes(b"garbage")
    with pytest.raises(PkiError):
        TestPki.load(tmp_path)
