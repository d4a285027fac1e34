"""Tests for the GBZ payload family (smets_emu.protocols.payloads.gbz)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smets_emu.errors import DecryptionError, EncodeError, FrameError, SmetsError
from smets_emu.protocols.envelope import decode_envelope
from smets_emu.protocols.payloads.base import PayloadContext
from smets_emu.protocols.payloads.gbz import (
    GBZ_MESSAGE_CODES,
    AlertBody,
    FutureDatedExecution,
    GbzAlert,
    GbzComponent,
    GbzPayload,
    decode_gbz,
    sample_gbz,
)
from smets_emu.protocols.payloads.zcl import ZclDirection, ZclFrameType, ZclHeader

RTDS = Path(__file__).resolve().parents[3] / ".." / "shared" / "rtds" / "RTDS-4.5.0"
ALERT_CODES = (0x00CD, 0x00CF, 0x00F2, 0x008B, 0x1000, 0x1001)
SAMPLE_KEYS = [(code, cra) for code in sorted(GBZ_MESSAGE_CODES)
               for cra in ((3,) if code in ALERT_CODES else (1, 2))]


def rtds_files() -> list[Path]:
    """RTDS files whose content opens with the GBZ profile id ([] when the RTDS folder is absent)."""
    if not RTDS.is_dir():
        return []
    found = []
    for path in sorted(RTDS.glob("*/*.HEX")):
        try:
            content = decode_envelope(bytes.fromhex(path.read_text().strip())).content
        except (SmetsError, ValueError):
            continue
        if content[:2] == b"\x01\x09":
            found.append(path)
    return found


def _gbz_message(path: Path) -> tuple[bytes, PayloadContext]:
    env = decode_envelope(bytes.fromhex(path.read_text().strip()))
    ctx = PayloadContext(env.header.other_information.message_code, int(env.header.cra_flag))
    return env.content, ctx


def _round_trip(content: bytes, ctx: PayloadContext) -> GbzPayload:
    payload = decode_gbz(content, ctx)
    assert payload.encode() == content
    tree = json.loads(json.dumps(payload.to_json()))
    assert tree["family"] == "gbz"
    assert GbzPayload.from_json(tree).encode() == content
    return payload


@pytest.mark.rtds
@pytest.mark.parametrize("path", rtds_files() or [None], ids=lambda p: p.name if p else "no-rtds")
def test_rtds_round_trip(path: Path | None) -> None:
    if path is None:
        pytest.skip("RTDS not available")
    content, ctx = _gbz_message(path)
    assert ctx.message_code in GBZ_MESSAGE_CODES
    payload = _round_trip(content, ctx)
    for comp in payload.components:
        tree = comp.to_json()
        assert tree.get("cluster"), tree
        assert tree["zcl"].get("command"), tree
        assert comp.encrypted or comp.fields is not None, "plaintext RTDS components decode to named fields"
    if ctx.cra_flag == 3:
        assert payload.alert is not None and payload.to_json()["timestamp_iso"].endswith("Z")


# --- hand-built payloads (digest 5.9, 5.10, 5.12, 5.13) ----------------------------------

PW, CS = ZclFrameType.PROFILE_WIDE, ZclFrameType.CLUSTER_SPECIFIC
C2S, S2C = ZclDirection.CLIENT_TO_SERVER, ZclDirection.SERVER_TO_CLIENT

HAND_BUILT = [
    # GCS38 read firmware version and its response
    ("01090101070200050000000602", PayloadContext(0x0084, 1), GbzPayload(components=(
        GbzComponent(0x0702, ZclHeader(PW, C2S, 0, 0x00), fields={"attribute_ids": [0x0206]}, last=True),),)),
    ("010901010702000C0800010602004104 0123ABCD", PayloadContext(0x0084, 2), GbzPayload(components=(
        GbzComponent(0x0702, ZclHeader(PW, S2C, 0, 0x01), last=True, fields={"records": [
            {"attribute_id": 0x0206, "status": "SUCCESS", "type": "OCTET_STRING", "value": "0123ABCD"}]}),),
        form="response")),
    # CS11 with a from-date-time component and an unknown command kept raw
    ("01090210070900080100000001000103 01070200050901 7F AABB", PayloadContext(0x0015, 1), GbzPayload(components=(
        GbzComponent(0x0709, ZclHeader(CS, C2S, 0, 0x01), fields={"log_id": 3}, from_date_time=0x01000000),
        GbzComponent(0x0702, ZclHeader(CS, S2C, 1, 0x7F), payload=b"\xaa\xbb", last=True),))),
    # encrypted component
    ("0109010307020019 0000 180001 0012 3100000000 AA 0102030405060708090A0B0C", PayloadContext(0x0074, 2),
     GbzPayload(components=(GbzComponent(
         0x0702, ZclHeader(PW, S2C, 0, 0x01, disable_default_response=True), last=True,
         ciphered_information=bytes.fromhex("3100000000AA0102030405060708090A0B0C")),), form="response")),
    # alerts
    ("0109008F301C374A80", PayloadContext(0x1000, 3), GbzPayload(alert=GbzAlert(0x8F30, 0x1C374A80), form="alert")),
    ("01090181A01C374A800005", PayloadContext(0x00F2, 3), GbzPayload(
        alert=GbzAlert(0x81A0, 0x1C374A80, AlertBody.METER_INTEGRITY, integrity_code=5), form="alert")),
    ("0109018F72 1C374A80 0920" + "01" * 32, PayloadContext(0x00CF, 3), GbzPayload(
        alert=GbzAlert(0x8F72, 0x1C374A80, AlertBody.FIRMWARE_RECEIPT, image_hash=b"\x01" * 32), form="alert")),
    ("0109018F66388188900E006B00000000000003ED07000906", PayloadContext(0x00CD, 3), GbzPayload(
        alert=GbzAlert(0x8F66, 0x38818890, AlertBody.FUTURE_DATED, future_dated=FutureDatedExecution(
            0x006B, 0x03ED, 0x0700, CS, S2C, 0x06)), form="alert")),
]


@pytest.mark.parametrize(("hex_bytes", "ctx", "payload"), HAND_BUILT)
def test_hand_built_both_directions(hex_bytes: str, ctx: PayloadContext, payload: GbzPayload) -> None:
    data = bytes.fromhex(hex_bytes.replace(" ", ""))
    assert payload.encode() == data
    decoded = _round_trip(data, ctx)
    assert decoded.encode() == payload.encode()
    assert [c.header for c in decoded.components] == [c.header for c in payload.components]
    assert decoded.alert == payload.alert


def test_alert_json_is_readable() -> None:
    tree = decode_gbz(bytes.fromhex("0109018F66388188900E006B00000000000003ED07000906"),
                      PayloadContext(0x00CD, 3)).to_json()
    assert tree["timestamp_iso"] == "2030-01-15T09:00:00Z"
    assert tree["future_dated"]["command"] == "Publish Block Thresholds"
    assert tree["future_dated"]["use_case"] == "GCS01a"


def test_json_edits_change_bytes() -> None:
    data = bytes.fromhex("010901010702000C08000106020041040123ABCD")
    tree = decode_gbz(data, PayloadContext(0x0084, 2)).to_json()
    edited = copy.deepcopy(tree)
    edited["components"][0]["zcl"]["fields"]["records"][0]["attribute_id"] = 0x0207
    assert GbzPayload.from_json(edited).encode() == bytes.fromhex("010901010702000C08000107020041040123ABCD")
    edited["components"][0]["zcl"]["fields"]["records"][0]["value"] = "01"
    assert GbzPayload.from_json(edited).encode() == bytes.fromhex("0109010107020009080001070200410101")
    edited["components"][0]["cluster_id"] = 0x0705
    assert GbzPayload.from_json(edited).encode()[4:6] == b"\x07\x05"


def test_decrypt_hook() -> None:
    data = bytes.fromhex("01090103070200190000180001001231000000004142434445464748494A4B4C4D")
    seen: list[bytes] = []

    def decrypt(blob: bytes) -> bytes:
        seen.append(blob)
        return bytes.fromhex("00000025E80300000000")

    payload = decode_gbz(data, PayloadContext(0x0074, 2, decrypt))
    assert seen == [data[-0x12:]]
    records = payload.to_json()["components"][0]["zcl"]["decrypted"]["fields"]["records"]
    assert records[0]["value"] == 1000 and records[0]["attribute"] == "CurrentSummationDelivered"
    assert payload.encode() == data
    assert GbzPayload.from_json(json.loads(json.dumps(payload.to_json()))).encode() == data

    def bad(blob: bytes) -> bytes:
        raise DecryptionError("tag mismatch")

    with pytest.raises(DecryptionError):
        decode_gbz(data, PayloadContext(0x0074, 2, bad))


@pytest.mark.parametrize("hex_bytes", [
    "", "01", "0109", "010A00", "010901", "01090100", "01090100070200040000",  # truncated / bad
    "010900FF",  # trailing byte
    "01090103070200030000180001",  # encrypted component without ciphered length
    "0109010307020008000018000100013100",  # ciphered info then trailing byte inside the component
])
def test_malformed_commands(hex_bytes: str) -> None:
    with pytest.raises(FrameError):
        decode_gbz(bytes.fromhex(hex_bytes), PayloadContext(0x0074, 1))


def test_malformed_alerts() -> None:
    with pytest.raises(FrameError):  # future-dated body longer than its 14 bytes
        decode_gbz(bytes.fromhex("01090101071b6302001501000b00000000804a371c79000000000000000001"),
                   PayloadContext(0x00CD, 3))
    with pytest.raises(FrameError):
        decode_gbz(bytes.fromhex("01090181A01C374A8000"), PayloadContext(0x00F2, 3))


def test_encode_errors() -> None:
    comp = GbzComponent(0x0702, ZclHeader(CS, C2S, 0, 0x7F), fields={"x": 1})
    with pytest.raises(EncodeError):
        GbzPayload(components=(comp,)).encode()
    with pytest.raises(EncodeError):
        GbzPayload(components=(GbzComponent(0x1_0000, ZclHeader(PW, C2S, 0, 0)),)).encode()
    with pytest.raises(EncodeError):
        GbzPayload.from_json({"family": "dlms"})


@pytest.mark.parametrize(("code", "cra"), SAMPLE_KEYS)
def test_samples_round_trip(code: int, cra: int) -> None:
    payload = sample_gbz(code, cra)
    data = payload.encode()
    decoded = _round_trip(data, PayloadContext(code, cra))
    assert decoded.components == payload.components
    assert decoded.alert == payload.alert
    if cra != 3:
        assert payload.components and payload.components[-1].last


def test_sample_unknown_code() -> None:
    with pytest.raises(EncodeError):
        sample_gbz(0x0019, 1)


def test_message_code_set() -> None:
    assert {0x006B, 0x0097, 0x0014, 0x00A1, 0x00CD, 0x00CF, 0x1000}.issubset(GBZ_MESSAGE_CODES)
    assert not {0x007F, 0x008C, 0x00B2, 0x0019}.intersection(GBZ_MESSAGE_CODES)


# --- property tests ------------------------------------------------------------------------

_SEEDS = [bytes.fromhex(h.replace(" ", "")) for h, _ctx, _p in HAND_BUILT] + [
    sample_gbz(code, cra).encode() for code, cra in SAMPLE_KEYS[::5]
]


@given(st.binary(max_size=96), st.sampled_from([1, 2, 3]), st.sampled_from([0x0074, *ALERT_CODES]))
@settings(max_examples=400)
def test_random_bytes_raise_only_smets_errors(data: bytes, cra: int, code: int) -> None:
    try:
        payload = decode_gbz(b"\x01\x09" + data, PayloadContext(code, cra))
    except SmetsError:
        return
    assert payload.encode() == b"\x01\x09" + data


@given(st.sampled_from(_SEEDS), st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=4),
       st.integers(0, 400), st.sampled_from([1, 2, 3]), st.sampled_from([0x0074, *ALERT_CODES]))
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_bytes_raise_only_smets_errors(seed, edits, cut, cra, code) -> None:
    data = bytearray(seed)
    for pos, value in edits:
        if data:
            data[pos % len(data)] = value
    data = bytes(data[:cut])
    try:
        payload = decode_gbz(data, PayloadContext(code, cra))
    except SmetsError:
        return
    assert payload.encode() == data


@given(
    components=st.lists(st.tuples(
        st.integers(0, 0xFFFF), st.sampled_from(list(ZclDirection)), st.integers(0, 255), st.integers(0, 255),
        st.binary(max_size=12), st.none() | st.integers(0, 0xFFFFFFFF), st.booleans(),
        st.none() | st.binary(max_size=24),
    ), max_size=4),
    alert=st.none() | st.tuples(st.integers(0, 0xFFFF), st.integers(0, 0xFFFFFFFF)),
)
@settings(max_examples=300)
def test_generated_payloads_round_trip(components, alert) -> None:
    comps = tuple(
        GbzComponent(cluster, ZclHeader(CS, direction, seq, cmd), payload=b"" if cipher is not None else raw,
                     ciphered_information=cipher, from_date_time=fdt, last=last)
        for cluster, direction, seq, cmd, raw, fdt, last, cipher in components
    )
    payload = GbzPayload(components=comps, alert=GbzAlert(*alert) if alert else None,
                         form="alert" if alert else "command")
    data = payload.encode()
    again = _round_trip(data, PayloadContext(0x008B if alert else 0x0074, 3 if alert else 1))
    assert again.encode() == data
    assert len(again.components) == len(comps)
