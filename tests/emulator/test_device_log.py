"""HAN joining and device logs: CS03, CS04, CS07, GPF GCS59 restore and GCS62 backup (digest 5.5, 5.8).

The first part runs on the project's own test PKI; the second replays the RTDS join, unjoin, read and
restore commands against freshly provisioned devices and compares each answer with the RTDS
RESPONSE/ALERT of the same name (message code, CRA flag, protection, outcome, ASN.1 schema and shape).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from smets_emu.emulator.device import Outcome
from smets_emu.emulator.device_log import (
    BACKUP_GPF_DEVICE_LOG,
    DeviceLogUseCases,
    JoinResponse,
    device_log_capacity,
)
from smets_emu.emulator.devices import DEVICE_CLASSES, device_for
from smets_emu.emulator.provision import new_device_state
from smets_emu.emulator.state import DeviceState
from smets_emu.parties.headend import ACB_EUI, HeadEnd
from smets_emu.protocols.envelope import CraFlag
from smets_emu.protocols.keystore import Keystore, KeyUsage
from smets_emu.protocols.message import Message, decode_message
from smets_emu.protocols.payloads.asn1 import Asn1Payload
from smets_emu.protocols.pki import TestPki, generate_test_pki
from smets_emu.protocols.rtds import RtdsFile, keystore_folder, message_folder
from smets_emu.tools.rtds_scenarios import device_log_fault, run_join, site_joins

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
SUPPLIER = bytes.fromhex("90B3D51F30010000")
RTDS_DEVICES = {"A0": "ESME", "A1": "GSME", "A2": "CHF", "A3": "GPF", "A4": "PPMID", "A5": "HCALCS"}
EMULATED = {"ESME", "GSME", "CHF", "GPF"}
PPMID = bytes.fromhex("00DB123456789098")
COMMAND, RESPONSE = 1, 2


def eui_for(device_type: str) -> bytes:
    suffix = {v: k for k, v in RTDS_DEVICES.items()}[device_type]
    return bytes.fromhex("00DB1234567890" + suffix)


# --- command builders ----------------------------------------------------------------------------


class Lab:
    """One device and the head-end talking to it, with a rolling originator counter per role."""

    def __init__(self, keystore: Keystore, state: DeviceState) -> None:
        self.headend = HeadEnd(keystore)
        self.headend.register_device(state)
        self.device = device_for(state)
        self.counter = 900

    def send(self, code: int, schema: str, value: Any, *, originator: bytes = SUPPLIER) -> Outcome:
        self.counter += 1
        payload = Asn1Payload(schema, value, code, COMMAND)
        data = self.headend.command(
            originator=originator, recipient=self.device.eui, message_code=code, payload=payload, counter=self.counter
        )
        return self.device.handle(data, NOW)

    def join(self, code: int, method: int, eui: bytes, device_type: int, cert: bytes | None = None) -> Outcome:
        value: dict[str, Any] = {
            "joinMethodAndRole": method,
            "otherDeviceEntityId": eui.hex(),
            "otherDeviceType": device_type,
        }
        if cert is not None:
            value["otherDeviceKACertificate"] = {"der": cert.hex()}
        return self.send(code, "CS03Command", value)

    def answer(self, outcome: Outcome) -> Any:
        assert outcome.accepted, outcome.reason
        (response,) = outcome.responses
        return self.headend.decode(response.message).payload.value


def ka_certificate(pki: TestPki, eui: bytes) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    return pki.issue_device_certificate(eui, KeyUsage.KA, key.public_key()).public_bytes(Encoding.DER)


@pytest.fixture()
def pki() -> TestPki:
    return generate_test_pki(seed="device-log")


def lab_for(pki: TestPki, device_type: str) -> Lab:
    state = new_device_state(eui_for(device_type), device_type, pki.keystore, pki=pki)
    return Lab(pki.keystore, state)


# --- behaviour on the project's own PKI --------------------------------------------------------


def test_every_device_class_has_the_component() -> None:
    for cls in DEVICE_CLASSES.values():
        assert DeviceLogUseCases in cls.component_types
        assert cls._routes[0x000D][1] == "join_device"


def test_esme_join_read_unjoin(pki: TestPki) -> None:
    lab = lab_for(pki, "ESME")
    assert lab.answer(lab.join(0x000D, 0, PPMID, 5)) == "success(0)"
    entry = lab.device.state.device_log[0]
    assert entry["eui"] == "00DB123456789098" and entry["device_type"] == 5 and entry["join_method"] == 0
    assert lab.answer(lab.send(0x0013, "CS07Command", None)) == {
        "responseCode": "success(0)",
        "deviceLogEntries": [{"deviceId": "00DB123456789098", "deviceType": "ppmid(5)"}],
    }
    assert lab.answer(lab.send(0x000F, "CS04Command", PPMID.hex())) == "success(0)"
    assert lab.device.state.device_log == []
    assert lab.answer(lab.send(0x000F, "CS04Command", PPMID.hex())) == "notInDeviceLog(1)"
    restored = DeviceState.loads(lab.device.state.dumps())
    assert restored.device_log == lab.device.state.device_log


@pytest.mark.parametrize(
    ("device_type", "code", "method", "other_type", "expected"),
    [
        ("ESME", 0x000D, 2, 5, JoinResponse.INVALID_MESSAGE_CODE_FOR_JOIN_METHOD_AND_ROLE),
        ("ESME", 0x00AB, 1, 5, JoinResponse.INVALID_JOIN_METHOD_AND_ROLE),  # a meter is never the responder
        ("ESME", 0x000E, 2, 5, JoinResponse.INVALID_JOIN_METHOD_AND_ROLE),  # a PPMID joins by Method A
        ("ESME", 0x000E, 2, 6, JoinResponse.SUCCESS),
        ("ESME", 0x000D, 0, 4, JoinResponse.SUCCESS),
        ("ESME", 0x000D, 9, 4, JoinResponse.INVALID_JOIN_METHOD_AND_ROLE),
        ("GSME", 0x000E, 2, 3, JoinResponse.SUCCESS),
        ("GSME", 0x000E, 2, 5, JoinResponse.INVALID_JOIN_METHOD_AND_ROLE),
        ("GSME", 0x00AF, 3, 5, JoinResponse.INVALID_OR_MISSING_CERTIFICATE),  # no certificate
        ("GPF", 0x000E, 2, 0, JoinResponse.SUCCESS),
        ("GPF", 0x000D, 0, 5, JoinResponse.SUCCESS),
        ("GPF", 0x000D, 0, 1, JoinResponse.INVALID_JOIN_METHOD_AND_ROLE),
    ],
)
def test_join_validation(
    pki: TestPki, device_type: str, code: int, method: int, other_type: int, expected: JoinResponse
) -> None:
    lab = lab_for(pki, device_type)
    answer = lab.answer(lab.join(code, method, PPMID, other_type))
    assert answer.endswith(f"({int(expected)})")
    assert len(lab.device.state.device_log) == (1 if expected is JoinResponse.SUCCESS else 0)


def test_incompatible_and_repeated_entries(pki: TestPki) -> None:
    lab = lab_for(pki, "ESME")
    assert lab.answer(lab.join(0x000D, 0, PPMID, 4)) == "success(0)"
    assert lab.answer(lab.join(0x000D, 0, PPMID, 5)) == "incompatibleWithExistingEntry(3)"
    assert lab.answer(lab.join(0x000D, 0, PPMID, 4)) == "success(0)"  # a rejoin refreshes the entry
    assert lab.answer(lab.join(0x000E, 2, lab.device.eui, 6)) == "incompatibleWithExistingEntry(3)"
    assert len(lab.device.state.device_log) == 1


def test_device_log_full_per_profile(pki: TestPki) -> None:
    lab = lab_for(pki, "ESME")
    lab.device.state.objects["device_log"] = {"capacity": 2}
    capacity = device_log_capacity(lab.device.state)
    assert capacity == 2
    for n in range(capacity):
        assert lab.answer(lab.join(0x000E, 2, bytes.fromhex(f"00DB1234567800{n:02X}"), 6)) == "success(0)"
    assert lab.answer(lab.join(0x000E, 2, bytes.fromhex("00DB1234567800FF"), 6)) == "deviceLogFull(4)"
    assert device_log_capacity(lab_for(pki, "ESME").device.state) > capacity


def test_gsme_ppmid_method_c_certificate(pki: TestPki) -> None:
    lab = lab_for(pki, "GSME")
    assert lab.answer(lab.join(0x00AF, 3, PPMID, 5)) == "invalidOrMissingCertificate(11)"
    wrong = ka_certificate(pki, bytes.fromhex("00DB123456789099"))  # names another device
    assert lab.answer(lab.join(0x00AF, 3, PPMID, 5, wrong)) == "invalidOrMissingCertificate(11)"
    signing = pki.issue_device_certificate(PPMID, KeyUsage.DS, ec.generate_private_key(ec.SECP256R1()).public_key())
    assert lab.answer(lab.join(0x00AF, 3, PPMID, 5, signing.public_bytes(Encoding.DER))) == (
        "invalidOrMissingCertificate(11)"
    )
    assert lab.device.state.device_log == []
    good = ka_certificate(pki, PPMID)
    assert lab.answer(lab.join(0x00AF, 3, PPMID, 5, good)) == "success(0)"
    assert lab.device.state.device_log[0]["ka_certificate"] == good.hex().upper()


def test_gpf_backup_alert_on_change(pki: TestPki) -> None:
    lab = lab_for(pki, "GPF")
    outcome = lab.join(0x000D, 0, PPMID, 5)
    assert lab.answer(outcome) == "success(0)"
    (alert,) = outcome.alerts
    assert alert.message_code == BACKUP_GPF_DEVICE_LOG and alert.recipient == ACB_EUI
    report = lab.headend.verify(alert.message)
    assert report.mac.value == "valid" and report.signature.value == "absent"
    body = lab.headend.decode(alert.message)
    assert body.header.cra_flag is CraFlag.ALERT
    assert body.payload.value == {
        "alertCode": "gpfDeviceLogChanged(0x8071)",
        "backupDateTime": "20260101000000Z",
        "deviceLogEntries": [{"deviceId": PPMID.hex().upper(), "deviceType": "ppmid(5)"}],
    }
    assert lab.join(0x000D, 0, PPMID, 4).alerts == []  # refused join: no change, no alert
    assert len(lab.send(0x000F, "CS04Command", PPMID.hex()).alerts) == 1
    assert lab.send(0x000F, "CS04Command", PPMID.hex()).alerts == []


def test_gpf_restore_outcomes(pki: TestPki) -> None:
    lab = lab_for(pki, "GPF")
    lab.device.state.objects["device_log"] = {"capacity": 2}
    lab.join(0x000E, 2, bytes.fromhex("00DB123456789001"), 0)
    entries = [
        {"deviceId": "00DB123456789001", "deviceType": 0},  # already there: success, unchanged
        {"deviceId": "00DB123456789001", "deviceType": 5},  # incompatible
        {"deviceId": "00DB123456789002", "deviceType": 1},  # an ESME never joins a GPF
        {"deviceId": "00DB123456789003", "deviceType": 6},
        {"deviceId": "00DB123456789004", "deviceType": 5},  # capacity 2 reached
    ]
    outcome = lab.send(0x008C, "GCS59Command", {"deviceLogEntries": entries}, originator=ACB_EUI)
    codes = [o["joinResponseCode"] for o in lab.answer(outcome)["restoreOutcomes"]]
    assert codes == [
        "success(0)",
        "incompatibleWithExistingEntry(3)",
        "invalidJoinMethodAndRole(2)",
        "success(0)",
        "deviceLogFull(4)",
    ]
    assert [e["eui"] for e in lab.device.state.device_log] == ["00DB123456789001", "00DB123456789003"]
    assert [a.message_code for a in outcome.alerts] == [BACKUP_GPF_DEVICE_LOG]


def test_injected_faults(pki: TestPki) -> None:
    lab = lab_for(pki, "ESME")
    assert lab.answer(lab.join(0x000D, 0, PPMID, 5)) == "success(0)"
    lab.device.state.objects["device_log"] = {"faults": ["read", "write"]}
    assert lab.answer(lab.send(0x0013, "CS07Command", None)) == {"responseCode": "readFailure(1)"}
    assert lab.answer(lab.join(0x000E, 2, bytes.fromhex("00DB123456789001"), 6)) == "writeFailure(5)"
    assert lab.answer(lab.send(0x000F, "CS04Command", PPMID.hex())) == "otherFailure(2)"
    assert [e["eui"] for e in lab.device.state.device_log] == [PPMID.hex().upper()]
    gpf = lab_for(pki, "GPF")
    gpf.device.state.objects["device_log"] = {"faults": ["write"]}
    outcome = gpf.send(0x008C, "GCS59Command", {"deviceLogEntries": [{"deviceId": PPMID.hex(), "deviceType": 5}]},
                       originator=ACB_EUI)
    assert gpf.answer(outcome)["restoreOutcomes"][0]["joinResponseCode"] == "writeFailure(5)"
    assert outcome.alerts == [] and gpf.device.state.device_log == []


@pytest.mark.parametrize(
    ("device_type", "code", "schema", "value"),
    [
        (
            "CHF",
            0x000E,
            "CS03Command",
            {"joinMethodAndRole": 2, "otherDeviceEntityId": PPMID.hex(), "otherDeviceType": 6},
        ),
        ("CHF", 0x0013, "CS07Command", None),
        ("ESME", 0x008C, "GCS59Command", {"deviceLogEntries": []}),  # GCS59 is for a GPF only
    ],
)
def test_unsupported_device_refuses_with_alert(
    pki: TestPki, device_type: str, code: int, schema: str, value: Any
) -> None:
    lab = lab_for(pki, device_type)
    outcome = lab.send(code, schema, value, originator=ACB_EUI)
    assert not outcome.accepted and outcome.responses == []
    assert "device log" in outcome.reason or "GPF" in outcome.reason
    (alert,) = outcome.alerts
    assert lab.headend.decode(alert.message).payload.to_json()["alert_code"] in ("8F1E", 0x8F1E)
    assert lab.device.state.device_log == []


# --- RTDS comparison ---------------------------------------------------------------------------

RTDS_FOLDERS = ("8.7.1_*", "8.7.2_*", "8.8.1_*", "8.8.2_*", "8.9_CS07", "8.12.2_GCS59")

# What each RTDS scenario presumes about the device log (entries joined first through HAN join
# commands, a device log fault for the error case) is derived by the product's
# ``smets_emu.tools.rtds_scenarios.site_joins`` and ``device_log_fault``.


def shape(value: Any) -> Any:
    """The structure of a decoded ASN.1 tree: keys and element shapes, not values."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items() if k != "der"}
    if isinstance(value, list):
        return sorted({json.dumps(shape(v), sort_keys=True) for v in value})
    return type(value).__name__


def outcome_of(message: Message) -> Any:
    """The result a response or alert reports (response codes; join codes per restored entry)."""
    value = message.payload.value  # type: ignore[attr-defined]
    if isinstance(value, dict):
        if "restoreOutcomes" in value:
            return [o["joinResponseCode"] for o in value["restoreOutcomes"]]
        return value.get("responseCode", value.get("alertCode"))
    return value


def summary(message: Message) -> dict[str, Any]:
    return {
        "message_code": message.message_code,
        "cra_flag": message.cra_flag,
        "signed": message.signature is not None,
        "maced": message.mac is not None,
        "outcome": outcome_of(message),
        "schema": message.payload.to_json().get("schema"),
        "shape": shape(message.payload.to_json().get("value")),
    }


@dataclass
class Comparison:
    name: str
    ours: dict[str, Any] | None
    rtds: dict[str, Any]

    @property
    def same(self) -> bool:
        return self.ours == self.rtds


def _read(path: Path) -> bytes:
    return bytes.fromhex("".join(path.read_text(encoding="ascii").split()))


def replay_folder(
    root: Path, folder: Path, *, setup: bool = True, faults: bool = True
) -> tuple[str, list[Comparison], list[Outcome]]:
    """Replay a folder's COMMANDs in counter order on a fresh device; compare with the RTDS RESPONSEs."""
    commands = sorted(
        ((decode_message(_read(p)), p) for p in folder.glob("*_COMMAND_GBCS.HEX")),
        key=lambda item: item[0].header.originator_counter,
    )
    target = commands[0][0].header.recipient
    device_type = RTDS_DEVICES[target.hex().upper()[-2:]]
    if device_type not in EMULATED:
        return device_type, [], []
    keystore = Keystore.load(keystore_folder(root))
    state = new_device_state(target, device_type, keystore)
    lab = Lab(keystore, state)
    responses = {p.name: decode_message(_read(p)) for p in folder.glob("*_RESPONSE_GBCS.HEX")}
    if setup:
        pki = generate_test_pki(seed="rtds-site")
        scenario_commands = [(RtdsFile(path, folder.name, "COMMAND"), message) for message, path in commands]
        for join in site_joins(scenario_commands, responses):
            lab.counter += 1
            outcome = run_join(lab.device, lab.headend, join, lab.counter, NOW, pki)
            assert lab.answer(outcome) == "success(0)"
    results, outcomes = [], []
    for _, path in commands:
        name = path.name.split("_COMMAND_")[0]
        rtds = responses[path.name.replace("_COMMAND_", "_RESPONSE_")]
        fault = device_log_fault(rtds)
        if faults and fault and name.endswith("_ERROR"):
            lab.device.state.objects["device_log"] = {"faults": [fault]}
        outcome = lab.device.handle(lab.headend.reseal(_read(path)), NOW)
        outcomes.append(outcome)
        ours = [lab.headend.decode(o.message) for o in outcome.responses]
        assert all(lab.headend.verify(o.message).mac.value != "invalid" for o in outcome.outbound)
        results.append(Comparison(name, summary(ours[0]) if ours else None, summary(rtds)))
    return device_type, results, outcomes


def _folders(root: Path) -> list[Path]:
    base = message_folder(root)
    return [f for pattern in RTDS_FOLDERS for f in sorted(base.glob(pattern)) if f.is_dir()]


def test_rtds_device_log_folders(rtds_root: Path) -> None:
    """Every RTDS response of the device log folders, replayed on fresh emulated devices, matches."""
    compared, skipped, mismatches = 0, [], {}
    without_faults = bare = 0
    for folder in _folders(rtds_root):
        device_type, results, _ = replay_folder(rtds_root, folder)
        if not results:
            skipped.append(f"{folder.name} ({device_type})")
            continue
        without_faults += sum(r.same for r in replay_folder(rtds_root, folder, faults=False)[1])
        bare += sum(r.same for r in replay_folder(rtds_root, folder, setup=False, faults=False)[1])
        compared += len(results)
        mismatches.update({r.name: (r.ours, r.rtds) for r in results if not r.same})
    print(f"device log RTDS: {compared - len(mismatches)}/{compared} responses match "
          f"({without_faults} without the injected fault, {bare} on bare devices); skipped {skipped}")
    assert mismatches == {}
    assert compared == 12 and without_faults == 11 and bare == 8
    assert skipped == ["8.7.1_CS03A2Critical (HCALCS)", "8.7.2_CS03A2NonCritical (PPMID)",
                       "8.7.2_CS03CNonCritical (PPMID)", "8.8.2_CS04ACNonCritical (PPMID)"]


def test_rtds_gcs62_alert_shape(rtds_root: Path) -> None:
    """The GCS62 alert raised after the GCS59 restore has the RTDS alert's code, protection and structure."""
    base = message_folder(rtds_root)
    _, results, outcomes = replay_folder(rtds_root, base / "8.12.2_GCS59")
    assert results and all(r.same for r in results)
    (alert,) = outcomes[0].alerts
    rtds = decode_message(_read(base / "NA_GCS62" / "GCS62_NA_8071_ALERT_GBCS.HEX"))
    ours = decode_message(alert.message)
    assert ours.header.recipient == rtds.header.recipient == ACB_EUI
    assert summary(ours) == summary(rtds)


@pytest.mark.parametrize("device_type", sorted(EMULATED))
def test_rtds_commands_on_every_device_type(rtds_root: Path, device_type: str) -> None:
    """Every RTDS device log command, re-addressed to each device type, gets a GBCS answer, never an exception."""
    base = message_folder(rtds_root)
    keystore = Keystore.load(keystore_folder(rtds_root))
    paths = [p for pattern in RTDS_FOLDERS for p in sorted(base.glob(f"{pattern}/*_COMMAND_GBCS.HEX"))]
    assert paths
    for path in paths:
        state = new_device_state(eui_for(device_type), device_type, keystore)
        lab = Lab(keystore, state)
        outcome = lab.device.handle(lab.headend.reseal(_read(path), recipient=state.eui), NOW)
        assert outcome.outbound, path.name
        if device_type == "CHF":
            assert outcome.responses == [], path.name
        for response in outcome.responses:
            assert lab.headend.verify(response.message).mac.value != "invalid"
            assert lab.headend.decode(response.message).payload.to_json()["schema"].startswith(("CS0", "GCS59"))
