"""Named numbers of the GBCS ASN.1 payloads (GBCS 13.3): one definition for the codec and the typed models.

Each enum member states its number and the name the GBCS ASN.1 module gives it; the asn1crypto
classes of :mod:`smets_emu.protocols.payloads.asn1_types` take their ``_map`` from here
(:meth:`NamedNumber.asn1_map`), and the typed models (:mod:`.asn1_models`, :mod:`.asn1_update_models`,
:mod:`.asn1_join_models`, :mod:`.asn1_firmware_models`) use the members. RemotePartyRole is
:class:`smets_emu.protocols.roles.Role`; :data:`ROLE_NAMES` gives its ASN.1 names.
"""

from __future__ import annotations

import enum

from smets_emu.protocols.roles import Role


class NamedNumber(enum.IntEnum):
    """An INTEGER / ENUMERATED value with its GBCS ASN.1 name: ``MEMBER = number, "asn1Name"``."""

    asn1_name: str

    def __new__(cls, value: int, asn1_name: str) -> NamedNumber:
        member = int.__new__(cls, value)
        member._value_ = value
        member.asn1_name = asn1_name
        return member

    @classmethod
    def asn1_map(cls) -> dict[int, str]:
        """Number -> ASN.1 name, the ``_map`` of the asn1crypto class."""
        return {int(member): member.asn1_name for member in cls}


def name_of(names: type[NamedNumber], code: int) -> str:
    """The ASN.1 name of *code* in *names*, or the number as text when it has none."""
    try:
        return names(code).asn1_name
    except ValueError:
        return str(code)


ROLE_NAMES: dict[Role, str] = {
    Role.ROOT: "root", Role.RECOVERY: "recovery", Role.SUPPLIER: "supplier",
    Role.NETWORK_OPERATOR: "networkOperator", Role.ACCESS_CONTROL_BROKER: "accessControlBroker",
    Role.TRANSITIONAL_COS: "transitionalCoS", Role.WAN_PROVIDER: "wanProvider",
    Role.ISSUING_AUTHORITY: "issuingAuthority", Role.LOAD_CONTROLLER: "loadController", Role.OTHER: "other",
}
"""ASN.1 names of RemotePartyRole (GBCS 13.3.2), keyed by the one role type."""


class KeyUsageBit(NamedNumber):
    """Named bits of KeyUsage (RFC 5280 4.2.1.3); GBCS credentials use DS (0), KA (4) and KCS (5)."""

    DIGITAL_SIGNATURE = 0, "digitalSignature"
    NON_REPUDIATION = 1, "nonRepudiation"
    KEY_ENCIPHERMENT = 2, "keyEncipherment"
    DATA_ENCIPHERMENT = 3, "dataEncipherment"
    KEY_AGREEMENT = 4, "keyAgreement"
    KEY_CERT_SIGN = 5, "keyCertSign"
    CRL_SIGN = 6, "cRLSign"
    ENCIPHER_ONLY = 7, "encipherOnly"
    DECIPHER_ONLY = 8, "decipherOnly"


CREDENTIAL_USAGES: frozenset[KeyUsageBit] = frozenset(
    {KeyUsageBit.DIGITAL_SIGNATURE, KeyUsageBit.KEY_AGREEMENT, KeyUsageBit.KEY_CERT_SIGN})
"""The key usages a trust anchor cell or device credential is named by (GBCS 13.3.2)."""


class CellUsage(NamedNumber):
    """CellUsage (GBCS 13.3.2): management or prepayment top-up."""

    MANAGEMENT = 0, "management"
    PREPAYMENT_TOP_UP = 1, "prePaymentTopUp"


class DeviceType(NamedNumber):
    """DeviceType INTEGER of join commands and device log entries (GBCS 13.3.4)."""

    GSME = 0, "gsme"
    ESME = 1, "esme"
    CHF = 2, "chf"
    GPF = 3, "gpf"
    HCALCS = 4, "hcalcs"
    PPMID = 5, "ppmid"
    TYPE2 = 6, "type2Device"


class StatusCode(NamedNumber):
    """StatusCode (ENUMERATED) of the CS02a/CS02b responses (GBCS 13.3.5)."""

    SUCCESS = 0, "success"
    BAD_CERTIFICATE = 5, "badCertificate"
    NO_TRUST_ANCHOR = 10, "noTrustAnchor"
    INSUFFICIENT_MEMORY = 17, "insufficientMemory"
    TRUST_ANCHOR_NOT_FOUND = 25, "trustAnchorNotFound"
    RESOURCES_BUSY = 30, "resourcesBusy"
    OTHER = 127, "other"


class AlertCode(NamedNumber):
    """The GBCS alert code carried first in ASN.1 alert bodies (GBCS alert code table)."""

    GPF_DEVICE_LOG_CHANGED = 0x8071, "gpfDeviceLogChanged"
    FUTURE_DATED_COMMAND_ACTIONED = 0x8F66, "futureDatedCommandActioned"
    FUTURE_DATED_COMMAND_NOT_ACTIONED = 0x8F67, "futureDatedCommandNotActioned"
    FAILURE_TO_DELIVER_REMOTE_PARTY_MESSAGE_TO_ESME = 0x8F84, "failureToDeliverRemotePartyMessageToEsme"
    FIRMWARE_TRANSFER_FAILURE = 0x8F89, "firmwareTransferFailure"
    FIRMWARE_TRANSFER_SUCCESS = 0x8F8A, "firmwareTransferSuccess"
    READ_FIRMWARE_VERSION = 0x8F8B, "readFirmwareVersion"


def future_dated_alert(actioned: bool) -> AlertCode:
    """0x8F66 when a future-dated command was actioned, else 0x8F67 (GBCS 13.3.5)."""
    return AlertCode.FUTURE_DATED_COMMAND_ACTIONED if actioned else AlertCode.FUTURE_DATED_COMMAND_NOT_ACTIONED


class ReplacementMode(NamedNumber):
    """credentialsReplacementMode of CS02b/CS02g, one per message code 0x0100-0x0109, 0x0125, 0x0126."""

    ROOT_BY_SUPPLIER = 0, "rootBySupplier"
    ROOT_BY_WAN_PROVIDER = 1, "rootByWanProvider"
    SUPPLIER_BY_SUPPLIER = 2, "supplierBySupplier"
    NETWORK_OPERATOR_BY_NETWORK_OPERATOR = 3, "networkOperatorByNetworkOperator"
    ACB_BY_ACB = 4, "accessControlBrokerByACB"
    WAN_PROVIDER_BY_WAN_PROVIDER = 5, "wanProviderByWanProvider"
    TRANS_COS_BY_TRANS_COS = 6, "transCoSByTransCoS"
    SUPPLIER_BY_TRANS_COS = 7, "supplierByTransCoS"
    ANY_EXCEPT_ABNORMAL_ROOT_BY_RECOVERY = 8, "anyExceptAbnormalRootByRecovery"
    ANY_BY_CONTINGENCY = 9, "anyByContingency"
    LOAD_CONTROLLER_BY_LOAD_CONTROLLER = 10, "loadControllerByLoadController"
    LOAD_CONTROLLER_BY_SUPPLIER = 11, "loadControllerBySupplier"


class CpvChecks(NamedNumber):
    """applyTimeBasedCPVChecks of CS02b/CS02g (absent: apply)."""

    APPLY = 0, "apply"
    DISAPPLY = 1, "disapply"


class SeqNumberUsage(NamedNumber):
    """SeqNumberUsage of SpecialistSeqNumber."""

    PREPAYMENT_TOP_UP = 0, "prepaymentTopUp"


class IssueResponseCode(NamedNumber):
    """CS02c failure codes."""

    INVALID_KEY_USAGE = 1, "invalidKeyUsage"
    KEY_PAIR_GENERATION_FAILED = 2, "keyPairGenerationFailed"
    CR_PRODUCTION_FAILED = 3, "crProductionFailed"


class UpdateDeviceCertificateCode(NamedNumber):
    """CS02d response codes."""

    SUCCESS = 0, "success"
    INVALID_CERTIFICATE = 1, "invalidCertificate"
    WRONG_DEVICE_IDENTITY = 2, "wrongDeviceIdentity"
    INVALID_KEY_USAGE = 3, "invalidKeyUsage"
    NO_CORRESPONDING_KEY_PAIR_GENERATED = 4, "noCorrespondingKeyPairGenerated"
    WRONG_PUBLIC_KEY = 5, "wrongPublicKey"
    CERTIFICATE_STORAGE_FAILED = 6, "certificateStorageFailed"
    PRIVATE_KEY_CHANGE_FAILED = 7, "privateKeyChangeFailed"


class ProvideCertificateCode(NamedNumber):
    """CS02e failure codes."""

    INVALID_KEY_USAGE = 1, "invalidKeyUsage"
    NO_CERTIFICATE_HELD = 2, "noCertificateHeld"
    CERTIFICATE_RETRIEVAL_FAILURE = 3, "certificateRetrievalFailure"


class JoinMethod(NamedNumber):
    """joinMethodAndRole of the CS03 commands (GBCS 13.3.4)."""

    METHOD_A_INITIATOR = 0, "methodAInitiator"
    METHOD_A_RESPONDER = 1, "methodAResponder"
    METHOD_B = 2, "methodB"
    METHOD_C = 3, "methodC"


class JoinResponse(NamedNumber):
    """CS03 response codes, also the GCS59 per-entry joinResponseCode."""

    SUCCESS = 0, "success"
    INVALID_MESSAGE_CODE_FOR_JOIN_METHOD_AND_ROLE = 1, "invalidMessageCodeForJoinMethodAndRole"
    INVALID_JOIN_METHOD_AND_ROLE = 2, "invalidJoinMethodAndRole"
    INCOMPATIBLE_WITH_EXISTING_ENTRY = 3, "incompatibleWithExistingEntry"
    DEVICE_LOG_FULL = 4, "deviceLogFull"
    WRITE_FAILURE = 5, "writeFailure"
    KEY_AGREEMENT_NO_RESOURCES = 6, "keyAgreementNoResources"
    KEY_AGREEMENT_UNKNOWN_ISSUER = 7, "keyAgreementUnknownIssuer"
    KEY_AGREEMENT_UNSUPPORTED_SUITE = 8, "keyAgreementUnsupportedSuite"
    KEY_AGREEMENT_BAD_MESSAGE = 9, "keyAgreementBadMessage"
    KEY_AGREEMENT_BAD_KEY_CONFIRM = 10, "keyAgreementBadKeyConfirm"
    INVALID_OR_MISSING_CERTIFICATE = 11, "invalidOrMissingCertificate"
    NO_PARTNER_LINK_KEY_RECEIVED = 12, "noPartnerLinkKeyReceived"
    NO_CBKE_RESPONSE = 13, "noCBKEResponse"


class UnjoinResponse(NamedNumber):
    """CS04 response codes (GBCS 13.3.5)."""

    SUCCESS = 0, "success"
    NOT_IN_DEVICE_LOG = 1, "notInDeviceLog"
    OTHER_FAILURE = 2, "otherFailure"


class ReadResponse(NamedNumber):
    """responseCode of the CS07 and CS08 responses."""

    SUCCESS = 0, "success"
    READ_FAILURE = 1, "readFailure"


class ActivateImageCode(NamedNumber):
    """activateImageResponseCode of the CS06 execution outcome (digest 5.6)."""

    SUCCESS = 0, "success"
    NO_IMAGE_HELD = 1, "noImageHeld"
    HASH_MISMATCH = 2, "hashMismatch"
    ACTIVATION_FAILURE = 3, "activationFailure"


class ActivateImageResult(NamedNumber):
    """activateImage of the CS09 alert."""

    SUCCESS = 0, "success"
    FAILURE = 1, "failure"


class TransferCode(NamedNumber):
    """CCS08 responseCode (digest 5.7)."""

    SUCCESS = 0, "success"
    IMAGE_DISCARDED = 1, "imageDiscarded"
    HARDWARE_VERSION_MISMATCH = 2, "hardwareVersionMismatch"
    FILE_TRANSFER_FAILURE = 3, "fileTransferFailure"


class DeviceTimeStatus(NamedNumber):
    """deviceTimeStatus of the GCS28 response."""

    RELIABLE = 0, "reliable"
    INVALID = 1, "invalid"
    UNRELIABLE = 2, "unreliable"
