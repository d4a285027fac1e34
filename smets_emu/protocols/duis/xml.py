"""Hardened XML reading for DUIS messages.

Uses defusedxml over the stdlib expat parser with DTDs, entity declarations and external
references forbidden, plus a size cap before parsing and a nesting-depth cap after it. Every
failure is a :class:`~smets_emu.errors.DuisXmlError`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as _defused_fromstring

from smets_emu.errors import DuisXmlError

SR_NAMESPACE = "http://www.dccinterface.co.uk/ServiceUserGateway"
"""The DUIS service request / response namespace (prefix ``sr`` in the DUIS templates)."""
DS_NAMESPACE = "http://www.w3.org/2000/09/xmldsig#"
"""XML digital signature namespace (prefix ``ds``)."""
XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance"

MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
"""Largest document accepted: room for a base64 firmware image in SRV 11.1."""
MAX_DEPTH = 32
"""Deepest element nesting accepted (the DUIS templates nest at most about 10 levels)."""


def sr(name: str) -> str:
    """The Clark-notation tag of a DUIS ``sr:`` element."""
    return f"{{{SR_NAMESPACE}}}{name}"


def local_name(tag: str) -> str:
    """The tag without its ``{namespace}``."""
    return tag.rpartition("}")[2]


def parse_xml(data: bytes | str, *, max_bytes: int = MAX_DOCUMENT_BYTES, max_depth: int = MAX_DEPTH) -> ET.Element:
    """Parse a document with DTDs, entities and external references forbidden and size/depth capped."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, bytes | bytearray | memoryview):
        raise DuisXmlError(f"expected bytes or str, got {type(data).__name__}")
    if len(data) > max_bytes:
        raise DuisXmlError(f"document of {len(data)} bytes exceeds the {max_bytes}-byte limit")
    try:
        root = _defused_fromstring(bytes(data), forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise DuisXmlError(f"forbidden XML construct: {exc.__class__.__name__}") from exc
    except ET.ParseError as exc:
        raise DuisXmlError(f"malformed XML: {exc}") from exc
    except (ValueError, UnicodeError, TypeError, RecursionError) as exc:
        raise DuisXmlError(f"unreadable XML: {exc}") from exc
    _check_depth(root, max_depth)
    return root


def _check_depth(root: ET.Element, max_depth: int) -> None:
    stack: list[tuple[ET.Element, int]] = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > max_depth:
            raise DuisXmlError(f"element nesting deeper than {max_depth}")
        stack.extend((child, depth + 1) for child in element)
