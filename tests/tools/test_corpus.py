"""The project's own corpus (own PKI, no ../shared): the same checks RTDS gets."""

from __future__ import annotations

import json
import random

import pytest

from smets_emu.errors import SmetsError
from smets_emu.protocols.envelope import decode_envelope
from smets_emu.protocols.gbt_transfer import Reassembler
from smets_emu.protocols.message import decode_message, encode_message, message_from_json, message_to_json
from smets_emu.protocols.payloads.asn1 import ASN1_MESSAGE_CODES
from smets_emu.protocols.payloads.dlms import DLMS_MESSAGE_CODES
from smets_emu.protocols.payloads.gbz import GBZ_MESSAGE_CODES
from smets_emu.protocols.security import CheckStatus, GbcsKeys, authenticate, verify_message
from smets_emu.tools.corpus import ACB, Corpus, build_corpus


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return build_corpus()


@pytest.fixture(scope="module")
def keys(corpus: Corpus) -> GbcsKeys:
    return GbcsKeys(corpus.pki.keystore, acb=ACB)


def _singles(corpus: Corpus) -> list[bytes]:
    return [m.data for m in corpus.messages if m.kind != "GBT"]


def test_every_known_message_code_is_covered(corpus: Corpus) -> None:
    codes = {decode_envelope(d).header.message_code for d in _singles(corpus)}
    known = set(ASN1_MESSAGE_CODES) | set(DLMS_MESSAGE_CODES) | set(GBZ_MESSAGE_CODES)
    assert known <= codes, sorted(f"0x{c:04X}" for c in known - codes)
    assert len(codes) >= 200


def test_round_trip_json_and_protection(corpus: Corpus, keys: GbcsKeys) -> None:
    counts = {"mac": 0, "signature": 0}
    for data in _singles(corpus):
        env = decode_envelope(data)
        message = decode_message(data, decrypt=keys.decryptor(env.header))
        assert encode_message(message) == data
        tree = json.loads(json.dumps(message_to_json(message)))
        assert encode_message(message_from_json(tree)) == data
        report = verify_message(data, keys)
        assert CheckStatus.INVALID not in (report.mac, report.signature)
        assert CheckStatus.UNCHECKED not in (report.mac, report.signature)
        counts["mac"] += report.mac is CheckStatus.VALID
        counts["signature"] += report.signature is CheckStatus.VALID
    assert counts["mac"] > 200 and counts["signature"] > 50


def test_flips_in_protected_spans_fail(corpus: Corpus, keys: GbcsKeys) -> None:
    rng = random.Random(7)
    for data in _singles(corpus):
        if decode_envelope(data).mac is None and decode_envelope(data).signature is None:
            continue
        for pos in {rng.randrange(len(data)) for _ in range(6)} | {len(data) - 1}:
            bad = bytearray(data)
            bad[pos] ^= 0x04
            with pytest.raises(SmetsError):
                authenticate(bytes(bad), keys)


def test_gbt_blocks_reassemble_to_corpus_messages(corpus: Corpus) -> None:
    singles = set(_singles(corpus))
    blocks = [m.data for m in corpus.messages if m.kind == "GBT"]
    assert blocks
    rebuilt, reassembler = [], Reassembler()
    for block in blocks:
        whole = reassembler.feed(block)
        if whole is not None:
            rebuilt.append(whole)
            reassembler = Reassembler()
    assert len(rebuilt) == 5 and all(w in singles for w in rebuilt)
    for whole in rebuilt:
        decode_message(whole)
