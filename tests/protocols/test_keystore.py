"""Keystore folders: the RTDS keystore, round trips, and malformed files."""

from __future__ import annotations

import base64
import hashlib
import logging
import tempfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from smets_emu.errors import KeyMaterialError, KeystoreError, SmetsError
from smets_emu.protocols.certificates import certificate_der, certificate_eui
from smets_emu.protocols.keystore import Keystore, KeyUsage, parse_key_material, private_key_pem
from smets_emu.protocols.pki import generate_test_pki

RTDS = Path(__file__).resolve().parents[2] / ".." / "shared" / "rtds"
KEYSTORE = RTDS / "keystore"

ACB = bytes.fromhex("90B3D51F30000002")
SUPPLIER = bytes.fromhex("90B3D51F30010000")
SUPPLIER_2 = bytes.fromhex("90B3D51F30030000")
WAN_PROVIDER = bytes.fromhex("90B3D51F30000007")
ESME = bytes.fromhex("00DB1234567890A0")

RTDS_ROLES = {
    "90B3D51F30000001": 1,
    "90B3D51F30000002": 4,
    "90B3D51F30000004": 5,
    "90B3D51F30000007": 6,
    "90B3D51F30010000": 2,
    "90B3D51F30030000": 2,
    "90B3D51F30020000": 3,
    "90B3D51F30010008": 8,
}


@pytest.fixture(scope="module")
def rtds() -> Keystore:
    if not KEYSTORE.is_dir():
        pytest.skip("RTDS keystore not available")
    return Keystore.load(KEYSTORE)


def _key_numbers(key: ec.EllipticCurvePublicKey | None) -> object:
    return key.public_numbers() if key is not None else None


def _same_content(a: Keystore, b: Keystore) -> None:
    assert [e.file_stem() for e in a.entries()] == [e.file_stem() for e in b.entries()]
    for x, y in zip(a.entries(), b.entries(), strict=True):
        assert (x.certificate is None) == (y.certificate is None)
        if x.certificate is not None:
            assert certificate_der(x.certificate) == certificate_der(y.certificate)
        assert _key_numbers(x.bare_public_key) == _key_numbers(y.bare_public_key)
        assert (x.private_key is None) == (y.private_key is None)
        if x.private_key is not None:
            assert x.private_key.private_numbers() == y.private_key.private_numbers()


# --- the RTDS keystore ------------------------------------------------------------------------------------


def test_rtds_counts(rtds: Keystore) -> None:
    devices = [e for e in rtds.euis() if e.hex().upper().startswith("00DB123456789")]
    assert len(devices) == 200
    for eui in devices:
        for usage in (KeyUsage.DS, KeyUsage.KA):
            cert = rtds.certificate(eui, usage)
            assert cert is not None and certificate_eui(cert) == eui
            assert rtds.private_key(eui, usage) is None
        assert rtds.role_of(eui) is None
    organisations = [e for e in rtds.entries() if e.eui.hex().upper() in RTDS_ROLES]
    assert len(organisations) == 16
    assert all(e.certificate is not None and e.private_key is not None for e in organisations)
    assert len(rtds.euis()) == 200 + len(RTDS_ROLES) + 3
    assert len(rtds) == 400 + 16 + 3


def test_rtds_roles(rtds: Keystore) -> None:
    for eui, role in RTDS_ROLES.items():
        assert rtds.role_of(bytes.fromhex(eui)) == role
        assert rtds.role_of(eui) == role  # hex strings are accepted too


def test_rtds_usages(rtds: Keystore) -> None:
    for eui in (SUPPLIER, SUPPLIER_2):
        assert {e.usage for e in rtds.entries() if e.eui == eui} == set(KeyUsage)
    assert rtds.certificate(bytes.fromhex("90B3D51F30000001"), KeyUsage.KA) is None
    # The WAN provider's KA files hold supplier 2's KA pair; its role comes from its DS certificate.
    assert certificate_eui(rtds.require_certificate(WAN_PROVIDER, KeyUsage.KA)) == SUPPLIER_2
    assert rtds.role_of(WAN_PROVIDER) == 6


def test_rtds_private_keys_match_certificates(rtds: Keystore) -> None:
    for entry in rtds.entries():
        if entry.private_key is not None and entry.certificate is not None:
            assert _key_numbers(entry.private_key.public_key()) == _key_numbers(entry.certificate.public_key())


def test_rtds_oddities(rtds: Keystore) -> None:
    bare = bytes.fromhex("FFFFFFFFFFFFFFFE")
    assert rtds.certificate(bare, KeyUsage.KA) is None
    assert rtds.public_key(bare, KeyUsage.KA) is not None
    assert rtds.private_key(bare, KeyUsage.KA) is None
    for odd in ("123456789ABCDEF0", "ABABABABABABABAB"):
        entry = rtds.entry(odd, KeyUsage.KA)
        assert entry is not None and entry.certificate is None and entry.private_key is not None
        assert _key_numbers(rtds.public_key(odd, KeyUsage.KA)) == _key_numbers(entry.private_key.public_key())
        assert rtds.role_of(odd) is None


def test_rtds_ka_keys_give_the_gbcs_kdf_vector(rtds: Keystore) -> None:
    """ACB KA private key with the ESME KA certificate: the command MAC key of digest 3.2."""
    z = rtds.require_private_key(ACB, KeyUsage.KA).exchange(ec.ECDH(), rtds.require_public_key(ESME, KeyUsage.KA))
    other_info = bytes.fromhex("60857406080300") + SUPPLIER + b"\x09\x01" + bytes.fromhex("0000000100000000") + ESME
    key = hashlib.sha256(b"\x00\x00\x00\x01" + z + other_info).digest()[:16]
    assert key == bytes.fromhex("6A93E360717394015DF93E031218C9A6")


def test_rtds_round_trip(rtds: Keystore, tmp_path: Path) -> None:
    rtds.save(tmp_path)
    again = Keystore.load(tmp_path)
    _same_content(rtds, again)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in KEYSTORE.iterdir())


# --- building, lookups, round trip without RTDS ------------------------------------------------------------


def test_add_merges_and_looks_up() -> None:
    store = Keystore()
    key = ec.generate_private_key(ec.SECP256R1())
    store.add(ESME, KeyUsage.KA, private_key=key)
    assert store.certificate(ESME, KeyUsage.KA) is None
    assert _key_numbers(store.public_key(ESME, KeyUsage.KA)) == _key_numbers(key.public_key())
    pki = generate_test_pki(organisations={}, devices=[ESME], seed="merge")
    cert = pki.keystore.require_certificate(ESME, KeyUsage.DS)
    store.add(ESME, KeyUsage.DS, certificate=cert)
    store.add(ESME, KeyUsage.DS, private_key=pki.keystore.require_private_key(ESME, KeyUsage.DS))
    entry = store.entry(ESME, KeyUsage.DS)
    assert entry is not None and entry.certificate is cert and entry.private_key is not None
    assert store.euis() == [ESME]
    assert ESME in store and ACB not in store and "nonsense" not in store
    assert [e.usage for e in store] == [KeyUsage.DS, KeyUsage.KA]
    store.remove(ESME, KeyUsage.KA)
    assert store.entry(ESME, KeyUsage.KA) is None


def test_lookups_of_missing_material() -> None:
    store = Keystore()
    assert store.certificate(ESME, KeyUsage.DS) is None
    assert store.public_key(ESME, KeyUsage.DS) is None
    assert store.private_key(ESME, KeyUsage.DS) is None
    assert store.role_of(ESME) is None
    for require in (store.require_certificate, store.require_public_key, store.require_private_key):
        with pytest.raises(KeyMaterialError):
            require(ESME, KeyUsage.DS)


def test_add_rejects_bad_material() -> None:
    store = Keystore()
    with pytest.raises(KeyMaterialError):
        store.add(ESME, KeyUsage.KA, private_key=ec.generate_private_key(ec.SECP384R1()))
    with pytest.raises(KeyMaterialError):
        store.add(ESME, KeyUsage.KA, public_key=ec.generate_private_key(ec.SECP256K1()).public_key())
    with pytest.raises(KeyMaterialError):
        store.add(ESME, KeyUsage.KA, certificate=b"not a certificate")  # type: ignore[arg-type]
    with pytest.raises(KeystoreError):
        store.add(b"\x00" * 7, KeyUsage.KA)
    with pytest.raises(KeystoreError):
        store.add("zz" * 8, KeyUsage.KA)
    with pytest.raises(KeystoreError):
        store.add(ESME, "ka")  # type: ignore[arg-type]
    assert len(store) == 0


def test_generated_round_trip_with_bare_public_key(tmp_path: Path) -> None:
    pki = generate_test_pki(seed="round trip")
    store = pki.keystore
    bare = ec.generate_private_key(ec.SECP256R1()).public_key()
    store.add(bytes.fromhex("FFFFFFFFFFFFFFFE"), KeyUsage.KA, public_key=bare)
    folder = tmp_path / "nested" / "folder"
    store.save(folder)
    again = Keystore.load(folder)
    _same_content(store, again)
    assert (folder / "fffffffffffffffe-ka.pem").read_bytes().startswith(b"-----BEGIN PUBLIC KEY")
    assert not (folder / "fffffffffffffffe-ka.key").exists()


# --- malformed folders and files ---------------------------------------------------------------------------


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(KeystoreError):
        Keystore.load(tmp_path / "absent")
    (tmp_path / "file").write_text("x")
    with pytest.raises(KeystoreError):
        Keystore.load(tmp_path / "file")


def _bad_files() -> dict[str, bytes]:
    p384 = ec.generate_private_key(ec.SECP384R1())
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    p256 = ec.generate_private_key(ec.SECP256R1())
    good_pem = private_key_pem(p256)
    return {
        "0000000000000001-ds.pem": b"garbage",
        "0000000000000002-ds.pem": b"",
        "0000000000000003-ka.pem": b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        "0000000000000004-ka.key": good_pem[: len(good_pem) // 2] + b"\n-----END PRIVATE KEY-----\n",
        "0000000000000005-ka.key": private_key_pem(p384),
        "0000000000000006-ds.key": rsa_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        "0000000000000007-ds.key": p256.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        ),
        "0000000000000008-ds.pem": b"-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n",
        "0000000000000009-ka.pem": good_pem + good_pem,
        "000000000000000a-ds.pem": bytes(range(256)),
    }


def _write_bad_folder(folder: Path) -> Path:
    good = ec.generate_private_key(ec.SECP256R1())
    (folder / "00000000000000ff-ka.key").write_bytes(private_key_pem(good))
    (folder / "README.txt").write_text("not key material")
    (folder / "00000000000000fe-pp-ds.key").write_bytes(private_key_pem(good))  # no such usage
    (folder / "00000000000000fd-ds.key").mkdir()
    for name, data in _bad_files().items():
        (folder / name).write_bytes(data)
    return folder


def test_bad_files_are_skipped_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = _write_bad_folder(tmp_path)
    with caplog.at_level(logging.WARNING, logger="smets_emu.protocols.keystore"):
        store = Keystore.load(folder)
    assert store.euis() == [bytes.fromhex("00000000000000FF")]
    warned = {r.getMessage().split(":")[0].removeprefix("skipping keystore file ") for r in caplog.records}
    assert warned == set(_bad_files())


def test_bad_files_raise_in_strict_mode(tmp_path: Path) -> None:
    folder = _write_bad_folder(tmp_path)
    with pytest.raises(KeystoreError):
        Keystore.load(folder, strict=True)


@pytest.mark.parametrize("name", sorted(_bad_files()))
def test_parse_key_material_raises_key_material_error(name: str) -> None:
    with pytest.raises(KeyMaterialError):
        items = parse_key_material(_bad_files()[name])
        if len(items) > 1:  # two keys in one file are refused by the loader, not the parser
            raise KeyMaterialError("several items")


def test_save_to_unwritable_place(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    store = generate_test_pki(organisations={}, devices=[ESME]).keystore
    with pytest.raises(KeystoreError):
        store.save(tmp_path / "file" / "sub")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(["CERTIFICATE", "PUBLIC KEY", "PRIVATE KEY", "EC PRIVATE KEY"]))
def test_random_material_raises_only_key_material_error(data: bytes, label: str) -> None:
    pem = f"-----BEGIN {label}-----\n".encode() + base64.encodebytes(data) + f"-----END {label}-----\n".encode()
    for blob in (data, pem):
        try:
            parse_key_material(blob)
        except KeyMaterialError:
            pass


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=300))
def test_random_file_never_breaks_loading(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "0011223344556677-ka.pem").write_bytes(data)
        try:
            store = Keystore.load(folder)
        except SmetsError as exc:  # pragma: no cover - must not happen
            pytest.fail(f"load raised {exc!r}")
        assert len(store) <= 1
