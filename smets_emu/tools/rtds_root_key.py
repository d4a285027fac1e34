"""The RTDS Root public key, recovered from a certificate signature the Root made (GBCS 12; SEC 1 4.1.6).

RTDS ships no Root certificate, only certificates the Root issued. Both candidate keys behind an
issuing CA certificate's ECDSA signature are recovered; the one whose RFC 5280 method 2 key
identifier is the Root cell's subject key identifier is the Root key.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from smets_emu.protocols.certificates import authority_key_identifier, key_identifier

_P256_P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
_P256_A = _P256_P - 3
_P256_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
_P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_P256_G = (0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
           0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5)
_Point = tuple[int, int] | None


def _add(p1: _Point, p2: _Point) -> _Point:
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    p = _P256_P
    if p1[0] == p2[0] and (p1[1] + p2[1]) % p == 0:
        return None
    if p1 == p2:
        slope = (3 * p1[0] * p1[0] + _P256_A) * pow(2 * p1[1], -1, p) % p
    else:
        slope = (p2[1] - p1[1]) * pow(p2[0] - p1[0], -1, p) % p
    x = (slope * slope - p1[0] - p2[0]) % p
    return x, (slope * (p1[0] - x) - p1[1]) % p


def _mul(k: int, pt: _Point) -> _Point:
    out: _Point = None
    while k:
        if k & 1:
            out = _add(out, pt)
        pt = _add(pt, pt)
        k >>= 1
    return out


def signer_key_candidates(cert: x509.Certificate) -> list[bytes]:
    """The P-256 public keys (uncompressed points) an ECDSA-SHA256 certificate signature verifies under.

    ECDSA public key recovery (SEC 1 4.1.6): Q = r^-1 (sR - eG) for both points R with x = r.
    """
    r, s = decode_dss_signature(cert.signature)
    e = int.from_bytes(hashlib.sha256(cert.tbs_certificate_bytes).digest(), "big") % _P256_N
    y_squared = (pow(r, 3, _P256_P) + _P256_A * r + _P256_B) % _P256_P
    y = pow(y_squared, (_P256_P + 1) // 4, _P256_P)
    if y * y % _P256_P != y_squared:
        return []
    out = []
    for y_r in (y, _P256_P - y):
        q = _mul(pow(r, -1, _P256_N), _add(_mul(s, (r, y_r)), _mul((-e) % _P256_N, _P256_G)))
        if q is not None:
            out.append(b"\x04" + q[0].to_bytes(32, "big") + q[1].to_bytes(32, "big"))
    return out


_CERT_START = re.compile(rb"(?=\x30\x82(..)\x30\x82)", re.DOTALL)


def recover_root_key(messages: Iterable[bytes], root_key_id: bytes) -> bytes | None:
    """The Root public key behind *root_key_id*, from a certificate it signed among *messages*, or None.

    Each candidate key recovered from a signature is kept only when its RFC 5280 method 2 key
    identifier (GBCS 12) is the Root cell's, so a damaged signature yields nothing.
    """
    marker = b"\x80\x08" + root_key_id  # the authorityKeyIdentifier of a certificate the Root issued
    for data in messages:
        if marker not in data:
            continue
        for match in _CERT_START.finditer(data):
            length = int.from_bytes(match.group(1), "big")
            try:
                cert = x509.load_der_x509_certificate(data[match.start():match.start() + 4 + length])
                if authority_key_identifier(cert) != root_key_id:
                    continue
                candidates = signer_key_candidates(cert)
            except (ValueError, TypeError):
                continue
            for candidate in candidates:
                key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), candidate)
                if key_identifier(key) == root_key_id:
                    return candidate
    return None
