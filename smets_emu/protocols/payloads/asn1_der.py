"""DER writing for GBCS ASN.1 value trees, driven by the asn1crypto classes (X.690 clause 10).

The asn1crypto classes of :mod:`smets_emu.protocols.payloads.asn1_types` stay the definition of
every GBCS ASN.1 payload (GBCS 7.2.10 content of the CS02-CS09, CCS08, GCS28/59/62 use cases).
:func:`encode_tree` reads their field lists, tags and named-number maps and writes the DER of a
readable value tree directly, without building asn1crypto objects for every element; the result
is the same bytes that building asn1crypto objects and serialising them gives (the test suite
holds the two to each other over the corpus and random trees).

Certificates and certification requests are opaque DER: they are checked with asn1crypto once per
distinct encoding (a device sees the same few certificates again and again) and written as given.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from asn1crypto import core as asn1
from asn1crypto.csr import CertificationRequest
from asn1crypto.util import int_to_bytes
from asn1crypto.x509 import Certificate

from smets_emu.errors import EncodeError, FrameError

LENGTH_STYLES = ("der", "long2")
"""How lengths are written: ``der`` shortest form (X.690 10.1); ``long2`` writes every length of
128 or more with two length octets (``82 00 LL``), as devices do in RTDS responses and alerts."""

NAMED = re.compile(r"^([A-Za-z][A-Za-z0-9]*)\((-?\d+|0x[0-9A-Fa-f]+)\)$")
GENERALIZED_TIME = re.compile(r"^\d{14}(\.\d*[1-9])?Z$")

OPAQUE = (Certificate, CertificationRequest)


def identifier(tag_class: int, constructed: bool, tag: int) -> bytes:
    """The identifier octets of a tag (X.690 8.1.2)."""
    lead = (tag_class << 6) | (0x20 if constructed else 0)
    if tag < 0x1F:
        return bytes([lead | tag])
    groups = []
    while True:
        groups.append(tag & 0x7F)
        tag >>= 7
        if not tag:
            break
    groups.reverse()
    return bytes([lead | 0x1F]) + bytes([g | 0x80 for g in groups[:-1]] + [groups[-1]])


def der_length(length: int, style: str = "der") -> bytes:
    """The length octets of *length* written in *style* (see :data:`LENGTH_STYLES`)."""
    if length < 0x80:
        return bytes([length])
    if style == "long2" and length <= 0xFFFF:
        return b"\x82" + length.to_bytes(2, "big")
    if style not in LENGTH_STYLES:
        raise EncodeError(f"unknown length style {style!r}")
    size = (length.bit_length() + 7) // 8
    return bytes([0x80 | size]) + length.to_bytes(size, "big")


def from_hex(value: Any) -> bytes:
    """Bytes of an upper- or lower-case hex string."""
    if not isinstance(value, str):
        raise EncodeError(f"expected a hex string, not {value!r}")
    try:
        return bytes.fromhex(value)
    except ValueError as exc:
        raise EncodeError(f"invalid hex string {value!r}") from exc


def named(value: int, names: dict[int, str] | None, *, hex_form: bool = False) -> str | int:
    """``"supplier(2)"`` for a number with a name (``"name(0x8F84)"`` in hex form), else the number."""
    name = (names or {}).get(value)
    if not name:
        return value
    return f"{name}(0x{value:04X})" if hex_form else f"{name}({value})"


def number(value: Any, names: dict[int, str] | None, what: str) -> int:
    """Parse ``5``, ``"transitionalCoS(5)"`` or ``"transitionalCoS"`` back to a number."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        match = NAMED.match(value)
        if match:
            return int(match.group(2), 0)
        for key, name in (names or {}).items():
            if name == value:
                return key
    raise EncodeError(f"invalid {what} value {value!r}")


@functools.lru_cache(maxsize=256)
def _tagging(spec: type[asn1.Asn1Value], implicit: Any, explicit: Any) -> tuple[bytes, tuple[bytes, ...]]:
    """Identifier octets of *spec* under the field's tagging, and the explicit wrappers (outermost first)."""
    params = {k: v for k, v in (("implicit", implicit), ("explicit", explicit)) if v is not None}
    value = spec(**params)
    wrappers = tuple(identifier(cls, True, tag) for cls, tag in (value.explicit or ()))
    return identifier(value.class_, value.method == 1, value.tag), wrappers


@functools.lru_cache(maxsize=1024)
def check_opaque(spec: type[asn1.Asn1Value], der: bytes) -> None:
    """Raise unless *der* loads strictly as one *spec* value that dumps back to itself."""
    try:
        rebuilt = spec.load(der, strict=True).dump()
    except Exception as exc:  # noqa: BLE001 - asn1crypto raises ValueError, TypeError ... on junk
        raise EncodeError(f"{spec.__name__} DER does not load: {exc}") from exc
    if rebuilt != der:
        raise EncodeError(f"{spec.__name__} DER does not rebuild")


@functools.lru_cache(maxsize=256)
def _fields(spec: type[asn1.Sequence]) -> tuple[tuple[str, type[asn1.Asn1Value], dict[str, Any]], ...]:
    return tuple((name, fspec, rest[0] if rest else {}) for name, fspec, *rest in spec._fields)


def encode_tree(spec: type[asn1.Asn1Value], tree: Any, path: str, style: str,
                params: dict[str, Any] | None = None) -> bytes:
    """The DER of *tree* read as a *spec* value (tagged by the field *params*), lengths in *style*.

    Raises :class:`EncodeError` where the tree does not fit the type.
    """
    if issubclass(spec, OPAQUE):
        der = from_hex(tree.get("der") if isinstance(tree, dict) else tree)
        if params:
            raise EncodeError(f"{path}: a tagged {spec.__name__} is not supported")
        check_opaque(spec, der)
        return der
    if issubclass(spec, asn1.Choice):
        if not isinstance(tree, dict) or len(tree) != 1:
            raise EncodeError(f"{path}: a CHOICE is an object with one member")
        ((name, sub),) = tree.items()
        alternatives = {n: (s, rest[0] if rest else None) for n, s, *rest in spec._alternatives}
        if name not in alternatives:
            raise EncodeError(f"{path}: unknown alternative {name!r}")
        if params:
            raise EncodeError(f"{path}: a tagged CHOICE is not supported")
        alt_spec, alt_params = alternatives[name]
        return encode_tree(alt_spec, sub, f"{path}.{name}", style, alt_params)
    if issubclass(spec, asn1.Sequence):
        if not isinstance(tree, dict):
            raise EncodeError(f"{path}: expected an object")
        fields = _fields(spec)
        names = {name for name, _, _ in fields}
        unknown = [key for key in tree if key not in names]
        if unknown:
            raise EncodeError(f"{path}: unknown fields {sorted(unknown)}")
        parts = []
        for name, fspec, fparams in fields:
            present = name in tree and (tree[name] is not None or issubclass(fspec, asn1.Null))
            if not present:
                if fparams.get("optional"):
                    continue
                raise EncodeError(f"{path}: missing field {name!r}")
            tagging = {k: v for k, v in fparams.items() if k in ("implicit", "explicit")}
            parts.append(encode_tree(fspec, tree[name], f"{path}.{name}", style, tagging))
        body = b"".join(parts)
    elif issubclass(spec, asn1.SequenceOf):
        if not isinstance(tree, list):
            raise EncodeError(f"{path}: expected a list")
        child = spec._child_spec
        body = b"".join(encode_tree(child, item, f"{path}[{index}]", style) for index, item in enumerate(tree))
    elif issubclass(spec, asn1.BitString):
        body = _bit_string(spec, tree, path)
    elif issubclass(spec, asn1.Integer):
        body = int_to_bytes(number(tree, spec._map, path), signed=True)
    elif issubclass(spec, asn1.OctetString):
        body = from_hex(tree)
    elif issubclass(spec, asn1.GeneralizedTime):
        if not isinstance(tree, str) or not GENERALIZED_TIME.match(tree):
            raise EncodeError(f"{path}: GeneralizedTime must read YYYYMMDDHHMMSS[.f]Z, not {tree!r}")
        body = tree.encode("ascii")
    elif issubclass(spec, asn1.Null):
        if tree is not None:
            raise EncodeError(f"{path}: NULL takes null")
        body = b""
    else:
        raise EncodeError(f"{path}: unsupported ASN.1 type {spec.__name__}")
    ident, wrappers = _tagging(spec, (params or {}).get("implicit"), (params or {}).get("explicit"))
    out = ident + der_length(len(body), style) + body
    for wrapper in reversed(wrappers):
        out = wrapper + der_length(len(out), style) + out
    return out


def _bit_string(spec: type[asn1.BitString], tree: Any, path: str) -> bytes:
    """Contents of a named BIT STRING: unused-bit count, then the bits with trailing zeros dropped."""
    if not isinstance(tree, list):
        raise EncodeError(f"{path}: expected a list of bit names")
    names = spec._map or {}
    bits = {number(item, names, "bit") for item in tree}
    if any(b < 0 or b >= len(names) for b in bits):
        raise EncodeError(f"{path}: bit out of range in {tree!r}")
    size = max(bits, default=-1) + 1
    if names and size > max(names) + 1:
        raise EncodeError(f"{path}: {spec.__name__} value must be at most {max(names) + 1} bits long")
    if not size:
        return b"\x00"
    value = 0
    for bit in bits:
        value |= 1 << (size - 1 - bit)
    padding = -size % 8
    return bytes([padding]) + (value << padding).to_bytes((size + padding) // 8, "big")


# --- reading (X.690 clause 10) -------------------------------------------------------------------

MAX_DEPTH = 48
"""Deepest DER nesting accepted."""

_Element = tuple[int, bool, int, int, int, int]
"""Tag class, constructed, tag number, start of the identifier, start of the contents, end."""


def scan_level(data: bytes, pos: int, end: int, depth: int) -> list[_Element]:
    """The TLVs of ``data[pos:end]`` (one level): definite lengths, minimal tag numbers, bounded nesting.

    Raises :class:`FrameError` on anything else. Length forms are checked afterwards, by rebuilding.
    """
    if depth > MAX_DEPTH:
        raise FrameError("DER nesting too deep")
    out: list[_Element] = []
    while pos < end:
        start = pos
        first = data[pos]
        pos += 1
        tag = first & 0x1F
        if tag == 0x1F:
            tag = 0
            while True:
                if pos >= end:
                    raise FrameError("truncated DER tag")
                octet = data[pos]
                pos += 1
                if tag == 0 and octet == 0x80:
                    raise FrameError("non-minimal DER tag number")
                tag = (tag << 7) | (octet & 0x7F)
                if tag > 0xFFFFFF:
                    raise FrameError("DER tag number too large")
                if not octet & 0x80:
                    break
            if tag < 0x1F:
                raise FrameError("non-minimal DER tag number")
        if pos >= end:
            raise FrameError("truncated DER length")
        length = data[pos]
        pos += 1
        if length == 0x80:
            raise FrameError("indefinite length is not DER")
        if length > 0x80:
            size = length & 0x7F
            if size > 4 or pos + size > end:
                raise FrameError("DER length out of range")
            length = int.from_bytes(data[pos:pos + size], "big")
            pos += size
        if pos + length > end:
            raise FrameError("DER value runs past the end of its container")
        out.append((first >> 6, bool(first & 0x20), tag, start, pos, pos + length))
        pos += length
    return out


def check_nested(data: bytes, depth: int = 0) -> None:
    """Scan every level of *data* (raises :class:`FrameError` as :func:`scan_level` does)."""
    for _, constructed, _, _, begin, stop in scan_level(data, 0, len(data), depth):
        if constructed:
            check_nested(data[begin:stop], depth + 1)


@functools.lru_cache(maxsize=1024)
def _check_opaque_nesting(der: bytes, depth: int) -> None:
    check_nested(der, depth)


def bit_numbers(contents: bytes) -> list[int]:
    """The numbers of the bits set in BIT STRING contents (unused-bit count first)."""
    if not contents or contents[0] > 7 or (len(contents) == 1 and contents[0]):
        raise FrameError("malformed BIT STRING")
    count = (len(contents) - 1) * 8 - contents[0]
    return [i for i in range(count) if contents[1 + i // 8] >> (7 - i % 8) & 1]


class Unreadable(Exception):
    """The schema uses a form the direct reader leaves to asn1crypto."""


@functools.lru_cache(maxsize=512)
def tag_of(spec: type[asn1.Asn1Value], implicit: Any) -> tuple[int, int]:
    """(tag class, tag number) of *spec*, implicitly tagged when *implicit* is set."""
    value = spec(implicit=implicit) if implicit is not None else spec()
    if value.explicit:
        raise Unreadable("explicit tagging")
    return value.class_, value.tag


@functools.lru_cache(maxsize=256)
def _choice_tags(spec: type[asn1.Choice]) -> dict[tuple[int, int], tuple[str, type[asn1.Asn1Value]]]:
    out: dict[tuple[int, int], tuple[str, type[asn1.Asn1Value]]] = {}
    for name, alt_spec, *rest in spec._alternatives:
        params = rest[0] if rest else {}
        if set(params) - {"implicit"}:
            raise Unreadable("CHOICE alternative parameters")
        if issubclass(alt_spec, asn1.Choice):
            raise Unreadable("nested CHOICE")
        key = tag_of(alt_spec, params.get("implicit"))
        if key in out:
            raise Unreadable("ambiguous CHOICE")
        out[key] = (name, alt_spec)
    return out


OpaqueInfo = Callable[[type, bytes], dict[str, Any]]


def decode_tree(spec: type[asn1.Asn1Value], data: bytes, element: _Element, depth: int, opaque: OpaqueInfo) -> Any:
    """The readable tree of one TLV read as *spec* (what parsing it with asn1crypto and reading each
    element gives: named numbers, bit-name lists, hex octets, certificates as ``{"der": ...}``)."""
    tag_class, constructed, tag, start, begin, end = element
    if issubclass(spec, OPAQUE):
        der = data[start:end]
        _check_opaque_nesting(der, depth)
        return {"der": der.hex().upper(), **opaque(spec, der)}
    if issubclass(spec, asn1.Choice):
        alternatives = _choice_tags(spec)
        chosen = alternatives.get((tag_class, tag))
        if chosen is None:
            raise FrameError(f"{spec.__name__}: no alternative has tag [{tag_class}] {tag}")
        return {chosen[0]: decode_tree(chosen[1], data, element, depth, opaque)}
    children = scan_level(data, begin, end, depth + 1) if constructed else []
    if issubclass(spec, asn1.Sequence):
        tree: dict[str, Any] = {}
        index = 0
        for name, fspec, *rest in spec._fields:
            params = rest[0] if rest else {}
            if set(params) - {"implicit", "optional"}:
                raise Unreadable("field parameters")
            if index >= len(children):
                if params.get("optional"):
                    continue
                raise FrameError(f"{spec.__name__}: field {name!r} is missing")
            child = children[index]
            expected = tag_of(fspec, params.get("implicit")) if not issubclass(fspec, asn1.Choice) else None
            if params.get("optional") and expected is not None and (child[0], child[2]) != expected:
                continue
            if issubclass(fspec, asn1.Choice) and params:
                raise Unreadable("tagged or optional CHOICE field")
            if expected is not None and (child[0], child[2]) != expected:
                raise FrameError(f"{spec.__name__}.{name}: unexpected tag [{child[0]}] {child[2]}")
            tree[name] = decode_tree(fspec, data, child, depth + 1, opaque)
            index += 1
        if index != len(children):
            raise FrameError(f"{spec.__name__}: unexpected trailing elements")
        return tree
    if issubclass(spec, asn1.SequenceOf):
        item_spec = spec._child_spec
        expected = tag_of(item_spec, None) if not issubclass(item_spec, asn1.Choice) else None
        items = []
        for child in children:
            if expected is not None and (child[0], child[2]) != expected:
                raise FrameError(f"{spec.__name__}: unexpected tag [{child[0]}] {child[2]}")
            items.append(decode_tree(item_spec, data, child, depth + 1, opaque))
        return items
    contents = data[begin:end]
    if issubclass(spec, asn1.BitString):
        return [named(bit, spec._map) for bit in bit_numbers(contents)]
    if issubclass(spec, asn1.Integer):
        return named(int.from_bytes(contents, "big", signed=True), spec._map,
                     hex_form=getattr(spec, "hex_numbers", False))
    if issubclass(spec, asn1.OctetString):
        return contents.hex().upper()
    if issubclass(spec, asn1.GeneralizedTime):
        text = contents.decode("ascii")
        if not GENERALIZED_TIME.match(text):
            raise FrameError(f"GeneralizedTime {text!r} is not DER")
        return text
    if issubclass(spec, asn1.Null):
        if contents:
            raise FrameError("NULL with content")
        return None
    raise FrameError(f"unsupported ASN.1 type {spec.__name__}")
