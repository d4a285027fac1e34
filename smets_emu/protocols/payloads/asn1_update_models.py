"""Typed values of the CS02b/CS02g Update Security Credentials payloads (GBCS 13.3.5; message codes
0x0100-0x0109, 0x0125, 0x0126; future-dated outcome alerts 0x00CB, 0x0124).

Commands are read from the asn1crypto value the codec parsed (or from the stored DER of a
future-dated command); responses and alerts go back as the value trees the codec encodes, and a
remote party reads them back with :func:`~smets_emu.protocols.payloads.asn1_models.read`. See
:mod:`smets_emu.protocols.payloads.asn1_models` for the shared building blocks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, ClassVar

from asn1crypto import core as asn1

from smets_emu.errors import FrameError
from smets_emu.protocols.payloads import asn1_types as t
from smets_emu.protocols.payloads.asn1_enums import CpvChecks, StatusCode
from smets_emu.protocols.payloads.asn1_models import CellIdentifier, optional, parse_time, time_text


@dataclass(frozen=True)
class SpecialistSeqNumber:
    """SpecialistSeqNumber: a counter of a specialist usage (prepayment top-up 0)."""

    usage: int
    seq_number: int

    @classmethod
    def from_asn1(cls, value: asn1.Asn1Value) -> SpecialistSeqNumber:
        return cls(int(value["seqNumberUsage"]), int(value["seqNumber"]))

    def tree(self) -> dict[str, Any]:
        return {"seqNumberUsage": self.usage, "seqNumber": self.seq_number}


def _specialists(value: asn1.Asn1Value | None) -> tuple[SpecialistSeqNumber, ...] | None:
    return None if value is None else tuple(SpecialistSeqNumber.from_asn1(s) for s in value)


def _put_specialists(tree: dict[str, Any], key: str, specialists: tuple[SpecialistSeqNumber, ...] | None) -> None:
    """Add the SEQUENCE OF SpecialistSeqNumber under *key* when present (it is OPTIONAL wherever it stands)."""
    if specialists is not None:
        tree[key] = [s.tree() for s in specialists]


@dataclass(frozen=True)
class SeqNumberChange:
    """RemotePartySeqNumberChange: the new floor of one role's counter (and specialist counters)."""

    role: int
    floor: int
    specialist: tuple[SpecialistSeqNumber, ...] | None = None

    @classmethod
    def from_asn1(cls, value: asn1.Asn1Value) -> SeqNumberChange:
        return cls(int(value["remotePartyRole"]), int(value["floorSeqNumber"]),
                   _specialists(optional(value["specialistFloorSeqNumber"])))

    def tree(self) -> dict[str, Any]:
        tree: dict[str, Any] = {"remotePartyRole": self.role, "floorSeqNumber": self.floor}
        _put_specialists(tree, "specialistFloorSeqNumber", self.specialist)
        return tree


# --- CS02b / CS02g Update Security Credentials -----------------------------------------------


@dataclass(frozen=True)
class AuthorisingControl:
    """authorisingRemotePartyControl of a CS02b/CS02g command."""

    mode: int
    seq_number: int
    authorising_cell: CellIdentifier | None = None
    apply_time_based_checks: bool = True
    plaintext_symmetric_key: bytes | None = None
    new_floor: int | None = None
    new_specialist_floor: tuple[SpecialistSeqNumber, ...] | None = None
    other_changes: tuple[SeqNumberChange, ...] = ()

    @classmethod
    def from_asn1(cls, value: asn1.Asn1Value) -> AuthorisingControl:
        cell = optional(value["authorisingRemotePartyTACellIdentifier"])
        checks = optional(value["applyTimeBasedCPVChecks"])
        key = optional(value["plaintextSymmetricKey"])
        floor = optional(value["newRemotePartyFloorSeqNumber"])
        others = optional(value["otherRemotePartySeqNumberChanges"])
        return cls(
            mode=int(value["credentialsReplacementMode"]),
            seq_number=int(value["authorisingRemotePartySeqNumber"]),
            authorising_cell=None if cell is None else CellIdentifier.from_asn1(cell),
            apply_time_based_checks=checks is None or int(checks) == 0,
            plaintext_symmetric_key=None if key is None else bytes(key.contents),
            new_floor=None if floor is None else int(floor),
            new_specialist_floor=_specialists(optional(value["newRemotePartySpecialistFloorSeqNumber"])),
            other_changes=() if others is None else tuple(SeqNumberChange.from_asn1(c) for c in others),
        )

    def tree(self) -> dict[str, Any]:
        """Value tree; applyTimeBasedCPVChecks is written only to disapply them (absent: apply)."""
        tree: dict[str, Any] = {"credentialsReplacementMode": self.mode}
        if self.plaintext_symmetric_key is not None:
            tree["plaintextSymmetricKey"] = self.plaintext_symmetric_key.hex().upper()
        if not self.apply_time_based_checks:
            tree["applyTimeBasedCPVChecks"] = CpvChecks.DISAPPLY
        if self.authorising_cell is not None:
            tree["authorisingRemotePartyTACellIdentifier"] = self.authorising_cell.tree()
        tree["authorisingRemotePartySeqNumber"] = self.seq_number
        if self.new_floor is not None:
            tree["newRemotePartyFloorSeqNumber"] = self.new_floor
        _put_specialists(tree, "newRemotePartySpecialistFloorSeqNumber", self.new_specialist_floor)
        if self.other_changes:
            tree["otherRemotePartySeqNumberChanges"] = [c.tree() for c in self.other_changes]
        return tree


@dataclass(frozen=True)
class Replacement:
    """TrustAnchorReplacement: the new certificate (DER) and the cell it goes into."""

    certificate: bytes
    target: CellIdentifier

    def tree(self) -> dict[str, Any]:
        return {"replacementCertificate": {"der": self.certificate.hex().upper()},
                "targetTrustAnchorCell": self.target.tree()}


@dataclass(frozen=True)
class UpdateSecurityCredentialsCommand:
    """CS02b/CS02g command: control, replacements, certification path (DER) and execution time."""

    schemas: ClassVar[tuple[str, ...]] = ("CS02bCommand", "CS02gCommand")

    control: AuthorisingControl
    replacements: tuple[Replacement, ...]
    certification_path: tuple[bytes, ...]
    execution_time: dt.datetime | None = None

    @classmethod
    def from_asn1(cls, value: asn1.Asn1Value) -> UpdateSecurityCredentialsCommand:
        when = optional(value["executionDateTime"])
        return cls(
            control=AuthorisingControl.from_asn1(value["authorisingRemotePartyControl"]),
            replacements=tuple(
                Replacement(r["replacementCertificate"].dump(), CellIdentifier.from_asn1(r["targetTrustAnchorCell"]))
                for r in value["replacements"]
            ),
            certification_path=tuple(c.dump() for c in value["certificationPathCertificates"]),
            execution_time=None if when is None else parse_time(when),
        )

    def tree(self) -> dict[str, Any]:
        tree: dict[str, Any] = {
            "authorisingRemotePartyControl": self.control.tree(),
            "replacements": [r.tree() for r in self.replacements],
            "certificationPathCertificates": [{"der": c.hex().upper()} for c in self.certification_path],
        }
        if self.execution_time is not None:
            tree["executionDateTime"] = time_text(self.execution_time)
        return tree

    @classmethod
    def from_der(cls, der: bytes) -> UpdateSecurityCredentialsCommand:
        """From the command's DER content (a stored future-dated command)."""
        try:
            return cls.from_asn1(t.UpdateSecurityCredentialsCommand.load(der, strict=True))
        except (ValueError, TypeError, KeyError) as exc:
            raise FrameError(f"stored CS02b/CS02g command: {exc}") from exc


@dataclass(frozen=True)
class ReplacementOutcome:
    """ReplacementOutcome: what became of one affected trust anchor cell."""

    cell: CellIdentifier
    status: int
    existing_subject_id: bytes
    existing_key_id: bytes
    replacing_subject_id: bytes
    replacing_key_id: bytes

    @classmethod
    def from_asn1(cls, value: asn1.Asn1Value) -> ReplacementOutcome:
        return cls(CellIdentifier.from_asn1(value["affectedTrustAnchorCell"]), int(value["statusCode"]),
                   *(bytes(value[name].contents) for name in (
                       "existingSubjectUniqueID", "existingSubjectKeyID", "replacingSubjectUniqueID",
                       "replacingSubjectKeyID")))

    def tree(self) -> dict[str, Any]:
        return {
            "affectedTrustAnchorCell": self.cell.tree(),
            "statusCode": self.status,
            "existingSubjectUniqueID": self.existing_subject_id.hex().upper(),
            "existingSubjectKeyID": self.existing_key_id.hex().upper(),
            "replacingSubjectUniqueID": self.replacing_subject_id.hex().upper(),
            "replacingSubjectKeyID": self.replacing_key_id.hex().upper(),
        }


@dataclass(frozen=True)
class UpdateExecutionOutcome:
    """ExecutionOutcome of CS02b/CS02g (response or future-dated alert)."""

    seq_number: int
    mode: int
    seq_number_changes: tuple[SeqNumberChange, ...]
    outcomes: tuple[ReplacementOutcome, ...]

    @property
    def succeeded(self) -> bool:
        """True when every replacement succeeded."""
        return all(o.status == StatusCode.SUCCESS for o in self.outcomes)

    @classmethod
    def from_asn1(cls, value: asn1.Asn1Value) -> UpdateExecutionOutcome:
        return cls(int(value["authorisingRemotePartySeqNumber"]), int(value["credentialsReplacementMode"]),
                   tuple(SeqNumberChange.from_asn1(c) for c in value["remotePartySeqNumberChanges"]),
                   tuple(ReplacementOutcome.from_asn1(o) for o in value["replacementOutcomes"]))

    def tree(self) -> dict[str, Any]:
        return {
            "authorisingRemotePartySeqNumber": self.seq_number,
            "credentialsReplacementMode": self.mode,
            "remotePartySeqNumberChanges": [c.tree() for c in self.seq_number_changes],
            "replacementOutcomes": [o.tree() for o in self.outcomes],
        }


@dataclass(frozen=True)
class UpdateSecurityCredentialsResponse:
    """CS02b/CS02g response: command accepted, with the outcome unless future-dated."""

    schemas: ClassVar[tuple[str, ...]] = ("CS02bResponse", "CS02gResponse")

    outcome: UpdateExecutionOutcome | None = None

    @classmethod
    def from_asn1(cls, value: asn1.Asn1Value) -> UpdateSecurityCredentialsResponse:
        outcome = optional(value["executionOutcome"])
        return cls(None if outcome is None else UpdateExecutionOutcome.from_asn1(outcome))

    def tree(self) -> dict[str, Any]:
        tree: dict[str, Any] = {"commandAccepted": None}
        if self.outcome is not None:
            tree["executionOutcome"] = self.outcome.tree()
        return tree


@dataclass(frozen=True)
class UpdateSecurityCredentialsAlert:
    """Future-dated CS02b/CS02g outcome alert (0x00CB, 0x0124)."""

    schemas: ClassVar[tuple[str, ...]] = ("CS02bAlert", "CS02gAlert")

    alert_code: int
    execution_time: dt.datetime
    outcome: UpdateExecutionOutcome

    @classmethod
    def from_asn1(cls, value: asn1.Asn1Value) -> UpdateSecurityCredentialsAlert:
        return cls(int(value["alertCode"]), parse_time(value["executionDateTime"]),
                   UpdateExecutionOutcome.from_asn1(value["executionOutcome"]))

    def tree(self) -> dict[str, Any]:
        return {"alertCode": self.alert_code, "executionDateTime": time_text(self.execution_time),
                "executionOutcome": self.outcome.tree()}
