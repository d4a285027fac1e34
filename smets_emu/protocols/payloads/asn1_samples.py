"""Sample ASN.1 payloads per GBCS message code built from scratch (GBCS 13.3): a placeholder certificate
and request, and a value per schema, for the corpus, the docs and the tests.
"""

from __future__ import annotations

from typing import Any

from smets_emu.errors import EncodeError, FrameError
from smets_emu.protocols.payloads.asn1_payload import Asn1Payload, decode_schema
from smets_emu.protocols.payloads.asn1_schemas import COMMAND, FAILURE_TO_DELIVER_SCHEMA, schema_for
from smets_emu.protocols.timestamps import DlmsDateTime

# --- sample payloads built from scratch ------------------------------------------------------

_SAMPLE_TIME = "20300115000000Z"
_SAMPLE_EUI = "00DB123456789098"
_SAMPLE_KEY_ID = "4F5688D7EC933BE2"
_AUTHORISING_ROLE = {
    0: "supplier", 1: "wanProvider", 2: "supplier", 3: "networkOperator", 4: None, 5: "wanProvider",
    6: "transitionalCoS", 7: "transitionalCoS", 8: "recovery", 9: None, 10: "loadController", 11: "supplier",
}
_TARGET_CELL: dict[int, dict[str, Any]] = {
    0: {"remotePartyRole": "root", "keyUsage": ["keyCertSign"]},
    1: {"remotePartyRole": "root", "keyUsage": ["keyCertSign"]},
    2: {"remotePartyRole": "supplier", "keyUsage": ["digitalSignature"]},
    3: {"remotePartyRole": "networkOperator", "keyUsage": ["digitalSignature"]},
    4: {"remotePartyRole": "accessControlBroker", "keyUsage": ["keyAgreement"]},
    5: {"remotePartyRole": "wanProvider", "keyUsage": ["digitalSignature"]},
    6: {"remotePartyRole": "transitionalCoS", "keyUsage": ["digitalSignature"]},
    7: {"remotePartyRole": "supplier", "keyUsage": ["digitalSignature"]},
    8: {"remotePartyRole": "supplier", "keyUsage": ["keyAgreement"], "cellUsage": "prePaymentTopUp"},
    9: {"remotePartyRole": "recovery", "keyUsage": ["digitalSignature"]},
    10: {"remotePartyRole": "loadController", "keyUsage": ["digitalSignature"]},
    11: {"remotePartyRole": "loadController", "keyUsage": ["digitalSignature"]},
}
_JOIN_METHOD = {0x000D: "methodAInitiator", 0x00AB: "methodAResponder", 0x000E: "methodB", 0x00AF: "methodC"}


def placeholder_certificate() -> bytes:
    """A minimal, well-formed SMKI-shaped organisation certificate (dummy key and signature)."""
    import datetime as dt

    from asn1crypto import x509

    utc = dt.UTC
    tbs = x509.TbsCertificate({
        "version": "v3",
        "serial_number": 1,
        "signature": {"algorithm": "sha256_ecdsa"},
        "issuer": x509.Name.build({"organizational_unit_name": "07", "common_name": "Z1"}),
        "validity": {
            "not_before": x509.Time({"utc_time": dt.datetime(2015, 1, 1, tzinfo=utc)}),
            "not_after": x509.Time({"general_time": dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=utc)}),
        },
        "subject": x509.Name.build({"organizational_unit_name": "02", "common_name": "SAMPLE"}),
        "subject_public_key_info": {
            "algorithm": {"algorithm": "ec", "parameters": ("named", "secp256r1")},
            "public_key": b"\x04" + bytes(range(1, 65)),
        },
        "extensions": [
            {"extn_id": "key_usage", "critical": True, "extn_value": {"digital_signature"}},
            {"extn_id": "key_identifier", "critical": False, "extn_value": bytes.fromhex(_SAMPLE_KEY_ID)},
        ],
    })
    cert = x509.Certificate({
        "tbs_certificate": tbs,
        "signature_algorithm": {"algorithm": "sha256_ecdsa"},
        "signature_value": bytes.fromhex("3006020101020101"),
    })
    return cert.dump(force=True)


def _placeholder_request() -> bytes:
    """A minimal PKCS#10 request for a device digital-signing key (dummy key and signature)."""
    from asn1crypto import csr, x509

    info = csr.CertificationRequestInfo({
        "version": "v1",
        "subject": x509.Name.build({}),
        "subject_pk_info": {
            "algorithm": {"algorithm": "ec", "parameters": ("named", "secp256r1")},
            "public_key": b"\x04" + bytes(range(1, 65)),
        },
        "attributes": [],
    })
    request = csr.CertificationRequest({
        "certification_request_info": info,
        "signature_algorithm": {"algorithm": "sha256_ecdsa"},
        "signature": bytes.fromhex("3006020101020101"),
    })
    return request.dump(force=True)


def _sample_outcome(mode: int) -> dict[str, Any]:
    cell = _TARGET_CELL[mode]
    return {
        "authorisingRemotePartySeqNumber": 1000,
        "credentialsReplacementMode": mode,
        "remotePartySeqNumberChanges": [{"remotePartyRole": cell["remotePartyRole"], "floorSeqNumber": 0}],
        "replacementOutcomes": [{
            "affectedTrustAnchorCell": cell,
            "statusCode": "success",
            "existingSubjectUniqueID": "90B3D51F30010000",
            "existingSubjectKeyID": "0102030405060708",
            "replacingSubjectUniqueID": "90B3D51F30010000",
            "replacingSubjectKeyID": _SAMPLE_KEY_ID,
        }],
    }


def _sample_value(schema: str, code: int, cert: dict[str, str]) -> Any:
    mode = {0x0125: 10, 0x0126: 11, 0x00CB: 2, 0x0124: 11}.get(code, code - 0x0100)
    log = [{"deviceId": _SAMPLE_EUI, "deviceType": "ppmid"}, {"deviceId": "00DB123456789099", "deviceType": "gsme"}]
    if schema in ("CS02aCommand", "CS02fCommand"):
        return {
            "authorisingRemotePartyTACellIdentifier": {
                "remotePartyRole": "accessControlBroker", "keyUsage": ["keyAgreement"]},
            "remotePartyRolesCredentialsRequired": ["supplier", "networkOperator"],
        }
    if schema in ("CS02aResponse", "CS02fResponse"):
        return [
            {"remotePartyRole": "supplier", "statusCode": "success", "currentSeqNumber": 0, "trustAnchorCellDetails": [
                {"keyUsage": ["digitalSignature"], "subjectUniqueID": "90B3D51F30010000",
                 "subjectKeyIdentifier": _SAMPLE_KEY_ID},
                {"keyUsage": ["keyAgreement"], "cellUsage": "prePaymentTopUp", "subjectUniqueID": "90B3D51F30010000",
                 "subjectKeyIdentifier": "0102030405060708"},
            ]},
            {"remotePartyRole": "networkOperator", "statusCode": "trustAnchorNotFound"},
        ]
    if schema in ("CS02bCommand", "CS02gCommand"):
        control: dict[str, Any] = {"credentialsReplacementMode": mode}
        if mode == 9:
            control["plaintextSymmetricKey"] = bytes(range(16)).hex().upper()
        if mode in (8, 9, 10):
            control["applyTimeBasedCPVChecks"] = "disapply"
        if _AUTHORISING_ROLE[mode] is not None:
            control["authorisingRemotePartyTACellIdentifier"] = {
                "remotePartyRole": _AUTHORISING_ROLE[mode], "keyUsage": ["digitalSignature"]}
        control["authorisingRemotePartySeqNumber"] = 1000
        control["newRemotePartyFloorSeqNumber"] = 0
        return {
            "authorisingRemotePartyControl": control,
            "replacements": [{"replacementCertificate": cert, "targetTrustAnchorCell": _TARGET_CELL[mode]}],
            "certificationPathCertificates": [cert],
        }
    if schema in ("CS02bResponse", "CS02gResponse"):
        return {"commandAccepted": None, "executionOutcome": _sample_outcome(mode)}
    if schema in ("CS02bAlert", "CS02gAlert"):
        return {"alertCode": "futureDatedCommandActioned", "executionDateTime": _SAMPLE_TIME,
                "executionOutcome": _sample_outcome(mode)}
    samples: dict[str, Any] = {
        "CS02cCommand": {"keyUsage": ["digitalSignature"]},
        "CS02cResponse": {"certificationRequest": {"der": _placeholder_request().hex().upper()}},
        "CS02dCommand": cert,
        "CS02dResponse": "success",
        "CS02eCommand": {"keyUsage": ["keyAgreement"]},
        "CS02eResponse": {"certificate": cert},
        "CS03Command": {"joinMethodAndRole": _JOIN_METHOD.get(code, "methodB"), "otherDeviceEntityId": _SAMPLE_EUI,
                        "otherDeviceType": "ppmid", **({"otherDeviceKACertificate": cert} if code == 0x00AF else {})},
        "CS03Response": "success",
        "CS04Command": _SAMPLE_EUI,
        "CS04Response": "success",
        "CS06Command": {"manufacturerImageHash": "A1" * 32, "originatorCounter": 1000},
        "CS06Response": {"executionOutcome": {"activateImageResponseCode": "success", "firmwareVersion": "0123ABCD"}},
        "CS06Alert": {"alertCode": "futureDatedCommandActioned", "executionDateTime": _SAMPLE_TIME,
                      "originatorCounter": 1001,
                      "executionOutcome": {"activateImageResponseCode": "success", "firmwareVersion": "0123ABCD"}},
        "CS07Command": None,
        "CS07Response": {"responseCode": "success", "deviceLogEntries": log},
        "CS08Command": None,
        "CS08Response": {"firmwareVersion": "0123ABCD", "responseCode": "success"},
        "CS09Alert": {"alertCode": "readFirmwareVersion", "executionDateTime": _SAMPLE_TIME,
                      "firmwareVersion": "0123ABCD", "activateImage": "success"},
        "CCS08Alert": {"alertCode": "firmwareTransferSuccess", "executionDateTime": _SAMPLE_TIME,
                       "entityId": _SAMPLE_EUI, "firmwareVersion": "0123ABCD", "responseCode": "success"},
        "GCS28Command": {"validityIntervalStart": "20300115000000Z", "validityIntervalEnd": "20300115010000Z"},
        "GCS28Response": {"deviceTime": "20300115000005Z", "deviceTimeStatus": "reliable"},
        "GCS59Command": {"deviceLogEntries": log},
        "GCS59Response": {"restoreOutcomes": [{"deviceLogEntry": e, "joinResponseCode": "success"} for e in log]},
        "GCS62Alert": {"alertCode": "gpfDeviceLogChanged", "backupDateTime": _SAMPLE_TIME, "deviceLogEntries": log},
        FAILURE_TO_DELIVER_SCHEMA: {
            "invokeId": 1,
            "alertCode": "failureToDeliverRemotePartyMessageToEsme",
            "timeStamp": DlmsDateTime(2030, 1, 15, 2, 0, 0, 0, 0, 0, 0).to_json(),
            "remotePartyMessage": {"businessOriginatorId": "90B3D51F30010000", "businessTargetId": "00DB1234567890A0",
                                   "craFlag": COMMAND, "originatorCounter": 1000},
        },
    }
    return samples[schema]


def sample_asn1(message_code: int, cra_flag: int, *, certificate: bytes | None = None) -> Asn1Payload:
    """A plausible payload for a known ASN.1 (message code, CRA flag), built from scratch.

    *certificate* (DER) goes wherever the payload carries a certificate; a minimal placeholder
    is used when it is None.
    """
    schema = schema_for(message_code, cra_flag)
    if schema is None:
        raise EncodeError(f"no ASN.1 schema for message code 0x{message_code:04X} CRA {cra_flag}")
    cert = {"der": (certificate if certificate is not None else placeholder_certificate()).hex().upper()}
    draft = Asn1Payload(schema, _sample_value(schema, message_code, cert), message_code, cra_flag)
    try:
        return decode_schema(draft.encode(), schema, message_code, cra_flag, ("der",))
    except FrameError as exc:
        raise EncodeError(f"sample {schema}: {exc}") from exc
