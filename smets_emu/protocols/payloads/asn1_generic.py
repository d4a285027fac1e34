"""ASN.1 payload forms outside the schema classes: the strict DER scanner and generic tag/length/value
tree (X.690 clause 10) of DER content under an unknown message code, and the 0x00D5 Failure to Deliver
Remote Party Message to ESME alert (alert code 0x8F84), a DLMS notification ending in a DER SEQUENCE header.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from construct import Byte, Bytes, Const, Int16ub, Int32ub, Int64ub, Struct, Terminated

from smets_emu.errors import EncodeError, SmetsError
from smets_emu.protocols.payloads import asn1_types as t
from smets_emu.protocols.payloads.asn1_der import (
    MAX_DEPTH,
    scan_level,
)
from smets_emu.protocols.payloads.asn1_der import der_length as _der_length
from smets_emu.protocols.payloads.asn1_der import from_hex as _from_hex
from smets_emu.protocols.payloads.asn1_der import identifier as _identifier
from smets_emu.protocols.payloads.asn1_der import named as _named
from smets_emu.protocols.payloads.asn1_der import number as _number
from smets_emu.protocols.timestamps import DlmsDateTime, DlmsDateTimeStruct

# --- strict DER scanner and generic tree (X.690 clause 10) ----------------------------------

_TAG_CLASSES = ("universal", "application", "context", "private")
_UNIVERSAL_NAMES = {
    1: "BOOLEAN", 2: "INTEGER", 3: "BIT STRING", 4: "OCTET STRING", 5: "NULL", 6: "OBJECT IDENTIFIER",
    10: "ENUMERATED", 12: "UTF8String", 16: "SEQUENCE", 17: "SET", 19: "PrintableString",
    22: "IA5String", 23: "UTCTime", 24: "GeneralizedTime",
}


@dataclass(frozen=True)
class _Tlv:
    tag_class: int
    constructed: bool
    tag: int
    content: bytes
    children: tuple[_Tlv, ...] = ()


def scan_tlvs(data: bytes, depth: int = 0) -> tuple[_Tlv, ...]:
    """Split *data* into TLVs, every level (see :func:`scan_level` for the checks)."""
    out = []
    for tag_class, constructed, tag, _, begin, end in scan_level(data, 0, len(data), depth):
        content = data[begin:end]
        out.append(_Tlv(tag_class, constructed, tag, content, scan_tlvs(content, depth + 1) if constructed else ()))
    return tuple(out)


def generic_node(tlv: _Tlv) -> dict[str, Any]:
    node: dict[str, Any] = {
        "tagClass": _TAG_CLASSES[tlv.tag_class], "tagNumber": tlv.tag, "constructed": tlv.constructed}
    if tlv.tag_class == 0 and tlv.tag in _UNIVERSAL_NAMES:
        node["type"] = _UNIVERSAL_NAMES[tlv.tag]
    if tlv.constructed:
        node["children"] = [generic_node(c) for c in tlv.children]
        return node
    node["hex"] = tlv.content.hex().upper()
    if tlv.tag_class == 0 and tlv.tag in (2, 10) and tlv.content:
        node["value"] = int.from_bytes(tlv.content, "big", signed=True)
    elif tlv.tag_class == 0 and tlv.tag in (12, 19, 22, 23, 24) and tlv.content.isascii():
        node["value"] = tlv.content.decode("ascii")
    return node


def generic_encode(node: Any, style: str, depth: int = 0) -> bytes:
    if depth > MAX_DEPTH:
        raise EncodeError("generic DER tree too deep")
    if not isinstance(node, dict):
        raise EncodeError(f"generic DER node must be an object, not {node!r}")
    try:
        tag_class = _TAG_CLASSES.index(node["tagClass"])
        tag = node["tagNumber"]
        constructed = node["constructed"]
    except (KeyError, ValueError) as exc:
        raise EncodeError(f"bad generic DER node {node!r}") from exc
    if not isinstance(tag, int) or isinstance(tag, bool) or not 0 <= tag <= 0xFFFFFF:
        raise EncodeError(f"bad tag number {tag!r}")
    if constructed is True:
        children = node.get("children")
        if not isinstance(children, list):
            raise EncodeError("constructed generic node needs a children list")
        content = b"".join(generic_encode(c, style, depth + 1) for c in children)
    elif constructed is False:
        content = _from_hex(node.get("hex"))
    else:
        raise EncodeError(f"constructed must be true or false, not {constructed!r}")
    return _identifier(tag_class, constructed, tag) + _der_length(len(content), style) + content




def upper_hex(data: bytes | None) -> str | None:
    return data.hex().upper() if data is not None else None



# --- 0x00D5 Failure to Deliver Remote Party Message to ESME ---------------------------------

FailureToDeliverAlert = Struct(
    "notification" / Const(b"\x0f"),
    "invoke_id" / Int32ub,
    "date_time_absent" / Const(b"\x00"),
    "structure" / Const(b"\x02\x03"),
    "alert_code_tag" / Const(b"\x12"),
    "alert_code" / Int16ub,
    "time_stamp_tag" / Const(b"\x09\x0c"),
    "time_stamp" / DlmsDateTimeStruct,
    "remote_party_message_header" / Const(b"\x30\x19"),
    "business_originator_id" / Bytes(8),
    "business_target_id" / Bytes(8),
    "cra_flag" / Byte,
    "originator_counter" / Int64ub,
    Terminated,
)
"""Alert 0x8F84 (message code 0x00D5): DLMS data-notification, alert code, time stamp, then the
RemotePartyMessage SEQUENCE (originator, target, CRA flag, counter as fixed-size raw fields)."""


def decode_failure_to_deliver(content: bytes) -> dict[str, Any]:
    c = FailureToDeliverAlert.parse(content)
    stamp = DlmsDateTime(**{k: v for k, v in c.time_stamp.items() if not k.startswith("_")})
    return {
        "invokeId": c.invoke_id,
        "alertCode": _named(c.alert_code, t.AlertCode._map, hex_form=True),
        "timeStamp": stamp.to_json(),
        "remotePartyMessage": {
            "businessOriginatorId": upper_hex(c.business_originator_id),
            "businessTargetId": upper_hex(c.business_target_id),
            "craFlag": c.cra_flag,
            "originatorCounter": c.originator_counter,
        },
    }


def encode_failure_to_deliver(tree: Any) -> bytes:
    try:
        rpm = tree["remotePartyMessage"]
        stamp = DlmsDateTime.from_json(tree["timeStamp"])
        return FailureToDeliverAlert.build({
            "invoke_id": tree["invokeId"],
            "alert_code": _number(tree["alertCode"], t.AlertCode._map, "alertCode"),
            "time_stamp": {k: v for k, v in stamp.__dict__.items()},
            "business_originator_id": _from_hex(rpm["businessOriginatorId"]),
            "business_target_id": _from_hex(rpm["businessTargetId"]),
            "cra_flag": rpm["craFlag"],
            "originator_counter": rpm["originatorCounter"],
        })
    except SmetsError:
        raise
    except Exception as exc:
        raise EncodeError(f"cannot encode failure-to-deliver alert: {exc}") from exc
