"""The GBCS ASN.1 schema table (GBCS 13.3; digest 5.6, 5.7, 5.9): per use case its command, response
and alert types (the asn1crypto classes of :mod:`.asn1_types`) by message code and CRA flag.
"""

from __future__ import annotations

from collections.abc import Iterable

from asn1crypto import core as asn1
from asn1crypto.x509 import Certificate

from smets_emu.protocols.payloads import asn1_types as t

FAMILY = "asn1"
GENERIC_SCHEMA = "GenericDer"
FAILURE_TO_DELIVER_SCHEMA = "CS11FailureToDeliverAlert"

COMMAND, RESPONSE, ALERT = 1, 2, 3

# --- schema table ---------------------------------------------------------------------------

SCHEMA_CLASSES: dict[str, type[asn1.Asn1Value]] = {}
_TABLE: dict[tuple[int, int], str] = {}


def _register(schema: str, spec: type[asn1.Asn1Value], cra_flag: int, codes: Iterable[int]) -> None:
    if SCHEMA_CLASSES.setdefault(schema, spec) is not spec:
        raise RuntimeError(f"schema {schema} registered twice")
    for code in codes:
        if (code, cra_flag) in _TABLE:
            raise RuntimeError(f"message code 0x{code:04X} CRA {cra_flag} registered twice")
        _TABLE[code, cra_flag] = schema


def _use_case(name: str, codes: Iterable[int], command: type[asn1.Asn1Value] | None,
              response: type[asn1.Asn1Value] | None, alert: type[asn1.Asn1Value] | None = None,
              alert_codes: Iterable[int] = ()) -> None:
    """Register the schemas ``<name>Command``/``Response`` of a GBCS use case under its message *codes*, and its
    ``<name>Alert`` under *alert_codes* (the alert codes' message codes, CRA flag 3)."""
    codes = tuple(codes)
    for suffix, spec, cra_flag, keys in (("Command", command, COMMAND, codes), ("Response", response, RESPONSE, codes),
                                         ("Alert", alert, ALERT, alert_codes)):
        if spec is not None:
            _register(name + suffix, spec, cra_flag, keys)


_use_case("CS02a", (0x0008,), t.ProvideSecurityCredentialDetailsCommand, t.ProvideSecurityCredentialDetailsResponse)
_use_case("CS02f", (0x011B,), t.ProvideSecurityCredentialDetailsCommand, t.ProvideSecurityCredentialDetailsResponse)
_use_case("CS02b", range(0x0100, 0x010A), t.UpdateSecurityCredentialsCommand, t.UpdateSecurityCredentialsResponse,
          t.UpdateSecurityCredentialsAlert, (0x00CB,))
_use_case("CS02g", (0x0125, 0x0126), t.UpdateSecurityCredentialsCommand, t.UpdateSecurityCredentialsResponse,
          t.UpdateSecurityCredentialsAlert, (0x0124,))
_use_case("CS02c", (0x000A,), t.IssueSecurityCredentialsCommand, t.IssueSecurityCredentialsResponse)
_use_case("CS02d", (0x000B,), Certificate, t.UpdateDeviceCertificateResponseCode)
_use_case("CS02e", (0x000C,), t.ProvideDeviceCertificateCommand, t.ProvideDeviceCertificateResponse)
_use_case("CS03", (0x000D, 0x000E, 0x00AB, 0x00AF), t.JoinDeviceCommand, t.JoinResponseCode)
_use_case("CS04", (0x000F, 0x0010), t.EntityId, t.UnjoinResponseCode)
_use_case("CS06", (0x0012,), t.ActivateFirmwareCommand, t.ActivateFirmwareResponse, t.ActivateFirmwareAlert, (0x00CA,))
_use_case("CS07", (0x0013,), asn1.Null, t.ReadDeviceJoinDetailsResponse)
_use_case("CS08", (0x0129,), asn1.Null, t.ReadFirmwareVersionResponse)
_use_case("CS09", (), None, None, t.ReadFirmwareVersionAlert, (0x0129, 0x012B))
_use_case("CCS08", (), None, None, t.FirmwareTransferAlert, (0x0128,))
_use_case("GCS28", (0x007F,), t.SetTimeCommand, t.SetTimeResponse)
_use_case("GCS59", (0x008C,), t.GpfDeviceLogRestoreCommand, t.GpfDeviceLogRestoreResponse)
_use_case("GCS62", (), None, None, t.GpfDeviceLogBackupAlert, (0x00B2,))

FAILURE_TO_DELIVER_CODE = 0x00D5
"""Failure to Deliver Remote Party Message to ESME alert (alert code 0x8F84)."""

SCHEMA_TABLE: dict[tuple[int, int], str] = dict(_TABLE)
"""(message code, CRA flag) -> schema name."""

ASN1_MESSAGE_CODES: frozenset[int] = frozenset({code for code, _ in _TABLE} | {FAILURE_TO_DELIVER_CODE})
"""Message codes whose content belongs to the ASN.1 payload family."""


def schema_for(message_code: int, cra_flag: int) -> str | None:
    """The schema name for a message code and CRA flag, or None when unknown."""
    if (message_code, cra_flag) == (FAILURE_TO_DELIVER_CODE, ALERT):
        return FAILURE_TO_DELIVER_SCHEMA
    return SCHEMA_TABLE.get((message_code, cra_flag))
