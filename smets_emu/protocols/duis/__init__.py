"""DUIS (DCC User Interface Specification) service requests and responses: XML <-> typed dataclasses."""

from smets_emu.protocols.duis.codes import ResponseCode, Severity
from smets_emu.protocols.duis.request import (
    ActivateFirmware,
    CredentialSet,
    DuisRequest,
    GenericBody,
    ReadFirmwareVersion,
    RemotePartyReplacement,
    RemotePartyRole,
    RequestHandover,
    RequestHeader,
    RequestId,
    RetrieveSecurityCredentialsKrp,
    UpdateFirmware,
    UpdateSecurityCredentialsCos,
    UpdateSecurityCredentialsKrp,
    format_eui,
    parse_eui,
)
from smets_emu.protocols.duis.request_xml import parse_request
from smets_emu.protocols.duis.response import (
    DuisResponse,
    ResponseElement,
    error_response,
    parse_response,
    response_to_xml,
)

__all__ = [
    "ActivateFirmware",
    "CredentialSet",
    "DuisRequest",
    "DuisResponse",
    "GenericBody",
    "ReadFirmwareVersion",
    "RemotePartyReplacement",
    "RemotePartyRole",
    "RequestHandover",
    "RequestHeader",
    "RequestId",
    "ResponseCode",
    "ResponseElement",
    "RetrieveSecurityCredentialsKrp",
    "Severity",
    "UpdateFirmware",
    "UpdateSecurityCredentialsCos",
    "UpdateSecurityCredentialsKrp",
    "error_response",
    "format_eui",
    "parse_eui",
    "parse_request",
    "parse_response",
    "response_to_xml",
]
