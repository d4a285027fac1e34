"""Typed values of the GBCS ASN.1 security credential payloads (GBCS 13.3.5, CS02a-CS02g).

The codec (:mod:`smets_emu.protocols.payloads.asn1`) shows a payload as a JSON-friendly tree for
the CLI; device logic works on these frozen dataclasses instead: roles, modes and status codes are
ints (IntEnums where the number is known), key usages are sets of :class:`KeyUsageBit`, entity ids,
key identifiers and certificates are bytes (certificates as their DER), times are UTC datetimes.

Payloads are read from the asn1crypto value the codec parsed (:func:`read`);
the responses and alerts a device builds become payloads with :func:`to_payload` (the model's value
tree, ``tree()``, is the form :class:`~smets_emu.protocols.payloads.asn1.Asn1Payload` encodes). The
named numbers are the enums of :mod:`smets_emu.protocols.payloads.asn1_enums`. The HAN join and device log
payloads (CS03, CS04, CS07, GCS59, GCS62) are in :mod:`smets_emu.protocols.payloads.asn1_join_models`,
CS02b/CS02g Update Security Credentials in :mod:`smets_emu.protocols.payloads.asn1_update_models`,
firmware and clock payloads (CS06, CS08, CS09, CCS08, GCS28, the 0x00D5 alert) in
:mod:`smets_emu.protocols.payloads.asn1_firmware_models`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, Self, TypeVar

from asn1crypto import core as asn1

from smets_emu.errors import EncodeError, FrameError
from smets_emu.protocols.payloads.asn1 import Asn1Payload, schema_for
from smets_emu.protocols.payloads.asn1_enums import CREDENTIAL_USAGES, CellUsage, KeyUsageBit
from smets_emu.protocols.roles import Role

GENERALIZED_TIME = "%Y%m%d%H%M%SZ"
"""GeneralizedTime text of whole UTC seconds, as devices write it."""


# --- reading asn1crypto values ------------------------------------------------------------


def bits_of(value: asn1.BitString) -> frozenset[int]:
    """The bit numbers set in a BIT STRING."""
    contents = value.contents or b""
    if not contents or contents[0] > 7 or (len(contents) == 1 and contents[0]):
        raise FrameError("malformed BIT STRING")
    count = (len(contents) - 1) * 8 - contents[0]
    return frozenset(i for i in range(count) if contents[1 + i // 8] >> (7 - i % 8) & 1)


def optional(value: asn1.Asn1Value) -> asn1.Asn1Value | None:
    """An OPTIONAL field, None when absent."""
    return None if isinstance(value, asn1.Void) else value


def parse_time(value: asn1.GeneralizedTime) -> dt.datetime:
    """A GeneralizedTime (``YYYYMMDDHHMMSS[.f]Z``) as an aware UTC datetime."""
    return parse_text_time(value.contents.decode("ascii"))


def parse_text_time(text: str) -> dt.datetime:
    """GeneralizedTime text (``YYYYMMDDHHMMSS[.f]Z``) as an aware UTC datetime."""
    whole, _, fraction = text.rstrip("Z").partition(".")
    moment = dt.datetime.strptime(whole, "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
    if fraction:
        moment += dt.timedelta(microseconds=round(float(f"0.{fraction}") * 1_000_000))
    return moment


def time_text(moment: dt.datetime) -> str:
    """GeneralizedTime text of whole UTC seconds."""
    return (moment.astimezone(dt.UTC) if moment.tzinfo else moment).strftime(GENERALIZED_TIME)


def _key_usage_tree(usage: frozenset[int]) -> list[int]:
    return sorted(usage)


# --- building blocks ----------------------------------------------------------------------


@dataclass(frozen=True)
class CellIdentifier:
    """TrustAnchorCellIdentifier: remote party role, key usage bits, cell usage (None: absent, management)."""

    role: int
    key_usage: frozenset[int]
    cell_usage: int | None = None

    @classmethod
    def from_asn1(cls, value: asn1.Asn1Value) -> CellIdentifier:
        cell_usage = optional(value["cellUsage"])
        return cls(int(value["remotePartyRole"]), bits_of(value["keyUsage"]),
                   None if cell_usage is None else int(cell_usage))

    @property
    def known_role(self) -> Role | None:
        """The role as :class:`Role`, None when the number names no role."""
        try:
            return Role(self.role)
        except ValueError:
            return None

    @property
    def single_usage(self) -> KeyUsageBit | None:
        """The one credential key usage named (exactly one of DS, KA, KCS set), else None."""
        if len(self.key_usage) == 1:
            (bit,) = self.key_usage
            if bit in CREDENTIAL_USAGES:
                return KeyUsageBit(bit)
        return None

    def tree(self) -> dict[str, Any]:
        """Value tree (cellUsage omitted for management, as devices send it)."""
        tree: dict[str, Any] = {"remotePartyRole": self.role, "keyUsage": _key_usage_tree(self.key_usage)}
        if self.cell_usage not in (None, CellUsage.MANAGEMENT):
            tree["cellUsage"] = self.cell_usage
        return tree


# --- CS02a / CS02f Provide Security Credential Details ---------------------------------------


@dataclass(frozen=True)
class ProvideSecurityCredentialDetailsCommand:
    """CS02a/CS02f command: the authorising cell and the roles whose credentials are asked for."""

    schemas: ClassVar[tuple[str, ...]] = ("CS02aCommand", "CS02fCommand")

    authorising_cell: CellIdentifier
    roles: tuple[int, ...]

    @classmethod
    def from_asn1(cls, value: asn1.Asn1Value) -> ProvideSecurityCredentialDetailsCommand:
        return cls(CellIdentifier.from_asn1(value["authorisingRemotePartyTACellIdentifier"]),
                   tuple(int(r) for r in value["remotePartyRolesCredentialsRequired"]))


@dataclass(frozen=True)
class CellDetails:
    """TrustAnchorCellContents: one cell of a role in a CS02a/CS02f response."""

    key_usage: frozenset[int]
    cell_usage: int | None
    subject_id: bytes
    subject_key_id: bytes

    def tree(self) -> dict[str, Any]:
        tree: dict[str, Any] = {"keyUsage": _key_usage_tree(self.key_usage)}
        if self.cell_usage not in (None, CellUsage.MANAGEMENT):
            tree["cellUsage"] = self.cell_usage
        tree["subjectUniqueID"] = self.subject_id.hex().upper()
        tree["subjectKeyIdentifier"] = self.subject_key_id.hex().upper()
        return tree


@dataclass(frozen=True)
class RemotePartyDetails:
    """RemotePartyDetails: the counter and cells of one role (present on success only)."""

    role: int
    status: int
    current_seq_number: int | None = None
    cells: tuple[CellDetails, ...] | None = None

    def tree(self) -> dict[str, Any]:
        tree: dict[str, Any] = {"remotePartyRole": self.role, "statusCode": self.status}
        if self.current_seq_number is not None:
            tree["currentSeqNumber"] = self.current_seq_number
        if self.cells is not None:
            tree["trustAnchorCellDetails"] = [c.tree() for c in self.cells]
        return tree


@dataclass(frozen=True)
class ProvideSecurityCredentialDetailsResponse:
    """CS02a/CS02f response: SEQUENCE OF RemotePartyDetails."""

    details: tuple[RemotePartyDetails, ...]

    def tree(self) -> list[dict[str, Any]]:
        return [d.tree() for d in self.details]


# --- CS02c / CS02d / CS02e -------------------------------------------------------------------


@dataclass(frozen=True)
class KeyUsageCommand:
    """CS02c Issue Security Credentials and CS02e Provide Device Certificate: the key usage asked for."""

    schemas: ClassVar[tuple[str, ...]] = ("CS02cCommand", "CS02eCommand")

    key_usage: frozenset[int]

    @classmethod
    def from_asn1(cls, value: asn1.Asn1Value) -> KeyUsageCommand:
        return cls(bits_of(value["keyUsage"]))

    @property
    def device_usage(self) -> str | None:
        """The device key pair named ("ds" or "ka"): exactly one of those bits, else None."""
        return {frozenset({KeyUsageBit.DIGITAL_SIGNATURE}): "ds",
                frozenset({KeyUsageBit.KEY_AGREEMENT}): "ka"}.get(self.key_usage)


@dataclass(frozen=True)
class CertificateCommand:
    """CS02d Update Device Certificate: the new device certificate (DER)."""

    schemas: ClassVar[tuple[str, ...]] = ("CS02dCommand",)

    certificate: bytes

    @classmethod
    def from_asn1(cls, value: asn1.Asn1Value) -> CertificateCommand:
        return cls(value.dump())


def der_or_code(alternative: str, der: bytes | None, code: int | None) -> dict[str, Any]:
    """The tree of a CHOICE between a DER object on success and a ``responseCode`` (CS02c, CS02e responses)."""
    return {"responseCode": code} if der is None else {alternative: {"der": der.hex()}}


@dataclass(frozen=True)
class IssueSecurityCredentialsResponse:
    """CS02c response: a PKCS#10 request (DER) on success, else a response code."""

    request: bytes | None = None
    code: int | None = None

    def tree(self) -> dict[str, Any]:
        return der_or_code("certificationRequest", self.request, self.code)


@dataclass(frozen=True)
class ProvideDeviceCertificateResponse:
    """CS02e response: the certificate (DER), else a response code."""

    certificate: bytes | None = None
    code: int | None = None

    def tree(self) -> dict[str, Any]:
        return der_or_code("certificate", self.certificate, self.code)


@dataclass(frozen=True)
class NullCommand:
    """A command whose content is NULL: CS07 Read Device Join Details, CS08 Read Firmware Version."""

    schemas: ClassVar[tuple[str, ...]] = ("CS07Command", "CS08Command")

    @classmethod
    def from_asn1(cls, value: asn1.Asn1Value) -> NullCommand:
        return cls()

    def tree(self) -> None:
        return None


@dataclass(frozen=True)
class CodeResponse:
    """A response that is one INTEGER code: CS02d, CS03 and CS04 (GBCS 13.3.4, 13.3.5)."""

    schemas: ClassVar[tuple[str, ...]] = ("CS02dResponse", "CS03Response", "CS04Response")

    code: int

    @classmethod
    def from_asn1(cls, value: asn1.Asn1Value) -> CodeResponse:
        return cls(int(value))

    def tree(self) -> int:
        return int(self.code)


class Asn1Model(Protocol):
    """A typed payload value that gives the codec its value tree."""

    def tree(self) -> Any: ...


def to_payload(model: Asn1Model, message_code: int, cra_flag: int, length_style: str = "der") -> Asn1Payload:
    """The ASN.1 payload of *model* under the schema of (*message_code*, *cra_flag*) (GBCS 7.2.10).

    The value is checked when the payload is encoded (once, when the message is built).
    """
    schema = schema_for(message_code, cra_flag)
    if schema is None:
        raise EncodeError(f"no ASN.1 schema for message code 0x{message_code:04X} CRA {cra_flag}")
    return Asn1Payload(schema, model.tree(), message_code, cra_flag, length_style)


class Readable(Protocol):
    """A typed payload value read from the asn1crypto value of one of its schemas."""

    schemas: ClassVar[tuple[str, ...]]

    @classmethod
    def from_asn1(cls, value: asn1.Asn1Value) -> Self: ...


_M = TypeVar("_M", bound=Readable)


def read(payload: object, model: type[_M]) -> _M:
    """*payload* as a *model* value: the payload must be of one of ``model.schemas``."""
    schemas = model.schemas
    if not isinstance(payload, Asn1Payload) or payload.schema not in schemas:
        raise FrameError(f"expected a {' or '.join(schemas)} payload")
    value = payload.asn1_value()
    try:
        return model.from_asn1(value)
    except (ValueError, TypeError, KeyError) as exc:
        raise FrameError(f"{payload.schema}: {exc}") from exc

