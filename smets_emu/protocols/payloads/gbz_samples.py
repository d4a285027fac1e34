"""Sample GBZ payloads per GBCS message code (GBCS 7.5; digest 5.9, 5.10, 5.13): the command of each GBZ
use case with its response components, and the alerts, built from scratch for the corpus and the tests.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from smets_emu.errors import EncodeError
from smets_emu.protocols.payloads import zcl_clusters as clusters
from smets_emu.protocols.payloads.gbz_components import FutureDatedExecution, GbzComponent
from smets_emu.protocols.payloads.gbz_payload import GbzAlert, GbzPayload
from smets_emu.protocols.payloads.gbz_structs import AlertBody, GbzAlertCode, MeterIntegrityCode
from smets_emu.protocols.payloads.zcl import (
    ZclDirection,
    ZclFrameType,
    ZclHeader,
)

# --- sample builder ---------------------------------------------------------------------

_C2S = ZclDirection.CLIENT_TO_SERVER
_S2C = ZclDirection.SERVER_TO_CLIENT
_CS = ZclFrameType.CLUSTER_SPECIFIC
_PW = ZclFrameType.PROFILE_WIDE
_T2015 = 0x1C374A80


@dataclass(frozen=True)
class _Spec:
    cluster: int
    direction: ZclDirection
    command: int
    frame_type: ZclFrameType = _CS
    overrides: dict[str, Any] | None = None
    from_date_time: int | None = None


def _read(cluster: int, *attributes: int) -> _Spec:
    return _Spec(cluster, _C2S, 0x00, _PW, {"attribute_ids": list(attributes)})


def _push(cluster: int, command: int, **overrides: Any) -> _Spec:
    return _Spec(cluster, _S2C, command, _CS, overrides or None)


def _ask(cluster: int, command: int, from_date_time: int | None = None, **overrides: Any) -> _Spec:
    return _Spec(cluster, _C2S, command, _CS, overrides or None, from_date_time)


_PRICE, _METERING, _MESSAGING, _PREPAYMENT, _CALENDAR, _DEVICE_MGMT, _EVENTS = (
    0x0700, 0x0702, 0x0703, 0x0705, 0x0707, 0x0708, 0x0709,
)
_TARIFF = [
    _push(_CALENDAR, 0x00), _push(_CALENDAR, 0x01), _push(_CALENDAR, 0x02), _push(_CALENDAR, 0x03),
    _push(_CALENDAR, 0x04), _push(_PRICE, 0x04), _push(_PRICE, 0x05), _push(_PRICE, 0x06),
]
_SNAPSHOT = {"earliest_start_time": {"utc": _T2015}, "latest_end_time": {"utc": _T2015 + 86400},
             "snapshot_offset": 0, "snapshot_cause": 2}

_SAMPLE_COMMANDS: dict[int, list[_Spec]] = {
    0x0014: [_ask(_EVENTS, 0x00, event_control_log_id=0x13)],
    0x0015: [_ask(_EVENTS, 0x01, log_id=3)],
    0x006B: _TARIFF,
    0x006C: [_ask(_PREPAYMENT, 0x06, proposed_payment_control_configuration=0x0C94)],
    0x006D: [_ask(_PREPAYMENT, 0x06, proposed_payment_control_configuration=0x0897)],
    0x006E: [_ask(_PREPAYMENT, 0x02)],
    0x006F: [_ask(_PREPAYMENT, 0x03), _ask(_PREPAYMENT, 0x09), _ask(_PREPAYMENT, 0x0B), _ask(_PREPAYMENT, 0x0C)],
    0x0070: [_ask(_PREPAYMENT, 0x00)],
    0x0071: [_push(_MESSAGING, 0x00, message="Hello")],
    0x0072: [_push(_DEVICE_MGMT, 0x00)],
    0x0073: [_push(_DEVICE_MGMT, 0x02)],
    0x0074: [_read(_METERING, 0x0302, 0x0301, 0x0300, 0x0000)],
    0x0075: [_read(_PREPAYMENT, 0x0001, 0x0002, 0x0005), _read(_PRICE, 0x0617)],
    0x0076: [_ask(_METERING, 0x06, **_SNAPSHOT), _ask(_PREPAYMENT, 0x07, **_SNAPSHOT)],
    0x0077: [_ask(_METERING, 0x06, **_SNAPSHOT)],
    0x0078: [_ask(_METERING, 0x08, sample_type=0, number_of_samples=48)],
    0x0079: [_ask(_METERING, 0x08, sample_type=2, number_of_samples=24)],
    0x007B: [_read(_METERING, 0x0B13, 0x0B12, 0x0B11, 0x0B10, 0x0B14, 0x0B15)],
    0x007C: [_push(_PRICE, 0x02), _push(_PRICE, 0x03)],
    0x007D: [_ask(_METERING, 0x0E), _ask(_METERING, 0x0D)],
    0x007E: [_push(_PRICE, 0x09)],
    0x0080: [_ask(_METERING, 0x07)],
    0x0081: [_ask(_METERING, 0x0B, proposed_supply_status=2)],
    0x0082: [_read(_METERING, 0x0014)],
    0x0083: [_push(_DEVICE_MGMT, 0x06)],
    0x0084: [_read(_METERING, 0x0206)],
    0x0085: [_ask(_METERING, 0x0B, proposed_supply_status=1)],
    0x0086: [_ask(_PREPAYMENT, 0x05, credit_adjustment_type=0)],
    0x0087: [_push(_DEVICE_MGMT, 0x03)],
    0x0088: [_push(_DEVICE_MGMT, 0x01)],
    0x0089: [_read(_METERING, 0x0307)],
    0x008D: [_read(_PREPAYMENT, 0x0001)],
    0x0090: [_ask(_PREPAYMENT, 0x00, originating_device=2)],
    0x0096: [_ask(_PREPAYMENT, 0x07, **_SNAPSHOT)],
    0x0097: [_ask(_PREPAYMENT, 0x04, originating_device=0, top_up_code="73943165676475758640")],
    0x009B: [_ask(_PREPAYMENT, 0x04, originating_device=2, top_up_code="73941656880950804485")],
    0x009D: [_ask(_PRICE, 0x0B, earliest_start_time={"utc": 0}, min_issuer_event_id=0xFFFFFFFF)],
    0x009E: [_read(0x0000, 0x0004, 0x0005, 0x0003)],
    0x009F: [_read(_PRICE, 0x0202, 0x0203), _ask(_PRICE, 0x00), _ask(_CALENDAR, 0x01), _ask(_CALENDAR, 0x02),
             _ask(_CALENDAR, 0x03), _ask(_CALENDAR, 0x04)],
    0x00A0: [_ask(_METERING, 0x08, sample_type=0, number_of_samples=731)],
    0x00A1: [_ask(_EVENTS, 0x00, event_control_log_id=0x04)],
    0x00A3: [_push(_PRICE, 0x05), _push(_PRICE, 0x06)],
    0x00AD: [_push(_DEVICE_MGMT, 0x04)],
    0x00B4: [_ask(_PREPAYMENT, 0x05, credit_adjustment_type=1)],
    0x00B5: [_read(_PREPAYMENT, 0x0239, 0x0006, 0x0216), _read(_PRICE, 0x0617)],  # as the RTDS GCS21b reads
    0x00B6: [_read(_METERING, 0x0100, 0x0102, 0x0104, 0x0106)],
    0x00B8: [_read(_METERING, 0x0700, 0x0701, 0x0702, 0x0703)],
    0x00BF: [_read(_PREPAYMENT, 0x0000)],
    0x00C0: [_ask(_PREPAYMENT, 0x05, credit_adjustment_type=3)],
    0x00C2: [_ask(_PREPAYMENT, 0x05, credit_adjustment_type=2)],
    0x00C3: [_ask(_METERING, 0x06, **_SNAPSHOT), _ask(_PREPAYMENT, 0x07, **_SNAPSHOT)],
    0x00C4: [_ask(_PREPAYMENT, 0x0A, from_date_time=_T2015, number_of_debts=10, debt_type=2)],
    0x00C5: [_ask(_PREPAYMENT, 0x08, from_date_time=_T2015, number_of_records=5)],
    0x00D8: [_push(_PRICE, 0x09)],
    0x00DA: [_ask(_PRICE, 0x0B, earliest_start_time={"utc": 0}, min_issuer_event_id=0xFFFFFFFF)],
    0x00F1: [_push(_DEVICE_MGMT, 0x05, event_id=0x81FF)],
    0x00FB: [_read(0x0000, 0x0004, 0x0005), _read(_METERING, 0x0608)],
    0x00FC: [_ask(_METERING, 0x0E), _ask(_METERING, 0x0D)],
    0x012A: [_read(_PREPAYMENT, 0x0001), _read(_METERING, 0x0A00)],
}
"""One plausible command per GBZ use case (GBCS use case definitions; shapes as seen in GBCS test data)."""

_ENCRYPTED_RESPONSES = frozenset({0x0074, 0x0075, 0x0076, 0x0077, 0x0078, 0x0079, 0x0096, 0x00A0,
                                  0x00B6, 0x00B8, 0x00C3, 0x00C4})
"""Use cases whose response carries encrypted components (GBCS 7.5, digest 3.6)."""

_RESPONSE_OF: dict[tuple[int, int], int] = {
    (_PRICE, 0x00): 0x00, (_PRICE, 0x0B): 0x09,
    (_METERING, 0x06): 0x06, (_METERING, 0x07): 0x0D, (_METERING, 0x08): 0x07, (_METERING, 0x0B): 0x0C,
    (_PREPAYMENT, 0x04): 0x03, (_PREPAYMENT, 0x06): 0x02, (_PREPAYMENT, 0x07): 0x01, (_PREPAYMENT, 0x08): 0x05,
    (_PREPAYMENT, 0x0A): 0x06,
    (_CALENDAR, 0x00): 0x00, (_CALENDAR, 0x01): 0x01, (_CALENDAR, 0x02): 0x02, (_CALENDAR, 0x03): 0x03,
    (_CALENDAR, 0x04): 0x04,
    (_EVENTS, 0x00): 0x01, (_EVENTS, 0x01): 0x02,
}
"""Cluster command -> the server's answering command id (SE 1.4 Annex D)."""

_ATTRIBUTE_SAMPLES: dict[tuple[int, int], tuple[str, Any]] = {
    (_METERING, 0x0000): ("UINT48", 1234567), (_METERING, 0x0206): ("OCTET_STRING", "0123ABCD"),
    (_METERING, 0x0300): ("ENUM8", 1), (_METERING, 0x0301): ("UINT24", 1), (_METERING, 0x0302): ("UINT24", 1000),
    (_METERING, 0x0307): ("OCTET_STRING", "31323334353637383930"), (_METERING, 0x0014): ("ENUM8", 1),
    (_METERING, 0x0608): ("ENUM8", 0), (_PRICE, 0x0617): ("BITMAP8", 0x50),
    (0x0000, 0x0003): ("UINT8", 1), (0x0000, 0x0004): ("CHARACTER_STRING", "Manufacturer"),
    (0x0000, 0x0005): ("CHARACTER_STRING", "GSME model"),
    (_PREPAYMENT, 0x0000): ("BITMAP16", 0x0C94), (_PREPAYMENT, 0x0001): ("INT32", 2500000),
}


def _spec_fields(spec: _Spec) -> dict[str, Any]:
    if spec.frame_type == _PW:
        return dict(spec.overrides or {})
    _name, grammar = clusters.CLUSTER_COMMANDS[(spec.cluster, spec.direction, spec.command)]
    fields = clusters.example_fields(grammar)
    fields.update(spec.overrides or {})
    return fields


_SAMPLE_ENCRYPTOR: ContextVar[Callable[[bytes], bytes] | None] = ContextVar("sample_encryptor", default=None)


def _fake_ciphered(plaintext: bytes, seed: bytes) -> bytes:
    stream = hashlib.sha256(seed).digest()
    while len(stream) < len(plaintext) + 12:
        stream += hashlib.sha256(stream).digest()
    cipher = bytes(p ^ k for p, k in zip(plaintext, stream, strict=False))
    return b"\x31\x00\x00\x00\x00" + cipher + stream[len(plaintext):len(plaintext) + 12]


def _component(cluster: int, header: ZclHeader, fields: dict[str, Any], *, encrypt: bool = False,
               from_date_time: int | None = None) -> GbzComponent:
    plaintext = clusters.encode_command(cluster, header, fields)
    if not encrypt:
        canonical = clusters.decode_command(cluster, header, plaintext)
        return GbzComponent(cluster, header, fields=canonical if canonical is not None else fields,
                            from_date_time=from_date_time)
    encryptor = _SAMPLE_ENCRYPTOR.get()
    if encryptor is not None:
        blob = encryptor(plaintext)
    else:
        blob = _fake_ciphered(
            plaintext, bytes([cluster >> 8, cluster & 0xFF, header.command_id, header.sequence_number])
        )
    return GbzComponent(cluster, header, ciphered_information=blob, from_date_time=from_date_time)


def _response_to(spec: _Spec, seq: int, encrypt: bool) -> GbzComponent:
    if spec.frame_type == _PW:
        records = []
        for attribute in (spec.overrides or {}).get("attribute_ids", []):
            kind, value = _ATTRIBUTE_SAMPLES.get((spec.cluster, attribute), ("UINT32", 0))
            records.append({"attribute_id": attribute, "status": "SUCCESS", "type": kind, "value": value})
        header = ZclHeader(_PW, _S2C, seq, 0x01, disable_default_response=encrypt)
        return _component(spec.cluster, header, {"records": records}, encrypt=encrypt)
    if spec.direction == _S2C:
        header = ZclHeader(_PW, _C2S, seq, 0x0B)
        return _component(spec.cluster, header, {"command_id": spec.command, "status": "SUCCESS"})
    answer = _RESPONSE_OF.get((spec.cluster, spec.command))
    if answer is None:
        header = ZclHeader(_PW, _S2C, seq, 0x0B)
        return _component(spec.cluster, header, {"command_id": spec.command, "status": "SUCCESS"})
    header = ZclHeader(_CS, _S2C, seq, answer, disable_default_response=encrypt)
    _name, grammar = clusters.CLUSTER_COMMANDS[(spec.cluster, _S2C, answer)]
    return _component(spec.cluster, header, clusters.example_fields(grammar), encrypt=encrypt)


def _with_last(components: list[GbzComponent]) -> tuple[GbzComponent, ...]:
    out = []
    for index, comp in enumerate(components):
        out.append(GbzComponent(
            comp.cluster_id, comp.header, comp.fields, comp.payload, comp.ciphered_information,
            comp.from_date_time, last=index == len(components) - 1,
        ))
    return tuple(out)


def _sample_alert(message_code: int) -> GbzPayload:
    if message_code == 0x00CD:
        details = FutureDatedExecution(0x006B, 0x03ED, _PRICE, _CS, _S2C, 0x05)
        alert = GbzAlert(GbzAlertCode.FUTURE_DATED_COMMAND_ACTIONED, _T2015 + 0x1C4B4610,
                         AlertBody.FUTURE_DATED, future_dated=details)
        return GbzPayload(alert=alert, form="alert")
    if message_code == 0x00CF:
        alert = GbzAlert(GbzAlertCode.FIRMWARE_VERIFICATION_SUCCESSFUL, _T2015, AlertBody.FIRMWARE_RECEIPT,
                         image_hash=hashlib.sha256(b"manufacturer image").digest())
        return GbzPayload(alert=alert, form="alert")
    if message_code == 0x00F2:
        alert = GbzAlert(GbzAlertCode.METER_INTEGRITY_ISSUE_WARNING, _T2015, AlertBody.METER_INTEGRITY,
                         integrity_code=MeterIntegrityCode.UNEXPECTED_HARDWARE_RESET)
        return GbzPayload(alert=alert, form="alert")
    if message_code == 0x008B:
        header = ZclHeader(_CS, _S2C, 0, 0x06, disable_default_response=True)
        _name, grammar = clusters.CLUSTER_COMMANDS[(_METERING, _S2C, 0x06)]
        comp = _component(_METERING, header, clusters.example_fields(grammar), encrypt=True)
        alert = GbzAlert(GbzAlertCode.BILLING_DATA_LOG_UPDATED, _T2015)
        return GbzPayload(components=_with_last([comp]), alert=alert, form="alert")
    code = (GbzAlertCode.SOURCE_DOES_NOT_HAVE_AUTHORITY if message_code == 0x1000
            else GbzAlertCode.CREDIT_ADDED_LOCALLY)
    return GbzPayload(alert=GbzAlert(code, _T2015), form="alert")


def sample_gbz(
    message_code: int, cra_flag: int, *, encrypt: Callable[[bytes], bytes] | None = None
) -> GbzPayload:
    """A plausible GBZ payload for a message code and CRA flag, built from scratch.

    ``encrypt`` turns a plaintext ZCL payload into a protected blob (GBCS 7.3.3); without it
    encrypted components carry a placeholder that no key decrypts.

    Commands carry one component per ZCL command of the use case; responses answer each
    component (Default Response to pushes, Read Attributes Response, or the cluster's response
    command, encrypted where GBCS encrypts it with a placeholder ciphertext). Alerts: 0x00CD,
    0x00CF, 0x00F2, 0x008B and the generic 0x1000/0x1001.
    """
    token = _SAMPLE_ENCRYPTOR.set(encrypt)
    try:
        return _sample(message_code, cra_flag)
    finally:
        _SAMPLE_ENCRYPTOR.reset(token)


def _sample(message_code: int, cra_flag: int) -> GbzPayload:
    if cra_flag == 3:
        if message_code not in {0x00CD, 0x00CF, 0x00F2, 0x008B, 0x1000, 0x1001}:
            raise EncodeError(f"no GBZ alert sample for message code 0x{message_code:04X}")
        return _sample_alert(message_code)
    specs = _SAMPLE_COMMANDS.get(message_code)
    if specs is None or cra_flag not in (1, 2):
        raise EncodeError(f"no GBZ sample for message code 0x{message_code:04X} CRA {cra_flag}")
    if cra_flag == 1:
        components = [
            _component(s.cluster, ZclHeader(s.frame_type, s.direction, seq, s.command), _spec_fields(s),
                       from_date_time=s.from_date_time)
            for seq, s in enumerate(specs)
        ]
        return GbzPayload(components=_with_last(components), form="command")
    encrypt = message_code in _ENCRYPTED_RESPONSES
    components = [_response_to(s, seq, encrypt and s.direction == _C2S) for seq, s in enumerate(specs)]
    return GbzPayload(components=_with_last(components), form="response")
