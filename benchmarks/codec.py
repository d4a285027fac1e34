"""Codec throughput: decode + verify messages/s against raw ECDSA verify ops/s, same run.

Usage: ``python benchmarks/codec.py [--json] [--rtds DIR] [--seconds S]``

Decode + verify = envelope and payload decode (encrypted parts decrypted), MAC check and
signature check with the keystore, for every message of the corpus (RTDS if present, else
the project's own corpus). The peer figure is ``cryptography``'s P-256 ECDSA verify on one
fixed message, timed in alternation with the codec passes (same machine load for both). With
``--json`` the last line is a JSON object with both rates and ``ratio``.

Encode = rebuilding every message of the corpus from its fields (payload ``encode()``, then the
envelope), the device side's work for a response; its peer is P-256 ECDSA sign (``encode_ratio``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import tracemalloc
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from smets_emu.protocols.envelope import decode_envelope_with_spans
from smets_emu.protocols.keystore import Keystore
from smets_emu.protocols.message import Message, encode_message, message_from_envelope
from smets_emu.protocols.rtds import find_rtds_root, keystore_folder, list_files
from smets_emu.protocols.security import CheckStatus, GbcsKeys, verify_received


def load_corpus(rtds: Path | None) -> tuple[str, list[bytes], Keystore]:
    root = rtds or find_rtds_root()
    if root is not None:
        return "rtds", [f.read() for f in list_files(root)], Keystore.load(keystore_folder(root))
    from smets_emu.tools.corpus import build_corpus

    corpus = build_corpus()
    return "own", [m.data for m in corpus.messages], corpus.pki.keystore


def sign_batch(priv: ec.EllipticCurvePrivateKey, data: bytes) -> int:
    """200 P-256 ECDSA signatures (the peer of a device's encode work)."""
    for _ in range(200):
        priv.sign(data, ec.ECDSA(hashes.SHA256()))
    return 200


def decode_and_verify(messages: list[bytes], keys: GbcsKeys) -> dict[str, int]:
    counts = {"mac_valid": 0, "signature_valid": 0, "failed": 0}
    for data in messages:
        env, spans = decode_envelope_with_spans(data)
        message_from_envelope(env, decrypt=keys.decryptor(env.header))
        report = verify_received(env, spans, keys)
        counts["mac_valid"] += report.mac is CheckStatus.VALID
        counts["signature_valid"] += report.signature is CheckStatus.VALID
        counts["failed"] += CheckStatus.INVALID in (report.mac, report.signature)
    return counts


def encode_all(messages: list[Message]) -> int:
    """Rebuild every message from its fields: payload ``encode()`` then the envelope (device-side work)."""
    for message in messages:
        encode_message(message)
    return len(messages)


def interleaved_rates(codec_pass, ecdsa_batch, seconds: float) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Operations per second of two workloads timed in alternation over at least *seconds* in all.

    Each returns how many operations it did. Alternating one codec pass with one ECDSA batch makes
    both see the same machine load, so their ratio holds on a busy machine.
    """
    done = [0, 0]
    spent = [0.0, 0.0]
    start = time.perf_counter()
    while time.perf_counter() - start < seconds or not all(done):
        for index, fn in enumerate((codec_pass, ecdsa_batch)):
            t0 = time.perf_counter()
            done[index] += fn()
            spent[index] += time.perf_counter() - t0
    return done[0] / spent[0], done[1] / spent[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--rtds", type=Path)
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", 5)))
    args = parser.parse_args()

    source, messages, keystore = load_corpus(args.rtds)
    keys = GbcsKeys(keystore)
    counts = decode_and_verify(messages, keys)  # warm caches (ECDH secrets) once
    signed = sum(1 for data in messages if decode_envelope_with_spans(data)[0].signature is not None)

    priv = ec.generate_private_key(ec.SECP256R1())
    pub, data = priv.public_key(), bytes(200)
    sig = priv.sign(data, ec.ECDSA(hashes.SHA256()))

    def ecdsa_batch() -> int:
        for _ in range(200):
            pub.verify(sig, data, ec.ECDSA(hashes.SHA256()))
        return 200

    codec_rate, ecdsa_rate = interleaved_rates(
        lambda: (decode_and_verify(messages, keys), len(messages))[1], ecdsa_batch, 2 * args.seconds)

    decoded = [message_from_envelope(env) for env in (decode_envelope_with_spans(data)[0] for data in messages)]
    assert all(encode_message(m) == data for m, data in zip(decoded, messages, strict=True))
    encode_rate, ecdsa_sign_rate = interleaved_rates(
        lambda: encode_all(decoded), lambda: sign_batch(priv, data), args.seconds)

    tracemalloc.start()
    decode_and_verify(messages, keys)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    result = {
        "corpus": source,
        "messages": len(messages),
        "signed_messages": signed,
        "mac_valid": counts["mac_valid"],
        "signature_valid": counts["signature_valid"],
        "invalid": counts["failed"],
        "decode_verify_msgs_per_s": round(codec_rate, 1),
        "ecdsa_verify_ops_per_s": round(ecdsa_rate, 1),
        "ratio": round(codec_rate / ecdsa_rate, 3),
        "encode_msgs_per_s": round(encode_rate, 1),
        "ecdsa_sign_ops_per_s": round(ecdsa_sign_rate, 1),
        "encode_ratio": round(encode_rate / ecdsa_sign_rate, 3),
        "peak_traced_bytes_per_pass": peak,
        "python": sys.version.split()[0],
    }
    if not args.json:
        for key, value in result.items():
            print(f"{key:28} {value}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
