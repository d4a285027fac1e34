"""Tests for the GBCS ASN.1 DER payload family (smets_emu.protocols.payloads.asn1)."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smets_emu.errors import EncodeError, FrameError, SmetsError
from smets_emu.protocols.envelope import decode_envelope
from smets_emu.protocols.payloads.asn1 import (
    ASN1_MESSAGE_CODES,
    FAILURE_TO_DELIVER_SCHEMA,
    GENERIC_SCHEMA,
    SCHEMA_TABLE,
    Asn1Payload,
    decode_asn1,
    placeholder_certificate,
    sample_asn1,
)
from smets_emu.protocols.payloads.base import PayloadContext

RTDS = Path(__file__).resolve().parents[3] / ".." / "shared" / "rtds" / "RTDS-4.5.0"
ALL_KEYS = sorted(SCHEMA_TABLE) + [(0x00D5, 3)]


def rtds_files() -> list[Path]:
    """RTDS files whose message code belongs to the ASN.1 family ([] when RTDS is absent)."""
    if not RTDS.is_dir():
        return []
    out = []
    for path in sorted(RTDS.glob("*/*.HEX")):
        env = decode_envelope(bytes.fromhex(path.read_text().strip()))
        if env.header.other_information.message_code in ASN1_MESSAGE_CODES:
            out.append(path)
    return out


def _load(path: Path) -> tuple[bytes, PayloadContext]:
    env = decode_envelope(bytes.fromhex(path.read_text().strip()))
    return env.content, PayloadContext(env.header.other_information.message_code, int(env.header.cra_flag))


def _json_round_trip(payload: Asn1Payload) -> Asn1Payload:
    return Asn1Payload.from_json(json.loads(json.dumps(payload.to_json())))


def _generated_certificate(common_name: str = "GENERATED") -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "02"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])
    now = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER)


# --- RTDS ---------------------------------------------------------------------------------------

RTDS_FILES = rtds_files()


@pytest.mark.rtds
@pytest.mark.parametrize("path", RTDS_FILES or [None], ids=lambda p: p.name if p else "no-rtds")
def test_rtds_round_trip(path: Path | None) -> None:
    if path is None:
        pytest.skip("RTDS not available")
    content, ctx = _load(path)
    payload = decode_asn1(content, ctx)
    assert payload.family == "asn1"
    assert payload.schema == SCHEMA_TABLE[(ctx.message_code, ctx.cra_flag)]
    assert payload.encode() == content
    again = _json_round_trip(payload)
    assert again == payload
    assert again.encode() == content


@pytest.mark.rtds
def test_rtds_schema_counts() -> None:
    if not RTDS_FILES:
        pytest.skip("RTDS not available")
    counts = Counter(decode_asn1(*_load(p)).schema for p in RTDS_FILES)
    assert GENERIC_SCHEMA not in counts
    assert sum(counts.values()) == len(RTDS_FILES) == 178
    assert counts["CS02bCommand"] == 21 and counts["CS02gCommand"] == 16 and counts["GCS28Command"] == 8


def _rtds_one(name: str) -> tuple[bytes, PayloadContext]:
    matches = list(RTDS.glob(f"*/{name}")) if RTDS.is_dir() else []
    if not matches:
        pytest.skip("RTDS not available")
    return _load(matches[0])


@pytest.mark.rtds
def test_rtds_cs06_counter_edit_changes_bytes() -> None:
    content, ctx = _rtds_one("CS06_11.3_IMMEDIATE_SUCCESS_COMMAND_GBCS.HEX")
    payload = decode_asn1(content, ctx)
    value = copy.deepcopy(payload.value)
    value["originatorCounter"] += 1
    edited = Asn1Payload(payload.schema, value, ctx.message_code, ctx.cra_flag).encode()
    assert edited != content
    assert decode_asn1(edited, ctx).value["originatorCounter"] == payload.value["originatorCounter"] + 1


@pytest.mark.rtds
def test_rtds_cs02b_certificate_replacement_changes_bytes() -> None:
    content, ctx = _rtds_one("CS02bSupplierBySupplier_6.15.1_IMMEDIATE_SUCCESS_COMMAND_GBCS.HEX")
    payload = decode_asn1(content, ctx)
    value = copy.deepcopy(payload.value)
    new_cert = _generated_certificate()
    value["replacements"][0]["replacementCertificate"] = {"der": new_cert.hex()}
    edited = Asn1Payload(payload.schema, value, ctx.message_code, ctx.cra_flag).encode()
    assert edited != content and new_cert in edited
    decoded = decode_asn1(edited, ctx)
    assert decoded.value["replacements"][0]["replacementCertificate"]["subject"] == "OU=02, CN=GENERATED"


@pytest.mark.rtds
def test_rtds_wide_lengths_are_kept() -> None:
    content, ctx = _rtds_one("CS02aMAC_6.24.1_SUCCESS_RESPONSE_GBCS.HEX")
    payload = decode_asn1(content, ctx)
    assert content[:4] == bytes.fromhex("3082009F")
    assert payload.length_style == "long2"
    assert Asn1Payload(payload.schema, payload.value, length_style="der").encode()[:3] == bytes.fromhex("30819F")


@pytest.mark.rtds
def test_rtds_readable_certificate_and_request() -> None:
    content, ctx = _rtds_one("CS02c_6.17_SUCCESS_RESPONSE_GBCS.HEX")
    request = decode_asn1(content, ctx).value["certificationRequest"]
    assert request["eui"] == "00DB1234567890A0" and request["keyUsage"] == ["digitalSignature"]
    assert request["publicKey"].startswith("04")
    content, ctx = _rtds_one("CS02bAnyExceptAbnormalRootByRecovery_NA_SUCCESS_COMMAND_GBCS.HEX")
    value = decode_asn1(content, ctx).value
    cert = value["replacements"][1]["replacementCertificate"]
    assert cert["eui"] == "90B3D51F30010000"
    assert cert["subject"] == "CN=GITTESTSUPPLIER, OU=02, x500UniqueIdentifier=90B3D51F30010000"
    assert value["authorisingRemotePartyControl"]["applyTimeBasedCPVChecks"] == "disapply(1)"


# --- hand-built table: both directions ------------------------------------------------------

CASES: list[tuple[int, int, str, object]] = [
    (0x0008, 1, "300E3007020104030203083003020102",
     {"authorisingRemotePartyTACellIdentifier": {"remotePartyRole": "accessControlBroker(4)",
                                                 "keyUsage": ["keyAgreement(4)"]},
      "remotePartyRolesCredentialsRequired": ["supplier(2)"]}),
    (0x0008, 2, "30083006020103" "0A0119",
     [{"remotePartyRole": "networkOperator(3)", "statusCode": "trustAnchorNotFound(25)"}]),
    (0x000A, 1, "300403020780", {"keyUsage": ["digitalSignature(0)"]}),
    (0x000A, 2, "020103", {"responseCode": "crProductionFailed(3)"}),
    (0x000B, 2, "020100", "success(0)"),
    (0x000D, 2, "02010B", "invalidOrMissingCertificate(11)"),
    (0x000E, 1, "3010020102040800DB12345678909C020103",
     {"joinMethodAndRole": "methodB(2)", "otherDeviceEntityId": "00DB12345678909C", "otherDeviceType": "gpf(3)"}),
    (0x000F, 1, "04080102030405060708", "0102030405060708"),
    (0x0010, 2, "020101", "notInDeviceLog(1)"),
    (0x0012, 1, "30260420" + "AA" * 32 + "020203EA",
     {"manufacturerImageHash": "AA" * 32, "originatorCounter": 1002}),
    (0x0012, 2, "0500", {"commandAccepted": None}),
    (0x0012, 2, "30090201000404" "0123ABCE",
     {"executionOutcome": {"activateImageResponseCode": "success(0)", "firmwareVersion": "0123ABCE"}}),
    (0x0013, 1, "0500", None),
    (0x0013, 2, "3003020101", {"responseCode": "readFailure(1)"}),
    (0x007F, 2, "3014180F32303134313233313233333030305A020100",
     {"deviceTime": "20141231233000Z", "deviceTimeStatus": "reliable(0)"}),
    (0x0102, 2, "30020500", {"commandAccepted": None}),
    (0x0129, 2, "300904040123ABCD020100", {"firmwareVersion": "0123ABCD", "responseCode": "success(0)"}),
    (0x0128, 3, "30290203008F8A180F32303135303130313030303030305A" "040800DB1234567890A404040123ABCD020100",
     {"alertCode": "firmwareTransferSuccess(0x8F8A)", "executionDateTime": "20150101000000Z",
      "entityId": "00DB1234567890A4", "firmwareVersion": "0123ABCD", "responseCode": "success(0)"}),
]


@pytest.mark.parametrize(("code", "cra", "hex_bytes", "tree"), CASES, ids=[f"{c:04X}-{r}" for c, r, *_ in CASES])
def test_table_both_directions(code: int, cra: int, hex_bytes: str, tree: object) -> None:
    data = bytes.fromhex(hex_bytes)
    payload = decode_asn1(data, PayloadContext(code, cra))
    assert payload.value == tree
    assert Asn1Payload(SCHEMA_TABLE[(code, cra)], tree, code, cra).encode() == data
    assert _json_round_trip(payload).encode() == data


def test_cs02b_control_uses_implicit_context_tags() -> None:
    tree = {
        "credentialsReplacementMode": "supplierBySupplier",
        "authorisingRemotePartyTACellIdentifier": {"remotePartyRole": "supplier", "keyUsage": ["digitalSignature"]},
        "authorisingRemotePartySeqNumber": 1002,
        "newRemotePartyFloorSeqNumber": 0,
        "newRemotePartySpecialistFloorSeqNumber": [{"seqNumberUsage": "prepaymentTopUp", "seqNumber": 0}],
    }
    value = {"authorisingRemotePartyControl": tree, "replacements": [], "certificationPathCertificates": []}
    data = Asn1Payload("CS02bCommand", value).encode()
    assert data.hex().upper() == "3023301D020102A20702010203020780830203EA840100A50830060201000201003000" "3000"
    decoded = decode_asn1(data, PayloadContext(0x0102, 1))
    assert decoded.value["authorisingRemotePartyControl"]["credentialsReplacementMode"] == "supplierBySupplier(2)"


def test_names_numbers_and_hex_forms_are_all_accepted() -> None:
    for role in ("supplier", "supplier(2)", 2):
        data = Asn1Payload("CS02aCommand", {
            "authorisingRemotePartyTACellIdentifier": {"remotePartyRole": role, "keyUsage": ["keyAgreement"]},
            "remotePartyRolesCredentialsRequired": [127, "loadController"]}).encode()
        assert data.hex().upper() == "3011300702010203020308300602017F020108"
    alert = sample_asn1(0x00CA, 3)
    value = copy.deepcopy(alert.value)
    value["alertCode"] = "futureDatedCommandNotActioned(0x8F67)"
    assert bytes.fromhex("0203008F67") in Asn1Payload("CS06Alert", value).encode()


# --- strictness ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "cra", "hex_bytes"), [
    (0x000D, 2, "02020001"),  # non-minimal INTEGER
    (0x000D, 2, "02010000"),  # trailing byte
    (0x000D, 2, "0A0100"),  # wrong tag
    (0x000D, 2, ""),  # empty
    (0x0013, 1, "050100"),  # NULL with content
    (0x000A, 1, "300403020080"),  # KeyUsage with trailing zero bits
    (0x000A, 1, "30050303078000"),  # KeyUsage padded
    (0x0012, 2, "30800201000404012345670000"),  # indefinite length
    (0x0013, 2, "308103020100"),  # long length form below 128, not the long2 style either
    (0x0012, 1, "3016040130020203EA180D" + b"203001010000Z".hex()),  # GeneralizedTime without seconds
    (0x0012, 1, "3009240404020102020101"),  # constructed OCTET STRING
    (0x000B, 1, "3003020101"),  # not a certificate
    (0x0102, 2, "30020501"),  # truncated
    (0x00D5, 3, "0F00000001000203128F84"),  # truncated 0x00D5
])
def test_non_canonical_or_malformed_is_frame_error(code: int, cra: int, hex_bytes: str) -> None:
    with pytest.raises(FrameError):
        decode_asn1(bytes.fromhex(hex_bytes), PayloadContext(code, cra))


def test_deep_nesting_is_frame_error() -> None:
    data = b""
    for _ in range(200):
        header = bytes([0x30, len(data)]) if len(data) < 0x80 else b"\x30\x82" + len(data).to_bytes(2, "big")
        data = header + data
    with pytest.raises(FrameError):
        decode_asn1(data, PayloadContext(0x0999, 1))


def test_from_json_rejects_bad_objects() -> None:
    good = sample_asn1(0x0012, 1).to_json()
    for bad in (
        {**good, "family": "dlms"},
        {**good, "schema": "NoSuchSchema"},
        {**good, "value": {**good["value"], "extra": 1}},
        {**good, "value": {"manufacturerImageHash": "XYZ", "originatorCounter": 1}},
        {**good, "value": {"manufacturerImageHash": "00"}},
        {**good, "length_style": "odd"},
    ):
        with pytest.raises(EncodeError):
            Asn1Payload.from_json(bad)


# --- generic DER tree for unknown message codes -------------------------------------------------

def test_unknown_code_gives_generic_tree_that_round_trips_and_edits() -> None:
    data = bytes.fromhex("3011020105A1050403AABBCC180548454C4C4F")
    ctx = PayloadContext(0x0777, 2)
    payload = decode_asn1(data, ctx)
    assert payload.schema == GENERIC_SCHEMA
    (root,) = payload.value["elements"]
    assert root["type"] == "SEQUENCE" and root["children"][0]["value"] == 5
    assert root["children"][1]["tagClass"] == "context" and root["children"][1]["tagNumber"] == 1
    assert payload.encode() == data and _json_round_trip(payload).encode() == data
    value = copy.deepcopy(payload.value)
    value["elements"][0]["children"][0]["hex"] = "07"
    assert Asn1Payload(GENERIC_SCHEMA, value).encode() == bytes.fromhex("3011020107A1050403AABBCC180548454C4C4F")


def test_generic_high_tag_numbers_round_trip() -> None:
    data = bytes.fromhex("9F8101020102BF1F03020101")
    payload = decode_asn1(data, PayloadContext(0x0777, 1))
    assert [e["tagNumber"] for e in payload.value["elements"]] == [129, 31]
    assert payload.encode() == data
    with pytest.raises(FrameError):
        decode_asn1(bytes.fromhex("9F1E0100"), PayloadContext(0x0777, 1))  # low tag in high form


# --- samples --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "cra"), ALL_KEYS, ids=[f"{c:04X}-{r}" for c, r in ALL_KEYS])
def test_samples_round_trip(code: int, cra: int) -> None:
    payload = sample_asn1(code, cra)
    data = payload.encode()
    assert decode_asn1(data, PayloadContext(code, cra)) == payload
    assert _json_round_trip(payload).encode() == data


def test_sample_uses_given_certificate_and_edits_change_bytes() -> None:
    cert_a, cert_b = _generated_certificate("A"), _generated_certificate("B")
    payload = sample_asn1(0x0102, 1, certificate=cert_a)
    data = payload.encode()
    assert cert_a in data and cert_b not in data
    value = copy.deepcopy(payload.value)
    value["replacements"][0]["replacementCertificate"]["der"] = cert_b.hex().upper()
    edited = Asn1Payload(payload.schema, value).encode()
    assert cert_b in edited and edited != data
    cs06 = sample_asn1(0x0012, 1)
    value = copy.deepcopy(cs06.value)
    value["originatorCounter"] = 0x0102030405
    assert Asn1Payload("CS06Command", value).encode() != cs06.encode()
    assert sample_asn1(0x000B, 1).value["der"] == placeholder_certificate().hex().upper()


def test_failure_to_deliver_alert() -> None:
    payload = sample_asn1(0x00D5, 3)
    assert payload.schema == FAILURE_TO_DELIVER_SCHEMA
    data = payload.encode()
    assert data[:1] == b"\x0f" and b"\x30\x19" in data
    value = copy.deepcopy(payload.value)
    value["remotePartyMessage"]["originatorCounter"] += 1
    assert Asn1Payload(FAILURE_TO_DELIVER_SCHEMA, value).encode()[-1] == data[-1] + 1
    with pytest.raises(SmetsError):
        sample_asn1(0x0999, 1)


# --- properties -----------------------------------------------------------------------------------

_eui = st.binary(min_size=8, max_size=8).map(lambda b: b.hex().upper())
_entries = st.lists(st.fixed_dictionaries({"deviceId": _eui, "deviceType": st.integers(0, 6)}), max_size=6)
_time = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(9999, 1, 1)).map(
    lambda d: d.strftime("%Y%m%d%H%M%SZ"))


@settings(max_examples=200, deadline=None)
@given(entries=_entries, when=_time, code=st.integers(0, 0xFFFF))
def test_property_device_log_round_trip(entries: list, when: str, code: int) -> None:
    value = {"alertCode": code, "backupDateTime": when, "deviceLogEntries": entries}
    data = Asn1Payload("GCS62Alert", value).encode()
    decoded = decode_asn1(data, PayloadContext(0x00B2, 3))
    assert decoded.encode() == data
    assert [int(str(e["deviceType"]).split("(")[-1].rstrip(")")) for e in decoded.value["deviceLogEntries"]] == [
        e["deviceType"] for e in entries]


@settings(max_examples=200, deadline=None)
@given(image_hash=st.binary(max_size=40), counter=st.integers(0, 2**63 - 1), when=st.none() | _time)
def test_property_cs06_command_round_trip(image_hash: bytes, counter: int, when: str | None) -> None:
    value = {"manufacturerImageHash": image_hash.hex().upper(), "originatorCounter": counter}
    if when is not None:
        value["executionDateTime"] = when
    data = Asn1Payload("CS06Command", value).encode()
    assert decode_asn1(data, PayloadContext(0x0012, 1)).value == value


@settings(max_examples=200, deadline=None)
@given(key=st.sampled_from(ALL_KEYS + [(0x0777, 1)]), data=st.binary(max_size=300))
def test_property_random_bytes_raise_only_smets_error(key: tuple[int, int], data: bytes) -> None:
    try:
        payload = decode_asn1(data, PayloadContext(*key))
    except SmetsError:
        return
    assert payload.encode() == data


def _seeds() -> list[tuple[tuple[int, int], bytes]]:
    seeds = [(key, sample_asn1(*key).encode()) for key in ALL_KEYS]
    for path in RTDS_FILES[::9]:
        content, ctx = _load(path)
        seeds.append(((ctx.message_code, ctx.cra_flag), content))
    return seeds


SEEDS = _seeds()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.sampled_from(SEEDS), edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=4),
       cut=st.integers(-3, 3), tail=st.binary(max_size=3))
def test_property_mutated_payloads_raise_only_smets_error(seed, edits, cut, tail) -> None:
    key, original = seed
    data = bytearray(original)
    for pos, byte in edits:
        data[pos % len(data)] = byte
    if cut < 0:
        data = data[:cut]
    data = bytes(data) + (tail if cut > 0 else b"")
    try:
        payload = decode_asn1(data, PayloadContext(*key))
    except SmetsError:
        return
    assert payload.encode() == data
    assert _json_round_trip(payload).encode() == data
