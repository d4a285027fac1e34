"""DUIS service requests: XML to typed, frozen dataclasses.

A request is ``sr:Request`` with an ``sr:Header`` (RequestID, CommandVariant, ServiceReference,
ServiceReferenceVariant), an ``sr:Body`` holding one body element, and an optional
``ds:Signature``. The RequestID is ``<originator EUI>:<target EUI>:<counter>`` with EUIs as eight
hyphen-separated hex pairs; the originator EUI is the Business Originator ID.

Bodies the emulator acts on get their own dataclass; any other body is captured generically
(element name plus its leaf values by path) so every service request parses. The XML is read
by :func:`smets_emu.protocols.duis.request_xml.parse_request`.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import datetime

from smets_emu.errors import ValidationError
from smets_emu.protocols.roles import Role

EUI_PATTERN = re.compile(r"^[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){7}$")
MAX_COUNTER = 2**64 - 1


def parse_eui(text: str) -> bytes:
    """``90-B3-D5-1F-30-01-00-00`` to 8 bytes; ValidationError if malformed."""
    text = text.strip()
    if not EUI_PATTERN.match(text):
        raise ValidationError(f"not an EUI-64 (eight hyphen-separated hex pairs): {text[:40]!r}")
    return bytes.fromhex(text.replace("-", ""))


def format_eui(eui: bytes) -> str:
    """8 bytes to ``90-B3-D5-1F-30-01-00-00``."""
    return "-".join(f"{b:02X}" for b in eui)


class RemotePartyRole(enum.Enum):
    """DUIS ``RemotePartyRole`` spellings of the GBCS remote party roles (:class:`~smets_emu.protocols.roles.Role`)."""

    RECOVERY = ("Recovery", Role.RECOVERY)
    SUPPLIER = ("Supplier", Role.SUPPLIER)
    NETWORK_OPERATOR = ("NetworkOperator", Role.NETWORK_OPERATOR)
    ACCESS_CONTROL_BROKER = ("AccessControlBroker", Role.ACCESS_CONTROL_BROKER)
    TRANSITIONAL_COS = ("TransitionalCoS", Role.TRANSITIONAL_COS)
    WAN_PROVIDER = ("WANProvider", Role.WAN_PROVIDER)
    LOAD_CONTROLLER = ("LoadController", Role.LOAD_CONTROLLER)

    @property
    def duis_name(self) -> str:
        """The value as written in DUIS XML."""
        return str(self.value[0])

    @property
    def role(self) -> Role:
        """The GBCS remote party role this DUIS value names."""
        return Role(self.value[1])

    @property
    def gbcs_code(self) -> int:
        """The role code in the certificate subject OU (GBCS 12)."""
        return int(self.value[1])

    @classmethod
    def from_duis(cls, text: str) -> RemotePartyRole:
        """Parse a DUIS RemotePartyRole value; ValidationError if unknown."""
        for role in cls:
            if role.duis_name == text.strip():
                return role
        raise ValidationError(f"unknown RemotePartyRole {text[:40]!r}")

    @classmethod
    def from_gbcs(cls, code: int) -> RemotePartyRole | None:
        """The role with this GBCS code, or None."""
        for role in cls:
            if role.gbcs_code == code:
                return role
        return None


@dataclass(frozen=True)
class RequestId:
    """``RequestID``: originator EUI (Business Originator ID), target EUI and counter (DUIS 3.4)."""

    originator: bytes
    target: bytes
    counter: int

    @classmethod
    def parse(cls, text: str) -> RequestId:
        """Parse ``<EUI>:<EUI>:<counter>``; ValidationError if malformed."""
        parts = text.strip().split(":")
        if len(parts) != 3:
            raise ValidationError(f"RequestID must be originator:target:counter, got {text[:80]!r}")
        if not parts[2].isdigit() or len(parts[2]) > 20:
            raise ValidationError(f"RequestID counter is not a decimal integer: {parts[2][:30]!r}")
        counter = int(parts[2])
        if counter > MAX_COUNTER:
            raise ValidationError("RequestID counter exceeds 64 bits")
        return cls(parse_eui(parts[0]), parse_eui(parts[1]), counter)

    def __str__(self) -> str:
        return f"{format_eui(self.originator)}:{format_eui(self.target)}:{self.counter}"


@dataclass(frozen=True)
class RequestHeader:
    """The ``sr:Header`` of a service request."""

    request_id: RequestId
    command_variant: int
    service_reference: str
    service_reference_variant: str


@dataclass(frozen=True)
class CredentialSet:
    """Organisation certificates (DER) carried in a replacement-certificates element."""

    digital_signing: bytes | None = None
    key_agreement: bytes | None = None
    key_agreement_top_up: bytes | None = None

    def present(self) -> tuple[bytes, ...]:
        """The certificates that are present, signing first."""
        return tuple(c for c in (self.digital_signing, self.key_agreement, self.key_agreement_top_up) if c)


@dataclass(frozen=True)
class RemotePartyReplacement:
    """What SRVs 6.15.1 and 6.21 both carry: one remote party role's replacement certificates, the floor
    of its originator counter and the certification path (DUIS 3.8)."""

    remote_party_role: RemotePartyRole
    floor_seq_number: int | None
    replacement: CredentialSet
    certification_path: tuple[bytes, ...]


@dataclass(frozen=True)
class UpdateSecurityCredentialsKrp(RemotePartyReplacement):
    """SRV 6.15.1 Update Security Credentials (KRP): replace one remote party role's certificates."""

    execution_datetime: datetime | None = None


@dataclass(frozen=True)
class RequestHandover(RemotePartyReplacement):
    """SRV 6.21 Request Handover of DCC Controlled Device."""


@dataclass(frozen=True)
class UpdateSecurityCredentialsCos:
    """SRV 6.23 Update Security Credentials (CoS): the gaining supplier's certificates."""

    replacement: CredentialSet
    certification_path: tuple[bytes, ...]
    import_mpxn: str | None
    execution_datetime: datetime | None = None


@dataclass(frozen=True)
class RetrieveSecurityCredentialsKrp:
    """SRV 6.24.1 Retrieve Device Security Credentials (KRP)."""

    remote_party_roles: tuple[RemotePartyRole, ...]


@dataclass(frozen=True)
class UpdateFirmware:
    """SRV 11.1 Update Firmware (a non-device request to the DCC naming the target devices)."""

    firmware_image: bytes
    firmware_version: str
    device_ids: tuple[bytes, ...]


@dataclass(frozen=True)
class ReadFirmwareVersion:
    """SRV 11.2 Read Firmware Version."""


@dataclass(frozen=True)
class ActivateFirmware:
    """SRV 11.3 Activate Firmware."""

    firmware_hash: bytes
    execution_datetime: datetime | None = None


@dataclass(frozen=True)
class GenericBody:
    """Any other body: its element name and its leaf values as ``(path, text)`` pairs."""

    name: str
    values: tuple[tuple[str, str], ...] = field(default=())

    def get(self, path: str) -> str | None:
        """The first value at ``path`` (slash-separated local names below the body element)."""
        for key, value in self.values:
            if key == path:
                return value
        return None


RequestBody = (
    UpdateSecurityCredentialsKrp
    | RequestHandover
    | UpdateSecurityCredentialsCos
    | RetrieveSecurityCredentialsKrp
    | UpdateFirmware
    | ReadFirmwareVersion
    | ActivateFirmware
    | GenericBody
)


@dataclass(frozen=True)
class DuisRequest:
    """A parsed DUIS service request."""

    header: RequestHeader
    body_name: str
    body: RequestBody
    schema_version: str | None
    signed: bool

    @property
    def srv(self) -> str:
        """The Service Reference Variant, e.g. ``"6.15.1"``."""
        return self.header.service_reference_variant

    @property
    def originator(self) -> bytes:
        """The Business Originator ID (the sender's EUI)."""
        return self.header.request_id.originator

    @property
    def target(self) -> bytes:
        """The target EUI (a device, or the DCC for non-device requests)."""
        return self.header.request_id.target
