"""Checking and applying GBCS message protection with keys from a keystore (GBCS 6.2.4, 7.3).

Key pairs (GBCS 6.3, observed on RTDS):

- command MAC: ACB key agreement key <-> target device KA, KDF mode 01;
- response / alert MAC: device KA <-> KA of the grouping-header recipient, mode 02 / 03;
- signature: the grouping-header originator's digital signing key;
- encrypted content: device KA <-> KA of the supplementary remote party (else the
  recipient), mode 04, counter = supplementary originator counter if present.

Only whichever side's private key the keystore holds is needed: ECDH is symmetric.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric import ec

from smets_emu.errors import CryptoError, DecryptionError, KeyMaterialError, MacError, SignatureError
from smets_emu.protocols import crypto
from smets_emu.protocols.envelope import (
    CraFlag,
    Envelope,
    GroupingHeader,
    WireSpans,
    append_signature,
    decode_envelope_with_spans,
    encode_envelope,
    encode_maced,
    encode_signed_span,
)
from smets_emu.protocols.keystore import KeyUsage
from smets_emu.protocols.payloads import Decryptor

if TYPE_CHECKING:
    from smets_emu.protocols.keystore import Keystore

ACB_ROLE = 4


class CheckStatus(enum.StrEnum):
    """Outcome of one protection check."""

    VALID = "valid"
    INVALID = "invalid"
    UNCHECKED = "unchecked"  # the keys needed are not in the keystore
    ABSENT = "absent"  # the message carries no such protection


@dataclass(frozen=True)
class SecurityReport:
    """MAC and signature outcome for one message."""

    mac: CheckStatus
    signature: CheckStatus
    detail: str = ""


class GbcsKeys:
    """Resolves the keys GBCS needs for a message from a :class:`Keystore`.

    ``acb`` is the Access Control Broker's system title; by default the keystore entry whose
    certificate carries role 04 and a key agreement key.
    """

    def __init__(self, keystore: Keystore, *, acb: bytes | None = None) -> None:
        self.keystore = keystore
        self._cache = crypto.SharedSecretCache()
        self._private: dict[tuple[bytes, KeyUsage], ec.EllipticCurvePrivateKey | None] = {}
        self._public: dict[tuple[bytes, KeyUsage], ec.EllipticCurvePublicKey | None] = {}
        self._device_cache: dict[bytes, bool] = {}
        self._secrets: dict[tuple[bytes, bytes], bytes | None] = {}
        self.acb = acb if acb is not None else self._find_acb()

    def _find_acb(self) -> bytes | None:
        for eui in self.keystore.euis():
            if self.keystore.role_of(eui) == ACB_ROLE and self.public_key(eui, KeyUsage.KA) is not None:
                return eui
        return None

    def private_key(self, eui: bytes, usage: KeyUsage) -> ec.EllipticCurvePrivateKey | None:
        """Memoised private key look-up."""
        key = (eui, usage)
        if key not in self._private:
            self._private[key] = self.keystore.private_key(eui, usage)
        return self._private[key]

    def public_key(self, eui: bytes, usage: KeyUsage) -> ec.EllipticCurvePublicKey | None:
        """Memoised public key look-up (from a certificate, a bare key or a private key)."""
        key = (eui, usage)
        if key not in self._public:
            pub = self.keystore.public_key(eui, usage)
            if pub is None:
                priv = self.private_key(eui, usage)
                pub = priv.public_key() if priv is not None else None
            self._public[key] = pub
        return self._public[key]

    def is_device(self, eui: bytes) -> bool:
        """True for a known device (key material without an organisation role), e.g. a PPMID on the HAN.

        HAN-only commands between devices are MACed with the two devices' own KA keys (GBCS 6.2.4).
        """
        if eui not in self._device_cache:
            has_keys = self.public_key(eui, KeyUsage.KA) is not None or self.public_key(eui, KeyUsage.DS) is not None
            self._device_cache[eui] = has_keys and self.keystore.role_of(eui) is None
        return self._device_cache[eui]

    def shared_secret(self, a: bytes, b: bytes) -> bytes | None:
        """ECDH Z between the KA keys of *a* and *b*, or None if neither private key is held (memoised per pair)."""
        pair = (a, b)
        if pair in self._secrets:
            return self._secrets[pair]
        z = None
        for mine, theirs in ((a, b), (b, a)):
            priv = self.private_key(mine, KeyUsage.KA)
            pub = self.public_key(theirs, KeyUsage.KA)
            if priv is not None and pub is not None:
                z = self._cache.get(private_key=priv, public_key=pub)
                break
        if len(self._secrets) >= 100_000:
            self._secrets.clear()
        self._secrets[pair] = z
        return z

    def mac_key(self, header: GroupingHeader) -> bytes | None:
        """The AES key that MACs a message with this grouping header, if derivable."""
        if header.cra_flag is CraFlag.COMMAND and not self.is_device(header.originator):
            if self.acb is None:
                return None
            z = self.shared_secret(self.acb, header.recipient)
        else:
            z = self.shared_secret(header.originator, header.recipient)
        if z is None:
            return None
        return message_key(z, header)

    def payload_key(self, header: GroupingHeader) -> bytes | None:
        """The AES key protecting encrypted content of a message with this header (GBCS 7.3.3)."""
        oi = header.other_information
        party = oi.supplementary_remote_party_id or header.recipient
        counter = (
            oi.supplementary_originator_counter
            if oi.supplementary_originator_counter is not None
            else header.originator_counter
        )
        z = self.shared_secret(header.originator, party)
        if z is None:
            return None
        return crypto.derive_key(
            shared_secret=z,
            mode=crypto.KdfMode.PAYLOAD_ENCRYPTION,
            originator=header.originator,
            counter=counter,
            recipient=party,
        )

    def decryptor(self, header: GroupingHeader) -> Decryptor | None:
        """A payload decryptor for encrypted parts of a message with this header, if keys allow.

        The key is derived on the first call (most messages carry no encrypted part).
        """
        party = header.other_information.supplementary_remote_party_id or header.recipient
        if self.shared_secret(header.originator, party) is None:
            return None
        originator = header.originator
        keys: list[bytes | None] = []

        def decrypt(blob: bytes) -> bytes:
            if not keys:
                keys.append(self.payload_key(header))
            key = keys[0]
            if key is None:
                raise KeyMaterialError("no key pair to decrypt this message's protected content")
            return crypto.decrypt_protected(key=key, originator=originator, blob=blob)

        return decrypt

    def encryptor(self, header: GroupingHeader) -> Callable[[bytes], bytes] | None:
        """The inverse of :meth:`decryptor`: plaintext to a protected blob."""
        key = self.payload_key(header)
        if key is None:
            return None
        originator = header.originator

        def encrypt(plaintext: bytes) -> bytes:
            return crypto.encrypt_protected(key=key, originator=originator, plaintext=plaintext)

        return encrypt


def check_mac(env: Envelope, spans: WireSpans, keys: GbcsKeys) -> CheckStatus:
    """Verify the MAC of a received message; raises :class:`MacError` if it is wrong."""
    if spans.mac is None:
        return CheckStatus.ABSENT
    key = keys.mac_key(env.header)
    if key is None:
        return CheckStatus.UNCHECKED
    crypto.verify_mac(key=key, originator=env.header.originator, signing_apdu=spans.signing_apdu, mac=spans.mac)
    return CheckStatus.VALID


def check_signature(env: Envelope, spans: WireSpans, keys: GbcsKeys) -> CheckStatus:
    """Verify the originator's signature; raises :class:`SignatureError` if it is wrong."""
    if env.signature is None:
        return CheckStatus.ABSENT
    pub = keys.public_key(env.header.originator, KeyUsage.DS)
    if pub is None:
        return CheckStatus.UNCHECKED
    crypto.verify_signature(public_key=pub, data=spans.signed, signature=env.signature)
    return CheckStatus.VALID


def verify_received(env: Envelope, spans: WireSpans, keys: GbcsKeys) -> SecurityReport:
    """Check both protections of an already-parsed message (see :func:`verify_message`)."""
    details = []
    try:
        mac = check_mac(env, spans, keys)
    except (MacError, KeyMaterialError) as exc:
        mac = CheckStatus.INVALID
        details.append(str(exc))
    try:
        sig = check_signature(env, spans, keys)
    except (SignatureError, KeyMaterialError) as exc:
        sig = CheckStatus.INVALID
        details.append(str(exc))
    return SecurityReport(mac=mac, signature=sig, detail="; ".join(details))


def verify_message(data: bytes, keys: GbcsKeys) -> SecurityReport:
    """Check MAC and signature of wire bytes: each valid, invalid, unchecked or absent.

    Raises :class:`FrameError` if *data* is not a well-formed message.
    """
    env, spans = decode_envelope_with_spans(data)
    return verify_received(env, spans, keys)


def authenticate(data: bytes, keys: GbcsKeys) -> tuple[Envelope, WireSpans]:
    """Parse *data* and insist that every protection it carries verifies (GBCS 6.2.4).

    Raises :class:`FrameError`, :class:`MacError`, :class:`SignatureError`, or
    :class:`KeyMaterialError` when a needed key is unknown; never returns an unverified message.
    """
    env, spans = decode_envelope_with_spans(data)
    if check_mac(env, spans, keys) is CheckStatus.UNCHECKED:
        raise KeyMaterialError("no key pair to check this message's MAC")
    if check_signature(env, spans, keys) is CheckStatus.UNCHECKED:
        raise KeyMaterialError(f"no signing certificate for {env.header.originator.hex().upper()}")
    return env, spans


def sign_envelope(env: Envelope, private_key: ec.EllipticCurvePrivateKey) -> Envelope:
    """Return *env* with a fresh originator signature over its grouping header and content."""
    signature = crypto.sign(private_key=private_key, data=encode_signed_span(env))
    return replace(env, signature=signature, signature_field=True)


def mac_envelope(env: Envelope, key: bytes) -> Envelope:
    """Return *env* in MACed form with a MAC computed from its fields (GBCS 7.2.7)."""
    apdu = encode_envelope(replace(env, mac=None, signature_field=True))
    return replace(env, mac=crypto.compute_mac(key=key, originator=env.header.originator, signing_apdu=apdu),
                   signature_field=True)


def signed_wire(env: Envelope, private_key: ec.EllipticCurvePrivateKey) -> bytes:
    """The signed-only wire form of *env* (no MAC), encoded once and signed in place (GBCS 6.2.4).

    The General-Signing APDU is built without its signature field; the signature covers it from
    the byte after the ``DF`` tag, then the field is appended (GBCS 7.2.9).
    """
    if env.signature is not None or env.mac is not None or env.signature_field:
        env = Envelope(env.header, env.content, signature=None, mac=None, signature_field=False)
    unsigned = encode_envelope(env)
    return append_signature(unsigned, crypto.sign(private_key=private_key, data=unsigned[1:]))


def maced_wire(env: Envelope, key: bytes) -> bytes:
    """The MACed wire form of *env* (empty signature field), encoded once (GBCS 6.2.4, 7.2.7).

    *key* is the KDF output for the message (:func:`smets_emu.protocols.crypto.derive_key`).
    """
    if env.signature is not None or env.mac is not None or not env.signature_field:
        env = Envelope(env.header, env.content, signature=None, mac=None, signature_field=True)
    apdu = encode_envelope(env)
    return encode_maced(apdu, crypto.compute_mac(key=key, originator=env.header.originator, signing_apdu=apdu))


def message_key(shared_secret: bytes, header: GroupingHeader) -> bytes:
    """The AES key that MACs a message with *header*: KDF mode from its CRA flag (GBCS 6.3.2)."""
    return crypto.derive_key(
        shared_secret=shared_secret,
        mode=int(header.cra_flag),
        originator=header.originator,
        counter=header.originator_counter,
        recipient=header.recipient,
    )


def seal(env: Envelope, keys: GbcsKeys, *, sign: bool | None = None, mac: bool | None = None) -> Envelope:
    """Re-sign and re-MAC an envelope with keys from the keystore.

    By default the protections the envelope already carries are recomputed. Raises
    :class:`KeyMaterialError` when a needed private key is missing.
    """
    do_sign = env.signature is not None if sign is None else sign
    do_mac = env.mac is not None if mac is None else mac
    if do_sign:
        priv = keys.private_key(env.header.originator, KeyUsage.DS)
        if priv is None:
            raise KeyMaterialError(f"no signing key for {env.header.originator.hex().upper()}")
        env = sign_envelope(env, priv)
    if do_mac:
        key = keys.mac_key(env.header)
        if key is None:
            raise KeyMaterialError("no key pair to MAC this message")
        env = mac_envelope(env, key)
    return env


__all__ = [
    "CheckStatus",
    "authenticate",
    "CryptoError",
    "DecryptionError",
    "GbcsKeys",
    "SecurityReport",
    "check_mac",
    "check_signature",
    "mac_envelope",
    "maced_wire",
    "message_key",
    "seal",
    "signed_wire",
    "sign_envelope",
    "verify_message",
    "verify_received",
]
