"""Reading a DUIS service request from its XML into the typed request (DUIS 3.x ``sr:Request``).

Field values are checked as they are read (integers, base64, hex, dates, service references);
any malformed field is a ValidationError, malformed XML a DuisXmlError (both DuisError).
"""

from __future__ import annotations

import base64
import binascii
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime

from smets_emu.errors import DuisError, ValidationError
from smets_emu.protocols.duis.request import (
    ActivateFirmware,
    CredentialSet,
    DuisRequest,
    GenericBody,
    ReadFirmwareVersion,
    RemotePartyRole,
    RequestBody,
    RequestHandover,
    RequestHeader,
    RequestId,
    RetrieveSecurityCredentialsKrp,
    UpdateFirmware,
    UpdateSecurityCredentialsCos,
    UpdateSecurityCredentialsKrp,
    parse_eui,
)
from smets_emu.protocols.duis.xml import SR_NAMESPACE, local_name, parse_xml, sr

_HEX = re.compile(r"^[0-9A-Fa-f]*$")
_SRV = re.compile(r"^\d{1,2}(?:\.\d{1,2}){1,2}$")


# --- field helpers --------------------------------------------------------------------------------------


def _child(parent: ET.Element, name: str) -> ET.Element | None:
    return parent.find(sr(name))


def _text(parent: ET.Element, name: str, *, required: bool = True) -> str | None:
    element = _child(parent, name)
    if element is None or element.text is None or not element.text.strip():
        if required:
            raise ValidationError(f"missing sr:{name} in sr:{local_name(parent.tag)}")
        return None
    return element.text.strip()


def _required(parent: ET.Element, name: str) -> str:
    value = _text(parent, name)
    if value is None:  # pragma: no cover - _text raises first
        raise ValidationError(f"missing sr:{name}")
    return value


def _int(parent: ET.Element, name: str, *, required: bool = False) -> int | None:
    text = _text(parent, name, required=required)
    if text is None:
        return None
    if not text.isdigit() or len(text) > 20:
        raise ValidationError(f"sr:{name} is not a non-negative integer: {text[:30]!r}")
    return int(text)


def _base64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationError(f"{what} is not valid base64") from exc


def _hex(text: str, what: str) -> bytes:
    compact = "".join(text.split())
    if len(compact) % 2 or not _HEX.match(compact):
        raise ValidationError(f"{what} is not hex")
    return bytes.fromhex(compact)


def _datetime(parent: ET.Element, name: str) -> datetime | None:
    text = _text(parent, name, required=False)
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationError(f"sr:{name} is not an xs:dateTime: {text[:40]!r}") from exc


def _credentials(parent: ET.Element | None) -> CredentialSet:
    if parent is None:
        return CredentialSet()
    found: dict[str, bytes] = {}
    for name in ("DigitalSigningCertificate", "KeyAgreementCertificate", "KeyAgreementTopUpCertificate"):
        text = _text(parent, name, required=False)
        if text is not None:
            found[name] = _base64(text, f"sr:{name}")
    return CredentialSet(
        digital_signing=found.get("DigitalSigningCertificate"),
        key_agreement=found.get("KeyAgreementCertificate"),
        key_agreement_top_up=found.get("KeyAgreementTopUpCertificate"),
    )


def _path_certificates(body: ET.Element) -> tuple[bytes, ...]:
    path = _child(body, "CertificationPathCertificates")
    if path is None:
        return ()
    return tuple(
        _base64(c.text or "", "sr:Certificate") for c in path.findall(sr("Certificate")) if (c.text or "").strip()
    )


def _krp_replacement(body: ET.Element) -> CredentialSet:
    replacement = _child(body, "ReplacementCertificates")
    if replacement is None:
        raise ValidationError("missing sr:ReplacementCertificates")
    inner = _child(replacement, "SupplierOrNetworkOperatorCertificates")
    if inner is not None:
        return _credentials(inner)
    # other roles carry a single certificate element directly (e.g. sr:LoadControllerCertificate)
    for element in replacement.iter():
        if element is not replacement and len(element) == 0 and (element.text or "").strip():
            return CredentialSet(digital_signing=_base64(element.text or "", f"sr:{local_name(element.tag)}"))
    raise ValidationError("sr:ReplacementCertificates holds no certificate")


# --- body parsers ---------------------------------------------------------------------------------------


def _replacement_fields(
    body: ET.Element, replacement: Callable[[ET.Element], CredentialSet]
) -> tuple[RemotePartyRole, int | None, CredentialSet, tuple[bytes, ...]]:
    """The :class:`RemotePartyReplacement` fields of *body*, read in document order."""
    return (
        RemotePartyRole.from_duis(_required(body, "RemotePartyRole")),
        _int(body, "RemotePartyFloorSeqNumber"),
        replacement(body),
        _path_certificates(body),
    )


def _update_krp(body: ET.Element) -> UpdateSecurityCredentialsKrp:
    return UpdateSecurityCredentialsKrp(
        *_replacement_fields(body, _krp_replacement), execution_datetime=_datetime(body, "ExecutionDateTime")
    )


def _handover(body: ET.Element) -> RequestHandover:
    return RequestHandover(*_replacement_fields(body, lambda b: _credentials(_child(b, "ReplacementCertificates"))))


def _update_cos(body: ET.Element) -> UpdateSecurityCredentialsCos:
    return UpdateSecurityCredentialsCos(
        replacement=_credentials(_child(body, "SupplierReplacementCertificates")),
        certification_path=_path_certificates(body),
        import_mpxn=_text(body, "ImportMPxN", required=False),
        execution_datetime=_datetime(body, "ExecutionDateTime"),
    )


def _retrieve_krp(body: ET.Element) -> RetrieveSecurityCredentialsKrp:
    roles = tuple(RemotePartyRole.from_duis(e.text or "") for e in body.findall(sr("RemotePartyRole")))
    if not roles:
        raise ValidationError("sr:RetrieveDeviceSecurityCredentialsKRP names no sr:RemotePartyRole")
    return RetrieveSecurityCredentialsKrp(remote_party_roles=roles)


def _update_firmware(body: ET.Element) -> UpdateFirmware:
    device_ids = tuple(parse_eui(e.text or "") for e in body.findall(sr("DeviceIDList")))
    if not device_ids:
        raise ValidationError("sr:UpdateFirmware names no device in sr:DeviceIDList")
    return UpdateFirmware(
        firmware_image=_base64(_required(body, "FirmwareImage"), "sr:FirmwareImage"),
        firmware_version=_required(body, "FirmwareVersion").upper(),
        device_ids=device_ids,
    )


def _activate_firmware(body: ET.Element) -> ActivateFirmware:
    return ActivateFirmware(
        firmware_hash=_hex(_required(body, "FirmwareHash"), "sr:FirmwareHash"),
        execution_datetime=_datetime(body, "ExecutionDateTime"),
    )


_BODY_PARSERS = {
    "UpdateSecurityCredentialsKRP": _update_krp,
    "RequestHandoverOfDCCControlledDevice": _handover,
    "UpdateSecurityCredentialsCoS": _update_cos,
    "RetrieveDeviceSecurityCredentialsKRP": _retrieve_krp,
    "UpdateFirmware": _update_firmware,
    "ReadFirmwareVersion": lambda _body: ReadFirmwareVersion(),
    "ActivateFirmware": _activate_firmware,
}


def _generic(body: ET.Element) -> GenericBody:
    values: list[tuple[str, str]] = []
    stack: list[tuple[ET.Element, str]] = [(child, local_name(child.tag)) for child in reversed(body)]
    while stack:
        element, path = stack.pop()
        children = list(element)
        if children:
            stack.extend((child, f"{path}/{local_name(child.tag)}") for child in reversed(children))
        elif element.text is not None and element.text.strip():
            values.append((path, element.text.strip()))
    return GenericBody(name=local_name(body.tag), values=tuple(values))


def _header(root: ET.Element) -> RequestHeader:
    header = _child(root, "Header")
    if header is None:
        raise ValidationError("missing sr:Header")
    command_variant = _int(header, "CommandVariant", required=True)
    if command_variant is None:  # pragma: no cover - _int raises first
        raise ValidationError("missing sr:CommandVariant")
    reference = _required(header, "ServiceReference")
    variant = _required(header, "ServiceReferenceVariant")
    for what, value in (("ServiceReference", reference), ("ServiceReferenceVariant", variant)):
        if not _SRV.match(value):
            raise ValidationError(f"sr:{what} is not a service reference: {value[:20]!r}")
    if not variant.startswith(reference):
        raise ValidationError(f"ServiceReferenceVariant {variant} does not belong to ServiceReference {reference}")
    return RequestHeader(
        request_id=RequestId.parse(_required(header, "RequestID")),
        command_variant=command_variant,
        service_reference=reference,
        service_reference_variant=variant,
    )


def parse_request(data: bytes | str) -> DuisRequest:
    """Parse a DUIS service request; DuisXmlError or ValidationError (both DuisError) on bad input."""
    root = parse_xml(data)
    if root.tag != sr("Request"):
        raise ValidationError(f"root element is {root.tag[:80]!r}, expected {{{SR_NAMESPACE}}}Request")
    header = _header(root)
    body_element = _child(root, "Body")
    if body_element is None:
        raise ValidationError("missing sr:Body")
    children = list(body_element)
    if len(children) != 1:
        raise ValidationError(f"sr:Body must hold exactly one element, found {len(children)}")
    inner = children[0]
    name = local_name(inner.tag)
    parser = _BODY_PARSERS.get(name) if inner.tag == sr(name) else None
    try:
        body: RequestBody = parser(inner) if parser is not None else _generic(inner)
    except DuisError:
        raise
    except (ValueError, TypeError) as exc:  # defensive: never let a stdlib error out
        raise ValidationError(f"invalid sr:{name}: {exc}") from exc
    return DuisRequest(
        header=header,
        body_name=name,
        body=body,
        schema_version=root.get("schemaVersion"),
        signed=root.find("{http://www.w3.org/2000/09/xmldsig#}Signature") is not None,
    )
