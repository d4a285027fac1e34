"""MAC and signature checks on RTDS with its keystore, re-sealing, and tamper detection."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace

import pytest

from smets_emu.errors import FrameError, KeyMaterialError, MacError, SignatureError, SmetsError
from smets_emu.protocols.envelope import decode_envelope, decode_envelope_with_spans, encode_envelope
from smets_emu.protocols.keystore import Keystore
from smets_emu.protocols.security import (
    CheckStatus,
    GbcsKeys,
    authenticate,
    check_mac,
    check_signature,
    seal,
    verify_message,
)
from tests_support import RTDS_FILES, rtds_ids


@pytest.fixture(scope="module")
def keys(rtds_keystore_dir) -> GbcsKeys:  # type: ignore[no-untyped-def]
    return GbcsKeys(Keystore.load(rtds_keystore_dir))


def test_every_checkable_protection_in_rtds_verifies(keys: GbcsKeys, rtds_files) -> None:  # type: ignore[no-untyped-def]
    counts: Counter[tuple[str, str, str]] = Counter()
    for item in rtds_files:
        report = verify_message(item.read(), keys)
        counts["mac", item.kind, report.mac.value] += 1
        counts["signature", item.kind, report.signature.value] += 1
    assert not [k for k in counts if k[2] == "invalid"], counts
    assert counts["mac", "COMMAND", "valid"] == 495
    assert counts["mac", "RESPONSE", "valid"] == 304
    assert counts["mac", "ALERT", "valid"] == 12
    # HAN-only PPMID <-> GSME messages need device private keys, which RTDS does not ship.
    assert counts["mac", "COMMAND", "unchecked"] + counts["mac", "RESPONSE", "unchecked"] == 4
    assert sum(v for k, v in counts.items() if k[0] == "signature" and k[2] == "valid") == 472
    assert not [k for k in counts if k[0] == "signature" and k[2] == "unchecked"]


def _flip(data: bytes, index: int) -> bytes:
    out = bytearray(data)
    out[index] ^= 0x01
    return bytes(out)


@pytest.mark.parametrize("item", RTDS_FILES, ids=rtds_ids(RTDS_FILES))
def test_single_byte_flips_are_detected(item, keys: GbcsKeys) -> None:  # type: ignore[no-untyped-def]
    data = item.read()
    env, spans = decode_envelope_with_spans(data)
    rng = random.Random(data)
    mac_ok = check_mac(env, spans, keys) is CheckStatus.VALID
    sig_ok = check_signature(env, spans, keys) is CheckStatus.VALID
    if mac_ok:
        mac_start = len(data) - 12
        apdu_start = data.index(spans.signing_apdu)
        positions = {mac_start + i for i in range(12)} | {
            rng.randrange(apdu_start, mac_start) for _ in range(8)
        }
        for pos in sorted(positions):
            bad = _flip(data, pos)
            with pytest.raises((MacError, FrameError, KeyMaterialError)):
                authenticate(bad, keys)
    if sig_ok:
        sig_start = data.index(env.signature)
        signed_start = data.index(spans.signed)
        positions = {sig_start + i for i in (0, 1, 31, 32, 63)} | {
            rng.randrange(signed_start, signed_start + len(spans.signed)) for _ in range(8)
        }
        for pos in sorted(positions):
            bad = _flip(data, pos)
            with pytest.raises((SignatureError, MacError, FrameError, KeyMaterialError)):
                authenticate(bad, keys)
    assert verify_message(data, keys).mac is not CheckStatus.INVALID


def test_every_byte_of_one_critical_command(keys: GbcsKeys, rtds_files) -> None:  # type: ignore[no-untyped-def]
    item = next(f for f in rtds_files if f.path.name == "ECS43_7.2_SUCCESS_COMMAND_GBCS.HEX")
    data = item.read()
    for pos in range(len(data)):
        try:
            report = verify_message(_flip(data, pos), keys)
        except SmetsError:
            continue
        assert CheckStatus.INVALID in (report.mac, report.signature), pos


def test_reseal_after_edit_verifies(keys: GbcsKeys, rtds_files) -> None:  # type: ignore[no-untyped-def]
    item = next(f for f in rtds_files if f.path.name == "ECS43_7.2_SUCCESS_COMMAND_GBCS.HEX")
    env = decode_envelope(item.read())
    edited = replace(env, header=replace(env.header, originator_counter=env.header.originator_counter + 1))
    stale = encode_envelope(edited)
    report = verify_message(stale, keys)
    assert report.mac is CheckStatus.INVALID and report.signature is CheckStatus.INVALID
    fresh = encode_envelope(seal(edited, keys))
    report = verify_message(fresh, keys)
    assert report.mac is CheckStatus.VALID and report.signature is CheckStatus.VALID


def test_seal_without_private_key_raises(keys: GbcsKeys, rtds_files) -> None:  # type: ignore[no-untyped-def]
    response = next(f for f in rtds_files if f.path.name == "ECS43_7.2_SUCCESS_RESPONSE_GBCS.HEX")
    env = decode_envelope(response.read())  # signed by the ESME, whose private key RTDS does not ship
    with pytest.raises(KeyMaterialError):
        seal(env, keys)


def test_decryption_of_every_encrypted_part(keys: GbcsKeys, rtds_files) -> None:  # type: ignore[no-untyped-def]
    from smets_emu.protocols.message import message_from_envelope

    decrypted = 0
    for item in rtds_files:
        env = decode_envelope(item.read())
        calls: list[int] = []
        base = keys.decryptor(env.header)
        if base is None:
            continue

        def counting(blob: bytes, base=base, calls=calls) -> bytes:  # type: ignore[no-untyped-def]
            calls.append(1)
            return base(blob)

        message_from_envelope(env, decrypt=counting)
        decrypted += len(calls)
    assert decrypted >= 25
