"""asn1crypto classes for the GBCS ASN.1 payload types (the ASN.1 definitions of the GBCS use cases).

Each class mirrors one GBCS ASN.1 type; named numbers sit in ``_map`` so that the payload
codec can show them by name. Certificates and certification requests stay opaque DER
(:class:`asn1crypto.x509.Certificate`, :class:`asn1crypto.csr.CertificationRequest`).
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

# --- building blocks (shared GBCS ASN.1 types) ---------------------------------------------


class RemotePartyRole(Integer):
    """RemotePartyRole ::= INTEGER (GBCS); also the OU of organisation certificates."""

    _map = {
        0: "root",
        1: "recovery",
        2: "supplier",
        3: "networkOperator",
        4: "accessControlBroker",
        5: "transitionalCoS",
        6: "wanProvider",
        7: "issuingAuthority",
        8: "loadController",
        127: "other",
    }


class KeyUsage(BitString):
    """KeyUsage ::= BIT STRING, the X.509 named bits (RFC 5280 4.2.1.3); trailing zero bits dropped."""

    _map = {
        0: "digitalSignature",
        1: "nonRepudiation",
        2: "keyEncipherment",
        3: "dataEncipherment",
        4: "keyAgreement",
        5: "keyCertSign",
        6: "cRLSign",
        7: "encipherOnly",
        8: "decipherOnly",
    }


class CellUsage(Integer):
    """CellUsage ::= INTEGER { management(0), prePaymentTopUp(1) }."""

    _map = {0: "management", 1: "prePaymentTopUp"}


class TrustAnchorCellIdentifier(Sequence):
    """TrustAnchorCellIdentifier ::= SEQUENCE { remotePartyRole, keyUsage, cellUsage OPTIONAL }."""

    _fields = [
        ("remotePartyRole", RemotePartyRole),
        ("keyUsage", KeyUsage),
        ("cellUsage", CellUsage, {"optional": True}),
    ]


class DeviceType(Integer):
    """DeviceType ::= INTEGER (CS03 join, device log entries)."""

    _map = {0: "gsme", 1: "esme", 2: "chf", 3: "gpf", 4: "hcalcs", 5: "ppmid", 6: "type2Device"}


class StatusCode(Integer):
    """StatusCode ::= ENUMERATED (tag 10) of the CS02a/CS02b responses."""

    tag = 10
    _map = {
        0: "success",
        5: "badCertificate",
        10: "noTrustAnchor",
        17: "insufficientMemory",
        25: "trustAnchorNotFound",
        30: "resourcesBusy",
        127: "other",
    }


class AlertCode(Integer):
    """The GBCS alert code carried first in ASN.1 alert bodies (GBCS alert code table)."""

    hex_numbers = True

    _map = {
        0x8071: "gpfDeviceLogChanged",
        0x8F66: "futureDatedCommandActioned",
        0x8F67: "futureDatedCommandNotActioned",
        0x8F84: "failureToDeliverRemotePartyMessageToEsme",
        0x8F89: "firmwareTransferFailure",
        0x8F8A: "firmwareTransferSuccess",
        0x8F8B: "readFirmwareVersion",
    }


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


class CredentialsReplacementMode(Integer):
    """CredentialsReplacementMode, one per message code 0x0100-0x0109, 0x0125, 0x0126."""

    _map = {
        0: "rootBySupplier",
        1: "rootByWanProvider",
        2: "supplierBySupplier",
        3: "networkOperatorByNetworkOperator",
        4: "accessControlBrokerByACB",
        5: "wanProviderByWanProvider",
        6: "transCoSByTransCoS",
        7: "supplierByTransCoS",
        8: "anyExceptAbnormalRootByRecovery",
        9: "anyByContingency",
        10: "loadControllerByLoadController",
        11: "loadControllerBySupplier",
    }


class TimeBasedCpvChecks(Integer):
    """applyTimeBasedCPVChecks ::= INTEGER { apply(0), disapply(1) }."""

    _map = {0: "apply", 1: "disapply"}


class SeqNumberUsage(Integer):
    """SeqNumberUsage ::= INTEGER { prepaymentTopUp(0) }."""

    _map = {0: "prepaymentTopUp"}


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


class IssueSecurityCredentialsResponseCode(Integer):
    """CS02c failure codes."""

    _map = {1: "invalidKeyUsage", 2: "keyPairGenerationFailed", 3: "crProductionFailed"}


class IssueSecurityCredentialsResponse(Choice):
    """CS02c response: a PKCS#10 request on success, else a response code."""

    _alternatives = [
        ("certificationRequest", CertificationRequest),
        ("responseCode", IssueSecurityCredentialsResponseCode),
    ]


class UpdateDeviceCertificateResponseCode(Integer):
    """CS02d response codes."""

    _map = {
        0: "success",
        1: "invalidCertificate",
        2: "wrongDeviceIdentity",
        3: "invalidKeyUsage",
        4: "noCorrespondingKeyPairGenerated",
        5: "wrongPublicKey",
        6: "certificateStorageFailed",
        7: "privateKeyChangeFailed",
    }


class ProvideDeviceCertificateCommand(Sequence):
    """CS02e command: which device certificate to return."""

    _fields = [("keyUsage", KeyUsage)]


class ProvideDeviceCertificateResponseCode(Integer):
    """CS02e failure codes."""

    _map = {1: "invalidKeyUsage", 2: "noCertificateHeld", 3: "certificateRetrievalFailure"}


class ProvideDeviceCertificateResponse(Choice):
    """CS02e response: the certificate, else a response code."""

    _alternatives = [
        ("certificate", Certificate),
        ("responseCode", ProvideDeviceCertificateResponseCode),
    ]


# --- CS03 join, CS04 unjoin, CS07 ----------------------------------------------------------


class JoinMethodAndRole(Integer):
    """joinMethodAndRole of the CS03 commands."""

    _map = {0: "methodAInitiator", 1: "methodAResponder", 2: "methodB", 3: "methodC"}


class JoinDeviceCommand(Sequence):
    """CS03A1/CS03A2/CS03B/CS03C command; the KA certificate only for GSME-PPMID joins."""

    _fields = [
        ("joinMethodAndRole", JoinMethodAndRole),
        ("otherDeviceEntityId", EntityId),
        ("otherDeviceType", DeviceType),
        ("otherDeviceKACertificate", Certificate, {"optional": True}),
    ]


class JoinResponseCode(Integer):
    """CS03 response codes (also GCS59 joinResponseCode)."""

    _map = {
        0: "success",
        1: "invalidMessageCodeForJoinMethodAndRole",
        2: "invalidJoinMethodAndRole",
        3: "incompatibleWithExistingEntry",
        4: "deviceLogFull",
        5: "writeFailure",
        6: "keyAgreementNoResources",
        7: "keyAgreementUnknownIssuer",
        8: "keyAgreementUnsupportedSuite",
        9: "keyAgreementBadMessage",
        10: "keyAgreementBadKeyConfirm",
        11: "invalidOrMissingCertificate",
        12: "noPartnerLinkKeyReceived",
        13: "noCBKEResponse",
    }


class UnjoinResponseCode(Integer):
    """CS04 response codes."""

    _map = {0: "success", 1: "notInDeviceLog", 2: "otherFailure"}


class ReadResponseCode(Integer):
    """responseCode of CS07 and CS08 responses."""

    _map = {0: "success", 1: "readFailure"}


class ReadDeviceJoinDetailsResponse(Sequence):
    """CS07 response."""

    _fields = [
        ("responseCode", ReadResponseCode),
        ("deviceLogEntries", DeviceLogEntries, {"optional": True}),
    ]


# --- CS06 Activate Firmware ----------------------------------------------------------------


class ActivateImageResponseCode(Integer):
    """activateImageResponseCode of the CS06 execution outcome."""

    _map = {0: "success", 1: "noImageHeld", 2: "hashMismatch", 3: "activationFailure"}


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


class ActivateImageResult(Integer):
    """activateImage of the CS09 alert."""

    _map = {0: "success", 1: "failure"}


class ReadFirmwareVersionAlert(Sequence):
    """CS09 PPMID/HCALCS firmware activation alert (0x012B)."""

    _fields = [
        ("alertCode", AlertCode),
        ("executionDateTime", GeneralizedTime),
        ("firmwareVersion", OctetString),
        ("activateImage", ActivateImageResult),
    ]


class FirmwareTransferResponseCode(Integer):
    """CCS08 responseCode."""

    _map = {0: "success", 1: "imageDiscarded", 2: "hardwareVersionMismatch", 3: "fileTransferFailure"}


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


class DeviceTimeStatus(Integer):
    """deviceTimeStatus of the GCS28 response."""

    _map = {0: "reliable", 1: "invalid", 2: "unreliable"}


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

