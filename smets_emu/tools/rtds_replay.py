"""``smets-emu rtds-replay``: drive emulated devices with the DCC reference test data and compare.

For each RTDS use-case folder, devices with the RTDS EUIs are provisioned with the RTDS
organisation certificates in their trust anchor cells and fresh key pairs (RTDS ships no device
private keys). Each COMMAND is re-MACed (and re-signed where the keystore holds the signer's
key) for the emulated device, delivered in originator-counter order, and the device's response
is compared with the RTDS RESPONSE of the same name: message code, CRA flag, outcome (success
or the same error) and payload structure. Future-dated commands are then run on the virtual
clock and the alerts compared with the RTDS ALERT files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smets_emu.emulator.device import Device
from smets_emu.emulator.devices import device_for
from smets_emu.emulator.headend import HeadEnd
from smets_emu.emulator.provision import new_device_state
from smets_emu.errors import SmetsError
from smets_emu.protocols.envelope import decode_envelope
from smets_emu.protocols.keystore import Keystore
from smets_emu.protocols.message import Message
from smets_emu.protocols.rtds import RtdsFile, find_rtds_root, keystore_folder, list_files

log = logging.getLogger(__name__)

RTDS_DEVICES: dict[bytes, str] = {
    bytes.fromhex("00DB1234567890A0"): "ESME",
    bytes.fromhex("00DB1234567890A1"): "GSME",
    bytes.fromhex("00DB1234567890A2"): "CHF",
    bytes.fromhex("00DB1234567890A3"): "GPF",
    bytes.fromhex("00DB1234567890A6"): "ESME",
}
"""RTDS device identities and the emulated type behind each (PPMID …A4 and HCALCS …A5 are not emulated)."""

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

OUTCOME_KEYS = frozenset(
    {"result", "status", "statusCode", "responseCode", "activateImageResponseCode", "joinResponseCode",
     "commandAccepted", "alert_code", "alertCode"}
)
INFORMATIVE_KEYS = frozenset({"decrypted", "iso", "text", "obis_values", "object", "class", "date_time", "hex",
                              "attributes", "cluster", "command", "name"})


@dataclass
class FileResult:
    """Comparison of one RTDS RESPONSE or ALERT with what the emulator sent."""

    name: str
    verdict: str  # conform, differ, unsupported
    detail: str = ""


@dataclass
class FolderResult:
    """Comparison of one use-case folder."""

    folder: str
    verdict: str
    files: list[FileResult] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"folder": self.folder, "verdict": self.verdict,
                "files": [{"name": f.name, "verdict": f.verdict, "detail": f.detail} for f in self.files]}


def shape(value: Any) -> Any:
    """The structure of a payload's JSON tree: keys, list element shapes and leaf types."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in sorted(value.items()) if k not in INFORMATIVE_KEYS}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def outcome(value: Any) -> list[Any]:
    """Result and status codes found anywhere in a payload's JSON tree."""
    found: list[Any] = []

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            for k, item in sorted(v.items()):
                if k in OUTCOME_KEYS and not isinstance(item, (dict, list)):
                    found.append((k, item))
                elif k not in INFORMATIVE_KEYS:
                    walk(item)
        elif isinstance(v, list):
            for item in v:
                walk(item)

    walk(value)
    return found


def compare(expected: Message, actual: Message) -> str:
    """Empty string when the messages conform, else what differs."""
    if expected.message_code != actual.message_code:
        return f"message code 0x{actual.message_code:04X} != 0x{expected.message_code:04X}"
    if expected.cra_flag is not actual.cra_flag:
        return f"CRA {actual.cra_flag.name} != {expected.cra_flag.name}"
    want, got = expected.payload.to_json(), actual.payload.to_json()
    if want.get("family") != got.get("family"):
        return f"payload family {got.get('family')} != {want.get('family')}"
    if outcome(want) != outcome(got):
        return f"outcome {outcome(got)} != {outcome(want)}"
    if shape(want) != shape(got):
        return "payload structure differs"
    return ""


def _response_name(command: RtdsFile) -> str:
    return command.path.name.replace("_COMMAND", "_RESPONSE", 1)


def _counter(item: RtdsFile) -> int:
    try:
        return decode_envelope(item.read()).header.originator_counter
    except SmetsError:
        return 0


def replay_folder(files: list[RtdsFile], keystore_dir: Path) -> FolderResult:
    """Replay one use-case folder on fresh devices."""
    folder = files[0].use_case_folder
    by_name = {f.path.name: f for f in files}
    commands = sorted((f for f in files if f.kind == "COMMAND"), key=_counter)
    expected_alerts = [f for f in files if f.kind == "ALERT"]
    result = FolderResult(folder, "unsupported")
    if not commands:
        result.files = [FileResult(f.path.name, "unsupported", "device-originated alert without a trigger")
                        for f in expected_alerts]
        return result
    keystore = Keystore.load(keystore_dir)
    headend = HeadEnd(Keystore.load(keystore_dir))
    devices: dict[bytes, Device] = {}
    now = START
    produced_alerts: list[Message] = []
    for cmd in commands:
        recipient = decode_envelope(cmd.read()).header.recipient
        device_type = RTDS_DEVICES.get(recipient)
        response_file = by_name.get(_response_name(cmd))
        if device_type is None:
            detail = f"device {recipient.hex().upper()} not emulated"
            result.files.append(FileResult(cmd.path.name, "unsupported", detail))
            continue
        device = devices.get(recipient)
        if device is None:
            state = new_device_state(recipient, device_type, keystore)
            device = devices[recipient] = device_for(state)
            headend.register_device(state)
        try:
            data = headend.reseal(cmd.read())
        except SmetsError as exc:
            result.files.append(FileResult(cmd.path.name, "unsupported", f"cannot re-protect: {exc}"))
            continue
        out = device.handle(data, now)
        for alert in out.alerts:
            produced_alerts.append(headend.decode(alert.message))
        if response_file is None:
            continue
        expected = headend.decode(response_file.read())
        responses = out.responses
        if not responses:
            result.files.append(FileResult(response_file.path.name, "differ", f"no response: {out.reason}"))
            continue
        actual = headend.decode(responses[0].message)
        diff = compare(expected, actual)
        result.files.append(FileResult(response_file.path.name, "differ" if diff else "conform", diff))
        now += dt.timedelta(minutes=1)
    for device in devices.values():  # run future-dated work
        for step in range(1, 5):
            out = device.due(START + dt.timedelta(days=365 * 10 * step))
            produced_alerts.extend(headend.decode(a.message) for a in out.alerts)
    for alert_file in expected_alerts:
        expected = headend.decode(alert_file.read())
        matches = [a for a in produced_alerts if not compare(expected, a)]
        if matches:
            produced_alerts.remove(matches[0])
            result.files.append(FileResult(alert_file.path.name, "conform"))
        else:
            same_code = [a for a in produced_alerts if a.message_code == expected.message_code]
            detail = compare(expected, same_code[0]) if same_code else "alert not raised"
            result.files.append(FileResult(alert_file.path.name, "differ", detail))
    verdicts = Counter(f.verdict for f in result.files)
    if verdicts["differ"]:
        result.verdict = "differ"
    elif verdicts["conform"]:
        result.verdict = "conform"
    return result


def replay(rtds: Path, *, only: list[str] | None = None) -> list[FolderResult]:
    """Replay every use-case folder (or those named in *only*)."""
    files = list_files(rtds)
    Keystore.load(keystore_folder(rtds))  # report keystore anomalies once, then keep per-folder loads quiet
    logging.getLogger("smets_emu.protocols.keystore").setLevel(logging.ERROR)
    folders: dict[str, list[RtdsFile]] = {}
    for f in files:
        folders.setdefault(f.use_case_folder, []).append(f)
    results = []
    for name in sorted(folders):
        if only and name not in only:
            continue
        try:
            results.append(replay_folder(folders[name], keystore_folder(rtds)))
        except SmetsError as exc:
            log.warning("folder %s failed: %s", name, exc)
            results.append(FolderResult(name, "differ", [FileResult(name, "differ", str(exc))]))
    return results


def run_replay(args: argparse.Namespace) -> int:
    """Entry point of ``smets-emu rtds-replay``."""
    root = Path(args.rtds) if args.rtds else find_rtds_root()
    if root is None or not root.is_dir():
        sys.stderr.write("RTDS folder not found (give --rtds DIR)\n")
        return 2
    results = replay(root, only=args.folder)
    totals = Counter(r.verdict for r in results)
    width = max((len(r.folder) for r in results), default=10)
    for r in results:
        detail = next((f"{f.name}: {f.detail}" for f in r.files if f.verdict == "differ"), "")
        sys.stdout.write(f"{r.folder:<{width}}  {r.verdict:<11}  {detail[:120]}\n")
    total = len(results)
    sys.stdout.write(
        f"\n{total} use cases: {totals['conform']} conform ({100 * totals['conform'] / max(total, 1):.1f}%), "
        f"{totals['differ']} differ, {totals['unsupported']} unsupported\n"
    )
    if args.json:
        summary = {
            "by_use_case": {r.folder: r.verdict for r in results},
            "totals": {"use_cases": total, "conform": totals["conform"], "differ": totals["differ"],
                       "unsupported": totals["unsupported"]},
        }
        if args.verbose_json:
            summary["details"] = [r.to_json() for r in results]
        sys.stdout.write(json.dumps(summary) + "\n")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``smets-emu rtds-replay``."""
    p = sub.add_parser("rtds-replay", help="replay the DCC reference test data against emulated devices")
    p.add_argument("--rtds", metavar="DIR", help="the rtds folder (RTDS-x.y.z/ and keystore/); default ../shared/rtds")
    p.add_argument("--json", action="store_true", help="last line: JSON summary with by_use_case and totals")
    p.add_argument("--verbose-json", action="store_true", help="with --json, include per-file details")
    p.add_argument("--folder", action="append", help="replay only this use-case folder (repeatable)")
    p.set_defaults(func=run_replay)
