"""asn1crypto classes for the GBCS ASN.1 payload types (the ASN.1 definitions of the GBCS use cases).

Each class mirrors one GBCS ASN.1 type; named numbers sit in ``_map`` so that the payload
codec can show them by name, taken from the enums of :mod:`smets_emu.protocols.payloads.asn1_enums`
(one definition for the codec and the typed models). Certificates and certification requests stay
opaque DER (:class:`asn1crypto.x509.Certificate`, :class:`asn1crypto.csr.CertificationRequest`).
"""

from __future__ import annotations

from asn1crypto.core import (
    BitString,
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


def _named_integer(name: str, names: type[e.NamedNumber], doc: str, *, tag: int | None = None,
                   hex_numbers: bool = False) -> type[Integer]:
    """An INTEGER type (ENUMERATED with ``tag=10``) named *name* whose ``_map`` is the enum *names*; the
    GBCS ASN.1 declaration is *doc*."""
    attrs: dict[str, object] = {"__doc__": doc, "__module__": __name__, "_map": names.asn1_map()}
    if tag is not None:
        attrs["tag"] = tag
    if hex_numbers:
        attrs["hex_numbers"] = True
    return type(name, (Integer,), attrs)


# --- building blocks (shared GBCS ASN.1 types) ---------------------------------------------


class RemotePartyRole(Integer):
    """RemotePartyRole ::= INTEGER (GBCS); also the OU of organisation certificates."""

    _map = {int(role): name for role, name in e.ROLE_NAMES.items()}


class KeyUsage(BitString):
    """KeyUsage ::= BIT STRING, the X.509 named bits (RFC 5280 4.2.1.3); trailing zero bits dropped."""

    _map = e.KeyUsageBit.asn1_map()


CellUsage = _named_integer("CellUsage", e.CellUsage, "CellUsage ::= INTEGER { management(0), prePaymentTopUp(1) }.")


class TrustAnchorCellIdentifier(Sequence):
    """TrustAnchorCellIdentifier ::= SEQUENCE { remotePartyRole, keyUsage, cellUsage OPTIONAL }."""

    _fields = [
        ("remotePartyRole", RemotePartyRole),
        ("keyUsage", KeyUsage),
        ("cellUsage", CellUsage, {"optional": True}),
    ]


DeviceType = _named_integer("DeviceType", e.DeviceType, "DeviceType ::= INTEGER (CS03 join, device log entries).")


StatusCode = _named_integer(
    "StatusCode", e.StatusCode, "StatusCode ::= ENUMERATED (tag 10) of the CS02a/CS02b responses.", tag=10,
)


AlertCode = _named_integer(
    "AlertCode", e.AlertCode, "The GBCS alert code carried first in ASN.1 alert bodies (GBCS alert code table).",
    hex_numbers=True,
)


class EntityId(OctetString):
    """An EUI-64 entity identifier, OCTET STRING (SIZE(8))."""


class DeviceLogEntry(Sequence):
    """DeviceLogEntry ::= SEQUENCE { deviceId, deviceType } (CS07, GCS59, GCS62)."""

    _fields = [("deviceId", EntityId), ("deviceType", DeviceType)]


class DeviceLogEntries(SequenceOf):
    """SEQUENCE OF DeviceLogEntry."""

    _child_spec = DeviceLogEntry


class Certificates(SequenceOf):
    """SEQUENCE OF Certificate (X.509, SMKI profile)."""

    _child_spec = Certificate


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


CredentialsReplacementMode = _named_integer(
    "CredentialsReplacementMode", e.ReplacementMode,
    "CredentialsReplacementMode, one per message code 0x0100-0x0109, 0x0125, 0x0126.",
)


TimeBasedCpvChecks = _named_integer(
    "TimeBasedCpvChecks", e.CpvChecks, "applyTimeBasedCPVChecks ::= INTEGER { apply(0), disapply(1) }.",
)


SeqNumberUsage = _named_integer(
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


IssueSecurityCredentialsResponseCode = _named_integer(
    "IssueSecurityCredentialsResponseCode", e.IssueResponseCode, "CS02c failure codes.",
)


class IssueSecurityCredentialsResponse(Choice):
    """CS02c response: a PKCS#10 request on success, else a response code."""

    _alternatives = [
        ("certificationRequest", CertificationRequest),
        ("responseCode", IssueSecurityCredentialsResponseCode),
    ]


UpdateDeviceCertificateResponseCode = _named_integer(
    "UpdateDeviceCertificateResponseCode", e.UpdateDeviceCertificateCode, "CS02d response codes.",
)


class ProvideDeviceCertificateCommand(Sequence):
    """CS02e command: which device certificate to return."""

    _fields = [("keyUsage", KeyUsage)]


ProvideDeviceCertificateResponseCode = _named_integer(
    "ProvideDeviceCertificateResponseCode", e.ProvideCertificateCode, "CS02e failure codes.",
)


class ProvideDeviceCertificateResponse(Choice):
    """CS02e response: the certificate, else a response code."""

    _alternatives = [
        ("certificate", Certificate),
        ("responseCode", ProvideDeviceCertificateResponseCode),
    ]


# --- CS03 join, CS04 unjoin, CS07 ----------------------------------------------------------


JoinMethodAndRole = _named_integer("JoinMethodAndRole", e.JoinMethod, "joinMethodAndRole of the CS03 commands.")


class JoinDeviceCommand(Sequence):
    """CS03A1/CS03A2/CS03B/CS03C command; the KA certificate only for GSME-PPMID joins."""

    _fields = [
        ("joinMethodAndRole", JoinMethodAndRole),
        ("otherDeviceEntityId", EntityId),
        ("otherDeviceType", DeviceType),
        ("otherDeviceKACertificate", Certificate, {"optional": True}),
    ]


JoinResponseCode = _named_integer(
    "JoinResponseCode", e.JoinResponse, "CS03 response codes (also GCS59 joinResponseCode).",
)


UnjoinResponseCode = _named_integer("UnjoinResponseCode", e.UnjoinResponse, "CS04 response codes.")


ReadResponseCode = _named_integer("ReadResponseCode", e.ReadResponse, "responseCode of CS07 and CS08 responses.")


class ReadDeviceJoinDetailsResponse(Sequence):
    """CS07 response."""

    _fields = [
        ("responseCode", ReadResponseCode),
        ("deviceLogEntries", DeviceLogEntries, {"optional": True}),
    ]


# --- CS06 Activate Firmware ----------------------------------------------------------------


ActivateImageResponseCode = _named_integer(
    "ActivateImageResponseCode", e.ActivateImageCode, "activateImageResponseCode of the CS06 execution outcome.",
)


class ActivateFirmwareCommand(Sequence):
    """CS06 command; originatorCounter repeats the grouping-header counter."""

    _fields = [
        ("manufacturerImageHash", OctetString),
        ("originatorCounter", Integer),
        ("executionDateTime", GeneralizedTime, {"optional": True}),
    ]


class ActivateFirmwareExecutionOutcome(Sequence):
    """CS06 ExecutionOutcome."""

    _fields = [("activateImageResponseCode", ActivateImageResponseCode), ("firmwareVersion", OctetString)]


class ActivateFirmwareResponse(Choice):
    """CS06 response: NULL when future-dated, else the outcome."""

    _alternatives = [("commandAccepted", Null), ("executionOutcome", ActivateFirmwareExecutionOutcome)]


class ActivateFirmwareAlert(Sequence):
    """Future-dated CS06 outcome alert (message code 0x00CA)."""

    _fields = [
        ("alertCode", AlertCode),
        ("executionDateTime", GeneralizedTime),
        ("originatorCounter", Integer),
        ("executionOutcome", ActivateFirmwareExecutionOutcome),
    ]


# --- CS08 / CS09 / CCS08 -------------------------------------------------------------------


class ReadFirmwareVersionResponse(Sequence):
    """CS08 response."""

    _fields = [("firmwareVersion", OctetString), ("responseCode", ReadResponseCode)]


ActivateImageResult = _named_integer("ActivateImageResult", e.ActivateImageResult, "activateImage of the CS09 alert.")


class ReadFirmwareVersionAlert(Sequence):
    """CS09 PPMID/HCALCS firmware activation alert (0x012B)."""

    _fields = [
        ("alertCode", AlertCode),
        ("executionDateTime", GeneralizedTime),
        ("firmwareVersion", OctetString),
        ("activateImage", ActivateImageResult),
    ]


FirmwareTransferResponseCode = _named_integer("FirmwareTransferResponseCode", e.TransferCode, "CCS08 responseCode.")


class FirmwareTransferAlert(Sequence):
    """CCS08 Firmware Transfer Alert from the CHF (0x0128)."""

    _fields = [
        ("alertCode", AlertCode),
        ("executionDateTime", GeneralizedTime),
        ("entityId", EntityId),
        ("firmwareVersion", OctetString),
        ("responseCode", FirmwareTransferResponseCode),
    ]


# --- GCS28 set time, GCS59 / GCS62 GPF device log ------------------------------------------


class SetTimeCommand(Sequence):
    """GCS28 Set Clock command."""

    _fields = [("validityIntervalStart", GeneralizedTime), ("validityIntervalEnd", GeneralizedTime)]


DeviceTimeStatus = _named_integer("DeviceTimeStatus", e.DeviceTimeStatus, "deviceTimeStatus of the GCS28 response.")


class SetTimeResponse(Sequence):
    """GCS28 Set Clock response."""

    _fields = [("deviceTime", GeneralizedTime), ("deviceTimeStatus", DeviceTimeStatus)]


class GpfDeviceLogRestoreCommand(Sequence):
    """GCS59 Restore GPF Device Log command."""

    _fields = [("deviceLogEntries", DeviceLogEntries)]


class RestoreOutcome(Sequence):
    """One GCS59 restore outcome."""

    _fields = [("deviceLogEntry", DeviceLogEntry), ("joinResponseCode", JoinResponseCode)]


class RestoreOutcomes(SequenceOf):
    """SEQUENCE OF RestoreOutcome."""

    _child_spec = RestoreOutcome


class GpfDeviceLogRestoreResponse(Sequence):
    """GCS59 response."""

    _fields = [("restoreOutcomes", RestoreOutcomes)]


class GpfDeviceLogBackupAlert(Sequence):
    """GCS62 Backup GPF Device Log alert (0x00B2, alert 0x8071)."""

    _fields = [
        ("alertCode", AlertCode),
        ("backupDateTime", GeneralizedTime),
        ("deviceLogEntries", DeviceLogEntries),
    ]


OPAQUE_DER_TYPES: tuple[type, ...] = (Certificate, CertificationRequest)
"""Types carried as their DER bytes (rebuilt from hex), with readable fields alongside."""

