"""GBCS crypto primitives: KDF vectors, MAC, ECDSA r||s, protected blobs, error wrapping."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from smets_emu.errors import DecryptionError, KeyMaterialError, MacError, SignatureError
from smets_emu.protocols import crypto

H = bytes.fromhex

KDF_VECTORS = [
    # (private key file, device cert, originator, counter, recipient, mode, key)
    ("90b3d51f30000002-ka.key", "00db1234567890a0-ka.pem", "90B3D51F30010000", 0x100000000, "00DB1234567890A0", 1,
     "6A93E360717394015DF93E031218C9A6"),
    ("90b3d51f30010000-ka.key", "00db1234567890a0-ka.pem", "00DB1234567890A0", 0x100000000, "90B3D51F30010000", 2,
     "03FD30815577C49EB7E3834B63EF8302"),
    ("90b3d51f30010000-ka.key", "00db1234567890a0-ka.pem", "00DB1234567890A0", 0x7D1, "90B3D51F30010000", 3,
     "558FB1FA6660AF0D9E8365C47804B8FA"),
]


@pytest.mark.parametrize("vector", KDF_VECTORS, ids=["command", "response", "alert"])
def test_kdf_published_vectors(vector, rtds_keystore_dir) -> None:  # type: ignore[no-untyped-def]
    keyfile, certfile, orig, counter, recip, mode, expected = vector
    priv = load_pem_private_key((rtds_keystore_dir / keyfile).read_bytes(), None)
    pub = x509.load_pem_x509_certificate((rtds_keystore_dir / certfile).read_bytes()).public_key()
    z = crypto.ecdh_shared_secret(private_key=priv, public_key=pub)  # type: ignore[arg-type]
    key = crypto.derive_key(shared_secret=z, mode=mode, originator=H(orig), counter=counter, recipient=H(recip))
    assert key.hex().upper() == expected


def test_ecdh_symmetric_and_cached() -> None:
    a, b = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    cache, b_pub = crypto.SharedSecretCache(), b.public_key()
    ab = cache.get(private_key=a, public_key=b_pub)
    assert ab == crypto.ecdh_shared_secret(private_key=b, public_key=a.public_key())
    assert cache.get(private_key=a, public_key=b_pub) is ab


def test_kdf_rejects_bad_identifiers() -> None:
    with pytest.raises(KeyMaterialError):
        crypto.derive_key(shared_secret=bytes(32), mode=1, originator=b"\x01", counter=0, recipient=bytes(8))
    with pytest.raises(KeyMaterialError):
        crypto.derive_key(shared_secret=bytes(32), mode=1, originator=bytes(8), counter=-1, recipient=bytes(8))


def test_mac_round_trip_and_every_flip_fails() -> None:
    key, orig, apdu = bytes(range(16)), bytes(8), bytes.fromhex("DF0901") + bytes(40)
    mac = crypto.compute_mac(key=key, originator=orig, signing_apdu=apdu)
    assert len(mac) == 12
    crypto.verify_mac(key=key, originator=orig, signing_apdu=apdu, mac=mac)
    for i in range(12):
        bad = bytearray(mac)
        bad[i] ^= 0x01
        with pytest.raises(MacError):
            crypto.verify_mac(key=key, originator=orig, signing_apdu=apdu, mac=bytes(bad))
    for i in range(len(apdu)):
        bad = bytearray(apdu)
        bad[i] ^= 0x80
        with pytest.raises(MacError):
            crypto.verify_mac(key=key, originator=orig, signing_apdu=bytes(bad), mac=mac)


def test_signature_raw_r_s_and_failures() -> None:
    priv = ec.generate_private_key(ec.SECP256R1())
    sig = crypto.sign(private_key=priv, data=b"grouping header")
    assert len(sig) == 64
    crypto.verify_signature(public_key=priv.public_key(), data=b"grouping header", signature=sig)
    for i in (0, 31, 32, 63):
        bad = bytearray(sig)
        bad[i] ^= 0x01
        with pytest.raises(SignatureError):
            crypto.verify_signature(public_key=priv.public_key(), data=b"grouping header", signature=bytes(bad))
    with pytest.raises(SignatureError):
        crypto.verify_signature(public_key=priv.public_key(), data=b"other", signature=sig)
    with pytest.raises(SignatureError):
        crypto.verify_signature(public_key=priv.public_key(), data=b"x", signature=bytes(64))
    with pytest.raises(SignatureError):
        crypto.verify_signature(public_key=priv.public_key(), data=b"x", signature=b"short")


def test_protected_blob_round_trip_and_tamper() -> None:
    key, orig = bytes(range(16)), bytes.fromhex("00DB1234567890A0")
    blob = crypto.encrypt_protected(key=key, originator=orig, plaintext=b"\x02\x01\x06\x00\x00\x00\x07")
    assert blob[:5] == crypto.PROTECTED_HEADER and len(blob) == 5 + 7 + 12
    assert crypto.decrypt_protected(key=key, originator=orig, blob=blob) == b"\x02\x01\x06\x00\x00\x00\x07"
    for i in range(5, len(blob)):
        bad = bytearray(blob)
        bad[i] ^= 0x01
        with pytest.raises(DecryptionError):
            crypto.decrypt_protected(key=key, originator=orig, blob=bytes(bad))
    with pytest.raises(DecryptionError):
        crypto.decrypt_protected(key=key, originator=orig, blob=b"\x31\x00")
