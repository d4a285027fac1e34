"""GBCS ASN.1 types of the security credential use cases as asn1crypto classes (GBCS 13.3.2-13.3.4):
CS02a/CS02f Provide Security Credential Details, CS02b/CS02g Update Security Credentials, CS02c Issue
Security Credentials, CS02d Update Device Certificate and CS02e Provide Device Certificate.
"""

from __future__ import annotations

from asn1crypto.core import (
    Choice,
    GeneralizedTime,
    Integer,
    Null,
    OctetString,
    Sequence,
    SequenceOf,
)
from asn1crypto.csr import CertificationRequest
from asn1crypto.x509 import Certificate

from smets_emu.protocols.payloads import asn1_enums as e
from smets_emu.protocols.payloads.asn1_common_types import (
    AlertCode,
    CellUsage,
    Certificates,
    EntityId,
    KeyUsage,
    RemotePartyRole,
    StatusCode,
    TrustAnchorCellIdentifier,
    named_integer,
)

# --- CS02a / CS02f Provide Security Credential Details -------------------------------------


class RemotePartyRoles(SequenceOf):
    """SEQUENCE OF RemotePartyRole."""

    _child_spec = RemotePartyRole


class ProvideSecurityCredentialDetailsCommand(Sequence):
    """CS02a/CS02f command."""

    _fields = [
        ("authorisingRemotePartyTACellIdentifier", TrustAnchorCellIdentifier),
        ("remotePartyRolesCredentialsRequired", RemotePartyRoles),
    ]


class TrustAnchorCellContents(Sequence):
    """One trust anchor cell of a RemotePartyDetails entry."""

    _fields = [
        ("keyUsage", KeyUsage),
        ("cellUsage", CellUsage, {"optional": True}),
        ("subjectUniqueID", EntityId),
        ("subjectKeyIdentifier", OctetString),
    ]


class TrustAnchorCellDetails(SequenceOf):
    """SEQUENCE OF TrustAnchorCellContents."""

    _child_spec = TrustAnchorCellContents


class RemotePartyDetails(Sequence):
    """RemotePartyDetails: the sequence number and cells are present only on success."""

    _fields = [
        ("remotePartyRole", RemotePartyRole),
        ("statusCode", StatusCode),
        ("currentSeqNumber", Integer, {"optional": True}),
        ("trustAnchorCellDetails", TrustAnchorCellDetails, {"optional": True}),
    ]


class ProvideSecurityCredentialDetailsResponse(SequenceOf):
    """CS02a/CS02f response: SEQUENCE OF RemotePartyDetails."""

    _child_spec = RemotePartyDetails


# --- CS02b / CS02g Update Security Credentials ---------------------------------------------


CredentialsReplacementMode = named_integer(
    "CredentialsReplacementMode", e.ReplacementMode,
    "CredentialsReplacementMode, one per message code 0x0100-0x0109, 0x0125, 0x0126.",
)


TimeBasedCpvChecks = named_integer(
    "TimeBasedCpvChecks", e.CpvChecks, "applyTimeBasedCPVChecks ::= INTEGER { apply(0), disapply(1) }.",
)


SeqNumberUsage = named_integer(
    "SeqNumberUsage", e.SeqNumberUsage, "SeqNumberUsage ::= INTEGER { prepaymentTopUp(0) }.",
)


class SpecialistSeqNumber(Sequence):
    """SpecialistSeqNumber ::= SEQUENCE { seqNumberUsage, seqNumber }."""

    _fields = [("seqNumberUsage", SeqNumberUsage), ("seqNumber", Integer)]


class SpecialistSeqNumbers(SequenceOf):
    """SEQUENCE OF SpecialistSeqNumber."""

    _child_spec = SpecialistSeqNumber


class RemotePartySeqNumberChange(Sequence):
    """RemotePartySeqNumberChange ::= SEQUENCE { remotePartyRole, floorSeqNumber, specialist... OPTIONAL }."""

    _fields = [
        ("remotePartyRole", RemotePartyRole),
        ("floorSeqNumber", Integer),
        ("specialistFloorSeqNumber", SpecialistSeqNumbers, {"optional": True}),
    ]


class RemotePartySeqNumberChanges(SequenceOf):
    """SEQUENCE OF RemotePartySeqNumberChange."""

    _child_spec = RemotePartySeqNumberChange


class AuthorisingRemotePartyControl(Sequence):
    """authorisingRemotePartyControl with its IMPLICIT context tags [0]..[6]."""

    _fields = [
        ("credentialsReplacementMode", CredentialsReplacementMode),
        ("plaintextSymmetricKey", OctetString, {"implicit": 0, "optional": True}),
        ("applyTimeBasedCPVChecks", TimeBasedCpvChecks, {"implicit": 1, "optional": True}),
        ("authorisingRemotePartyTACellIdentifier", TrustAnchorCellIdentifier, {"implicit": 2, "optional": True}),
        ("authorisingRemotePartySeqNumber", Integer, {"implicit": 3}),
        ("newRemotePartyFloorSeqNumber", Integer, {"implicit": 4, "optional": True}),
        ("newRemotePartySpecialistFloorSeqNumber", SpecialistSeqNumbers, {"implicit": 5, "optional": True}),
        ("otherRemotePartySeqNumberChanges", RemotePartySeqNumberChanges, {"implicit": 6, "optional": True}),
    ]


class TrustAnchorReplacement(Sequence):
    """One replacement: the new certificate and the cell it goes into."""

    _fields = [
        ("replacementCertificate", Certificate),
        ("targetTrustAnchorCell", TrustAnchorCellIdentifier),
    ]


class TrustAnchorReplacements(SequenceOf):
    """SEQUENCE OF TrustAnchorReplacement."""

    _child_spec = TrustAnchorReplacement


class UpdateSecurityCredentialsCommand(Sequence):
    """CS02b/CS02g command."""

    _fields = [
        ("authorisingRemotePartyControl", AuthorisingRemotePartyControl),
        ("replacements", TrustAnchorReplacements),
        ("certificationPathCertificates", Certificates),
        ("executionDateTime", GeneralizedTime, {"optional": True}),
    ]


class ReplacementOutcome(Sequence):
    """Outcome for one affected trust anchor cell."""

    _fields = [
        ("affectedTrustAnchorCell", TrustAnchorCellIdentifier),
        ("statusCode", StatusCode),
        ("existingSubjectUniqueID", EntityId),
        ("existingSubjectKeyID", OctetString),
        ("replacingSubjectUniqueID", EntityId),
        ("replacingSubjectKeyID", OctetString),
    ]


class ReplacementOutcomes(SequenceOf):
    """SEQUENCE OF ReplacementOutcome."""

    _child_spec = ReplacementOutcome


class UpdateSecurityCredentialsExecutionOutcome(Sequence):
    """ExecutionOutcome of CS02b/CS02g."""

    _fields = [
        ("authorisingRemotePartySeqNumber", Integer),
        ("credentialsReplacementMode", CredentialsReplacementMode),
        ("remotePartySeqNumberChanges", RemotePartySeqNumberChanges),
        ("replacementOutcomes", ReplacementOutcomes),
    ]


class UpdateSecurityCredentialsResponse(Sequence):
    """CS02b/CS02g response; the outcome is absent when the command is future-dated."""

    _fields = [
        ("commandAccepted", Null),
        ("executionOutcome", UpdateSecurityCredentialsExecutionOutcome, {"optional": True}),
    ]


class UpdateSecurityCredentialsAlert(Sequence):
    """Future-dated CS02b/CS02g outcome alert (message codes 0x00CB, 0x0124)."""

    _fields = [
        ("alertCode", AlertCode),
        ("executionDateTime", GeneralizedTime),
        ("executionOutcome", UpdateSecurityCredentialsExecutionOutcome),
    ]


# --- CS02c / CS02d / CS02e -----------------------------------------------------------------


class IssueSecurityCredentialsCommand(Sequence):
    """CS02c command: which key pair to generate."""

    _fields = [("keyUsage", KeyUsage)]


IssueSecurityCredentialsResponseCode = named_integer(
    "IssueSecurityCredentialsResponseCode", e.IssueResponseCode, "CS02c failure codes.",
)


class IssueSecurityCredentialsResponse(Choice):
    """CS02c response: a PKCS#10 request on success, else a response code."""

    _alternatives = [
        ("certificationRequest", CertificationRequest),
        ("responseCode", IssueSecurityCredentialsResponseCode),
    ]


UpdateDeviceCertificateResponseCode = named_integer(
    "UpdateDeviceCertificateResponseCode", e.UpdateDeviceCertificateCode, "CS02d response codes.",
)


class ProvideDeviceCertificateCommand(Sequence):
    """CS02e command: which device certificate to return."""

    _fields = [("keyUsage", KeyUsage)]


ProvideDeviceCertificateResponseCode = named_integer(
    "ProvideDeviceCertificateResponseCode", e.ProvideCertificateCode, "CS02e failure codes.",
)


class ProvideDeviceCertificateResponse(Choice):
    """CS02e response: the certificate, else a response code."""

    _alternatives = [
        ("certificate", Certificate),
        ("responseCode", ProvideDeviceCertificateResponseCode),
    ]
