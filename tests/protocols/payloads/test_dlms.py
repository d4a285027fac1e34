"""xDLMS APDUs of ESME/CHF payloads (GBCS 5.11; Green Book ACCESS and DataNotification): tables, RTDS, properties."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smets_emu.errors import DecryptionError, EncodeError, FrameError, SmetsError
from smets_emu.protocols.envelope import decode_envelope
from smets_emu.protocols.payloads.base import PayloadContext
from smets_emu.protocols.payloads.dlms import (
    DLMS_MESSAGE_CODES,
    AccessRequest,
    AccessRequestKind,
    AccessRequestSpec,
    AccessResponse,
    AccessResponseKind,
    AccessResponseSpec,
    ActionResult,
    DataAccessResult,
    DataNotification,
    DlmsPayload,
    InvokeIdAndPriority,
    ObisCode,
    decode_dlms,
    dlms_payload_from_json,
    sample_dlms,
)
from smets_emu.protocols.payloads.dlms_data import (
    ArrayData,
    DataTag,
    IntegerData,
    NullData,
    OctetStringData,
    StructureData,
    decode_data,
)

RTDS = Path(__file__).resolve().parents[3] / ".." / "shared" / "rtds"


def rtds_files() -> list[Path]:
    """Every RTDS message file, or [] when the corpus is not beside the checkout."""
    return sorted(RTDS.glob("RTDS-*/*/*.HEX")) if RTDS.is_dir() else []


def _dlms_messages() -> list[tuple[str, bytes, int, int]]:
    found = []
    for path in rtds_files():
        envelope = decode_envelope(bytes.fromhex(path.read_text().strip()))
        if envelope.content[:1] in (b"\xd9", b"\xda", b"\x0f"):
            header = envelope.header
            found.append((f"{path.parent.name}/{path.name}", envelope.content,
                          header.other_information.message_code, int(header.cra_flag)))
    return found


DLMS_MESSAGES = _dlms_messages()
IDS = [m[0] for m in DLMS_MESSAGES]


def _json_round_trip(payload: DlmsPayload) -> DlmsPayload:
    return dlms_payload_from_json(json.loads(json.dumps(payload.to_json())))


# --------------------------------------------------------------------------- RTDS


@pytest.mark.rtds
@pytest.mark.parametrize(("name", "content", "code", "cra"), DLMS_MESSAGES, ids=IDS)
def test_rtds_payload_round_trips(name: str, content: bytes, code: int, cra: int) -> None:
    payload = decode_dlms(content, PayloadContext(code, cra))
    assert payload.encode() == content
    assert code in DLMS_MESSAGE_CODES
    expected = {1: AccessRequest, 2: AccessResponse, 3: DataNotification}[cra]
    assert isinstance(payload, expected)
    assert payload.family == "dlms"
    rebuilt = _json_round_trip(payload)
    assert rebuilt == payload
    assert rebuilt.encode() == content
    assert DlmsPayload.from_json(payload.to_json()).encode() == content


@pytest.mark.rtds
def test_rtds_corpus_has_dlms_messages() -> None:
    if not DLMS_MESSAGES:
        pytest.skip("RTDS corpus (../shared/rtds) not present")
    kinds = {content[0] for _, content, _, _ in DLMS_MESSAGES}
    assert kinds == {0xD9, 0xDA, 0x0F}


@pytest.mark.rtds
@pytest.mark.parametrize(
    ("name", "content", "code", "cra"), [m for m in DLMS_MESSAGES if m[3] == 1],
    ids=[m[0] for m in DLMS_MESSAGES if m[3] == 1],
)
def test_rtds_obis_edit_changes_bytes(name: str, content: bytes, code: int, cra: int) -> None:
    tree = decode_dlms(content).to_json()
    first = (tree.get("requests") or tree["specifications"])[0]
    old = ObisCode.parse(first["obis"])
    new = ObisCode(old.a, old.b, old.c, old.d, old.e, (old.f + 1) % 256)
    first["obis"] = str(new)
    rebuilt = dlms_payload_from_json(tree)
    data = rebuilt.encode()
    assert data != content
    assert len(data) == len(content)
    assert isinstance(rebuilt, AccessRequest)
    assert rebuilt.specifications[0].instance == new
    assert decode_dlms(data) == rebuilt


def _first_node(node: Any, types: tuple[str, ...]) -> dict[str, Any] | None:
    if isinstance(node, dict):
        if node.get("type") in types:
            return node
        children = [v for k, v in node.items() if k not in ("decrypted", "description")]
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        found = _first_node(child, types)
        if found is not None:
            return found
    return None


_SCALARS = tuple(t.json_name for t in DataTag if t not in (DataTag.ARRAY, DataTag.STRUCTURE, DataTag.COMPACT_ARRAY))


@pytest.mark.rtds
@pytest.mark.parametrize(("name", "content", "code", "cra"), DLMS_MESSAGES, ids=IDS)
def test_rtds_data_edit_changes_bytes(name: str, content: bytes, code: int, cra: int) -> None:
    tree = decode_dlms(content).to_json()
    node = _first_node(tree, _SCALARS)
    assert node is not None
    if isinstance(node.get("value"), int) and not isinstance(node["value"], bool):
        node["value"] ^= 1  # same type, so a compact-array element stays valid
    elif node["type"] == "octet-string" and node["value"]:
        node["value"] = f"{int(node['value'][:2], 16) ^ 1:02X}" + node["value"][2:]
    else:
        node.clear()
        node.update({"type": "long-unsigned", "value": 0xABCD})
    expected = {k: v for k, v in node.items() if k in ("type", "value")}
    edited = dlms_payload_from_json(tree).encode()
    assert edited != content
    found = _first_node(decode_dlms(edited).to_json(), _SCALARS)
    assert found is not None
    assert {k: v for k, v in found.items() if k in ("type", "value")} == expected


def _decryptor_for(payload: DlmsPayload) -> Any:
    """Build a decryptor from the RTDS keystore and the payload's own protection parameters (GBCS 3.6)."""
    crypto = pytest.importorskip("smets_emu.protocols.crypto")
    x509 = pytest.importorskip("cryptography.x509")
    serialization = pytest.importorskip("cryptography.hazmat.primitives.serialization")
    values = [payload.body] if isinstance(payload, DataNotification) else list(payload.data)  # type: ignore[attr-defined]
    strings = [v.value for root in values for v in root.walk() if isinstance(v, OctetStringData)]
    transaction = next(s for s in strings if len(s) == 9 and s[0] == 4)
    originator, recipient = [s for s in strings if len(s) == 8][:2]
    keystore = RTDS / "keystore"
    public = x509.load_pem_x509_certificate((keystore / f"{originator.hex()}-ka.pem").read_bytes()).public_key()
    private = serialization.load_pem_private_key((keystore / f"{recipient.hex()}-ka.key").read_bytes(), None)
    secret = crypto.ecdh_shared_secret(private_key=private, public_key=public)
    key = crypto.derive_key(shared_secret=secret, mode=4, originator=originator,
                            counter=int.from_bytes(transaction[1:], "big"), recipient=recipient)
    return lambda blob: crypto.decrypt_protected(key=key, originator=originator, blob=blob)


@pytest.mark.rtds
def test_rtds_protected_parts_decrypt_to_dlms_data() -> None:
    protected = [m for m in DLMS_MESSAGES if m[3] in (2, 3) and b"\x31\x00\x00\x00\x00" in m[1]]
    if not protected:
        pytest.skip("RTDS corpus (../shared/rtds) not present")
    decrypted = 0
    for _, content, code, cra in protected:
        plain = decode_dlms(content, PayloadContext(code, cra))
        try:
            payload = decode_dlms(content, PayloadContext(code, cra, _decryptor_for(plain)))
        except DecryptionError:
            continue  # another key pair protects this one; the error reached the caller as is
        inner = [v.decrypted for v in _walk(payload) if isinstance(v, OctetStringData) and v.decrypted is not None]
        assert inner
        assert "decrypted" in json.dumps(payload.to_json())
        assert _json_round_trip(payload).encode() == content
        decrypted += 1
    assert decrypted >= len(protected) // 2


def _walk(payload: DlmsPayload) -> list[Any]:
    roots = [payload.body] if isinstance(payload, DataNotification) else list(payload.data)  # type: ignore[attr-defined]
    return [v for root in roots for v in root.walk()]


# --------------------------------------------------------------------------- hand-built table

INVOKE = InvokeIdAndPriority(1000)
FW = ObisCode(0, 0, 0, 2, 1, 255)
GET_FW = AccessRequestSpec(AccessRequestKind.GET, 1, FW, 2)
RANGE = StructureData((
    StructureData((IntegerData(DataTag.LONG_UNSIGNED, 8), OctetStringData(bytes.fromhex("0000010000FF")),
                   IntegerData(DataTag.INTEGER, 2), IntegerData(DataTag.LONG_UNSIGNED, 0))),
    IntegerData(DataTag.DOUBLE_LONG_UNSIGNED, 1), IntegerData(DataTag.DOUBLE_LONG_UNSIGNED, 2), ArrayData(),
))
STAMP = bytes.fromhex("07EE010FFF09000000800000")

TABLE: list[tuple[str, DlmsPayload]] = [
    # ECS52: GET class 1 0-0:0.2.1.255 attribute 2
    ("D9200003E8" "00" "01" "01" "0001" "0000000201FF" "02" "01" "00",
     AccessRequest(INVOKE, (GET_FW,), (NullData(),))),
    ("DA200003E8" "00" "00" "01" "09040123ABCD" "01" "0100",
     AccessResponse(INVOKE, (OctetStringData(bytes.fromhex("0123ABCD")),),
                    (AccessResponseSpec(AccessResponseKind.GET, DataAccessResult.SUCCESS),))),
    # ECS43: ACTION class 9 0-0:10.0.106.255 method 1, script 0x34
    ("D9200003E9" "00" "01" "03" "0009" "00000A006AFF" "01" "01" "120034",
     AccessRequest(InvokeIdAndPriority(1001),
                   (AccessRequestSpec(AccessRequestKind.ACTION, 9, ObisCode(0, 0, 10, 0, 106, 255), 1),),
                   (IntegerData(DataTag.LONG_UNSIGNED, 0x34),))),
    ("DA200003E9" "00" "00" "01" "00" "01" "0301",
     AccessResponse(InvokeIdAndPriority(1001), (NullData(),),
                    (AccessResponseSpec(AccessResponseKind.ACTION, ActionResult.HARDWARE_FAULT),))),
    # GET with selection (range) and SET with selection
    ("D9200003EA" "00" "02"
     "04" "0007" "0000636200FF" "02" "02" "0204"
     "0204120008090600000100 00FF0F02120000" "0600000001" "0600000002" "0100"
     "05" "0007" "0000636200FF" "02" "01" "00"
     "02" "00" "1101",
     AccessRequest(InvokeIdAndPriority(1002), (
         AccessRequestSpec(AccessRequestKind.GET_WITH_SELECTION, 7, ObisCode(0, 0, 99, 98, 0, 255), 2, 2, RANGE),
         AccessRequestSpec(AccessRequestKind.SET_WITH_SELECTION, 7, ObisCode(0, 0, 99, 98, 0, 255), 2, 1,
                           NullData()),
     ), (NullData(), IntegerData(DataTag.UNSIGNED, 1)))),
    # response echoing its request, unknown result code kept as a number
    ("DA00000001" "00" "01" "01" "01" "0001" "0000000201FF" "02" "01" "00" "02" "0104" "0205",
     AccessResponse(InvokeIdAndPriority(1, break_on_error=False), (NullData(),),
                    (AccessResponseSpec(AccessResponseKind.GET, DataAccessResult.OBJECT_UNDEFINED),
                     AccessResponseSpec(AccessResponseKind.SET, 5)),
                    request_specifications=(GET_FW,))),
    # future-dated execution alert (GBCS 5.9)
    ("0F200007DC" "00" "0203" "128F66" "090C" + STAMP.hex() + "0913" "0019" "00000000000003F0" "0014"
     "00000D0000FF" "0A",
     DataNotification(InvokeIdAndPriority(2012), StructureData((
         IntegerData(DataTag.LONG_UNSIGNED, 0x8F66), OctetStringData(STAMP),
         OctetStringData(bytes.fromhex("001900000000000003F0001400000D0000FF0A")))))),
    # a notification with a date-time in its header and every flag set
    ("0FFF123456" "0C" + STAMP.hex() + "00",
     DataNotification(InvokeIdAndPriority(0x123456, True, True, True, True, 0xF), NullData(), STAMP)),
]
TABLE = [(h.replace(" ", ""), p) for h, p in TABLE]


@pytest.mark.parametrize(("hex_text", "payload"), TABLE, ids=[h[:16] for h, _ in TABLE])
def test_table_both_directions(hex_text: str, payload: DlmsPayload) -> None:
    data = bytes.fromhex(hex_text)
    assert decode_dlms(data, PayloadContext(0, 1)) == payload
    assert payload.encode() == data
    assert _json_round_trip(payload) == payload


def test_readable_json() -> None:
    tree = decode_dlms(bytes.fromhex(TABLE[0][0])).to_json()
    assert tree["family"] == "dlms"
    assert tree["apdu"] == "access-request"
    assert tree["invoke"] == {"invoke_id": 1000, "high_priority": False, "confirmed": False,
                              "break_on_error": True, "self_descriptive": False, "reserved": 0}
    request = tree["requests"][0]
    assert request["kind"] == "get"
    assert request["obis"] == "0-0:0.2.1.255"
    assert request["obis_values"] == [0, 0, 0, 2, 1, 255]
    assert request["class"] == "Data"
    assert request["attribute_id"] == 2
    response = decode_dlms(bytes.fromhex(TABLE[3][0])).to_json()
    assert response["results"][0] == {"kind": "action", "result": "hardware-fault", "data": {"type": "null-data"}}
    alert = decode_dlms(bytes.fromhex(TABLE[6][0])).to_json()
    assert alert["alert_code"] == "8F66"
    assert alert["future_dated_command"] == {"message_code": "0019", "originator_counter": 0x3F0, "class_id": 20,
                                             "obis": "0-0:13.0.0.255", "attribute_id": 10}


def test_json_edits_change_bytes() -> None:
    tree = decode_dlms(bytes.fromhex(TABLE[0][0])).to_json()
    tree["requests"][0]["obis"] = "0-0:96.1.1.255"
    assert dlms_payload_from_json(tree).encode() == bytes.fromhex("D9200003E8000101000100006001 01FF020100".replace(
        " ", ""))
    tree["requests"][0]["obis"] = [1, 0, 2, 8, 0, 255]
    tree["requests"][0]["kind"] = "set"
    tree["requests"][0]["data"] = {"type": "double-long-unsigned", "value": 7}
    assert dlms_payload_from_json(tree).encode() == bytes.fromhex("D9200003E800010200010100020800FF0201 0600000007"
                                                                  .replace(" ", ""))
    response = decode_dlms(bytes.fromhex(TABLE[1][0])).to_json()
    response["results"][0]["result"] = "read-write-denied"
    response["results"][0]["data"] = {"type": "null-data"}
    assert dlms_payload_from_json(response).encode() == bytes.fromhex("DA200003E80000010001 0103".replace(" ", ""))


def test_unpaired_lists_use_separate_keys() -> None:
    payload = AccessRequest(INVOKE, (GET_FW, GET_FW), (NullData(),))
    tree = payload.to_json()
    assert "requests" not in tree
    assert len(tree["specifications"]) == 2 and len(tree["data"]) == 1
    assert _json_round_trip(payload) == payload
    response = AccessResponse(INVOKE, (), (AccessResponseSpec(AccessResponseKind.SET, 0),))
    assert _json_round_trip(response) == response


@pytest.mark.parametrize(
    "hex_text",
    [
        "",
        "D9",
        "C0200003E8000000",  # not a DLMS APDU tag
        "D9200003E80000",  # truncated lists
        "D9200003E8000000" "00",  # trailing byte
        "D9200003E80001060001000000 0201FF0201 00",  # unknown request kind 6
        "DA200003E8000201000100",  # echo flag 2
        "DA200003E80000010001 0400",  # unknown response kind 4
        "0F200003E800",  # notification without body
        "0F200003E80D" + "00" * 12 + "00",  # date-time length says 13, only 12 + 1
        "D9200003E800" "83FFFFFF",  # huge count
        "0F200003E800" + "0101" * 200 + "00",  # nesting too deep
    ],
)
def test_malformed_raises_frame_error(hex_text: str) -> None:
    with pytest.raises(FrameError):
        decode_dlms(bytes.fromhex(hex_text.replace(" ", "")), PayloadContext(0, 1))


@pytest.mark.parametrize(
    "payload",
    [
        AccessRequest(InvokeIdAndPriority(1 << 24), (), ()),
        AccessRequest(InvokeIdAndPriority(1, reserved=16), (), ()),
        AccessRequest(INVOKE, (AccessRequestSpec(AccessRequestKind.GET, 70000, FW, 2),), ()),
        AccessRequest(INVOKE, (AccessRequestSpec(AccessRequestKind.GET, 1, ObisCode(0, 0, 0, 0, 0, 256), 2),), ()),
        AccessRequest(INVOKE, (AccessRequestSpec(AccessRequestKind.GET_WITH_SELECTION, 7, FW, 2),), ()),
        AccessRequest(INVOKE, (AccessRequestSpec(AccessRequestKind.GET, 1, FW, 200),), ()),
        AccessResponse(INVOKE, (), (AccessResponseSpec(AccessResponseKind.GET, 300),)),
    ],
)
def test_unencodable_payloads_raise_encode_error(payload: DlmsPayload) -> None:
    with pytest.raises(EncodeError):
        payload.encode()


@pytest.mark.parametrize(
    "tree",
    [
        None,
        {"family": "gbz", "apdu": "access-request"},
        {"family": "dlms", "apdu": "get-request"},
        {"family": "dlms", "apdu": "access-request", "invoke": {"invoke_id": 1}, "requests": [{"kind": "get"}]},
        {"family": "dlms", "apdu": "access-request", "invoke": {"invoke_id": 1},
         "requests": [{"kind": "get", "class_id": 1, "obis": "0-0:1.2.3", "attribute_id": 2}]},
        {"family": "dlms", "apdu": "access-request", "invoke": {"invoke_id": 1},
         "requests": [{"kind": "get", "class_id": 1, "obis": "0-0:1.2.3.256", "attribute_id": 2}]},
        {"family": "dlms", "apdu": "access-response", "invoke": {"invoke_id": 1},
         "results": [{"kind": "get", "result": "no-such-result", "data": {"type": "null-data"}}]},
        {"family": "dlms", "apdu": "data-notification", "invoke": {"invoke_id": "1"}, "body": {"type": "null-data"}},
        {"family": "dlms", "apdu": "data-notification", "invoke": {"invoke_id": 1}, "date_time": "0G",
         "body": {"type": "null-data"}},
    ],
)
def test_bad_json_raises_encode_error(tree: Any) -> None:
    with pytest.raises(EncodeError):
        dlms_payload_from_json(tree)


# --------------------------------------------------------------------------- decryption


def _protected_response(blob: bytes) -> bytes:
    options = StructureData((OctetStringData(b"\x04" + bytes(7) + b"\x01"), OctetStringData(bytes(8)),
                             OctetStringData(bytes(8)), OctetStringData(b"")))
    params = ArrayData((StructureData((IntegerData(DataTag.ENUM, 2), options)),))
    body = StructureData((params, OctetStringData(blob)))
    return AccessResponse(INVOKE, (body,), (AccessResponseSpec(AccessResponseKind.ACTION, 0),)).encode()


BLOB = b"\x31\x00\x00\x00\x00" + b"\x5a" * 6 + b"\x99" * 12


def test_decrypt_attaches_plaintext_as_informative_json() -> None:
    content = _protected_response(BLOB)
    payload = decode_dlms(content, PayloadContext(0x27, 2, lambda blob: bytes.fromhex("0600000102")))
    tree = json.loads(json.dumps(payload.to_json()))
    blob_node = tree["results"][0]["data"]["value"][1]
    assert blob_node["decrypted"] == {"type": "double-long-unsigned", "value": 258, "hex": "00000102"}
    assert dlms_payload_from_json(tree).encode() == content
    assert payload == decode_dlms(content)  # the plaintext does not take part in equality or encoding


def test_decryption_error_reaches_the_caller() -> None:
    def decrypt(blob: bytes) -> bytes:
        raise DecryptionError("tag mismatch")

    with pytest.raises(DecryptionError, match="tag mismatch"):
        decode_dlms(_protected_response(BLOB), PayloadContext(0x27, 2, decrypt))
    assert decode_dlms(_protected_response(BLOB), PayloadContext(0x27, 2)).encode() == _protected_response(BLOB)


def test_commands_are_never_decrypted() -> None:
    request = AccessRequest(INVOKE, (GET_FW,), (decode_data(_protected_response(BLOB)[8:-3]),))

    def decrypt(blob: bytes) -> bytes:
        raise AssertionError("commands carry no protected blob")

    assert decode_dlms(request.encode(), PayloadContext(0x27, 1, decrypt)) == request


# --------------------------------------------------------------------------- samples


@pytest.mark.parametrize("code", sorted(DLMS_MESSAGE_CODES), ids=[f"{c:04X}" for c in sorted(DLMS_MESSAGE_CODES)])
@pytest.mark.parametrize("cra", [1, 2, 3])
def test_samples_round_trip(code: int, cra: int) -> None:
    payload = sample_dlms(code, cra)
    data = payload.encode()
    assert data[0] == {1: 0xD9, 2: 0xDA, 3: 0x0F}[cra]
    assert decode_dlms(data, PayloadContext(code, cra)) == payload
    assert _json_round_trip(payload).encode() == data
    if cra == 2:
        assert isinstance(payload, AccessResponse)
        command = sample_dlms(code, 1)
        assert isinstance(command, AccessRequest)
        assert len(payload.results) == len(command.specifications) == len(payload.data)


def test_sample_shapes_follow_the_use_cases() -> None:
    assert sample_dlms(0x0059, 1).encode() == bytes.fromhex(TABLE[0][0])
    alert = sample_dlms(0x00CC, 3)
    assert isinstance(alert, DataNotification) and alert.alert_code == 0x8F66
    assert sample_dlms(0x00CE, 3).alert_code == 0x8F72  # type: ignore[attr-defined]
    protected = sample_dlms(0x0027, 2, encrypt=lambda plain: b"\x31\x00\x00\x00\x00" + plain + bytes(12))
    [body] = protected.data  # type: ignore[attr-defined]
    blob = body.items[1].value
    decrypted = decode_dlms(protected.encode(), PayloadContext(0x27, 2, lambda b: b[5:-12]))
    assert decode_data(blob[5:-12]) == decrypted.data[0].items[1].decrypted  # type: ignore[attr-defined]
    with pytest.raises(EncodeError):
        sample_dlms(0x0059, 4)


def test_message_code_set() -> None:
    for code in (0x0001, 0x0007, 0x0018, 0x0059, 0x0061, 0x0092, 0x00CC, 0x00CE, 0x00F0, 0x010A, 0x1000, 0x1001):
        assert code in DLMS_MESSAGE_CODES
    for code in (0x0008, 0x006B, 0x00CD, 0x00CF, 0x00D5, 0x0128):
        assert code not in DLMS_MESSAGE_CODES


# --------------------------------------------------------------------------- properties

_SEEDS = [bytes.fromhex(h) for h, _ in TABLE] + [sample_dlms(c, r).encode() for c in (0x0027, 0x002E, 0x0061, 0x0062)
                                                  for r in (1, 2, 3)]


@settings(max_examples=400)
@given(st.sampled_from([0xD9, 0xDA, 0x0F]), st.binary(max_size=200))
def test_random_bytes_raise_only_smets_errors(tag: int, tail: bytes) -> None:
    data = bytes([tag]) + tail
    try:
        payload = decode_dlms(data, PayloadContext(0, 1))
    except SmetsError:
        return
    assert payload.encode() == data


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_SEEDS), st.data())
def test_mutated_payloads_raise_only_smets_errors(seed: bytes, draw: st.DataObject) -> None:
    data = bytearray(seed)
    for _ in range(draw.draw(st.integers(1, 3))):
        position = draw.draw(st.integers(0, len(data)))
        action = draw.draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip" and position < len(data):
            data[position] ^= draw.draw(st.integers(1, 255))
        elif action == "cut":
            del data[position:]
        else:
            data.insert(position, draw.draw(st.integers(0, 255)))
    try:
        payload = decode_dlms(bytes(data), PayloadContext(0, 2))
    except SmetsError:
        return
    assert payload.encode() == bytes(data)


_OBIS = st.tuples(*[st.integers(0, 255)] * 6).map(lambda v: ObisCode(*v))
_SPEC = st.builds(
    lambda kind, class_id, obis, member: AccessRequestSpec(
        kind, class_id, obis, member,
        *((3, IntegerData(DataTag.UNSIGNED, 1)) if kind >= AccessRequestKind.GET_WITH_SELECTION else (None, None))),
    st.sampled_from(list(AccessRequestKind)), st.integers(0, 0xFFFF), _OBIS, st.integers(-128, 127),
)
_INVOKE = st.builds(InvokeIdAndPriority, st.integers(0, 0xFFFFFF), st.booleans(), st.booleans(), st.booleans(),
                    st.booleans(), st.integers(0, 15))
_VALUES = st.lists(st.one_of(st.just(NullData()), st.integers(0, 255).map(lambda v: IntegerData(DataTag.UNSIGNED, v)),
                             st.binary(max_size=20).map(OctetStringData)), max_size=4).map(tuple)


@settings(max_examples=300)
@given(_INVOKE, st.lists(_SPEC, max_size=4).map(tuple), _VALUES, st.binary(max_size=12))
def test_generated_requests_round_trip(invoke: InvokeIdAndPriority, specs: tuple, data: tuple, stamp: bytes) -> None:
    payload = AccessRequest(invoke, specs, data, stamp)
    encoded = payload.encode()
    assert decode_dlms(encoded) == payload
    assert _json_round_trip(payload) == payload


@settings(max_examples=300)
@given(_INVOKE, _VALUES, st.lists(st.tuples(st.sampled_from(list(AccessResponseKind)), st.integers(0, 255)),
                                  max_size=4), st.one_of(st.none(), st.lists(_SPEC, max_size=2).map(tuple)))
def test_generated_responses_round_trip(invoke: InvokeIdAndPriority, data: tuple, results: list,
                                        echo: tuple | None) -> None:
    specs = tuple(AccessResponseSpec(kind, (ActionResult if kind == AccessResponseKind.ACTION
                                            else DataAccessResult).from_json_value(code)) for kind, code in results)
    payload = AccessResponse(invoke, data, specs, b"", echo)
    encoded = payload.encode()
    assert decode_dlms(encoded) == payload
    assert _json_round_trip(payload) == payload
