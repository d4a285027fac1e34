"""The ASN.1 payload (GBCS 13.3): :class:`Asn1Payload` (schema name, value tree, length style) and its
decoder, which reads the tree directly from the TLVs (:func:`.asn1_der.decode_tree`) and refuses what
would not rebuild byte for byte (non-minimal DER, trailing bytes, unexpected tags).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from asn1crypto import core as asn1
from asn1crypto.csr import CertificationRequest
from asn1crypto.x509 import Certificate

from smets_emu.errors import EncodeError, FrameError, SmetsError
from smets_emu.protocols.payloads.asn1_der import (
    LENGTH_STYLES,
    Unreadable,
    decode_tree,
    encode_tree,
    scan_level,
    tag_of,
)
from smets_emu.protocols.payloads.asn1_generic import (
    decode_failure_to_deliver,
    encode_failure_to_deliver,
    generic_encode,
    generic_node,
    scan_tlvs,
)
from smets_emu.protocols.payloads.asn1_readable import opaque_fields, to_tree
from smets_emu.protocols.payloads.asn1_schemas import (
    FAILURE_TO_DELIVER_SCHEMA,
    FAMILY,
    GENERIC_SCHEMA,
    SCHEMA_CLASSES,
    schema_for,
)
from smets_emu.protocols.payloads.base import Payload, PayloadContext

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
            return b"".join(generic_encode(node, self.length_style) for node in self.value["elements"])
        if self.schema == FAILURE_TO_DELIVER_SCHEMA:
            return encode_failure_to_deliver(self.value)
        spec = SCHEMA_CLASSES.get(self.schema)
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
        spec = SCHEMA_CLASSES.get(self.schema)
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
        if schema not in SCHEMA_CLASSES and schema not in (GENERIC_SCHEMA, FAILURE_TO_DELIVER_SCHEMA):
            raise EncodeError(f"unknown ASN.1 schema {schema!r}")
        draft = cls(schema=schema, value=obj.get("value"), message_code=obj.get("message_code"),
                    cra_flag=obj.get("cra_flag"), length_style=obj.get("length_style", "der"))
        content = draft.encode()
        try:
            return decode_schema(content, schema, draft.message_code, draft.cra_flag, (draft.length_style,))
        except FrameError as exc:
            raise EncodeError(f"{schema}: value does not form a canonical payload: {exc}") from exc


def _decode_value(content: bytes, schema: str) -> Any:
    if schema == FAILURE_TO_DELIVER_SCHEMA:
        return decode_failure_to_deliver(content)
    if schema == GENERIC_SCHEMA:
        tlvs = scan_tlvs(content)
        if not tlvs:
            raise FrameError("empty ASN.1 payload")
        return {"elements": [generic_node(tlv) for tlv in tlvs]}
    elements = scan_level(content, 0, len(content), 0)
    if not elements:
        raise FrameError("empty ASN.1 payload")
    if len(elements) != 1:
        raise FrameError("trailing data after the ASN.1 value")
    spec = SCHEMA_CLASSES[schema]
    try:
        if not issubclass(spec, asn1.Choice) and (elements[0][0], elements[0][2]) != tag_of(spec, None):
            raise FrameError(f"{schema}: unexpected outer tag")
        return decode_tree(spec, content, elements[0], 0, opaque_fields)
    except Unreadable:
        return _decode_value_with_asn1crypto(content, schema)


def _decode_value_with_asn1crypto(content: bytes, schema: str) -> Any:
    """The value tree through asn1crypto objects: the reference for :func:`decode_tree`, and the path for
    schema forms it leaves aside."""
    tlvs = scan_tlvs(content)
    if not tlvs:
        raise FrameError("empty ASN.1 payload")
    if len(tlvs) != 1:
        raise FrameError("trailing data after the ASN.1 value")
    return to_tree(SCHEMA_CLASSES[schema].load(content, strict=True))





def decode_schema(
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
    spec = SCHEMA_CLASSES.get(schema)
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
    return decode_schema(bytes(content), schema, ctx.message_code, ctx.cra_flag)
