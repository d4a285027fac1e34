"""The device faults an RTDS ERROR scenario reports, set up on the emulated device before its command.

DLMS: the access the RTDS ``access-response`` marks ``hardware-fault`` (GBCS 7.2.4); GBZ: the
attribute records, Default Responses and response commands showing a failure; ASN.1 device
log (CS03/CS04/CS07/GCS59) and credential (CS02c/CS02e) failure codes.
"""

from __future__ import annotations

from typing import Any

from smets_emu.emulator.cosem import CosemModel
from smets_emu.emulator.state import DeviceState
from smets_emu.emulator.zcl.model import ZclModel
from smets_emu.protocols.message import Message
from smets_emu.protocols.payloads.asn1 import Asn1Payload
from smets_emu.protocols.payloads.dlms import AccessRequest, AccessRequestKind, AccessResponse, DataAccessResult
from smets_emu.protocols.payloads.gbz import GbzPayload
from smets_emu.protocols.payloads.zcl import ZclStatus

HARDWARE_FAULT = int(DataAccessResult.HARDWARE_FAULT)


def inject_dlms_fault(state: DeviceState, command: AccessRequest, response: AccessResponse) -> bool:
    """Set up the hardware fault an RTDS ERROR response shows on one access of the command."""
    model = CosemModel(state)
    for spec, result in zip(command.specifications, response.results, strict=False):
        if int(result.result) == HARDWARE_FAULT:
            kind = {AccessRequestKind.ACTION: "action", AccessRequestKind.SET: "set",
                    AccessRequestKind.SET_WITH_SELECTION: "set"}.get(spec.kind, "get")
            model.inject_fault(kind, spec.class_id, spec.instance, spec.member_id, HARDWARE_FAULT)
            return True
    return False


def gbz_failure_outcome(cluster: int, command: int, fields: dict[str, Any]) -> Any:
    """The success/failure indication carried inside a GBZ cluster response command, or None."""
    if (cluster, command) == (0x0705, 0x03):
        return ("result_type", fields.get("result_type"))
    if (cluster, command) == (0x0702, 0x0D):
        return ("sampling started", fields.get("sample_id") != 0xFFFF)
    if (cluster, command) == (0x0709, 0x02):
        return ("cleared", fields.get("cleared_event_logs") != 0)
    return None


def inject_gbz_faults(model: ZclModel, command: GbzPayload, expected: dict[str, Any]) -> bool:
    """Make the device fail where the RTDS error scenario's device failed (per component and attribute)."""
    by_seq = {c.header.sequence_number: c for c in command.components}
    injected = False
    for comp in expected.get("components", []):
        zcl = comp["zcl"]
        fields = zcl.get("fields") or (zcl.get("decrypted") or {}).get("fields") or {}
        sent = by_seq.get(zcl["sequence_number"])
        if sent is None:
            continue
        if zcl["frame_type"] == "PROFILE_WIDE" and zcl["command_id"] == 0x01:
            for record in fields.get("records", []):
                if record["status"] not in ("SUCCESS", "NOT_FOUND", "UNSUPPORTED_ATTRIBUTE"):
                    model.inject_attribute_fault(comp["cluster_id"], record["attribute_id"],
                                                 ZclStatus[record["status"]])
                    injected = True
        elif zcl["frame_type"] == "PROFILE_WIDE" and zcl["command_id"] == 0x0B:
            status = fields.get("status")
            if fields.get("command_id") != 0xFF and status not in ("SUCCESS", "NOT_FOUND"):
                model.inject_command_fault(sent.cluster_id, sent.header.command_id, ZclStatus[status],
                                           sent.header.sequence_number)
                injected = True
        elif (comp["cluster_id"], zcl["command_id"]) in ((0x0702, 0x0D), (0x0709, 0x02)):
            if gbz_failure_outcome(comp["cluster_id"], zcl["command_id"], fields)[1] is False:
                model.inject_command_fault(sent.cluster_id, sent.header.command_id, ZclStatus.HARDWARE_FAILURE)
                injected = True
    return injected


_DEVICE_LOG_FAULTS = {"readFailure": "read", "writeFailure": "write"}


def device_log_fault(expected: Message) -> str | None:
    """The device log fault an RTDS ASN.1 error response reports (``read``/``write``), or None."""
    value = expected.payload.value if isinstance(expected.payload, Asn1Payload) else None
    codes = [value] if isinstance(value, str) else []
    if isinstance(value, dict):
        codes.append(str(value.get("responseCode", "")))
        codes.extend(str(o.get("joinResponseCode", "")) for o in value.get("restoreOutcomes", []))
    for code in codes:
        fault = _DEVICE_LOG_FAULTS.get(code.split("(")[0])
        if fault:
            return fault
    return None


_CREDENTIAL_FAULTS: dict[tuple[str, str], str] = {
    ("CS02cResponse", "keyPairGenerationFailed"): "issue",
    ("CS02cResponse", "crProductionFailed"): "issue",
    ("CS02eResponse", "certificateRetrievalFailure"): "provide",
}
"""(response schema, responseCode) a device reports after an internal failure -> credential operation."""


def credential_fault_of(expected: Message) -> tuple[str, str] | None:
    """The credential fault (operation, response code name) an RTDS CS02c/CS02e error response reports."""
    payload = expected.payload
    if not isinstance(payload, Asn1Payload) or not isinstance(payload.value, dict):
        return None
    code = str(payload.value.get("responseCode", "")).split("(")[0]
    operation = _CREDENTIAL_FAULTS.get((payload.schema, code))
    return None if operation is None else (operation, code)
