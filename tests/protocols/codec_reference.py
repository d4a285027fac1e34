"""Reference codecs the direct readers and writers are held to: decoding through the constructs,
building ASN.1 through asn1crypto objects, trying length styles in their declared order.

The product decodes and encodes with direct readers and writers; these slower references follow
the definitions (constructs, asn1crypto classes) step by step, and the tests compare the two.
"""

from __future__ import annotations

import io
import struct
from typing import Any

from asn1crypto import core as asn1
from asn1crypto.csr import CertificationRequest
from asn1crypto.x509 import Certificate
from construct import ConstructError
from hypothesis import strategies as st

from smets_emu.errors import EncodeError, FrameError, SmetsError
from smets_emu.protocols.envelope import (
    CraFlag,
    Envelope,
    GeneralSigningMessage,
    GroupingHeader,
    MacedMessage,
    OtherInfo,
    WireSpans,
)
from smets_emu.protocols.payloads import asn1 as asn1_mod
from smets_emu.protocols.payloads import asn1_payload, asn1_schemas, dlms, gbz, gbz_structs
from smets_emu.protocols.payloads import zcl_clusters as clusters
from smets_emu.protocols.payloads.asn1_der import (
    GENERALIZED_TIME,
    LENGTH_STYLES,
    der_length,
    from_hex,
    identifier,
    number,
)
from smets_emu.protocols.payloads.base import PayloadContext
from smets_emu.protocols.payloads.zcl import ZclDirection, ZclFrameType, ZclHeader
from smets_emu.protocols.timestamps import DlmsDateTime

# --- envelope (GBCS 7.2) ----------------------------------------------------------------------


def _header_from_container(c: Any) -> GroupingHeader:
    oi = c.other_information
    dt = c.date_time
    return GroupingHeader(
        cra_flag=CraFlag(int(c.cra_flag)),
        originator_counter=c.originator_counter,
        originator=c.originator,
        recipient=c.recipient,
        other_information=OtherInfo(
            message_code=oi["message_code"],
            supplementary_remote_party_id=oi["supplementary_remote_party_id"],
            supplementary_remote_party_counter=oi["supplementary_remote_party_counter"],
            supplementary_originator_counter=oi["supplementary_originator_counter"],
            certificate=oi["certificate"],
        ),
        date_time=None if dt is None else DlmsDateTime(**{k: v for k, v in dt.items() if not k.startswith("_")}),
    )


def parse_envelope_with_constructs(data: bytes) -> tuple[Envelope, WireSpans]:
    """Decode through the envelope constructs (reference for ``envelope._parse``)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise FrameError("message must be bytes")
    data = bytes(data)
    if not data:
        raise FrameError("empty message")
    try:
        if data[0] == 0xDD:
            if data[:2] == b"\xdd\x09":
                raise FrameError("GBT block: reassemble it first (smets_emu.protocols.gbt)")
            c = MacedMessage.parse(data)
            apdu = c.ciphered.apdu
            sig = apdu.value.signature_field
            signed = apdu.value.signed
            env = Envelope(
                header=_header_from_container(signed.value),
                content=signed.value.content,
                signature=sig["signature"],
                mac=c.ciphered.mac,
                signature_field=True,
            )
            return env, WireSpans(signed=signed.data[1:], signing_apdu=apdu.data, mac=c.ciphered.mac)
        if data[0] == 0xDF:
            c = GeneralSigningMessage.parse(data)
            sig = c.apdu.value.signature_field
            signed = c.apdu.value.signed
            env = Envelope(
                header=_header_from_container(signed.value),
                content=signed.value.content,
                signature=sig["signature"],
                mac=None,
                signature_field=sig["present"],
            )
            return env, WireSpans(signed=signed.data[1:], signing_apdu=c.apdu.data)
    except FrameError:
        raise
    except (ConstructError, ValueError, KeyError, TypeError, OverflowError) as exc:
        raise FrameError(f"malformed GBCS envelope: {exc}") from exc
    raise FrameError(f"unknown GBCS message tag 0x{data[0]:02X}")


# --- DLMS (GBCS 5.11) -------------------------------------------------------------------------


def _request_spec(c: Any) -> dlms.AccessRequestSpec:
    kind = dlms.AccessRequestKind[str(c.kind)]
    body = c.body
    member = body.method_id if kind == dlms.AccessRequestKind.ACTION else body.attribute_id
    selection = kind in (dlms.AccessRequestKind.GET_WITH_SELECTION, dlms.AccessRequestKind.SET_WITH_SELECTION)
    return dlms.AccessRequestSpec(
        kind, body.class_id, dlms.ObisCode.from_bytes(body.instance_id), member,
        body.access_selector if selection else None,
        body.access_parameters if selection else None,
    )


def _response_spec(c: Any) -> dlms.AccessResponseSpec:
    kind = dlms.AccessResponseKind[str(c.kind)]
    result_type = dlms.ActionResult if kind == dlms.AccessResponseKind.ACTION else dlms.DataAccessResult
    return dlms.AccessResponseSpec(kind, result_type.from_json_value(int(c.result)))


def decode_dlms_with_constructs(content: bytes, ctx: PayloadContext | None = None) -> dlms.DlmsPayload:
    """``decode_dlms`` through the APDU constructs (reference for the direct reader)."""
    content = bytes(content)
    tag = content[0]
    construct = {dlms.ACCESS_REQUEST_TAG: dlms.AccessRequestApdu, dlms.ACCESS_RESPONSE_TAG: dlms.AccessResponseApdu,
                 dlms.DATA_NOTIFICATION_TAG: dlms.DataNotificationApdu}.get(tag)
    if construct is None:
        raise FrameError(f"not a DLMS APDU: tag 0x{tag:02X}")
    try:
        stream = io.BytesIO(content)
        c = construct.parse_stream(stream)
        size = stream.tell()
    except FrameError:
        raise
    except (ConstructError, ValueError, KeyError, struct.error, RecursionError) as exc:
        raise FrameError(f"malformed DLMS APDU: {exc}") from exc
    if size != len(content):
        raise FrameError(f"{len(content) - size} trailing bytes after DLMS APDU")
    inv = c.invoke
    invoke = dlms.InvokeIdAndPriority(inv.invoke_id, inv.high_priority, inv.confirmed, inv.break_on_error,
                                      inv.self_descriptive, inv.reserved)
    date_time = bytes(c.date_time)
    if tag == dlms.ACCESS_REQUEST_TAG:
        return dlms.AccessRequest(invoke, tuple(_request_spec(s) for s in c.specifications), tuple(c.data), date_time)
    if tag == dlms.ACCESS_RESPONSE_TAG:
        echo = c.request_specifications
        return dlms.AccessResponse(
            invoke, dlms._decrypted(c.data, ctx), tuple(_response_spec(r) for r in c.results),
            date_time, None if echo is None else tuple(_request_spec(s) for s in echo),
        )
    return dlms.DataNotification(invoke, dlms._decrypted((c.body,), ctx)[0], date_time)


# --- GBZ (GBCS 7.5) ---------------------------------------------------------------------------


def _component(c: Any, decrypt: Any = None) -> gbz.GbzComponent:
    ctl = c.control
    body = c.body
    header = ZclHeader.from_container(body.zcl_header)
    common: dict[str, Any] = {
        "cluster_id": c.cluster_id,
        "header": header,
        "from_date_time": body.from_date_time,
        "last": bool(ctl.last),
        "reserved_control_bits": (ctl.reserved_high << 5) | (ctl.reserved_low << 2),
    }
    if ctl.encrypted:
        if body.zcl_payload:
            raise FrameError("trailing bytes after the ciphered information of an encrypted component")
        blob = bytes(body.ciphered_information)
        decrypted = None
        if decrypt is not None:
            plaintext = decrypt(blob)
            fields = clusters.decode_command(c.cluster_id, header, plaintext)
            decrypted = (
                {"fields": clusters.annotate(c.cluster_id, header, fields)} if fields is not None
                else {"payload": plaintext.hex().upper()}
            )
        return gbz.GbzComponent(
            **common,
            ciphered_information=blob,
            additional_header_control=body.additional_header.control,
            additional_frame_counter=body.additional_header.frame_counter,
            decrypted=decrypted,
        )
    payload = bytes(body.zcl_payload)
    fields = clusters.decode_command(c.cluster_id, header, payload)
    if fields is not None:
        return gbz.GbzComponent(**common, fields=fields)
    return gbz.GbzComponent(**common, payload=payload)


def _future_dated(c: Any) -> gbz.FutureDatedExecution:
    fc = c.frame_control
    return gbz.FutureDatedExecution(
        message_code=c.message_code,
        originator_counter=c.originator_counter,
        cluster_id=c.cluster_id,
        frame_type=ZclFrameType(int(fc.frame_type)),
        direction=ZclDirection(int(fc.direction)),
        command_id=c.command_id,
        disable_default_response=bool(fc.disable_default_response),
        manufacturer_specific=bool(fc.manufacturer_specific),
        reserved=fc.reserved,
    )


def decode_gbz_with_constructs(content: bytes, ctx: PayloadContext) -> gbz.GbzPayload:
    """``decode_gbz`` through the constructs (reference for the direct reader)."""
    content = bytes(content)
    try:
        if ctx.cra_flag == 3:
            kind = gbz.ALERT_BODY_BY_MESSAGE_CODE.get(ctx.message_code, gbz.AlertBody.COMPONENTS)
            c = gbz_structs.ALERT_STRUCTS[kind].parse(content)
            alert = gbz.GbzAlert(
                alert_code=c.alert_code,
                timestamp=c.timestamp,
                body_kind=kind,
                future_dated=_future_dated(c.details) if kind is gbz.AlertBody.FUTURE_DATED else None,
                image_hash=bytes(c.image_hash) if kind is gbz.AlertBody.FIRMWARE_RECEIPT else None,
                integrity_code=c.integrity_code if kind is gbz.AlertBody.METER_INTEGRITY else None,
            )
            raw_components = c.components if kind is gbz.AlertBody.COMPONENTS else []
            form = "alert"
        else:
            c = gbz.GbzCommandStruct.parse(content)
            alert = None
            raw_components = c.components
            form = "response" if ctx.cra_flag == 2 else "command"
        components = tuple(_component(rc, ctx.decrypt) for rc in raw_components)
    except SmetsError:
        raise
    except ConstructError as exc:
        raise FrameError(f"malformed GBZ payload: {exc}") from exc
    except (ValueError, TypeError, IndexError, KeyError, OverflowError, RecursionError) as exc:
        raise FrameError(f"malformed GBZ payload: {exc}") from exc
    return gbz.GbzPayload(components=components, alert=alert, form=form)


# --- ASN.1 (GBCS 7.2.10 content of the CS/GCS use cases) ----------------------------------------


def decode_asn1_in_declared_order(content: bytes, ctx: PayloadContext) -> asn1_mod.Asn1Payload:
    """``decode_asn1`` with every length style tried in ``LENGTH_STYLES`` order."""
    schema = asn1_mod.schema_for(ctx.message_code, ctx.cra_flag) or asn1_mod.GENERIC_SCHEMA
    failure: FrameError | None = None
    for style in LENGTH_STYLES:
        try:
            return asn1_payload.decode_schema(bytes(content), schema, ctx.message_code, ctx.cra_flag, (style,))
        except FrameError as exc:
            failure = exc
    assert failure is not None
    raise failure


def value_from_tree(spec: type[asn1.Asn1Value], tree: Any, path: str) -> asn1.Asn1Value:
    """A fresh asn1crypto value of *spec* built from a readable tree."""
    if issubclass(spec, (Certificate, CertificationRequest)):
        der = from_hex(tree.get("der") if isinstance(tree, dict) else tree)
        value = spec.load(der, strict=True)
        if value.dump() != der:
            raise EncodeError(f"{path}: certificate DER does not rebuild")
        return value
    if issubclass(spec, asn1.Choice):
        if not isinstance(tree, dict) or len(tree) != 1:
            raise EncodeError(f"{path}: a CHOICE is an object with one member")
        ((name, sub),) = tree.items()
        alternatives = {n: s for n, s, *_ in spec._alternatives}
        if name not in alternatives:
            raise EncodeError(f"{path}: unknown alternative {name!r}")
        return spec(name=name, value=value_from_tree(alternatives[name], sub, f"{path}.{name}"))
    if issubclass(spec, asn1.Sequence):
        if not isinstance(tree, dict):
            raise EncodeError(f"{path}: expected an object")
        fields = {name: (fspec, rest[0] if rest else {}) for name, fspec, *rest in spec._fields}
        unknown = set(tree) - set(fields)
        if unknown:
            raise EncodeError(f"{path}: unknown fields {sorted(unknown)}")
        out = spec()
        for name, (fspec, params) in fields.items():
            present = name in tree and (tree[name] is not None or issubclass(fspec, asn1.Null))
            if not present:
                if params.get("optional"):
                    continue
                raise EncodeError(f"{path}: missing field {name!r}")
            out[name] = value_from_tree(fspec, tree[name], f"{path}.{name}")
        return out
    if issubclass(spec, asn1.SequenceOf):
        if not isinstance(tree, list):
            raise EncodeError(f"{path}: expected a list")
        return spec([value_from_tree(spec._child_spec, item, f"{path}[{i}]") for i, item in enumerate(tree)])
    if issubclass(spec, asn1.BitString):
        if not isinstance(tree, list):
            raise EncodeError(f"{path}: expected a list of bit names")
        bits = {number(item, spec._map, "bit") for item in tree}
        if any(b < 0 or b >= len(spec._map or {}) for b in bits):
            raise EncodeError(f"{path}: bit out of range in {tree!r}")
        return spec(tuple(1 if i in bits else 0 for i in range(max(bits, default=-1) + 1)))
    if issubclass(spec, asn1.Integer):
        return spec(number(tree, spec._map, path))
    if issubclass(spec, asn1.OctetString):
        return spec(from_hex(tree))
    if issubclass(spec, asn1.GeneralizedTime):
        if not isinstance(tree, str) or not GENERALIZED_TIME.match(tree):
            raise EncodeError(f"{path}: GeneralizedTime must read YYYYMMDDHHMMSS[.f]Z, not {tree!r}")
        return spec(contents=tree.encode("ascii"))
    if issubclass(spec, asn1.Null):
        if tree is not None:
            raise EncodeError(f"{path}: NULL takes null")
        return spec()
    raise EncodeError(f"{path}: unsupported ASN.1 type {spec.__name__}")


def serialize(value: asn1.Asn1Value, style: str) -> bytes:
    """Write a freshly built asn1crypto value, children first, with lengths in *style*."""
    if isinstance(value, (Certificate, CertificationRequest)):
        return value.dump()
    if isinstance(value, asn1.Choice):
        return serialize(value.chosen, style)
    if isinstance(value, asn1.Sequence):
        children = (value[name] for name, *_ in value._fields)
        body = b"".join(serialize(c, style) for c in children if not isinstance(c, asn1.Void))
    elif isinstance(value, asn1.SequenceOf):
        body = b"".join(serialize(c, style) for c in value)
    else:
        body = value.contents or b""
    return identifier(value.class_, value.method == 1, value.tag) + der_length(len(body), style) + body


def encode_asn1_with_asn1crypto(schema: str, tree: Any, style: str) -> bytes:
    """The bytes of *tree* under *schema*, built through asn1crypto objects (reference for ``encode_tree``)."""
    spec = asn1_schemas.SCHEMA_CLASSES[schema]
    try:
        return serialize(value_from_tree(spec, tree, schema), style)
    except SmetsError:
        raise
    except Exception as exc:  # noqa: BLE001 - asn1crypto raises ValueError/TypeError on values it cannot hold
        raise EncodeError(f"{schema}: {exc}") from exc


def decode_asn1_with_asn1crypto(content: bytes, ctx: PayloadContext) -> asn1_mod.Asn1Payload:
    """``decode_asn1`` reading the value through asn1crypto objects (reference for ``decode_tree``)."""
    schema = asn1_mod.schema_for(ctx.message_code, ctx.cra_flag) or asn1_mod.GENERIC_SCHEMA
    content = bytes(content)
    try:
        if schema in asn1_schemas.SCHEMA_CLASSES:
            value = asn1_payload._decode_value_with_asn1crypto(content, schema)
        else:
            value = asn1_payload._decode_value(content, schema)
        for style in LENGTH_STYLES:
            payload = asn1_mod.Asn1Payload(schema, value, ctx.message_code, ctx.cra_flag, style)
            if payload.encode() == content:
                return payload
    except FrameError:
        raise
    except Exception as exc:  # noqa: BLE001 - asn1crypto and the encoder raise several types on junk
        raise FrameError(f"{schema}: {exc}") from exc
    raise FrameError(f"{schema}: not canonical DER")


# --- hostile input ----------------------------------------------------------------------------


def mutations(data: bytes) -> st.SearchStrategy[bytes]:
    """Up to three byte edits (set, truncate, insert, delete) of *data*."""

    def mutate(ops: list[tuple[int, int, int]]) -> bytes:
        out = bytearray(data)
        for kind, where, value in ops:
            where %= max(len(out), 1)
            if kind == 0 and out:
                out[where] = value
            elif kind == 1:
                del out[where:]
            elif kind == 2:
                out.insert(where, value)
            elif out:
                del out[where]
        return bytes(out)

    op = st.tuples(st.integers(0, 3), st.integers(0, 1 << 16), st.integers(0, 255))
    return st.lists(op, min_size=1, max_size=3).map(mutate)
