"""GBCS ASN.1 DER payloads: security credentials, joins, firmware activation, GPF device log, set time.

Implements the GBCS ASN.1 payload grammars (CS02a-g, CS03, CS04, CS06, CS07, CS08, CS09, CCS08,
GCS28, GCS59, GCS62 and the future-dated alerts 0x00CA/0x00CB/0x0124) with the asn1crypto classes
of :mod:`smets_emu.protocols.payloads.asn1_types`, plus the 0x00D5 alert (a DLMS notification that
ends in a DER SEQUENCE header). Content with a message code outside the table but DER-shaped is
kept as a generic tag/length/value tree.

The decoded value is a JSON-friendly tree: named numbers read ``"supplier(2)"``, key usages are
lists of bit names, octet strings are upper-case hex, GeneralizedTime is its ASCII text, and
certificates are ``{"der": hex, ...readable fields}``. :meth:`Asn1Payload.encode` builds fresh
asn1crypto objects from the tree; decoding rejects anything that would not rebuild byte for byte
(non-minimal DER, trailing bytes, unexpected tags).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from asn1crypto import core as asn1
from asn1crypto.csr import CertificationRequest
from asn1crypto.x509 import Certificate
from construct import Byte, Bytes, Const, Int16ub, Int32ub, Int64ub, Struct, Terminated

from smets_emu.errors import EncodeError, FrameError, SmetsError
from smets_emu.protocols.payloads import asn1_types as t
from smets_emu.protocols.payloads.asn1_der import GENERALIZED_TIME as _GENERALIZED_TIME
from smets_emu.protocols.payloads.asn1_der import (
    LENGTH_STYLES,
    MAX_DEPTH,
    Unreadable,
    bit_numbers,
    decode_tree,
    encode_tree,
    scan_level,
    tag_of,
)
from smets_emu.protocols.payloads.asn1_der import der_length as _der_length
from smets_emu.protocols.payloads.asn1_der import from_hex as _from_hex
from smets_emu.protocols.payloads.asn1_der import identifier as _identifier
from smets_emu.protocols.payloads.asn1_der import named as _named
from smets_emu.protocols.payloads.asn1_der import number as _number
from smets_emu.protocols.payloads.base import Payload, PayloadContext
from smets_emu.protocols.timestamps import DlmsDateTime, DlmsDateTimeStruct

FAMILY = "asn1"
GENERIC_SCHEMA = "GenericDer"
FAILURE_TO_DELIVER_SCHEMA = "CS11FailureToDeliverAlert"

COMMAND, RESPONSE, ALERT = 1, 2, 3

# --- schema table ---------------------------------------------------------------------------

_SCHEMA_CLASSES: dict[str, type[asn1.Asn1Value]] = {}
_TABLE: dict[tuple[int, int], str] = {}


def _register(schema: str, spec: type[asn1.Asn1Value], cra_flag: int, codes: Iterable[int]) -> None:
    if _SCHEMA_CLASSES.setdefault(schema, spec) is not spec:
        raise RuntimeError(f"schema {schema} registered twice")
    for code in codes:
        if (code, cra_flag) in _TABLE:
            raise RuntimeError(f"message code 0x{code:04X} CRA {cra_flag} registered twice")
        _TABLE[code, cra_flag] = schema


def _use_case(name: str, codes: Iterable[int], command: type[asn1.Asn1Value] | None,
              response: type[asn1.Asn1Value] | None, alert: type[asn1.Asn1Value] | None = None,
              alert_codes: Iterable[int] = ()) -> None:
    """Register the schemas ``<name>Command``/``Response`` of a GBCS use case under its message *codes*, and its
    ``<name>Alert`` under *alert_codes* (the alert codes' message codes, CRA flag 3)."""
    codes = tuple(codes)
    for suffix, spec, cra_flag, keys in (("Command", command, COMMAND, codes), ("Response", response, RESPONSE, codes),
                                         ("Alert", alert, ALERT, alert_codes)):
        if spec is not None:
            _register(name + suffix, spec, cra_flag, keys)


_use_case("CS02a", (0x0008,), t.ProvideSecurityCredentialDetailsCommand, t.ProvideSecurityCredentialDetailsResponse)
_use_case("CS02f", (0x011B,), t.ProvideSecurityCredentialDetailsCommand, t.ProvideSecurityCredentialDetailsResponse)
_use_case("CS02b", range(0x0100, 0x010A), t.UpdateSecurityCredentialsCommand, t.UpdateSecurityCredentialsResponse,
          t.UpdateSecurityCredentialsAlert, (0x00CB,))
_use_case("CS02g", (0x0125, 0x0126), t.UpdateSecurityCredentialsCommand, t.UpdateSecurityCredentialsResponse,
          t.UpdateSecurityCredentialsAlert, (0x0124,))
_use_case("CS02c", (0x000A,), t.IssueSecurityCredentialsCommand, t.IssueSecurityCredentialsResponse)
_use_case("CS02d", (0x000B,), Certificate, t.UpdateDeviceCertificateResponseCode)
_use_case("CS02e", (0x000C,), t.ProvideDeviceCertificateCommand, t.ProvideDeviceCertificateResponse)
_use_case("CS03", (0x000D, 0x000E, 0x00AB, 0x00AF), t.JoinDeviceCommand, t.JoinResponseCode)
_use_case("CS04", (0x000F, 0x0010), t.EntityId, t.UnjoinResponseCode)
_use_case("CS06", (0x0012,), t.ActivateFirmwareCommand, t.ActivateFirmwareResponse, t.ActivateFirmwareAlert, (0x00CA,))
_use_case("CS07", (0x0013,), asn1.Null, t.ReadDeviceJoinDetailsResponse)
_use_case("CS08", (0x0129,), asn1.Null, t.ReadFirmwareVersionResponse)
_use_case("CS09", (), None, None, t.ReadFirmwareVersionAlert, (0x0129, 0x012B))
_use_case("CCS08", (), None, None, t.FirmwareTransferAlert, (0x0128,))
_use_case("GCS28", (0x007F,), t.SetTimeCommand, t.SetTimeResponse)
_use_case("GCS59", (0x008C,), t.GpfDeviceLogRestoreCommand, t.GpfDeviceLogRestoreResponse)
_use_case("GCS62", (), None, None, t.GpfDeviceLogBackupAlert, (0x00B2,))

FAILURE_TO_DELIVER_CODE = 0x00D5
"""Failure to Deliver Remote Party Message to ESME alert (alert code 0x8F84)."""

SCHEMA_TABLE: dict[tuple[int, int], str] = dict(_TABLE)
"""(message code, CRA flag) -> schema name."""

ASN1_MESSAGE_CODES: frozenset[int] = frozenset({code for code, _ in _TABLE} | {FAILURE_TO_DELIVER_CODE})
"""Message codes whose content belongs to the ASN.1 payload family."""


def schema_for(message_code: int, cra_flag: int) -> str | None:
    """The schema name for a message code and CRA flag, or None when unknown."""
    if (message_code, cra_flag) == (FAILURE_TO_DELIVER_CODE, ALERT):
        return FAILURE_TO_DELIVER_SCHEMA
    return SCHEMA_TABLE.get((message_code, cra_flag))


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


def _scan(data: bytes, depth: int = 0) -> tuple[_Tlv, ...]:
    """Split *data* into TLVs, every level (see :func:`scan_level` for the checks)."""
    out = []
    for tag_class, constructed, tag, _, begin, end in scan_level(data, 0, len(data), depth):
        content = data[begin:end]
        out.append(_Tlv(tag_class, constructed, tag, content, _scan(content, depth + 1) if constructed else ()))
    return tuple(out)


def _generic_node(tlv: _Tlv) -> dict[str, Any]:
    node: dict[str, Any] = {
        "tagClass": _TAG_CLASSES[tlv.tag_class], "tagNumber": tlv.tag, "constructed": tlv.constructed}
    if tlv.tag_class == 0 and tlv.tag in _UNIVERSAL_NAMES:
        node["type"] = _UNIVERSAL_NAMES[tlv.tag]
    if tlv.constructed:
        node["children"] = [_generic_node(c) for c in tlv.children]
        return node
    node["hex"] = tlv.content.hex().upper()
    if tlv.tag_class == 0 and tlv.tag in (2, 10) and tlv.content:
        node["value"] = int.from_bytes(tlv.content, "big", signed=True)
    elif tlv.tag_class == 0 and tlv.tag in (12, 19, 22, 23, 24) and tlv.content.isascii():
        node["value"] = tlv.content.decode("ascii")
    return node


def _generic_encode(node: Any, style: str, depth: int = 0) -> bytes:
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
        content = b"".join(_generic_encode(c, style, depth + 1) for c in children)
    elif constructed is False:
        content = _from_hex(node.get("hex"))
    else:
        raise EncodeError(f"constructed must be true or false, not {constructed!r}")
    return _identifier(tag_class, constructed, tag) + _der_length(len(content), style) + content


# --- value helpers --------------------------------------------------------------------------


def _hex(data: bytes | None) -> str | None:
    return data.hex().upper() if data is not None else None


def _eui_from_general_names(names: Any) -> str | None:
    for general_name in names or ():
        if general_name.name != "other_name":
            continue
        other = general_name.chosen
        if other["type_id"].dotted == "1.3.6.1.5.5.7.8.4":
            (wrapper,) = _scan(other["value"].dump())
            inner = wrapper.content if (wrapper.tag_class, wrapper.tag) == (2, 0) else other["value"].dump()
            module = _HardwareModuleName.load(inner, strict=True)
            return _hex(module["hwSerialNum"].native)
    return None


class _HardwareModuleName(asn1.Sequence):
    """HardwareModuleName ::= SEQUENCE { hwType OID, hwSerialNum OCTET STRING } (RFC 4108)."""

    _fields = [("hwType", asn1.ObjectIdentifier), ("hwSerialNum", asn1.OctetString)]


def _eui_from_subject(name: Any) -> str | None:
    for rdn in name.chosen:
        for attr in rdn:
            if attr["type"].dotted == "2.5.4.45":
                value = attr["value"]
                raw = value.contents if isinstance(value, asn1.Asn1Value) else b""
                return _hex(raw[1:] if raw[:1] == b"\x00" and len(raw) == 9 else raw)
    return None


_NAME_LABELS = {
    "common_name": "CN",
    "organizational_unit_name": "OU",
    "organization_name": "O",
    "country_name": "C",
    "unique_identifier": "x500UniqueIdentifier",
    "serial_number": "serialNumber",
}


def _name_text(name: Any) -> str:
    """``x500UniqueIdentifier=90B3D51F30010000, OU=02, CN=...`` (octet values in hex)."""
    parts = []
    for rdn in name.chosen:
        for attr in rdn:
            label = _NAME_LABELS.get(attr["type"].native, attr["type"].native)
            value = attr["value"].native
            if isinstance(value, tuple):  # BIT STRING as bits
                value = attr["value"].contents[1:]
            parts.append(f"{label}={value.hex().upper() if isinstance(value, bytes) else value}")
    return ", ".join(parts)


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(word.capitalize() for word in rest)


def _certificate_info(cert: Certificate) -> dict[str, Any]:
    """Readable, informative fields of an X.509 certificate (ignored by :meth:`Asn1Payload.from_json`)."""
    try:
        cert.native  # noqa: B018 - forces a full parse so malformed certificates are rejected here
        tbs = cert["tbs_certificate"]
        info: dict[str, Any] = {
            "subject": _name_text(cert.subject),
            "issuer": _name_text(cert.issuer),
            "serialNumber": format(cert.serial_number, "X"),
            "notBefore": tbs["validity"]["not_before"].native.isoformat(),
            "notAfter": tbs["validity"]["not_after"].native.isoformat(),
        }
        if cert.key_identifier is not None:
            info["subjectKeyIdentifier"] = _hex(cert.key_identifier)
        if cert.authority_key_identifier is not None:
            info["authorityKeyIdentifier"] = _hex(cert.authority_key_identifier)
        if cert.key_usage_value is not None:
            info["keyUsage"] = sorted(_camel(u) for u in cert.key_usage_value.native)
        eui = _eui_from_subject(cert.subject)
        if eui is None and cert.subject_alt_name_value is not None:
            eui = _eui_from_general_names(cert.subject_alt_name_value)
        if eui is not None:
            info["eui"] = eui
        return info
    except SmetsError:
        raise
    except Exception as exc:
        raise FrameError(f"malformed certificate: {exc}") from exc


def _request_info(request: CertificationRequest) -> dict[str, Any]:
    """Readable fields of a PKCS#10 certification request."""
    try:
        request.native  # noqa: B018 - full parse
        cri = request["certification_request_info"]
        spki = cri["subject_pk_info"]
        info: dict[str, Any] = {
            "subject": _name_text(cri["subject"]),
            "publicKeyAlgorithm": spki["algorithm"]["algorithm"].native,
            "publicKeyCurve": spki["algorithm"]["parameters"].native,
            "publicKey": _hex(spki["public_key"].contents[1:]),
        }
        for attribute in cri["attributes"]:
            if attribute["type"].native != "extension_request":
                continue
            for extensions in attribute["values"]:
                for ext in extensions:
                    name = ext["extn_id"].native
                    if name == "key_usage":
                        info["keyUsage"] = sorted(_camel(u) for u in ext["extn_value"].parsed.native)
                    elif name == "subject_alt_name":
                        eui = _eui_from_general_names(ext["extn_value"].parsed)
                        if eui is not None:
                            info["eui"] = eui
        return info
    except SmetsError:
        raise
    except Exception as exc:
        raise FrameError(f"malformed certification request: {exc}") from exc


@functools.lru_cache(maxsize=1024)
def _opaque_info(spec: type[Certificate | CertificationRequest], der: bytes) -> tuple[tuple[str, Any], ...]:
    """Readable fields of a certificate or request, parsed once per distinct DER."""
    value = spec.load(der, strict=True)
    info = _certificate_info(value) if isinstance(value, Certificate) else _request_info(value)
    return tuple(info.items())


# --- asn1crypto value <-> tree --------------------------------------------------------------


def _to_tree(value: asn1.Asn1Value) -> Any:
    """Readable tree of a parsed asn1crypto value (every element is touched, so junk raises here)."""
    if isinstance(value, (Certificate, CertificationRequest)):
        der = value.dump()
        return {"der": _hex(der), **_opaque_fields(type(value), der)}
    if isinstance(value, asn1.Choice):
        return {value.name: _to_tree(value.chosen)}
    if isinstance(value, asn1.Sequence):
        tree: dict[str, Any] = {}
        for name, _spec, _params in value._fields:
            child = value[name]
            if not isinstance(child, asn1.Void):
                tree[name] = _to_tree(child)
        return tree
    if isinstance(value, asn1.SequenceOf):
        return [_to_tree(child) for child in value]
    if isinstance(value, asn1.BitString):
        return [_named(bit, value._map) for bit in bit_numbers(value.contents)]
    if isinstance(value, asn1.Integer):
        return _named(int(value), value._map, hex_form=getattr(value, "hex_numbers", False))
    if isinstance(value, asn1.OctetString):
        return _hex(value.contents)
    if isinstance(value, asn1.GeneralizedTime):
        text = value.contents.decode("ascii")
        if not _GENERALIZED_TIME.match(text):
            raise FrameError(f"GeneralizedTime {text!r} is not DER")
        return text
    if isinstance(value, asn1.Null):
        if value.contents:
            raise FrameError("NULL with content")
        return None
    raise FrameError(f"unsupported ASN.1 type {type(value).__name__}")


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


def _decode_failure_to_deliver(content: bytes) -> dict[str, Any]:
    c = FailureToDeliverAlert.parse(content)
    stamp = DlmsDateTime(**{k: v for k, v in c.time_stamp.items() if not k.startswith("_")})
    return {
        "invokeId": c.invoke_id,
        "alertCode": _named(c.alert_code, t.AlertCode._map, hex_form=True),
        "timeStamp": stamp.to_json(),
        "remotePartyMessage": {
            "businessOriginatorId": _hex(c.business_originator_id),
            "businessTargetId": _hex(c.business_target_id),
            "craFlag": c.cra_flag,
            "originatorCounter": c.originator_counter,
        },
    }


def _encode_failure_to_deliver(tree: Any) -> bytes:
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


# --- the payload ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Asn1Payload(Payload):
    """A decoded ASN.1 payload: its schema name and the value as a JSON-friendly tree.

    ``length_style`` records how the sender wrote lengths (see :data:`LENGTH_STYLES`), so that a
    device's wide length octets rebuild exactly; certificates inside keep their own bytes.

    ``content`` holds the bytes a decoded payload was read from (they rebuild from :attr:`value`
    byte for byte, which decoding checks), so :meth:`asn1_value` loads them without building them
    again. It is not an init field: :func:`dataclasses.replace` with an edited tree gives a payload
    without it, which encodes its tree afresh. The tree of a decoded payload is read-only.
    """

    family: ClassVar[str] = FAMILY

    schema: str
    value: Any
    message_code: int | None = None
    cra_flag: int | None = None
    length_style: str = "der"
    content: bytes | None = field(default=None, init=False, compare=False, repr=False)

    def encode(self) -> bytes:
        """Build the bytes from :attr:`value` (fresh asn1crypto objects, never cached input)."""
        if self.length_style not in LENGTH_STYLES:
            raise EncodeError(f"unknown length style {self.length_style!r}")
        if self.schema == GENERIC_SCHEMA:
            if not isinstance(self.value, dict) or not isinstance(self.value.get("elements"), list):
                raise EncodeError("a generic DER value is {'elements': [...]}")
            return b"".join(_generic_encode(node, self.length_style) for node in self.value["elements"])
        if self.schema == FAILURE_TO_DELIVER_SCHEMA:
            return _encode_failure_to_deliver(self.value)
        spec = _SCHEMA_CLASSES.get(self.schema)
        if spec is None:
            raise EncodeError(f"unknown ASN.1 schema {self.schema!r}")
        try:
            return encode_tree(spec, self.value, self.schema, self.length_style)
        except SmetsError:
            raise
        except Exception as exc:  # asn1crypto raises ValueError/TypeError on values it cannot hold
            raise EncodeError(f"{self.schema}: {exc}") from exc

    def asn1_value(self) -> asn1.Asn1Value:
        """The payload as a parsed asn1crypto value of its schema, the input of the typed models
        (:mod:`smets_emu.protocols.payloads.asn1_models`)."""
        spec = _SCHEMA_CLASSES.get(self.schema)
        if spec is None:
            raise FrameError(f"{self.schema}: no ASN.1 schema to parse")
        data = self.content if self.content is not None else self.encode()
        try:
            return spec.load(data, strict=True)
        except SmetsError:
            raise
        except Exception as exc:  # asn1crypto raises ValueError/TypeError on junk
            raise FrameError(f"{self.schema}: {exc}") from exc

    def to_json(self) -> dict[str, Any]:
        """JSON form: family, schema, message code, CRA flag, length style and the value tree."""
        return {
            "family": FAMILY,
            "schema": self.schema,
            "message_code": self.message_code,
            "cra_flag": self.cra_flag,
            "length_style": self.length_style,
            "value": self.value,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Asn1Payload:
        """Rebuild from :meth:`to_json` output; readable certificate fields are recomputed, not trusted."""
        if not isinstance(obj, dict) or obj.get("family") != FAMILY:
            raise EncodeError("not an asn1 payload object")
        schema = obj.get("schema")
        if schema not in _SCHEMA_CLASSES and schema not in (GENERIC_SCHEMA, FAILURE_TO_DELIVER_SCHEMA):
            raise EncodeError(f"unknown ASN.1 schema {schema!r}")
        draft = cls(schema=schema, value=obj.get("value"), message_code=obj.get("message_code"),
                    cra_flag=obj.get("cra_flag"), length_style=obj.get("length_style", "der"))
        content = draft.encode()
        try:
            return _decode_schema(content, schema, draft.message_code, draft.cra_flag, (draft.length_style,))
        except FrameError as exc:
            raise EncodeError(f"{schema}: value does not form a canonical payload: {exc}") from exc


def _decode_value(content: bytes, schema: str) -> Any:
    if schema == FAILURE_TO_DELIVER_SCHEMA:
        return _decode_failure_to_deliver(content)
    if schema == GENERIC_SCHEMA:
        tlvs = _scan(content)
        if not tlvs:
            raise FrameError("empty ASN.1 payload")
        return {"elements": [_generic_node(tlv) for tlv in tlvs]}
    elements = scan_level(content, 0, len(content), 0)
    if not elements:
        raise FrameError("empty ASN.1 payload")
    if len(elements) != 1:
        raise FrameError("trailing data after the ASN.1 value")
    spec = _SCHEMA_CLASSES[schema]
    try:
        if not issubclass(spec, asn1.Choice) and (elements[0][0], elements[0][2]) != tag_of(spec, None):
            raise FrameError(f"{schema}: unexpected outer tag")
        return decode_tree(spec, content, elements[0], 0, _opaque_fields)
    except Unreadable:
        return _decode_value_with_asn1crypto(content, schema)


def _decode_value_with_asn1crypto(content: bytes, schema: str) -> Any:
    """The value tree through asn1crypto objects: the reference for :func:`decode_tree`, and the path for
    schema forms it leaves aside."""
    tlvs = _scan(content)
    if not tlvs:
        raise FrameError("empty ASN.1 payload")
    if len(tlvs) != 1:
        raise FrameError("trailing data after the ASN.1 value")
    return _to_tree(_SCHEMA_CLASSES[schema].load(content, strict=True))


def _opaque_fields(spec: type, der: bytes) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, list) else v for k, v in _opaque_info(spec, der)}


def _decode_schema(
    content: bytes, schema: str, message_code: int | None, cra_flag: int | None,
    styles: tuple[str, ...] = LENGTH_STYLES,
) -> Asn1Payload:
    try:
        value = _decode_value(content, schema)
        for style in _style_order(content, schema, styles):
            payload = Asn1Payload(schema, value, message_code, cra_flag, style)
            if payload.encode() == content:
                object.__setattr__(payload, "content", content)
                return payload
    except FrameError:
        raise
    except EncodeError as exc:
        raise FrameError(f"{schema}: {exc}") from exc
    except Exception as exc:  # asn1crypto/construct raise ValueError, TypeError, KeyError ... on junk
        raise FrameError(f"{schema}: malformed payload: {exc}") from exc
    raise FrameError(f"{schema}: not canonical DER (the value would rebuild differently)")


def _style_order(content: bytes, schema: str, styles: tuple[str, ...]) -> tuple[str, ...]:
    """*styles* in the order to try them: ``long2`` first when the outer length reads ``82 00 LL``.

    When the outer header is written in the length style (a generic tree, or a SEQUENCE that is not
    a certificate or request, which keep their own bytes), such an outer length can only rebuild in
    ``long2`` style (``der`` writes ``81 LL``): trying it first gives the same answer as the declared
    order with one rebuild fewer.
    """
    spec = _SCHEMA_CLASSES.get(schema)
    styled = schema == GENERIC_SCHEMA or (
        spec is not None and issubclass(spec, (asn1.Sequence, asn1.SequenceOf))
        and not issubclass(spec, (Certificate, CertificationRequest))
    )
    if styled and len(styles) == 2 and content[1:3] == b"\x82\x00" and content[0] & 0x1F != 0x1F:
        return ("long2", "der") if styles == ("der", "long2") else styles
    return styles


def decode_asn1(content: bytes, ctx: PayloadContext) -> Asn1Payload:
    """Decode an ASN.1 payload by its message code and CRA flag (generic DER tree when unknown)."""
    schema = schema_for(ctx.message_code, ctx.cra_flag) or GENERIC_SCHEMA
    return _decode_schema(bytes(content), schema, ctx.message_code, ctx.cra_flag)


# --- sample payloads built from scratch ------------------------------------------------------

_SAMPLE_TIME = "20300115000000Z"
_SAMPLE_EUI = "00DB123456789098"
_SAMPLE_KEY_ID = "4F5688D7EC933BE2"
_AUTHORISING_ROLE = {
    0: "supplier", 1: "wanProvider", 2: "supplier", 3: "networkOperator", 4: None, 5: "wanProvider",
    6: "transitionalCoS", 7: "transitionalCoS", 8: "recovery", 9: None, 10: "loadController", 11: "supplier",
}
_TARGET_CELL: dict[int, dict[str, Any]] = {
    0: {"remotePartyRole": "root", "keyUsage": ["keyCertSign"]},
    1: {"remotePartyRole": "root", "keyUsage": ["keyCertSign"]},
    2: {"remotePartyRole": "supplier", "keyUsage": ["digitalSignature"]},
    3: {"remotePartyRole": "networkOperator", "keyUsage": ["digitalSignature"]},
    4: {"remotePartyRole": "accessControlBroker", "keyUsage": ["keyAgreement"]},
    5: {"remotePartyRole": "wanProvider", "keyUsage": ["digitalSignature"]},
    6: {"remotePartyRole": "transitionalCoS", "keyUsage": ["digitalSignature"]},
    7: {"remotePartyRole": "supplier", "keyUsage": ["digitalSignature"]},
    8: {"remotePartyRole": "supplier", "keyUsage": ["keyAgreement"], "cellUsage": "prePaymentTopUp"},
    9: {"remotePartyRole": "recovery", "keyUsage": ["digitalSignature"]},
    10: {"remotePartyRole": "loadController", "keyUsage": ["digitalSignature"]},
    11: {"remotePartyRole": "loadController", "keyUsage": ["digitalSignature"]},
}
_JOIN_METHOD = {0x000D: "methodAInitiator", 0x00AB: "methodAResponder", 0x000E: "methodB", 0x00AF: "methodC"}


def placeholder_certificate() -> bytes:
    """A minimal, well-formed SMKI-shaped organisation certificate (dummy key and signature)."""
    import datetime as dt

    from asn1crypto import x509

    utc = dt.UTC
    tbs = x509.TbsCertificate({
        "version": "v3",
        "serial_number": 1,
        "signature": {"algorithm": "sha256_ecdsa"},
        "issuer": x509.Name.build({"organizational_unit_name": "07", "common_name": "Z1"}),
        "validity": {
            "not_before": x509.Time({"utc_time": dt.datetime(2015, 1, 1, tzinfo=utc)}),
            "not_after": x509.Time({"general_time": dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=utc)}),
        },
        "subject": x509.Name.build({"organizational_unit_name": "02", "common_name": "SAMPLE"}),
        "subject_public_key_info": {
            "algorithm": {"algorithm": "ec", "parameters": ("named", "secp256r1")},
            "public_key": b"\x04" + bytes(range(1, 65)),
        },
        "extensions": [
            {"extn_id": "key_usage", "critical": True, "extn_value": {"digital_signature"}},
            {"extn_id": "key_identifier", "critical": False, "extn_value": bytes.fromhex(_SAMPLE_KEY_ID)},
        ],
    })
    cert = x509.Certificate({
        "tbs_certificate": tbs,
        "signature_algorithm": {"algorithm": "sha256_ecdsa"},
        "signature_value": bytes.fromhex("3006020101020101"),
    })
    return cert.dump(force=True)


def _placeholder_request() -> bytes:
    """A minimal PKCS#10 request for a device digital-signing key (dummy key and signature)."""
    from asn1crypto import csr, x509

    info = csr.CertificationRequestInfo({
        "version": "v1",
        "subject": x509.Name.build({}),
        "subject_pk_info": {
            "algorithm": {"algorithm": "ec", "parameters": ("named", "secp256r1")},
            "public_key": b"\x04" + bytes(range(1, 65)),
        },
        "attributes": [],
    })
    request = csr.CertificationRequest({
        "certification_request_info": info,
        "signature_algorithm": {"algorithm": "sha256_ecdsa"},
        "signature": bytes.fromhex("3006020101020101"),
    })
    return request.dump(force=True)


def _sample_outcome(mode: int) -> dict[str, Any]:
    cell = _TARGET_CELL[mode]
    return {
        "authorisingRemotePartySeqNumber": 1000,
        "credentialsReplacementMode": mode,
        "remotePartySeqNumberChanges": [{"remotePartyRole": cell["remotePartyRole"], "floorSeqNumber": 0}],
        "replacementOutcomes": [{
            "affectedTrustAnchorCell": cell,
            "statusCode": "success",
            "existingSubjectUniqueID": "90B3D51F30010000",
            "existingSubjectKeyID": "0102030405060708",
            "replacingSubjectUniqueID": "90B3D51F30010000",
            "replacingSubjectKeyID": _SAMPLE_KEY_ID,
        }],
    }


def _sample_value(schema: str, code: int, cert: dict[str, str]) -> Any:
    mode = {0x0125: 10, 0x0126: 11, 0x00CB: 2, 0x0124: 11}.get(code, code - 0x0100)
    log = [{"deviceId": _SAMPLE_EUI, "deviceType": "ppmid"}, {"deviceId": "00DB123456789099", "deviceType": "gsme"}]
    if schema in ("CS02aCommand", "CS02fCommand"):
        return {
            "authorisingRemotePartyTACellIdentifier": {
                "remotePartyRole": "accessControlBroker", "keyUsage": ["keyAgreement"]},
            "remotePartyRolesCredentialsRequired": ["supplier", "networkOperator"],
        }
    if schema in ("CS02aResponse", "CS02fResponse"):
        return [
            {"remotePartyRole": "supplier", "statusCode": "success", "currentSeqNumber": 0, "trustAnchorCellDetails": [
                {"keyUsage": ["digitalSignature"], "subjectUniqueID": "90B3D51F30010000",
                 "subjectKeyIdentifier": _SAMPLE_KEY_ID},
                {"keyUsage": ["keyAgreement"], "cellUsage": "prePaymentTopUp", "subjectUniqueID": "90B3D51F30010000",
                 "subjectKeyIdentifier": "0102030405060708"},
            ]},
            {"remotePartyRole": "networkOperator", "statusCode": "trustAnchorNotFound"},
        ]
    if schema in ("CS02bCommand", "CS02gCommand"):
        control: dict[str, Any] = {"credentialsReplacementMode": mode}
        if mode == 9:
            control["plaintextSymmetricKey"] = bytes(range(16)).hex().upper()
        if mode in (8, 9, 10):
            control["applyTimeBasedCPVChecks"] = "disapply"
        if _AUTHORISING_ROLE[mode] is not None:
            control["authorisingRemotePartyTACellIdentifier"] = {
                "remotePartyRole": _AUTHORISING_ROLE[mode], "keyUsage": ["digitalSignature"]}
        control["authorisingRemotePartySeqNumber"] = 1000
        control["newRemotePartyFloorSeqNumber"] = 0
        return {
            "authorisingRemotePartyControl": control,
            "replacements": [{"replacementCertificate": cert, "targetTrustAnchorCell": _TARGET_CELL[mode]}],
            "certificationPathCertificates": [cert],
        }
    if schema in ("CS02bResponse", "CS02gResponse"):
        return {"commandAccepted": None, "executionOutcome": _sample_outcome(mode)}
    if schema in ("CS02bAlert", "CS02gAlert"):
        return {"alertCode": "futureDatedCommandActioned", "executionDateTime": _SAMPLE_TIME,
                "executionOutcome": _sample_outcome(mode)}
    samples: dict[str, Any] = {
        "CS02cCommand": {"keyUsage": ["digitalSignature"]},
        "CS02cResponse": {"certificationRequest": {"der": _placeholder_request().hex().upper()}},
        "CS02dCommand": cert,
        "CS02dResponse": "success",
        "CS02eCommand": {"keyUsage": ["keyAgreement"]},
        "CS02eResponse": {"certificate": cert},
        "CS03Command": {"joinMethodAndRole": _JOIN_METHOD.get(code, "methodB"), "otherDeviceEntityId": _SAMPLE_EUI,
                        "otherDeviceType": "ppmid", **({"otherDeviceKACertificate": cert} if code == 0x00AF else {})},
        "CS03Response": "success",
        "CS04Command": _SAMPLE_EUI,
        "CS04Response": "success",
        "CS06Command": {"manufacturerImageHash": "A1" * 32, "originatorCounter": 1000},
        "CS06Response": {"executionOutcome": {"activateImageResponseCode": "success", "firmwareVersion": "0123ABCD"}},
        "CS06Alert": {"alertCode": "futureDatedCommandActioned", "executionDateTime": _SAMPLE_TIME,
                      "originatorCounter": 1001,
                      "executionOutcome": {"activateImageResponseCode": "success", "firmwareVersion": "0123ABCD"}},
        "CS07Command": None,
        "CS07Response": {"responseCode": "success", "deviceLogEntries": log},
        "CS08Command": None,
        "CS08Response": {"firmwareVersion": "0123ABCD", "responseCode": "success"},
        "CS09Alert": {"alertCode": "readFirmwareVersion", "executionDateTime": _SAMPLE_TIME,
                      "firmwareVersion": "0123ABCD", "activateImage": "success"},
        "CCS08Alert": {"alertCode": "firmwareTransferSuccess", "executionDateTime": _SAMPLE_TIME,
                       "entityId": _SAMPLE_EUI, "firmwareVersion": "0123ABCD", "responseCode": "success"},
        "GCS28Command": {"validityIntervalStart": "20300115000000Z", "validityIntervalEnd": "20300115010000Z"},
        "GCS28Response": {"deviceTime": "20300115000005Z", "deviceTimeStatus": "reliable"},
        "GCS59Command": {"deviceLogEntries": log},
        "GCS59Response": {"restoreOutcomes": [{"deviceLogEntry": e, "joinResponseCode": "success"} for e in log]},
        "GCS62Alert": {"alertCode": "gpfDeviceLogChanged", "backupDateTime": _SAMPLE_TIME, "deviceLogEntries": log},
        FAILURE_TO_DELIVER_SCHEMA: {
            "invokeId": 1,
            "alertCode": "failureToDeliverRemotePartyMessageToEsme",
            "timeStamp": DlmsDateTime(2030, 1, 15, 2, 0, 0, 0, 0, 0, 0).to_json(),
            "remotePartyMessage": {"businessOriginatorId": "90B3D51F30010000", "businessTargetId": "00DB1234567890A0",
                                   "craFlag": COMMAND, "originatorCounter": 1000},
        },
    }
    return samples[schema]


def sample_asn1(message_code: int, cra_flag: int, *, certificate: bytes | None = None) -> Asn1Payload:
    """A plausible payload for a known ASN.1 (message code, CRA flag), built from scratch.

    *certificate* (DER) goes wherever the payload carries a certificate; a minimal placeholder
    is used when it is None.
    """
    schema = schema_for(message_code, cra_flag)
    if schema is None:
        raise EncodeError(f"no ASN.1 schema for message code 0x{message_code:04X} CRA {cra_flag}")
    cert = {"der": (certificate if certificate is not None else placeholder_certificate()).hex().upper()}
    draft = Asn1Payload(schema, _sample_value(schema, message_code, cert), message_code, cra_flag)
    try:
        return _decode_schema(draft.encode(), schema, message_code, cra_flag, ("der",))
    except FrameError as exc:
        raise EncodeError(f"sample {schema}: {exc}") from exc
