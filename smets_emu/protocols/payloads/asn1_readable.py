"""Readable trees of asn1crypto values (GBCS 13.3): named numbers ``"supplier(2)"``, key usage bit names,
upper-case hex octets, and the informative fields of certificates and PKCS#10 requests (RFC 5280,
RFC 2986) parsed once per distinct DER.
"""

from __future__ import annotations

import functools
from typing import Any

from asn1crypto import core as asn1
from asn1crypto.csr import CertificationRequest
from asn1crypto.x509 import Certificate

from smets_emu.errors import FrameError, SmetsError
from smets_emu.protocols.payloads.asn1_der import GENERALIZED_TIME as _GENERALIZED_TIME
from smets_emu.protocols.payloads.asn1_der import (
    bit_numbers,
)
from smets_emu.protocols.payloads.asn1_der import named as _named
from smets_emu.protocols.payloads.asn1_generic import scan_tlvs, upper_hex

# --- value helpers --------------------------------------------------------------------------





def _eui_from_general_names(names: Any) -> str | None:
    for general_name in names or ():
        if general_name.name != "other_name":
            continue
        other = general_name.chosen
        if other["type_id"].dotted == "1.3.6.1.5.5.7.8.4":
            (wrapper,) = scan_tlvs(other["value"].dump())
            inner = wrapper.content if (wrapper.tag_class, wrapper.tag) == (2, 0) else other["value"].dump()
            module = _HardwareModuleName.load(inner, strict=True)
            return upper_hex(module["hwSerialNum"].native)
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
                return upper_hex(raw[1:] if raw[:1] == b"\x00" and len(raw) == 9 else raw)
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
        info["subjectKeyIdentifier"] = upper_hex(cert.key_identifier)
    if cert.authority_key_identifier is not None:
        info["authorityKeyIdentifier"] = upper_hex(cert.authority_key_identifier)
    if cert.key_usage_value is not None:
        info["keyUsage"] = sorted(_camel(u) for u in cert.key_usage_value.native)
    eui = _eui_from_subject(cert.subject)
    if eui is None and cert.subject_alt_name_value is not None:
        eui = _eui_from_general_names(cert.subject_alt_name_value)
    if eui is not None:
        info["eui"] = eui
    return info


def _request_info(request: CertificationRequest) -> dict[str, Any]:
    """Readable fields of a PKCS#10 certification request."""
    request.native  # noqa: B018 - full parse
    cri = request["certification_request_info"]
    spki = cri["subject_pk_info"]
    info: dict[str, Any] = {
        "subject": _name_text(cri["subject"]),
        "publicKeyAlgorithm": spki["algorithm"]["algorithm"].native,
        "publicKeyCurve": spki["algorithm"]["parameters"].native,
        "publicKey": upper_hex(spki["public_key"].contents[1:]),
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


@functools.lru_cache(maxsize=1024)
def _opaque_info(spec: type[Certificate | CertificationRequest], der: bytes) -> tuple[tuple[str, Any], ...]:
    """Readable fields of a certificate or request, parsed once per distinct DER."""
    value = spec.load(der, strict=True)
    try:
        info = _certificate_info(value) if isinstance(value, Certificate) else _request_info(value)
    except SmetsError:
        raise
    except Exception as exc:  # asn1crypto raises ValueError/TypeError ... on junk inside
        what = "certificate" if isinstance(value, Certificate) else "certification request"
        raise FrameError(f"malformed {what}: {exc}") from exc
    return tuple(info.items())


# --- asn1crypto value <-> tree --------------------------------------------------------------


def to_tree(value: asn1.Asn1Value) -> Any:
    """Readable tree of a parsed asn1crypto value (every element is touched, so junk raises here)."""
    if isinstance(value, (Certificate, CertificationRequest)):
        der = value.dump()
        return {"der": upper_hex(der), **opaque_fields(type(value), der)}
    if isinstance(value, asn1.Choice):
        return {value.name: to_tree(value.chosen)}
    if isinstance(value, asn1.Sequence):
        tree: dict[str, Any] = {}
        for name, _spec, _params in value._fields:
            child = value[name]
            if not isinstance(child, asn1.Void):
                tree[name] = to_tree(child)
        return tree
    if isinstance(value, asn1.SequenceOf):
        return [to_tree(child) for child in value]
    if isinstance(value, asn1.BitString):
        return [_named(bit, value._map) for bit in bit_numbers(value.contents)]
    if isinstance(value, asn1.Integer):
        return _named(int(value), value._map, hex_form=getattr(value, "hex_numbers", False))
    if isinstance(value, asn1.OctetString):
        return upper_hex(value.contents)
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




def opaque_fields(spec: type, der: bytes) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, list) else v for k, v in _opaque_info(spec, der)}
