"""Comparing an emulated device's reply with the RTDS one, by the rules of its payload family (GBCS 7, 8, 10, 11).

- DLMS: same APDU, invoke id, result codes, and DLMS data type trees (values and array lengths
  are state and may differ);
- GBZ: same components, clusters, frame types, command ids, attribute ids, types and statuses;
- ASN.1: same schema, response/status codes and tree shape.

Every family also compares message code, CRA flag and protection form (signed or MACed).
"""

from __future__ import annotations

import json
from typing import Any

from smets_emu.parties.headend import HeadEnd
from smets_emu.protocols.message import Message
from smets_emu.protocols.payloads.asn1 import Asn1Payload
from smets_emu.protocols.payloads.dlms import AccessResponse
from smets_emu.protocols.payloads.dlms_data import ArrayData, CompactArrayData, DlmsData, OctetStringData, StructureData
from smets_emu.protocols.payloads.gbz import GbzPayload
from smets_emu.tools import rtds_scenarios as scenarios

OUTCOME_KEYS = frozenset(
    {"result", "status", "statusCode", "responseCode", "activateImageResponseCode", "joinResponseCode",
     "commandAccepted", "alertCode"}
)



# --- DLMS comparison (GBCS 7.2, 11) -----------------------------------------------------------------


def dlms_shape(value: DlmsData) -> object:
    """The DLMS type tree of a value (array lengths and values ignored; protected blobs by plaintext)."""
    if isinstance(value, StructureData):
        return ("structure", tuple(dlms_shape(i) for i in value.items))
    if isinstance(value, ArrayData):
        return ("array", frozenset(dlms_shape(i) for i in value.items))
    if isinstance(value, CompactArrayData):
        return ("compact-array", repr(value.description))
    if isinstance(value, OctetStringData) and value.decrypted is not None:
        return ("protected", dlms_shape(value.decrypted))
    return value.tag.json_name


def same_shape(ours: object, theirs: object) -> bool:
    """Type trees equal; an empty array matches any array (the number of entries is a value)."""
    if isinstance(ours, tuple) and isinstance(theirs, tuple):
        if ours[0] != theirs[0]:
            return False
        if ours[0] == "array":
            a, b = ours[1], theirs[1]
            if not a or not b:
                return True
            return all(any(same_shape(x, y) for y in b) for x in a) and all(any(same_shape(x, y) for x in a)
                                                                             for y in b)
        if ours[0] == "structure":
            return len(ours[1]) == len(theirs[1]) and all(
                same_shape(x, y) for x, y in zip(ours[1], theirs[1], strict=True))
        return ours[1] == theirs[1] if ours[0] == "compact-array" else same_shape(ours[1], theirs[1])
    return ours == theirs


def first_difference(ours: object, theirs: object, path: str = "") -> str:
    """A readable path to the first place two DLMS type trees differ."""
    if isinstance(ours, tuple) and isinstance(theirs, tuple) and ours[0] == theirs[0]:
        if ours[0] == "structure" and len(ours[1]) == len(theirs[1]):
            for i, (a, b) in enumerate(zip(ours[1], theirs[1], strict=True)):
                if not same_shape(a, b):
                    return first_difference(a, b, f"{path}/{i}")
        if ours[0] == "protected":
            return first_difference(ours[1], theirs[1], f"{path}/protected")
        if ours[0] == "array" and len(ours[1]) == 1 and len(theirs[1]) == 1:
            return first_difference(next(iter(ours[1])), next(iter(theirs[1])), f"{path}/*")
    return f"{path or '/'}: {ours} != {theirs}"


def compare_dlms(ours: Message, theirs: Message) -> list[str]:
    """DLMS rules: same APDU, result codes and data type trees; alerts: same alert code, target and body tree."""
    op, tp = ours.payload, theirs.payload
    if type(op) is not type(tp):
        return [f"APDU {type(op).__name__} != {type(tp).__name__}"]
    out: list[str] = []
    if isinstance(op, AccessResponse) and isinstance(tp, AccessResponse):
        if op.invoke.invoke_id != ours.header.originator_counter & 0xFFFFFF:
            out.append("invoke id is not the command's")
        ours_results = [(r.kind, int(r.result)) for r in op.results]
        their_results = [(r.kind, int(r.result)) for r in tp.results]
        if ours_results != their_results:
            return [*out, f"results {ours_results} != {their_results}"]
        for i, (a, b) in enumerate(zip(op.data, tp.data, strict=True)):
            if not same_shape(dlms_shape(a), dlms_shape(b)):
                out.append(f"data[{i}] {first_difference(dlms_shape(a), dlms_shape(b))}")
        return out
    oj, tj = op.to_json(), tp.to_json()
    for key in ("alert_code", "future_dated_command"):
        if oj.get(key) != tj.get(key):
            out.append(f"{key} {oj.get(key)} != {tj.get(key)}")
    ob, tb = getattr(op, "body", None), getattr(tp, "body", None)
    if isinstance(ob, DlmsData) and isinstance(tb, DlmsData) and not same_shape(dlms_shape(ob), dlms_shape(tb)):
        out.append(f"body {first_difference(dlms_shape(ob), dlms_shape(tb))}")
    return out


# --- GBZ comparison (GBCS 7.3, 10) -------------------------------------------------------------------


def gbz_component_shape(comp: dict[str, Any]) -> tuple[Any, ...]:
    """Cluster, frame type, direction, command, encryption and the record/status structure of one component."""
    zcl = comp["zcl"]
    fields = zcl.get("fields")
    if comp["encrypted"]:
        fields = (zcl.get("decrypted") or {}).get("fields")
        if fields is None:
            return (comp["cluster_id"], "undecryptable")
    head = (comp["cluster_id"], zcl["frame_type"], zcl["direction"], zcl["command_id"], comp["encrypted"])
    if fields is None:
        return (*head, "raw")
    if zcl["frame_type"] == "PROFILE_WIDE" and zcl["command_id"] == 0x01:
        return (*head, tuple((r["attribute_id"], r["status"], r.get("type")) for r in fields["records"]))
    if zcl["frame_type"] == "PROFILE_WIDE" and zcl["command_id"] == 0x0B:
        return (*head, fields["command_id"], fields["status"])
    return (*head, tuple(sorted(fields)), scenarios.gbz_failure_outcome(comp["cluster_id"], zcl["command_id"], fields))


def gbz_shape(message: Message) -> tuple[Any, ...]:
    """The GBZ structure of a response or alert (values left out)."""
    payload = message.payload.to_json()
    if payload.get("family") == "asn1":
        value = payload["value"] or {}
        status = str(value.get("deviceTimeStatus", ""))
        return ("asn1", payload["schema"], status.startswith("reliable"))
    if payload.get("form") == "alert":
        fd = payload.get("future_dated") or {}
        target = tuple(fd.get(k) for k in ("message_code", "originator_counter", "cluster_id", "frame_type",
                                           "command_id"))
        return ("alert", payload.get("alert_code"), payload.get("body"), target,
                tuple(gbz_component_shape(c) for c in payload.get("components", [])))
    return tuple(gbz_component_shape(c) for c in payload.get("components", []))


def compare_gbz(ours: Message, theirs: Message) -> list[str]:
    """GBZ rules: components, clusters, commands, attribute ids and types, statuses."""
    got, want = gbz_shape(ours), gbz_shape(theirs)
    return [] if got == want else [f"structure {got} != {want}"]


# --- ASN.1 comparison (GBCS 8) -----------------------------------------------------------------------


def asn1_shape(value: Any) -> Any:
    """The structure of a decoded ASN.1 tree: keys and element shapes (certificates as one leaf), not values."""
    if isinstance(value, dict):
        if "der" in value:
            return "CERT"
        return {k: asn1_shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted({json.dumps(asn1_shape(v), sort_keys=True) for v in value})
    return type(value).__name__


def asn1_outcome(value: Any) -> list[Any]:
    """Response, status and alert codes found anywhere in an ASN.1 tree."""
    found: list[Any] = []

    def walk(v: Any, key: str = "") -> None:
        if isinstance(v, dict):
            for k, item in v.items():
                walk(item, k)
        elif isinstance(v, list):
            for item in v:
                walk(item, key)
        elif key in OUTCOME_KEYS:
            found.append((key, v))

    if isinstance(value, str):  # a bare response code (CS03/CS04)
        return [("responseCode", value)]
    walk(value)
    return found


def compare_asn1(ours: Message, theirs: Message) -> list[str]:
    """ASN.1 rules: schema, response/status codes, tree shape."""
    op, tp = ours.payload, theirs.payload
    assert isinstance(op, Asn1Payload) and isinstance(tp, Asn1Payload)
    if op.schema != tp.schema:
        return [f"schema {op.schema} != {tp.schema}"]
    out = []
    if asn1_outcome(op.value) != asn1_outcome(tp.value):
        out.append(f"outcome {asn1_outcome(op.value)} != {asn1_outcome(tp.value)}")
    elif asn1_shape(op.value) != asn1_shape(tp.value):
        out.append(f"shape {asn1_shape(op.value)} != {asn1_shape(tp.value)}")
    return out


# --- both ----------------------------------------------------------------------------------------


def _dlms(payload: object) -> bool:
    """A DLMS APDU (the classes live in ``payloads.dlms`` and ``payloads.dlms_apdus``)."""
    return type(payload).__module__.startswith("smets_emu.protocols.payloads.dlms")


def compare(expected: Message, actual: Message, *, wire: bytes | None = None,
            headend: HeadEnd | None = None) -> list[str]:
    """Differences between the emulator's message and the RTDS one (empty when they conform)."""
    out: list[str] = []
    if actual.message_code != expected.message_code:
        return [f"message code 0x{actual.message_code:04X} != 0x{expected.message_code:04X}"]
    if actual.cra_flag is not expected.cra_flag:
        out.append(f"CRA {actual.cra_flag.name} != {expected.cra_flag.name}")
    if (actual.signature is None, actual.mac is None) != (expected.signature is None, expected.mac is None):
        out.append(f"protection signed={actual.signature is not None} maced={actual.mac is not None}, RTDS differs")
    if wire is not None and headend is not None:
        report = headend.verify(wire)
        if "invalid" in (str(report.mac.value), str(report.signature.value)):
            out.append(f"our reply does not verify ({report})")
    op, tp = actual.payload, expected.payload
    if isinstance(tp, GbzPayload) or isinstance(op, GbzPayload):
        out.extend(compare_gbz(actual, expected))
    elif isinstance(tp, Asn1Payload) and isinstance(op, Asn1Payload):
        out.extend(compare_asn1(actual, expected))
    elif _dlms(op) and _dlms(tp):
        out.extend(compare_dlms(actual, expected))
    elif type(op) is not type(tp):
        out.append(f"payload {type(op).__name__} != {type(tp).__name__}")
    return out


