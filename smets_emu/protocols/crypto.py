"""GBCS cryptography as pure functions over ``cryptography`` (GBCS 6.2, 6.3 and 7.3).

- ECDH P-256 static-static shared secret Z (x-coordinate), cached per key pair.
- The GBCS KDF (NIST SP 800-56A concatenation KDF, one SHA-256 round, 128-bit key) with
  the OtherInfo of GBCS 6.3: AlgorithmID || originator || 09 || mode || counter || recipient.
- The MAC: AES-128-GCM over empty plaintext, AAD = 11 00 00 00 00 00 || General-Signing APDU,
  IV = originator system title || 00 00 00 00, tag truncated to 12 bytes.
- ECDSA P-256 / SHA-256 with raw r||s signatures.
- Encrypted payload parts: ``31 00000000`` || AES-GCM ciphertext || 12-byte tag, AAD ``31``.

Keys are always passed in; failures raise the project's own :mod:`smets_emu.errors`.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import threading

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from smets_emu.errors import DecryptionError, KeyMaterialError, MacError, SignatureError

ALGORITHM_ID_AES_GCM_128 = bytes.fromhex("60857406080300")
MAC_AAD_PREFIX = bytes([0x11, 0, 0, 0, 0, 0])
PROTECTED_HEADER = bytes([0x31, 0, 0, 0, 0])
TAG_LENGTH = 12
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())  # immutable: one instance for every signature (GBCS 6.2.4)


class KdfMode(enum.IntEnum):
    """First byte of the KDF transaction-id (GBCS 6.3.2): what the derived key protects."""

    COMMAND = 1
    RESPONSE = 2
    ALERT = 3
    PAYLOAD_ENCRYPTION = 4


def _check_eui(name: str, value: bytes) -> None:
    if len(value) != 8:
        raise KeyMaterialError(f"{name} must be an 8-byte system title")


def ecdh_shared_secret(*, private_key: ec.EllipticCurvePrivateKey, public_key: ec.EllipticCurvePublicKey) -> bytes:
    """Z: the x-coordinate of the ECDH P-256 product (GBCS 6.3.1)."""
    try:
        return private_key.exchange(ec.ECDH(), public_key)
    except (ValueError, TypeError, AttributeError) as exc:
        raise KeyMaterialError(f"ECDH failed: {exc}") from exc


class SharedSecretCache:
    """Caches Z per (private key, public key) pair; static-static ECDH gives the same Z every time."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self._entries: dict[tuple[int, int], tuple[object, object, bytes]] = {}
        self._max = max_entries
        self._lock = threading.Lock()

    def get(self, *, private_key: ec.EllipticCurvePrivateKey, public_key: ec.EllipticCurvePublicKey) -> bytes:
        """Return Z, computing it once per pair of key objects."""
        key = (id(private_key), id(public_key))
        hit = self._entries.get(key)
        if hit is not None and hit[0] is private_key and hit[1] is public_key:
            return hit[2]
        z = ecdh_shared_secret(private_key=private_key, public_key=public_key)
        with self._lock:
            if len(self._entries) >= self._max:
                self._entries.clear()
            self._entries[key] = (private_key, public_key, z)
        return z


def derive_key(*, shared_secret: bytes, mode: int, originator: bytes, counter: int, recipient: bytes) -> bytes:
    """The GBCS KDF (GBCS 6.3.2): first 16 bytes of SHA-256(00000001 || Z || OtherInfo)."""
    _check_eui("originator", originator)
    _check_eui("recipient", recipient)
    if not 0 <= counter < 1 << 64:
        raise KeyMaterialError("counter out of range")
    other_info = (
        ALGORITHM_ID_AES_GCM_128 + originator + bytes([0x09, int(mode)]) + counter.to_bytes(8, "big") + recipient
    )
    return hashlib.sha256(b"\x00\x00\x00\x01" + shared_secret + other_info).digest()[:16]


def _iv(originator: bytes) -> bytes:
    _check_eui("originator", originator)
    return originator + b"\x00\x00\x00\x00"


def gmac_tag(*, key: bytes, originator: bytes, data: bytes) -> bytes:
    """The full 16-byte GCM tag over ``MAC_AAD_PREFIX`` || *data* with no plaintext (the GBCS GMAC, GBCS 6.2.4)."""
    return AESGCM(key).encrypt(_iv(originator), b"", MAC_AAD_PREFIX + data)


def compute_mac(*, key: bytes, originator: bytes, signing_apdu: bytes) -> bytes:
    """The 12-byte GBCS MAC over a General-Signing APDU (GBCS 6.2.4, 7.2.7)."""
    return gmac_tag(key=key, originator=originator, data=signing_apdu)[:TAG_LENGTH]


def verify_mac(*, key: bytes, originator: bytes, signing_apdu: bytes, mac: bytes) -> None:
    """Raise :class:`MacError` unless *mac* authenticates *signing_apdu*."""
    expected = compute_mac(key=key, originator=originator, signing_apdu=signing_apdu)
    if len(mac) != TAG_LENGTH or not hmac.compare_digest(expected, mac):
        raise MacError("MAC verification failed")


def sign(*, private_key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    """ECDSA P-256/SHA-256 over *data*, returned as raw 64-byte r||s (GBCS 6.2.4)."""
    try:
        r, s = decode_dss_signature(private_key.sign(data, _ECDSA_SHA256))
    except (ValueError, TypeError, AttributeError) as exc:
        raise KeyMaterialError(f"signing failed: {exc}") from exc
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def verify_signature(*, public_key: ec.EllipticCurvePublicKey, data: bytes, signature: bytes) -> None:
    """Raise :class:`SignatureError` unless *signature* (raw r||s) signs *data*."""
    if len(signature) != 64:
        raise SignatureError("signature must be 64 bytes")
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    if r == 0 or s == 0:
        raise SignatureError("signature component is zero")
    try:
        public_key.verify(encode_dss_signature(r, s), data, _ECDSA_SHA256)
    except InvalidSignature as exc:
        raise SignatureError("signature verification failed") from exc
    except (ValueError, TypeError, AttributeError) as exc:
        raise KeyMaterialError(f"cannot verify with this key: {exc}") from exc


def encrypt_protected(*, key: bytes, originator: bytes, plaintext: bytes) -> bytes:
    """Protect a payload part: ``31 00000000`` || ciphertext || 12-byte tag (GBCS 7.3.3)."""
    encryptor = Cipher(algorithms.AES(key), modes.GCM(_iv(originator), min_tag_length=TAG_LENGTH)).encryptor()
    encryptor.authenticate_additional_data(b"\x31")
    ciphertext = encryptor.update(plaintext) + encryptor.finalize()
    return PROTECTED_HEADER + ciphertext + encryptor.tag[:TAG_LENGTH]


def decrypt_protected(*, key: bytes, originator: bytes, blob: bytes) -> bytes:
    """Inverse of :func:`encrypt_protected`; raises :class:`DecryptionError` on a bad tag or frame."""
    if len(blob) < len(PROTECTED_HEADER) + TAG_LENGTH or not blob.startswith(PROTECTED_HEADER):
        raise DecryptionError("not a protected blob (31 00000000 || ciphertext || tag)")
    ciphertext = blob[len(PROTECTED_HEADER) : -TAG_LENGTH]
    tag = blob[-TAG_LENGTH:]
    decryptor = Cipher(algorithms.AES(key), modes.GCM(_iv(originator), tag, min_tag_length=TAG_LENGTH)).decryptor()
    decryptor.authenticate_additional_data(b"\x31")
    try:
        return decryptor.update(ciphertext) + decryptor.finalize()
    except InvalidTag as exc:
        raise DecryptionError("encrypted content failed authentication") from exc
