"""DUIS-style service responses: typed dataclasses to XML and back.

``sr:Response`` carries an ``sr:Header`` (RequestID, ResponseID, ResponseCode, ResponseDateTime)
and an optional ``sr:Body`` with SRV-specific content. Bodies are built from
:class:`ResponseElement` trees; a human-readable explanation of the outcome goes in
``sr:ResponseMessage`` inside the body. Built with the stdlib ElementTree (no parsing of
untrusted input happens here; reading a response back goes through the hardened parser).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime

from smets_emu.errors import DuisError, ValidationError
from smets_emu.protocols.duis.codes import ResponseCode
from smets_emu.protocols.duis.xml import SR_NAMESPACE, local_name, parse_xml, sr

SCHEMA_VERSION = "5.4"
"""The DUIS schema version of the templates this emulator answers."""

ET.register_namespace("sr", SR_NAMESPACE)


@dataclass(frozen=True)
class ResponseElement:
    """One ``sr:`` element of a response body: text or children, never both."""

    name: str
    text: str | None = None
    children: tuple[ResponseElement, ...] = ()


@dataclass(frozen=True)
class DuisResponse:
    """A DUIS-style service response."""

    request_id: str | None
    response_code: ResponseCode
    service_reference_variant: str | None = None
    message: str | None = None
    body: tuple[ResponseElement, ...] = ()
    response_datetime: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def response_id(self) -> str | None:
        """DUIS echoes the RequestID as the ResponseID of a direct response."""
        return self.request_id


def _append(parent: ET.Element, element: ResponseElement) -> None:
    node = ET.SubElement(parent, sr(element.name))
    if element.text is not None:
        node.text = element.text
    for child in element.children:
        _append(node, child)


def response_to_xml(response: DuisResponse) -> bytes:
    """Serialise a response as UTF-8 XML with an XML declaration."""
    root = ET.Element(sr("Response"), {"schemaVersion": SCHEMA_VERSION})
    header = ET.SubElement(root, sr("Header"))
    if response.request_id is not None:
        ET.SubElement(header, sr("RequestID")).text = response.request_id
        ET.SubElement(header, sr("ResponseID")).text = response.response_id
    ET.SubElement(header, sr("ResponseCode")).text = response.response_code.value
    ET.SubElement(header, sr("ResponseDateTime")).text = (
        response.response_datetime.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-4] + "Z"
    )
    if response.service_reference_variant is not None:
        ET.SubElement(header, sr("ServiceReferenceVariant")).text = response.service_reference_variant
    if response.body or response.message:
        body = ET.SubElement(root, sr("Body"))
        if response.message:
            ET.SubElement(body, sr("ResponseMessage")).text = response.message
        for element in response.body:
            _append(body, element)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _element(node: ET.Element) -> ResponseElement:
    children = tuple(_element(child) for child in node)
    text = node.text.strip() if node.text is not None and node.text.strip() and not children else None
    return ResponseElement(local_name(node.tag), text, children)


def parse_response(data: bytes | str) -> DuisResponse:
    """Read a response written by :func:`response_to_xml` (hardened parser; DuisError on bad input)."""
    root = parse_xml(data)
    if root.tag != sr("Response"):
        raise ValidationError("root element is not sr:Response")
    header = root.find(sr("Header"))
    if header is None:
        raise ValidationError("missing sr:Header")

    def text(name: str) -> str | None:
        node = header.find(sr(name))
        return node.text.strip() if node is not None and node.text else None

    code_text = text("ResponseCode")
    try:
        code = ResponseCode(code_text)
    except ValueError as exc:
        raise ValidationError(f"unknown ResponseCode {code_text!r}") from exc
    when_text = text("ResponseDateTime") or ""
    try:
        when = datetime.fromisoformat(when_text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationError(f"bad ResponseDateTime {when_text!r}") from exc
    message = None
    body: list[ResponseElement] = []
    body_node = root.find(sr("Body"))
    if body_node is not None:
        for child in body_node:
            if child.tag == sr("ResponseMessage"):
                message = (child.text or "").strip()
            else:
                body.append(_element(child))
    return DuisResponse(
        request_id=text("RequestID"),
        response_code=code,
        service_reference_variant=text("ServiceReferenceVariant"),
        message=message,
        body=tuple(body),
        response_datetime=when,
    )


def error_response(
    error: DuisError, *, request_id: str | None = None, srv: str | None = None, now: datetime | None = None
) -> DuisResponse:
    """The response to a request that could not be read: X1 for refused XML, X2 for an invalid request."""
    code = ResponseCode.REQUEST_INVALID if isinstance(error, ValidationError) else ResponseCode.REQUEST_REFUSED
    return DuisResponse(
        request_id=request_id,
        response_code=code,
        service_reference_variant=srv,
        message=str(error),
        response_datetime=now or datetime.now(UTC),
    )
