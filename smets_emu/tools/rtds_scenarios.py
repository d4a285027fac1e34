"""Preconditions of the DCC reference test data (RTDS) scenarios, for replaying them on emulated devices.

An RTDS use-case folder records what a real device answered in a given situation; the file
names say which situation (``_SUCCESS_``, ``_ERROR_``, ``_NOT_FOUND_``, ``_TWIN_``,
``_FUTURE_DATED_`` ...). This module is the one place that derives, from the folder and file
names and from the RTDS messages themselves, what the emulated device must look like before
a command is delivered. Nothing here produces a response: every response and alert comes
from the device model.

Preconditions, per scenario:

- **ERROR scenarios are replayed by injecting the device fault the RTDS response reports**,
  through the devices' fault-injection features, before the command is delivered and
  cleared after it; the rest of the response comes from the device model:

  - DLMS (ESME, CHF): the access the RTDS ``access-response`` marks ``hardware-fault`` gets
    the same fault (``CosemModel.inject_fault``); the accesses after it then answer as the
    COSEM engine does after a failure (GBCS 7.2.4).
  - GBZ (GSME, GPF): each attribute record with a failure status, each Default Response with
    a failure status and each response command whose result shows a failure
    (Start Sampling, Clear Event Log) gets that failure (``ZclModel.inject_*_fault``).
  - ASN.1 device log (CS03/CS04/CS07/GCS59): a ``readFailure``/``writeFailure`` response
    code becomes a ``read``/``write`` device log fault (``objects["device_log"]["faults"]``).
- ``_NOT_FOUND_`` scenarios run on a GBZ device whose logs and data tables are empty.
- Trust anchor replacements (CS02b, CS02g): each scenario runs on a freshly provisioned device,
  the CANCELLATION on the device holding the FUTURE_DATED update it cancels
  (:func:`device_group`); other folders replay all scenarios in order on the same devices.
- ``_TWIN_`` scenarios address the twin-element ESME profile (same EUI and key pairs).
- Top-up scenarios (0x0097, 0x009B): the RTDS UTRN is minted for the RTDS device key, which
  RTDS does not ship; it is re-minted (same counter, value and class) for the emulated
  device's fresh key agreement key (GBCS 4.3.5 / digest 5.10).
- Device log contents: a successful CS04 unjoin presumes the device log holds the named
  device, a successful CS07 read presumes the entries it lists; they are joined first
  through real CS03 join commands from the supplier, so the log is built by the model.
- CS02 (security credentials): RTDS 6.21 hands a GPF over from the ACB, so the GPF's supplier
  and network operator cells hold the ACB's credentials before it; RTDS 6.24.2 CS02e success
  presumes the device holds its own DS certificate, installed from the RTDS keystore.
  CS02c/CS02e ERROR scenarios (``crProductionFailed``, ``certificateRetrievalFailure``) are
  device-internal failures: the response code becomes a credential fault
  (:func:`~smets_emu.emulator.security_credentials.inject_credential_fault`); a CS02b/CS02g
  replacement status the command content does not explain becomes an ``update`` fault.
- Root trust anchor: RTDS ships no Root certificate, only certificates the Root issued. The
  Root public key is recovered from the ECDSA signature of an issuing CA certificate in the
  RTDS commands (two candidates) and identified by the Root cell's subject key identifier
  (RFC 5280 method 2, GBCS 12); every device's Root cell then holds it, so certification path
  validation checks CA signatures as a real device does (RTDS 6.15.1 CS02g ERROR carries a CA
  certificate whose signature is damaged: noTrustAnchor).
- Activate Firmware (CS06): each scenario runs on a fresh ESME (the CANCELLATION on the device
  of the FUTURE_DATED SUCCESS command it cancels) holding the image the scenario presumes,
  derived from the outcome its RTDS response or alert reports: the image the command names
  (version from the reported firmwareVersion) for success and for the cancellation, an image
  with another hash for hashMismatch, none for noImageHeld.

Not reproduced, and reported as such: RTDS 6.15.2 CS02d SUCCESS installs the RTDS device's own
certificate, whose private key only the RTDS device holds (RTDS ships no device private keys;
the emulated device has fresh key pairs, so it answers noCorrespondingKeyPairGenerated), and
NA_CS02bAnyByContingency ships responses without a COMMAND.

Device-originated alerts that no command in a folder triggers (``NA_*`` folders with only an
ALERT) are triggered where the device model has a trigger: a command from another RTDS folder
that raises the alert (GCS62 after a GPF device log restore, CS14 after a CHF device log
change), or a device event hook (GSME meter integrity issue, generic alerts, receipt of a
supplier-signed firmware image for the FDRA, a CHF HAN firmware transfer for CCS08).
Otherwise the folder is unsupported.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, load_der_private_key

from smets_emu.emulator.anchors import CellId, CellKeyUsage, CellUsage, Role
from smets_emu.emulator.cosem import CosemModel
from smets_emu.emulator.device import Device, Outcome
from smets_emu.emulator.devices.type1 import Type1Firmware
from smets_emu.emulator.firmware import FirmwareUseCases
from smets_emu.emulator.firmware.codes import FIRMWARE_TRANSFER_ALERT
from smets_emu.emulator.firmware.slots import FirmwareSlots, held_image_slot
from smets_emu.emulator.security_credentials import clear_credential_faults, inject_credential_fault
from smets_emu.emulator.state import DeviceState
from smets_emu.emulator.zcl import utrn
from smets_emu.emulator.zcl.model import ZclModel
from smets_emu.errors import SmetsError
from smets_emu.hosting.han_network import HanNetwork
from smets_emu.parties.headend import HeadEnd
from smets_emu.protocols import crypto
from smets_emu.protocols.certificates import authority_key_identifier, key_identifier
from smets_emu.protocols.envelope import Envelope, decode_envelope, encode_envelope
from smets_emu.protocols.firmware import UpgradeImage, sign_image
from smets_emu.protocols.keystore import Keystore, KeyUsage
from smets_emu.protocols.message import Message, decode_message
from smets_emu.protocols.payloads.asn1 import Asn1Payload
from smets_emu.protocols.payloads.dlms import AccessRequest, AccessRequestKind, AccessResponse, DataAccessResult
from smets_emu.protocols.payloads.gbz import GbzComponent, GbzPayload
from smets_emu.protocols.payloads.zcl import ZclStatus
from smets_emu.protocols.pki import TestPki, generate_test_pki
from smets_emu.protocols.rtds import RtdsFile

DEVICE_TYPES: dict[bytes, str] = {
    bytes.fromhex("00DB1234567890A0"): "ESME",
    bytes.fromhex("00DB1234567890A1"): "GSME",
    bytes.fromhex("00DB1234567890A2"): "CHF",
    bytes.fromhex("00DB1234567890A3"): "GPF",
    bytes.fromhex("00DB1234567890A4"): "PPMID",
    bytes.fromhex("00DB1234567890A5"): "HCALCS",
    bytes.fromhex("00DB1234567890A6"): "ESME",
}
"""RTDS device identities and the emulated type behind each."""

NOT_EMULATED: dict[bytes, str] = {}
"""RTDS devices that are not emulated: commands to them are unsupported."""

SUPPLIER = bytes.fromhex("90B3D51F30010000")
HARDWARE_FAULT = int(DataAccessResult.HARDWARE_FAULT)
TOP_UP_CODES = frozenset({0x0097, 0x009B})
SETUP_COUNTER = 900
"""Originator counter of the first site-setup join (below the RTDS supplier counters)."""
SELF_CONTAINED_SCENARIOS = ("CS02b", "CS02g", "CS06_")
"""Use cases whose scenarios each run on a fresh device (see :func:`device_group`)."""
ACTIVATE_FIRMWARE = 0x0012


# --- scenario names --------------------------------------------------------------------------------


def tags(name: str) -> frozenset[str]:
    """The scenario words of an RTDS file name (``ERROR``, ``SUCCESS``, ``NOT_FOUND``, ``TWIN`` ...)."""
    words = set(name.removesuffix(".HEX").split("_"))
    if "_NOT_FOUND_" in name:
        words.add("NOT_FOUND")
    if "_FUTURE_DATED_" in name:
        words.add("FUTURE_DATED")
    return frozenset(words)


def is_error(name: str) -> bool:
    """True for an RTDS ERROR scenario file."""
    return "ERROR" in tags(name)


def profile_for(name: str) -> str:
    """The device profile a command addresses: ``twin`` for RTDS TWIN scenarios, else ``default``."""
    return "twin" if "TWIN" in tags(name) else "default"


def response_name(command_name: str) -> str:
    """The RTDS RESPONSE file answering a COMMAND file."""
    return command_name.replace("_COMMAND_", "_RESPONSE_", 1)


_ALERT_CODE_WORD = re.compile(r"^[0-9A-F]{4}$")


def scenario_alert(command_name: str, alert_names: Iterable[str]) -> str | None:
    """The RTDS ALERT file of the same scenario as a COMMAND file (``..._8F67_FUTURE_DATED_ERROR_ALERT_...``)."""
    words = tags(command_name) - {"COMMAND"}
    for name in sorted(alert_names):
        if {w for w in tags(name) - {"ALERT"} if not _ALERT_CODE_WORD.match(w)} == words:
            return name
    return None


def device_group(name: str) -> str:
    """Which fresh device a command's scenario runs on, within its folder.

    Scenarios share the folder's devices in originator-counter order (a CS03 error presumes the
    success join before it), except trust anchor replacements (CS02b, CS02g): each of their
    scenarios presumes the anchors as provisioned, so IMMEDIATE SUCCESS, IMMEDIATE ERROR and
    FUTURE_DATED ERROR run on devices of their own, and a CANCELLATION shares the device of the
    FUTURE_DATED SUCCESS command it cancels. Activate Firmware (CS06) scenarios are grouped the
    same way: each presumes its own firmware slots.
    """
    if not name.startswith(SELF_CONTAINED_SCENARIOS):
        return ""
    words = tags(name)
    if "CANCELLATION" in words or ("FUTURE_DATED" in words and "SUCCESS" in words):
        return "future-dated"
    return "-".join(w for w in ("IMMEDIATE", "FUTURE_DATED", "SUCCESS", "ERROR") if w in words)


def twin_keys(device: Device) -> dict[str, ec.EllipticCurvePrivateKey]:
    """The key pairs of *device*, for a second profile of the same physical device."""
    return {usage: load_der_private_key(pair.private_key, None)  # type: ignore[misc]
            for usage, pair in device.state.keys.items()}


# --- device state before the folder's commands -----------------------------------------------------


def gpf_before_handover(state: DeviceState) -> None:
    """A GPF whose supplier and network operator cells still hold the ACB's credentials (RTDS 6.21)."""
    acb_ds = state.anchors[CellId(Role.ACCESS_CONTROL_BROKER, CellKeyUsage.DIGITAL_SIGNATURE)]
    acb_ka = state.anchors[CellId(Role.ACCESS_CONTROL_BROKER, CellKeyUsage.KEY_AGREEMENT)]
    for cell_id in list(state.anchors):
        if cell_id.role in (Role.SUPPLIER, Role.NETWORK_OPERATOR):
            source = acb_ds if cell_id.key_usage is CellKeyUsage.DIGITAL_SIGNATURE else acb_ka
            state.anchors[cell_id] = replace(source, cell=cell_id)


def prepare_state(state: DeviceState, folder: str, *, root_point: bytes | None = None) -> None:
    """Folder-wide preconditions on a freshly provisioned device state.

    *root_point* is the Root public key (:func:`recover_root_key`): the Root cell holds it when
    its subject key identifier names that key.
    """
    root_id = CellId(Role.ROOT, CellKeyUsage.KEY_CERT_SIGN)
    root = state.anchors.get(root_id)
    if root_point is not None and root is not None and root.public_point is None and root.subject_key_id == (
            key_identifier(ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), root_point))):
        state.anchors[root_id] = replace(root, public_point=root_point)
    if folder.startswith("6.21_") and state.device_type == "GPF":
        gpf_before_handover(state)


# --- the Root public key ---------------------------------------------------------------------------

_P256_P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
_P256_A = _P256_P - 3
_P256_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
_P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_P256_G = (0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
           0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5)
_Point = tuple[int, int] | None


def _add(p1: _Point, p2: _Point) -> _Point:
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    p = _P256_P
    if p1[0] == p2[0] and (p1[1] + p2[1]) % p == 0:
        return None
    if p1 == p2:
        slope = (3 * p1[0] * p1[0] + _P256_A) * pow(2 * p1[1], -1, p) % p
    else:
        slope = (p2[1] - p1[1]) * pow(p2[0] - p1[0], -1, p) % p
    x = (slope * slope - p1[0] - p2[0]) % p
    return x, (slope * (p1[0] - x) - p1[1]) % p


def _mul(k: int, pt: _Point) -> _Point:
    out: _Point = None
    while k:
        if k & 1:
            out = _add(out, pt)
        pt = _add(pt, pt)
        k >>= 1
    return out


def signer_key_candidates(cert: x509.Certificate) -> list[bytes]:
    """The P-256 public keys (uncompressed points) an ECDSA-SHA256 certificate signature verifies under.

    ECDSA public key recovery (SEC 1 4.1.6): Q = r^-1 (sR - eG) for both points R with x = r.
    """
    r, s = decode_dss_signature(cert.signature)
    e = int.from_bytes(hashlib.sha256(cert.tbs_certificate_bytes).digest(), "big") % _P256_N
    y_squared = (pow(r, 3, _P256_P) + _P256_A * r + _P256_B) % _P256_P
    y = pow(y_squared, (_P256_P + 1) // 4, _P256_P)
    if y * y % _P256_P != y_squared:
        return []
    out = []
    for y_r in (y, _P256_P - y):
        q = _mul(pow(r, -1, _P256_N), _add(_mul(s, (r, y_r)), _mul((-e) % _P256_N, _P256_G)))
        if q is not None:
            out.append(b"\x04" + q[0].to_bytes(32, "big") + q[1].to_bytes(32, "big"))
    return out


_CERT_START = re.compile(rb"(?=\x30\x82(..)\x30\x82)", re.DOTALL)


def recover_root_key(messages: Iterable[bytes], root_key_id: bytes) -> bytes | None:
    """The Root public key behind *root_key_id*, from a certificate it signed among *messages*, or None.

    Each candidate key recovered from a signature is kept only when its RFC 5280 method 2 key
    identifier (GBCS 12) is the Root cell's, so a damaged signature yields nothing.
    """
    marker = b"\x80\x08" + root_key_id  # the authorityKeyIdentifier of a certificate the Root issued
    for data in messages:
        if marker not in data:
            continue
        for match in _CERT_START.finditer(data):
            length = int.from_bytes(match.group(1), "big")
            try:
                cert = x509.load_der_x509_certificate(data[match.start():match.start() + 4 + length])
                if authority_key_identifier(cert) != root_key_id:
                    continue
                candidates = signer_key_candidates(cert)
            except (ValueError, TypeError):
                continue
            for candidate in candidates:
                key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), candidate)
                if key_identifier(key) == root_key_id:
                    return candidate
    return None


@dataclass(frozen=True)
class Join:
    """A HAN join the scenario presumes was made before its commands (GBCS CS03, digest 5.5)."""

    recipient: bytes
    message_code: int
    method: int
    eui: bytes
    device_type: int


_JOIN_TYPES = {  # (target type, join message code) -> (method and role, other device type)
    ("ESME", 0x000D): (0, 5), ("GPF", 0x000D): (0, 5),
    ("ESME", 0x000E): (2, 6), ("GSME", 0x000E): (2, 3), ("GPF", 0x000E): (2, 0),
    ("GSME", 0x00AF): (3, 5),
    ("PPMID", 0x00AB): (1, 1), ("HCALCS", 0x00AB): (1, 1), ("PPMID", 0x00AF): (3, 0),
}
_UNJOIN_TO_JOIN = {0x000F: 0x000D, 0x0010: 0x000E}  # CS04AC unjoins Method A/C joins, CS04B Method B joins
_RESPONDER_TYPES = frozenset({"PPMID", "HCALCS"})  # type 1 HAN devices join Method A as responders (CS03A2)


def _type_number(value: Any) -> int:
    text = str(value)
    return int(text[text.rfind("(") + 1:-1]) if "(" in text else int(text)


def site_joins(commands: list[tuple[RtdsFile, Message]], responses: dict[str, Message]) -> list[Join]:
    """The device log entries a folder's SUCCESS scenarios presume, derived from its commands and responses."""
    joins: list[Join] = []
    for file, message in commands:
        if "SUCCESS" not in tags(file.path.name) or not isinstance(message.payload, Asn1Payload):
            continue
        target = message.header.recipient
        kind = DEVICE_TYPES.get(target)
        code = message.message_code
        if code in _UNJOIN_TO_JOIN and isinstance(message.payload.value, str) and kind is not None:
            join_code = 0x00AB if kind in _RESPONDER_TYPES and code == 0x000F else _UNJOIN_TO_JOIN[code]
            if (kind, join_code) in _JOIN_TYPES:
                method, other = _JOIN_TYPES[(kind, join_code)]
                joins.append(Join(target, join_code, method, bytes.fromhex(message.payload.value), other))
        elif code == 0x0013:  # CS07: the entries the RTDS device reported
            reply = responses.get(response_name(file.path.name))
            value = reply.payload.value if reply is not None and isinstance(reply.payload, Asn1Payload) else None
            for entry in (value or {}).get("deviceLogEntries", []) if isinstance(value, dict) else []:
                other = _type_number(entry["deviceType"])
                join_code = next((c for (t, c), (_, o) in _JOIN_TYPES.items() if t == kind and o == other), None)
                if join_code is not None:
                    method = _JOIN_TYPES[(kind, join_code)][0]  # type: ignore[index]
                    joins.append(Join(target, join_code, method, bytes.fromhex(entry["deviceId"]), other))
    return joins


def run_join(device: Device, headend: HeadEnd, join: Join, counter: int, now: dt.datetime,
             pki: TestPki | None = None) -> Outcome:
    """Send one site-setup join from the supplier (Method C carries a KA certificate of a test PKI)."""
    value: dict[str, Any] = {"joinMethodAndRole": join.method, "otherDeviceEntityId": join.eui.hex(),
                             "otherDeviceType": join.device_type}
    if join.message_code == 0x00AF:
        pki = pki or generate_test_pki(seed="rtds-site")
        key = ec.generate_private_key(ec.SECP256R1())
        cert = pki.issue_device_certificate(join.eui, KeyUsage.KA, key.public_key())
        value["otherDeviceKACertificate"] = {"der": cert.public_bytes(Encoding.DER).hex()}
    payload = Asn1Payload("CS03Command", value, join.message_code, 1)
    data = headend.command(originator=SUPPLIER, recipient=device.eui, message_code=join.message_code,
                           payload=payload, counter=counter)
    return device.handle(data, now)


# --- per-command preconditions -------------------------------------------------------------------


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


def activation_outcome(*messages: Message | None) -> dict[str, Any] | None:
    """The CS06 ExecutionOutcome an RTDS response or alert reports (None: accepted, not yet executed)."""
    for message in messages:
        value = message.payload.value if message is not None and isinstance(message.payload, Asn1Payload) else None
        if isinstance(value, dict) and isinstance(value.get("executionOutcome"), dict):
            return value["executionOutcome"]  # type: ignore[no-any-return]
    return None


def _newer_version(running: str, reported: Any) -> str:
    """The version of the presumed image: the reported one when it is newer than *running*."""
    try:
        if reported is not None and int(str(reported), 16) > int(running, 16):
            return str(reported).upper()
    except ValueError:
        pass
    return f"{(int(running, 16) + 1) & 0xFFFFFFFF:08X}"


def hold_presumed_image(state: DeviceState, command: Asn1Payload, outcome: dict[str, Any] | None) -> str:
    """Give the device the pending image a CS06 scenario presumes (digest 5.6, 7.4); returns a note.

    success, or no outcome yet (future-dated, cancellation): the image the command names, at
    the reported version; hashMismatch: an image with another hash; activationFailure: the
    command's image at the running version; noImageHeld: no image.
    """
    slots = FirmwareSlots(state)
    image_hash = bytes.fromhex(str(command.value["manufacturerImageHash"]))
    code = str((outcome or {}).get("activateImageResponseCode", "success")).split("(")[0]
    version = _newer_version(slots.version, (outcome or {}).get("firmwareVersion"))
    if code == "noImageHeld":
        slots.discard_pending()
        return "no image held"
    held = slots.pending
    if code == "success" and held is not None and held.image_hash == image_hash:
        return f"holds image {held.version} with the command hash already"
    if code == "hashMismatch":
        image_hash = hashlib.sha256(b"another image" + image_hash).digest()
    elif code == "activationFailure":
        version = slots.version
    slots.hold(held_image_slot(image_hash, version))
    return f"holds image {version} with {'another' if code == 'hashMismatch' else 'the command'} hash"


def _prepayment_supplier(state: DeviceState) -> bytes | None:
    """The supplier named by the device's prepayment top-up key agreement cell (who mints its UTRNs)."""
    for cell in state.anchors.values():
        if cell.cell.role is Role.SUPPLIER and cell.cell.cell_usage is CellUsage.PREPAYMENT_TOP_UP and not cell.empty:
            return cell.subject_id
    return None


def remint_top_up(data: bytes, keystore: Keystore, state: DeviceState) -> bytes:
    """Re-mint an RTDS UTRN for the emulated device's own KA key (same counter, value and class)."""
    env = decode_envelope(data)
    payload = decode_message(data).payload
    if not isinstance(payload, GbzPayload):
        return data
    comps = []
    changed = False
    for comp in payload.components:
        code = (comp.fields or {}).get("top_up_code")
        if (comp.cluster_id, comp.header.command_id) == (0x0705, 0x04) and code:
            try:
                token = utrn.parse(code)
                device_key = load_der_private_key(state.keys["ka"].private_key, None)
                supplier = _prepayment_supplier(state) or env.header.originator  # a PPMID relays the supplier's UTRN
                supplier_key = keystore.private_key(supplier, KeyUsage.KA_PREPAYMENT)
            except (utrn.UtrnError, SmetsError, KeyError):
                comps.append(comp)
                continue
            if supplier_key is None:
                comps.append(comp)
                continue
            z = crypto.ecdh_shared_secret(private_key=supplier_key, public_key=device_key.public_key())  # type: ignore[arg-type]
            code = utrn.build(shared_secret=z, supplier=supplier, device=env.header.recipient,
                              counter=token.counter, value=token.value, value_class=token.value_class)
            comps.append(GbzComponent(comp.cluster_id, comp.header, fields={**comp.fields, "top_up_code": code},
                                      last=comp.last))
            changed = True
        else:
            comps.append(comp)
    if not changed:
        return data
    content = GbzPayload(components=tuple(comps), form="command").encode()
    return encode_envelope(Envelope(env.header, content, signature=env.signature, mac=env.mac,
                                    signature_field=env.signature_field))


@dataclass
class Prepared:
    """A command made ready for its scenario: the bytes to re-protect and what was set up."""

    data: bytes
    notes: list[str]
    undo: Callable[[Device], None]


def prepare_command(device: Device, name: str, data: bytes, expected: Message | None,
                    keystore: Keystore, *, alert: Message | None = None) -> Prepared:
    """Apply the preconditions of one RTDS command scenario to *device*; ``undo`` clears them afterwards.

    *keystore* is the original RTDS keystore (organisation keys, RTDS device certificates);
    *alert* the RTDS alert of the same scenario (the outcome of a future-dated command).
    """
    notes: list[str] = []
    message = decode_message(data)
    request = message.payload
    work = device.state.clone()
    undo_steps: list[Callable[[DeviceState], None]] = []
    if message.message_code in TOP_UP_CODES:
        reminted = remint_top_up(data, keystore, work)
        if reminted != data:
            notes.append("UTRN re-minted for the device key")
            data = reminted
    if name.startswith("CS02e_") and "SUCCESS" in tags(name):
        try:
            found = keystore.certificate(device.eui, KeyUsage.DS)
        except SmetsError:
            found = None
        cert = found.public_bytes(Encoding.DER) if found is not None else None
        if cert is not None and "ds" in work.keys:
            work.keys["ds"].certificate = cert
            notes.append("device holds its RTDS DS certificate")
    if message.message_code == ACTIVATE_FIRMWARE and isinstance(request, Asn1Payload):
        notes.append(hold_presumed_image(work, request, activation_outcome(expected, alert)))
    if is_error(name) and expected is not None:
        if isinstance(request, Asn1Payload) and (fault := credential_fault_of(expected)):
            inject_credential_fault(work, *fault)
            notes.append(f"credential {fault[0]} fault {fault[1]} injected")
            undo_steps.append(clear_credential_faults)
        elif isinstance(request, AccessRequest) and isinstance(expected.payload, AccessResponse):
            CosemModel(work).clear_faults()
            if inject_dlms_fault(work, request, expected.payload):
                notes.append("hardware fault injected")
            undo_steps.append(lambda s: CosemModel(s).clear_faults())
        elif isinstance(request, GbzPayload) and isinstance(expected.payload, GbzPayload):
            if inject_gbz_faults(ZclModel(work), request, expected.payload.to_json()):
                notes.append("ZCL fault injected")
            undo_steps.append(lambda s: ZclModel(s).clear_faults())
        elif isinstance(request, Asn1Payload | type(None)) and (fault := device_log_fault(expected)):
            log_objects = dict(work.objects.get("device_log") or {})
            log_objects["faults"] = [fault]
            work.objects["device_log"] = log_objects
            notes.append(f"device log {fault} fault injected")

            def clear_log_fault(s: DeviceState) -> None:
                s.objects["device_log"] = {k: v for k, v in (s.objects.get("device_log") or {}).items()
                                           if k != "faults"}
            undo_steps.append(clear_log_fault)
    if "NOT_FOUND" in tags(name) and isinstance(request, GbzPayload):
        model = ZclModel(work)
        saved = model.objects.get("tables")
        model.objects["tables"] = {}
        notes.append("empty data tables")

        def restore_tables(s: DeviceState, saved: Any = saved) -> None:
            ZclModel(s).objects["tables"] = saved
        undo_steps.append(restore_tables)
    device.adopt(Outcome(work, reason="command precondition"))

    def undo(dev: Device) -> None:
        if not undo_steps:
            return
        after = dev.state.clone()
        for step in undo_steps:
            step(after)
        dev.adopt(Outcome(after, reason="command precondition undone"))

    return Prepared(data, notes, undo)


# --- device-originated alerts ------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    """What an alert trigger may use besides the originating device."""

    device: Callable[[bytes], Device]  # the folder's emulated device with an EUI (provisioned on first use)
    keystore: Keystore  # the RTDS keystore (organisation keys)


Event = Callable[[Device, Message, dt.datetime, Site], Outcome]


@dataclass(frozen=True)
class AlertTrigger:
    """How the device model is brought to raise a device-originated alert a folder shows without a command."""

    description: str
    command: str | None = None  # an RTDS COMMAND file (from another folder) that triggers it
    event: Event | None = None


def _gsme_integrity(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    body = alert.payload.to_json()
    code = int(body.get("alert_code") or 0x81A0)
    return device.meter_integrity_warning(code, now)  # type: ignore[attr-defined,no-any-return]


def _gsme_generic(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    return device.generic_alert(int(alert.payload.to_json()["alert_code"]), now)  # type: ignore[attr-defined,no-any-return]


def _dlms_alert_code(alert: Message) -> int:
    code = alert.payload.to_json().get("alert_code")
    return int(code, 16) if isinstance(code, str) else int(code or 0)


def _esme_generic(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    return device.generic_alert(_dlms_alert_code(alert), now)


def _esme_integrity(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    items = (alert.payload.to_json().get("body") or {}).get("value") or []
    reported = items[2].get("value") if len(items) > 2 and isinstance(items[2], dict) else None
    code = int(reported, 16) if isinstance(reported, str) and reported else 0
    return device.meter_integrity_warning(code, now)  # type: ignore[attr-defined,no-any-return]


def _alert_items(alert: Message) -> list[Any]:
    """The use-case items of an RTDS DLMS event alert (after its alert code and time stamp)."""
    items = (alert.payload.to_json().get("body") or {}).get("value") or []
    return items[2:] if isinstance(items, list) else []


def _octets(item: Any, default: bytes) -> bytes:
    value = item.get("value") if isinstance(item, dict) else None
    return bytes.fromhex(value) if isinstance(value, str) and value else default


def _chf_device_event(method: str) -> Event:
    """A CHF sub-GHz event about one HAN device: the device named in the RTDS alert, else the site ESME."""

    def trigger(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
        items = _alert_items(alert)
        target = _octets(items[0] if items else None, bytes.fromhex("00DB1234567890A0"))
        return getattr(device, method)(target, now)  # type: ignore[no-any-return]

    return trigger


def _chf_channel_change(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    inner = (_alert_items(alert) or [{}])[0].get("value") or [{}, {}]
    channel = _octets(inner[0], bytes.fromhex("E0000001"))
    reason = _octets(inner[1] if len(inner) > 1 else None, b"\x00")[0]
    return device.sub_ghz_channel_changed(channel, reason, now)  # type: ignore[attr-defined,no-any-return]


def _chf_scan_assessment(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    inner = (_alert_items(alert) or [{}])[0].get("value") or [{}, {}]
    outcome = _octets(inner[0], b"\x00")[0]
    detail = _octets(inner[1] if len(inner) > 1 else None, b"\x00")[0]
    return device.channel_scan_assessed(outcome, detail, now)  # type: ignore[attr-defined,no-any-return]


def _chf_message_discarded(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    identity = _octets((_alert_items(alert) or [None])[0], bytes(25))
    if len(identity) != 25:
        identity = bytes(25)
    return device.message_discarded(  # type: ignore[attr-defined,no-any-return]
        identity[:8], identity[8:16], identity[16], int.from_bytes(identity[17:25], "big"), now
    )


def _esme_unsupported_command(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    """Send the ESME a command it does not support: a gas use case, from the supplier, or from the ACB naming
    the supplier when the RTDS alert names a supplementary remote party."""
    headend = HeadEnd(site.keystore)
    headend.register_device(device.state)
    via_acb = alert.header.other_information.supplementary_remote_party_id is not None
    counter = max(device.state.counters.values(), default=0) + 100_000
    originator = bytes.fromhex("90B3D51F30000002") if via_acb else SUPPLIER
    code = 0x0083 if via_acb else 0x0084  # GCS36 (an ACB use case) / GCS38: gas use cases an ESME lacks
    data = headend.command(originator=originator, recipient=device.eui, message_code=code, payload=b"\x05\x00",
                           counter=counter, supplementary_id=SUPPLIER if via_acb else None,
                           supplementary_counter=counter if via_acb else None, sign=False)
    return device.handle(data, now)


def _dlms_unsigned(items: list[Any], index: int, default: int) -> int:
    item = items[index] if len(items) > index else None
    value = item.get("value") if isinstance(item, dict) else None
    return value if isinstance(value, int) else default


def _esme_apc_processed(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    items = _alert_items(alert)
    return device.apc_level_limit_processed(  # type: ignore[attr-defined,no-any-return]
        _dlms_unsigned(items, 0, 1), now, now + dt.timedelta(days=1), _dlms_unsigned(items, 3, 100), now
    )


def _esme_apc_ended(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    items = _alert_items(alert)
    return device.apc_level_limit_ended(  # type: ignore[attr-defined,no-any-return]
        _dlms_unsigned(items, 0, 1), _dlms_unsigned(items, 1, 100), now
    )


def _esme_operational_update(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    return device.operational_update('{"outputState":"100","inputState":"0"}', now)  # type: ignore[attr-defined,no-any-return]


def _esme_supply_restored(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    return device.supply_restored(  # type: ignore[attr-defined,no-any-return]
        now - dt.timedelta(minutes=9), now - dt.timedelta(minutes=1), now
    )


def _type1_activation(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    value = alert.payload.to_json().get("value") or {}
    version = str(value.get("firmwareVersion") or "01000001")
    return device.component(Type1Firmware).activate_firmware(device.state, version, now)


def supplier_signed_image(device: Device, keystore: Keystore, version: str | None = None) -> bytes:
    """An Upgrade Image for *device* (its manufacturer code and image type), signed with the DS key of the
    supplier its trust anchor names, from *keystore* (digest 7.1, 7.2); default version: one above running."""
    slots = FirmwareSlots(device.state)
    ident = slots.identity
    cell = device.state.anchors.get(CellId(Role.SUPPLIER, CellKeyUsage.DIGITAL_SIGNATURE))
    supplier = cell.subject_id if cell is not None and cell.subject_id else SUPPLIER
    key = keystore.private_key(supplier, KeyUsage.DS)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise SmetsError(f"no supplier DS key for {supplier.hex().upper()}")
    number = int(_newer_version(slots.version, version), 16)
    body = bytes((i * 31 + number) & 0xFF for i in range(512))
    image = UpgradeImage(ident.manufacturer, ident.image_type, number, body, f"image {number:08X}")
    return sign_image(image, key).encode()


def _image_receipt(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    """A supplier-signed image reaches the device: it verifies, holds it and raises the FDRA (0x00CE/0x00CF)."""
    firmware = device.component(FirmwareUseCases)
    return firmware.receive_image(device.state, supplier_signed_image(device, site.keystore), now)


def _han_transfer(device: Device, alert: Message, now: dt.datetime, site: Site) -> Outcome:
    """The CHF distributes a supplier-signed image over its HAN and reports the transfer (CCS08, 0x0128).

    The target is the device the RTDS alert names when it is emulated and receives firmware,
    else the site's ESME.
    """
    value = alert.payload.value if isinstance(alert.payload, Asn1Payload) else {}
    named = bytes.fromhex(str(value.get("entityId", ""))) if isinstance(value, dict) else b""
    target = site.device(named) if named in DEVICE_TYPES else None
    if target is None or target.find(FirmwareUseCases) is None:
        target = site.device(next(e for e, kind in DEVICE_TYPES.items() if kind == "ESME"))
    version = value.get("firmwareVersion") if isinstance(value, dict) else None
    data = supplier_signed_image(target, site.keystore, version)
    net = HanNetwork.of(device, [target])
    sent = net.update_firmware(data, [target.eui], now) + net.run(now + dt.timedelta(hours=1))
    return Outcome(device.state, [o for o in sent if o.message_code == FIRMWARE_TRANSFER_ALERT], accepted=True,
                   reason=f"image transferred to {target.eui.hex().upper()}")


COMMAND_TRIGGERS: dict[tuple[str, int], str] = {
    ("GPF", 0x00B2): "GCS59_8.12.2_SUCCESS_COMMAND_GBCS.HEX",  # a device log restore backs the log up (GCS62)
    ("CHF", 0x0018): "CCS01_8.11_SUCCESS_COMMAND_GBCS.HEX",  # a CHF device log change raises CS14
}
"""(device type, alert message code) -> an RTDS command whose handling raises that alert."""

EVENT_TRIGGERS: dict[tuple[str, int], tuple[str, Event]] = {
    ("GSME", 0x00F2): ("GSME meter integrity issue event", _gsme_integrity),
    ("GSME", 0x1000): ("GSME generic critical alert event", _gsme_generic),
    ("GSME", 0x1001): ("GSME generic non-critical alert event", _gsme_generic),
    ("ESME", 0x00CE): ("receipt of a supplier-signed firmware image", _image_receipt),
    ("GSME", 0x00CF): ("receipt of a supplier-signed firmware image", _image_receipt),
    ("CHF", 0x0128): ("CHF firmware transfer over the HAN", _han_transfer),
    ("ESME", 0x00F0): ("ESME meter integrity issue event", _esme_integrity),
    ("ESME", 0x1000): ("ESME generic critical alert event", _esme_generic),
    ("ESME", 0x1001): ("ESME generic non-critical alert event", _esme_generic),
    ("PPMID", 0x012B): ("PPMID firmware activation", _type1_activation),
    ("CHF", 0x0110): ("CHF duty cycle limitation", _chf_device_event("duty_cycle_limited")),
    ("CHF", 0x0111): ("CHF sub-GHz channel change", _chf_channel_change),
    ("CHF", 0x0112): ("CHF channel scan assessment", _chf_scan_assessment),
    ("CHF", 0x0114): ("CHF message discarded by duty cycle management", _chf_message_discarded),
    ("CHF", 0x0115): ("CHF sub-GHz capacity exhausted", _chf_device_event("no_sub_ghz_capacity")),
    ("ESME", 0x0067): ("ESME supply restored after an outage", _esme_supply_restored),
    ("ESME", 0x0120): ("command the ESME does not support", _esme_unsupported_command),
    ("ESME", 0x0121): ("ESME APC level limit taking effect", _esme_apc_processed),
    ("ESME", 0x0122): ("ESME APC level limit ending", _esme_apc_ended),
    ("ESME", 0x0123): ("ESME operational update", _esme_operational_update),
}
"""(device type, alert message code) -> a device event hook raising that alert."""


def alert_trigger(alert: Message) -> AlertTrigger | None:
    """The trigger for a device-originated alert of an RTDS folder that has no command, or None."""
    kind = DEVICE_TYPES.get(alert.header.originator)
    if kind is None:
        return None
    command = COMMAND_TRIGGERS.get((kind, alert.message_code))
    if command is not None:
        return AlertTrigger(f"triggered by RTDS {command}", command=command)
    event = EVENT_TRIGGERS.get((kind, alert.message_code))
    if event is not None:
        return AlertTrigger(f"triggered by the {event[0]}", event=event[1])
    return None
