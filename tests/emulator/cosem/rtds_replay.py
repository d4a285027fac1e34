"""Replaying RTDS DLMS use-case folders against fresh emulated devices and comparing response shapes.

Per folder: provision the target device from the RTDS keystore, re-seal each COMMAND for it
(in originator-counter order), handle it and compare the device's response with the RTDS
RESPONSE of the same name: message code, CRA flag, outcome (every result success, or the same
result codes) and structure (same APDU, same number and kinds of results, same DLMS type tree;
values, array lengths and numbers of profile entries may differ).

The RTDS ERROR scenarios show a device answering ``hardware-fault`` on one access (and
``other-reason`` after it); the replay sets the same fault up with the device's fault
injection before sending the command. Preconditions and comparison rules are the product's
(``smets_emu.tools.rtds_scenarios`` and ``smets_emu.tools.rtds_replay``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from smets_emu.emulator.cosem import CosemModel
from smets_emu.emulator.device import Device
from smets_emu.emulator.devices import device_for
from smets_emu.emulator.provision import new_device_state
from smets_emu.parties.headend import HeadEnd
from smets_emu.protocols.envelope import CraFlag, decode_envelope
from smets_emu.protocols.keystore import Keystore
from smets_emu.protocols.message import Message, decode_message
from smets_emu.protocols.payloads.dlms import (
    DLMS_MESSAGE_CODES,
    AccessRequest,
    AccessResponse,
    DataAccessResult,
)
from smets_emu.protocols.rtds import RtdsFile, keystore_folder, list_files
from smets_emu.protocols.security import GbcsKeys
from smets_emu.tools.rtds_replay import dlms_shape as shape
from smets_emu.tools.rtds_replay import first_difference, same_shape
from smets_emu.tools.rtds_scenarios import inject_dlms_fault as inject_rtds_fault
from smets_emu.tools.rtds_scenarios import profile_for, twin_keys

DEVICE_TYPES = {
    bytes.fromhex("00DB1234567890A0"): "ESME",
    bytes.fromhex("00DB1234567890A6"): "ESME",
    bytes.fromhex("00DB1234567890A2"): "CHF",
}
NOW = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
HARDWARE_FAULT = int(DataAccessResult.HARDWARE_FAULT)


@dataclass(frozen=True)
class FolderCase:
    """An RTDS folder whose commands are DLMS access-requests to an ESME or CHF."""

    folder: str
    commands: tuple[RtdsFile, ...]
    responses: dict[str, RtdsFile]


def dlms_folders(root: Path) -> list[FolderCase]:
    """The RTDS folders with DLMS commands for the ESME (…A0/…A6) or the CHF (…A2)."""
    by_folder: dict[str, list[RtdsFile]] = defaultdict(list)
    for f in list_files(root):
        by_folder[f.use_case_folder].append(f)
    cases = []
    for folder, files in sorted(by_folder.items()):
        commands = []
        for f in files:
            if f.kind != "COMMAND":
                continue
            env = decode_envelope(f.read())
            if env.header.recipient in DEVICE_TYPES and env.header.message_code in DLMS_MESSAGE_CODES:
                if isinstance(decode_message(f.read()).payload, AccessRequest):
                    commands.append((env.header.originator_counter, f))
        if commands:
            responses = {f.path.name: f for f in files if f.kind == "RESPONSE"}
            ordered = tuple(f for _, f in sorted(commands, key=lambda c: (c[0], c[1].path.name)))
            cases.append(FolderCase(folder, ordered, responses))
    return cases


def replay_folder(root: Path, case: FolderCase) -> list[str]:
    """Replay one folder; the list of mismatches (empty when every response matches)."""
    logging.disable(logging.WARNING)
    keystore = Keystore.load(keystore_folder(root))
    rtds_keys = GbcsKeys(Keystore.load(keystore_folder(root)))
    headend = HeadEnd(keystore)
    devices: dict[tuple[bytes, str], Device] = {}
    problems: list[str] = []
    for command in case.commands:
        name = command.path.name
        eui = decode_envelope(command.read()).header.recipient
        profile = profile_for(name)  # RTDS TWIN scenarios address a twin-element ESME
        device = devices.get((eui, profile))
        if device is None:
            twin_of = next((d for (e, _), d in devices.items() if e == eui), None)
            keys = None if twin_of is None else twin_keys(twin_of)
            state = new_device_state(eui, DEVICE_TYPES[eui], keystore, profile=profile, keys=keys)
            device = devices[(eui, profile)] = device_for(state)
            headend.register_device(state)
        reply_file = case.responses.get(name.replace("_COMMAND_", "_RESPONSE_"))
        raw = command.read()
        if decode_envelope(raw).header.message_code == 0x0007:  # CS01a: the UTRN minted for this device's key
            from smets_emu.tools.rtds_scenarios import remint_top_up

            raw = remint_top_up(raw, keystore, device.state)
        request = decode_message(raw).payload
        expected = None
        if reply_file is not None:
            renv = decode_envelope(reply_file.read())
            expected = decode_message(reply_file.read(), decrypt=rtds_keys.decryptor(renv.header))
        if expected is not None and isinstance(expected.payload, AccessResponse) and isinstance(request,
                                                                                                AccessRequest):
            work = device.state.clone()
            CosemModel(work).clear_faults()
            inject_rtds_fault(work, request, expected.payload)
            device.state = work
        outcome = device.handle(headend.reseal(raw), NOW)
        device.state = outcome.state
        work = device.state.clone()
        CosemModel(work).clear_faults()
        device.state = work
        if expected is None:
            continue
        responses = outcome.responses
        if len(responses) != 1:
            problems.append(f"{name}: {len(responses)} responses ({outcome.reason})")
            continue
        ours = headend.decode(responses[0].message)
        problems.extend(f"{name}: {p}" for p in compare(ours, expected, headend, responses[0].message))
    return problems


def compare(ours: Message, theirs: Message, headend: HeadEnd, wire: bytes) -> list[str]:
    """Differences between our decoded response and the RTDS one."""
    out: list[str] = []
    oh, th = ours.header, theirs.header
    if oh.message_code != th.message_code:
        out.append(f"message code 0x{oh.message_code:04X} != 0x{th.message_code:04X}")
    if oh.cra_flag != th.cra_flag or oh.cra_flag is not CraFlag.RESPONSE:
        out.append(f"CRA flag {oh.cra_flag} != {th.cra_flag}")
    if (ours.signature is None) != (theirs.signature is None):
        out.append("signed/MACed form differs")
    op, tp = ours.payload, theirs.payload
    if type(op) is not type(tp):
        return [*out, f"APDU {type(op).__name__} != {type(tp).__name__}"]
    if not isinstance(op, AccessResponse):
        return out
    if op.invoke.invoke_id != oh.originator_counter & 0xFFFFFF:
        out.append("invoke id is not the command's")
    ours_results = [(r.kind, int(r.result)) for r in op.results]
    their_results = [(r.kind, int(r.result)) for r in tp.results]
    if ours_results != their_results:
        out.append(f"results {ours_results} != {their_results}")
        return out
    for i, (a, b) in enumerate(zip(op.data, tp.data, strict=True)):
        if not same_shape(shape(a), shape(b)):
            out.append(f"data[{i}] {first_difference(shape(a), shape(b))}")
    report = headend.verify(wire)
    if "invalid" in (str(report.mac.value), str(report.signature.value)):
        out.append(f"protection {report}")
    return out


def future_dated_targets(root: Path, case: FolderCase) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """(ours, RTDS): the 0x00CC alerts after each FUTURE_DATED command runs on a fresh device and comes due.

    Each alert is reduced to its alert code, the signed flag and the future-dated target (message
    code, command counter, attribute descriptor).
    """
    logging.disable(logging.WARNING)
    keystore = Keystore.load(keystore_folder(root))
    ours: list[dict[str, object]] = []
    for command in case.commands:
        if "FUTURE_DATED" not in command.path.name or "_ERROR_" in command.path.name:
            continue
        eui = decode_envelope(command.read()).header.recipient
        state = new_device_state(eui, DEVICE_TYPES[eui], keystore)
        device = device_for(state)
        headend = HeadEnd(keystore)
        headend.register_device(state)
        device.handle(headend.reseal(command.read()), NOW)
        done = device.due(dt.datetime(2099, 1, 1, tzinfo=dt.UTC))
        for alert in done.alerts:
            message = headend.decode(alert.message)
            body = message.payload.to_json()
            ours.append({"alert": body.get("alert_code"), "signed": message.signature is not None,
                         "target": body.get("future_dated_command")})
    theirs: list[dict[str, object]] = []
    for f in list_files(root):
        if f.use_case_folder == case.folder and f.kind == "ALERT" and decode_envelope(f.read()).header.message_code \
                == 0x00CC:
            message = decode_message(f.read())
            body = message.payload.to_json()
            theirs.append({"alert": body.get("alert_code"), "signed": message.signature is not None,
                           "target": body.get("future_dated_command")})
    key = repr
    return sorted(ours, key=key), sorted(theirs, key=key)
