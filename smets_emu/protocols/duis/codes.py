"""DUIS response codes returned in the ``ResponseCode`` header field.

DUIS codes are ``I`` (information), ``W`` (warning) or ``E`` (error) plus a number; Service
Reference Variant specific codes are ``E`` + the SRV digits + a two-digit check number
(``E110101`` is SRV 11.1, check 01: firmware version not on the Central Products List).
``S1VE`` codes are the SMETS1 Service Provider validation errors returned through the DSP.

The ``X`` codes are not DUIS: this emulator uses them for input it refuses before DUIS
processing starts or for requests it does not implement, so they can never be mistaken for a
decision a real DCC would have made.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(enum.Enum):
    """The class of a response code, from its first letter."""

    INFORMATION = "I"
    WARNING = "W"
    ERROR = "E"


class ResponseCode(enum.StrEnum):
    """Response codes this emulator can return."""

    SUCCESS = "I0"
    ACKNOWLEDGEMENT = "I99"
    INVALID_USER_ROLE = "E1"
    USER_ROLE_NOT_PERMITTED_FOR_SRV = "E2"
    USER_NOT_AUTHORISED_FOR_DEVICE = "E4"
    INVALID_DEVICE_STATUS = "E5"
    SRV_NOT_COMPATIBLE_WITH_DEVICE = "E11"
    INVALID_COMMAND_VARIANT = "E12"
    DEVICE_DOES_NOT_EXIST = "E19"
    FIRMWARE_VERSION_NOT_ON_CPL = "E110101"
    S1SP_REGISTRATION_DATA_CHECK_FAILED = "S1VE4"
    S1SP_CERTIFICATE_OWNER_MISMATCH = "S1VE64"
    REQUEST_REFUSED = "X1"
    REQUEST_INVALID = "X2"
    NOT_SUPPORTED = "X3"
    NOT_SUPPORTED_FOR_SMETS2 = "X4"
    DEVICE_REFUSED = "X5"
    REQUEST_ID_REJECTED = "X6"

    @property
    def severity(self) -> Severity:
        """Information, warning or error (``S1VE`` and ``X`` codes are errors)."""
        first = self.value[0]
        if first in ("I", "W"):
            return Severity(first)
        return Severity.ERROR

    @property
    def is_success(self) -> bool:
        """Whether the request was accepted (an ``I`` code)."""
        return self.severity is Severity.INFORMATION

    @property
    def description(self) -> str:
        """A short description of the code."""
        return DESCRIPTIONS[self].text


@dataclass(frozen=True)
class CodeDescription:
    """What a code means and where it is defined."""

    text: str
    source: str


DESCRIPTIONS: dict[ResponseCode, CodeDescription] = {
    ResponseCode.SUCCESS: CodeDescription("Success: the request has had a successful outcome", "DUIS"),
    ResponseCode.ACKNOWLEDGEMENT: CodeDescription(
        "Acknowledgement: the request has been accepted and has passed access control", "DUIS"
    ),
    ResponseCode.INVALID_USER_ROLE: CodeDescription(
        "Failed authorisation: the User / User Role combination is not a valid SEC Party / User Role", "DUIS"
    ),
    ResponseCode.USER_ROLE_NOT_PERMITTED_FOR_SRV: CodeDescription(
        "Failed authorisation: the User Role is not permitted to send this Service Reference", "DUIS"
    ),
    ResponseCode.USER_NOT_AUTHORISED_FOR_DEVICE: CodeDescription(
        "Failed authorisation: the User / User Role is not authorised for the Device (Registration Data check)",
        "DUIS; SEC Appendix AB (SRPD) clause 6.1(f)",
    ),
    ResponseCode.INVALID_DEVICE_STATUS: CodeDescription(
        "Failed authorisation: the Device status is incompatible with the Service Reference", "DUIS"
    ),
    ResponseCode.SRV_NOT_COMPATIBLE_WITH_DEVICE: CodeDescription(
        "Failed validation: the Service Reference is not compatible with the specified Device", "DUIS"
    ),
    ResponseCode.INVALID_COMMAND_VARIANT: CodeDescription(
        "Failed validation: the Command Variant is not applicable to the request type", "DUIS"
    ),
    ResponseCode.DEVICE_DOES_NOT_EXIST: CodeDescription("Failed authorisation: the Device ID is not known", "DUIS"),
    ResponseCode.FIRMWARE_VERSION_NOT_ON_CPL: CodeDescription(
        "The firmware version does not match a Central Products List entry for the Device Model",
        "DCC PPCT fast-track conclusions (SRV 11.1 and 11.3 DSP validation)",
    ),
    ResponseCode.S1SP_REGISTRATION_DATA_CHECK_FAILED: CodeDescription(
        "SMETS1 Service Provider: the sender is not the registered party for the Device's MPAN/MPRN",
        "SECMP0107 FIA 4.2.1; SRPD clause 16.1",
    ),
    ResponseCode.S1SP_CERTIFICATE_OWNER_MISMATCH: CodeDescription(
        "SMETS1 Service Provider: the Business Originator ID does not own the certificate in the anchor slot",
        "SECMP0107 FIA 3.2 and 4.2.1; SEC Appendix AM (S1SR) clause 4.2",
    ),
    ResponseCode.REQUEST_REFUSED: CodeDescription(
        "Emulator: the XML was malformed, too large or too deep, or used a DTD or entity", "smets-emu"
    ),
    ResponseCode.REQUEST_INVALID: CodeDescription("Emulator: the XML is not a valid DUIS service request", "smets-emu"),
    ResponseCode.NOT_SUPPORTED: CodeDescription(
        "Emulator: this Service Reference Variant is not supported by the emulator", "smets-emu"
    ),
    ResponseCode.NOT_SUPPORTED_FOR_SMETS2: CodeDescription(
        "Emulator: this Service Reference Variant is not supported for SMETS2 devices yet", "smets-emu"
    ),
    ResponseCode.DEVICE_REFUSED: CodeDescription(
        "Emulator: the SMETS1 device refused the command after the S1SP accepted it", "smets-emu"
    ),
    ResponseCode.REQUEST_ID_REJECTED: CodeDescription(
        "Emulator: the RequestID counter is not above the last one accepted for this sender and target, or "
        "outside the window around the time-based counter of now; nothing was sent to the device",
        "smets-emu (the DCC validates RequestID counters too; its response code for this is not in the "
        "reference material this project holds)",
    ),
}
