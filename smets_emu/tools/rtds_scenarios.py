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

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, load_der_private_key

from smets_emu.emulator.anchors import CellId, CellKeyUsage, CellUsage, Role
from smets_emu.emulator.cosem import CosemModel
from smets_emu.emulator.device import Device, Outcome
from smets_emu.emulator.security_credentials import clear_credential_faults, inject_credential_fault
from smets_emu.emulator.state import DeviceState
from smets_emu.emulator.zcl import utrn
from smets_emu.emulator.zcl.model import ZclModel
from smets_emu.errors import SmetsError
from smets_emu.protocols import crypto
from smets_emu.protocols.certificates import key_identifier
from smets_emu.protocols.envelope import Envelope, decode_envelope, encode_envelope
from smets_emu.protocols.keystore import Keystore, KeyUsage
from smets_emu.protocols.message import Message, decode_message
from smets_emu.protocols.payloads.asn1 import Asn1Payload
from smets_emu.protocols.payloads.dlms import AccessRequest, AccessResponse
from smets_emu.protocols.payloads.gbz import GbzComponent, GbzPayload
from smets_emu.tools.rtds_alert_triggers import (
    COMMAND_TRIGGERS,
    EVENT_TRIGGERS,
    AlertTrigger,
    Event,
    Site,
    alert_trigger,
)
from smets_emu.tools.rtds_faults import (
    HARDWARE_FAULT,
    credential_fault_of,
    device_log_fault,
    gbz_failure_outcome,
    inject_dlms_fault,
    inject_gbz_faults,
)
from smets_emu.tools.rtds_firmware import (
    activation_outcome,
    hold_presumed_image,
    newer_version,
    supplier_signed_image,
)
from smets_emu.tools.rtds_joins import (
    SETUP_COUNTER,
    Join,
    run_join,
    site_joins,
)
from smets_emu.tools.rtds_names import (
    DEVICE_TYPES,
    NOT_EMULATED,
    SELF_CONTAINED_SCENARIOS,
    SUPPLIER,
    device_group,
    is_error,
    profile_for,
    response_name,
    scenario_alert,
    tags,
)
from smets_emu.tools.rtds_root_key import (
    recover_root_key,
    signer_key_candidates,
)

__all__ = [
    "ACTIVATE_FIRMWARE",
    "AlertTrigger",
    "COMMAND_TRIGGERS",
    "DEVICE_TYPES",
    "EVENT_TRIGGERS",
    "Event",
    "HARDWARE_FAULT",
    "Join",
    "NOT_EMULATED",
    "Prepared",
    "SELF_CONTAINED_SCENARIOS",
    "SETUP_COUNTER",
    "SUPPLIER",
    "Site",
    "TOP_UP_CODES",
    "activation_outcome",
    "alert_trigger",
    "credential_fault_of",
    "device_group",
    "device_log_fault",
    "gbz_failure_outcome",
    "gpf_before_handover",
    "hold_presumed_image",
    "inject_dlms_fault",
    "inject_gbz_faults",
    "is_error",
    "newer_version",
    "prepare_command",
    "prepare_state",
    "profile_for",
    "recover_root_key",
    "remint_top_up",
    "response_name",
    "run_join",
    "scenario_alert",
    "signer_key_candidates",
    "site_joins",
    "supplier_signed_image",
    "tags",
    "twin_keys",
]

TOP_UP_CODES = frozenset({0x0007, 0x0097, 0x009B})
"""Top-up use cases whose RTDS UTRN is re-minted for the emulated device's key."""
ACTIVATE_FIRMWARE = 0x0012
RTDS_FIRMWARE_VERSION = "0123ABCD"
"""The firmware version the RTDS site's devices run (what its ECS52 and CS08 reads report): lab configuration."""
RTDS_FIRMWARE_DEVICES = frozenset({"ESME", "CHF", "PPMID", "HCALCS"})


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
    if state.device_type in RTDS_FIRMWARE_DEVICES:
        state.firmware["version"] = RTDS_FIRMWARE_VERSION  # as a fleet file's `firmware` sets it


def _prepayment_supplier(state: DeviceState) -> bytes | None:
    """The supplier named by the device's prepayment top-up key agreement cell (who mints its UTRNs)."""
    for cell in state.anchors.values():
        if cell.cell.role is Role.SUPPLIER and cell.cell.cell_usage is CellUsage.PREPAYMENT_TOP_UP and not cell.empty:
            return cell.subject_id
    return None


def _reminted(code: str, supplier: bytes, device: bytes, keystore: Keystore, state: DeviceState) -> str | None:
    """*code* minted again for the emulated device's KA key (same counter, value and class); None if not possible."""
    try:
        token = utrn.parse(code)
        device_key = load_der_private_key(state.keys["ka"].private_key, None)
        supplier_key = keystore.private_key(supplier, KeyUsage.KA_PREPAYMENT)
    except (utrn.UtrnError, SmetsError, KeyError):
        return None
    if supplier_key is None:
        return None
    z = crypto.ecdh_shared_secret(private_key=supplier_key, public_key=device_key.public_key())  # type: ignore[arg-type]
    return utrn.build(shared_secret=z, supplier=supplier, device=device, counter=token.counter, value=token.value,
                      value_class=token.value_class)


def remint_top_up(data: bytes, keystore: Keystore, state: DeviceState) -> bytes:
    """Re-mint an RTDS UTRN for the emulated device's own KA key (same counter, value and class)."""
    env = decode_envelope(data)
    payload = decode_message(data).payload
    supplier = _prepayment_supplier(state) or env.header.originator  # a PPMID relays the supplier's UTRN
    if isinstance(payload, AccessRequest):  # CS01a: Token gateway enter(octet string of the 20 digits)
        from smets_emu.protocols.payloads import payload_from_json

        tree = payload.to_json()
        changed = False
        for request in tree.get("requests", []):
            value = (request.get("data") or {}).get("value")
            if request.get("data", {}).get("type") == "octet-string" and isinstance(value, str):
                code = _reminted(bytes.fromhex(value).decode("ascii", "replace"), supplier, env.header.recipient,
                                 keystore, state)
                if code is not None:
                    request["data"] = {"type": "octet-string", "value": code.encode("ascii").hex().upper()}
                    changed = True
        if not changed:
            return data
        return encode_envelope(Envelope(env.header, payload_from_json(tree).encode(), signature=env.signature,
                                        mac=env.mac, signature_field=env.signature_field))
    if not isinstance(payload, GbzPayload):
        return data
    comps = []
    changed = False
    for comp in payload.components:
        code = (comp.fields or {}).get("top_up_code")
        if (comp.cluster_id, comp.header.command_id) == (0x0705, 0x04) and code:
            code = _reminted(code, supplier, env.header.recipient, keystore, state)
            if code is None:
                comps.append(comp)
                continue
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
    injected: list[str] = field(default_factory=list)  # kinds from INJECTED_KINDS


def prepare_command(device: Device, name: str, data: bytes, expected: Message | None,
                    keystore: Keystore, *, alert: Message | None = None) -> Prepared:
    """Apply the preconditions of one RTDS command scenario to *device*; ``undo`` clears them afterwards.

    *keystore* is the original RTDS keystore (organisation keys, RTDS device certificates);
    *alert* the RTDS alert of the same scenario (the outcome of a future-dated command).
    """
    notes: list[str] = []
    injected: list[str] = []
    message = decode_message(data)
    request = message.payload
    work = device.state.clone()
    undo_steps: list[Callable[[DeviceState], None]] = []
    if message.message_code in TOP_UP_CODES:
        reminted = remint_top_up(data, keystore, work)
        if reminted != data:
            notes.append("UTRN re-minted for the device key")
            injected.append("utrn-reminted")
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
            injected.append("rtds-certificate")
    if message.message_code == ACTIVATE_FIRMWARE and isinstance(request, Asn1Payload):
        notes.append(hold_presumed_image(work, request, activation_outcome(expected, alert)))
        injected.append("presumed-image")
    if is_error(name) and expected is not None:
        if isinstance(request, Asn1Payload) and (fault := credential_fault_of(expected)):
            inject_credential_fault(work, *fault)
            notes.append(f"credential {fault[0]} fault {fault[1]} injected")
            injected.append("outcome:credential-fault")
            undo_steps.append(clear_credential_faults)
        elif isinstance(request, AccessRequest) and isinstance(expected.payload, AccessResponse):
            CosemModel(work).clear_faults()
            if inject_dlms_fault(work, request, expected.payload):
                notes.append("hardware fault injected")
                injected.append("outcome:dlms-fault")
            undo_steps.append(lambda s: CosemModel(s).clear_faults())
        elif isinstance(request, GbzPayload) and isinstance(expected.payload, GbzPayload):
            if inject_gbz_faults(ZclModel(work), request, expected.payload.to_json()):
                notes.append("ZCL fault injected")
                injected.append("outcome:zcl-fault")
            undo_steps.append(lambda s: ZclModel(s).clear_faults())
        elif isinstance(request, Asn1Payload | type(None)) and (fault := device_log_fault(expected)):
            log_objects = dict(work.objects.get("device_log") or {})
            log_objects["faults"] = [fault]
            work.objects["device_log"] = log_objects
            notes.append(f"device log {fault} fault injected")
            injected.append("outcome:device-log-fault")

            def clear_log_fault(s: DeviceState) -> None:
                s.objects["device_log"] = {k: v for k, v in (s.objects.get("device_log") or {}).items()
                                           if k != "faults"}
            undo_steps.append(clear_log_fault)
    if "NOT_FOUND" in tags(name) and isinstance(request, GbzPayload):
        model = ZclModel(work)
        saved = model.objects.get("tables")
        model.objects["tables"] = {}
        notes.append("empty data tables")
        injected.append("empty-tables")

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

    return Prepared(data, notes, undo, injected)
