"""Crash safety: SIGKILL a process applying anchor updates and commands, restart, check the state.

Usage: ``python benchmarks/kill_restart.py [--trials 50] [--json]``

A script of critical and non-critical commands, with Update Security Credentials
(CS02b supplierBySupplier) swaps between two suppliers mixed in (each changes the anchors and
the counters sections in one command) and replayed commands (refused: a security log entry and
an alert), is generated for a few ESMEs with the project's own PKI. The expected state of
every device (every section and the security log) after each prefix of its commands is
computed in process. Then, per trial, a child process applies the script to a fresh copy of
the state file and is killed with SIGKILL at a random moment; the state file is reopened and
every device must equal the state after some prefix of its own commands. The last committed
command is delivered again and must be refused as a replay, and applying the rest of the
script must reach the final expected state.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding

from smets_emu.emulator.provision import new_device_state
from smets_emu.emulator.state import SECTION_FIELDS, DeviceState
from smets_emu.hosting.fleet import Fleet
from smets_emu.hosting.store import StateStore
from smets_emu.parties.headend import HeadEnd
from smets_emu.protocols.envelope import decode_envelope
from smets_emu.protocols.keystore import KeyUsage
from smets_emu.protocols.payloads.asn1 import Asn1Payload
from smets_emu.protocols.payloads.dlms import (
    AccessRequest,
    AccessRequestKind,
    AccessRequestSpec,
    InvokeIdAndPriority,
    ObisCode,
)
from smets_emu.protocols.payloads.dlms_data import DataTag, IntegerData, NullData
from smets_emu.protocols.pki import generate_test_pki

SUPPLIERS = (bytes.fromhex("90B3D51F30010000"), bytes.fromhex("90B3D51F30030000"))
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def snapshot(state: DeviceState) -> str:
    """What must survive a crash exactly: the whole state (anchors, counters, logs, every section)."""
    return hashlib.sha256(state.dumps().encode()).hexdigest()


def changed_sections(before: DeviceState, after: DeviceState) -> list[str]:
    """The stored sections in which two states differ."""
    return [s for s in SECTION_FIELDS if before.section_body(s) != after.section_body(s)]


def _cs02b(pki: Any, new_supplier: bytes, counter: int) -> Asn1Payload:
    ds = pki.keystore.certificate(new_supplier, KeyUsage.DS).public_bytes(Encoding.DER)
    ka = pki.keystore.certificate(new_supplier, KeyUsage.KA).public_bytes(Encoding.DER)
    ca = pki.organisation_ca_certificate.public_bytes(Encoding.DER)
    value = {
        "authorisingRemotePartyControl": {
            "credentialsReplacementMode": "supplierBySupplier(2)",
            "authorisingRemotePartyTACellIdentifier": {"remotePartyRole": "supplier(2)",
                                                       "keyUsage": ["digitalSignature(0)"]},
            "authorisingRemotePartySeqNumber": counter,
            "newRemotePartyFloorSeqNumber": counter,
        },
        "replacements": [
            {"replacementCertificate": {"der": ds.hex().upper()},
             "targetTrustAnchorCell": {"remotePartyRole": "supplier(2)", "keyUsage": ["digitalSignature(0)"]}},
            {"replacementCertificate": {"der": ka.hex().upper()},
             "targetTrustAnchorCell": {"remotePartyRole": "supplier(2)", "keyUsage": ["keyAgreement(4)"]}},
        ],
        "certificationPathCertificates": [{"der": ca.hex().upper()}],
    }
    return Asn1Payload.from_json({"family": "asn1", "schema": "CS02bCommand", "message_code": 0x0102,
                                  "cra_flag": 1, "value": value})


def _read_firmware(counter: int) -> AccessRequest:
    spec = AccessRequestSpec(AccessRequestKind.GET, 1, ObisCode.parse("0-0:0.2.1.255"), 2)
    return AccessRequest(InvokeIdAndPriority(counter & 0xFFFFFF), (spec,), (NullData(),))


def _open_switch(counter: int) -> AccessRequest:
    spec = AccessRequestSpec(AccessRequestKind.ACTION, 9, ObisCode.parse("0-0:10.0.106.255"), 1)
    return AccessRequest(InvokeIdAndPriority(counter & 0xFFFFFF), (spec,), (IntegerData(DataTag.LONG_UNSIGNED, 0x34),))


def build(workdir: Path, *, devices: int, commands: int, seed: int) -> dict[str, Any]:
    """Write the initial state file and the command script; return the expected prefix snapshots."""
    rng = random.Random(seed)
    pki = generate_test_pki(seed=seed)
    headend = HeadEnd(pki.keystore)
    euis = [bytes.fromhex("00DB1234567890A0")[:7] + bytes([0xB0 + i]) for i in range(devices)]
    store = StateStore(workdir / "initial.sqlite")
    fleet = Fleet(store)
    for eui in euis:
        state = new_device_state(eui, "ESME", pki.keystore, pki=pki)
        fleet.add(state)
        headend.register_device(state)
    store.close()
    sim = Fleet(StateStore(":memory:"))
    for eui in euis:
        sim.add(DeviceState.loads(StateStore(workdir / "initial.sqlite").load(eui).dumps()))  # type: ignore[union-attr]
    supplier = dict.fromkeys(euis, 0)
    counter = 1000
    expected: dict[str, list[str]] = {eui.hex(): [snapshot(sim.devices[eui].state)] for eui in euis}
    script = []
    anchor_updates = multi_section = 0
    sent: dict[bytes, list[bytes]] = {eui: [] for eui in euis}
    for i in range(commands):
        eui = euis[i % devices]
        counter += rng.randint(1, 3)
        current = SUPPLIERS[supplier[eui]]
        kind = rng.random()
        if kind < 0.08 and sent[eui]:
            data = rng.choice(sent[eui])  # a replay: refused, logged, alerted
        elif kind < 0.3:
            target = 1 - supplier[eui]
            data = headend.command(originator=current, recipient=eui, message_code=0x0102,
                                   payload=_cs02b(pki, SUPPLIERS[target], counter), counter=counter)
        elif kind < 0.65:
            data = headend.command(originator=current, recipient=eui, message_code=0x0050,
                                   payload=_open_switch(counter), counter=counter)
        else:
            data = headend.command(originator=current, recipient=eui, message_code=0x0059,
                                   payload=_read_firmware(counter), counter=counter)
        when = NOW + dt.timedelta(seconds=i)
        sent[eui].append(data)
        before = sim.devices[eui].state
        sim.deliver(data, when)
        after = sim.devices[eui].state
        if after.anchors != before.anchors:
            anchor_updates += 1
            supplier[eui] = 1 - supplier[eui]
        if {"anchors", "counters"} <= set(changed_sections(before, after)):
            multi_section += 1
        expected[eui.hex()].append(snapshot(after))
        script.append({"eui": eui.hex(), "time": when.isoformat(), "data": data.hex()})
    (workdir / "script.jsonl").write_text("\n".join(json.dumps(s) for s in script))
    return {"expected": expected, "anchor_updates": anchor_updates, "multi_section": multi_section,
            "commands": len(script)}


def child(workdir: Path) -> None:
    """Apply the script to state.sqlite (killed from outside at a random point)."""
    fleet = Fleet(StateStore(workdir / "state.sqlite"))
    lines = (workdir / "script.jsonl").read_text().splitlines()
    print("ready", flush=True)
    start = time.perf_counter()
    for line in lines:
        item = json.loads(line)
        fleet.deliver(bytes.fromhex(item["data"]), dt.datetime.fromisoformat(item["time"]))
    print(f"elapsed {time.perf_counter() - start:.6f}", flush=True)
    (workdir / "done").write_text("done")


def _start_child(workdir: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, __file__, "--child", str(workdir)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        raise RuntimeError("child failed to start")
    return proc


def calibrate(workdir: Path) -> float:
    """Seconds the child needs for the whole script once it is ready."""
    shutil.copy(workdir / "initial.sqlite", workdir / "state.sqlite")
    proc = _start_child(workdir)
    out, _ = proc.communicate()
    return float(out.split()[-1])


def trial(workdir: Path, plan: dict[str, Any], rng: random.Random, script_seconds: float) -> dict[str, Any]:
    """One kill-and-restart trial."""
    shutil.copy(workdir / "initial.sqlite", workdir / "state.sqlite")
    for suffix in ("-wal", "-shm"):
        (workdir / f"state.sqlite{suffix}").unlink(missing_ok=True)
    (workdir / "done").unlink(missing_ok=True)
    proc = _start_child(workdir)
    time.sleep(rng.uniform(0.0, script_seconds * 0.9))
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    script = [json.loads(line) for line in (workdir / "script.jsonl").read_text().splitlines()]
    fleet = Fleet(StateStore(workdir / "state.sqlite"))
    prefixes: dict[str, int] = {}
    problems = []
    for eui_hex, snaps in plan["expected"].items():
        state = fleet.devices[bytes.fromhex(eui_hex)].state
        snap = snapshot(state)
        matches = [k for k, s in enumerate(snaps) if s == snap]
        if not matches:
            problems.append(f"{eui_hex}: state matches no prefix")
            continue
        prefixes[eui_hex] = max(matches)
    # replay protection after restart, then finish the script
    seen = dict.fromkeys(plan["expected"], 0)
    replay_refused = 0
    for item in script:
        eui_hex = item["eui"]
        seen[eui_hex] += 1
        data = bytes.fromhex(item["data"])
        device = fleet.devices[bytes.fromhex(eui_hex)]
        if seen[eui_hex] <= prefixes.get(eui_hex, 0):
            if seen[eui_hex] == prefixes[eui_hex]:  # processed, not committed: the device state stays
                outcome = device.process(device.state, data, dt.datetime.fromisoformat(item["time"]))
                if outcome.accepted:
                    problems.append(f"{eui_hex}: replayed counter {decode_envelope(data).header.originator_counter} "
                                    "accepted after restart")
                else:
                    replay_refused += 1
            continue
        fleet.deliver(data, dt.datetime.fromisoformat(item["time"]))
    for eui_hex, snaps in plan["expected"].items():
        if snapshot(fleet.devices[bytes.fromhex(eui_hex)].state) != snaps[-1]:
            problems.append(f"{eui_hex}: final state differs after finishing the script")
    fleet.store.close()
    return {"prefixes": prefixes, "completed": (workdir / "done").exists(), "replays_refused": replay_refused,
            "problems": problems}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--devices", type=int, default=3)
    parser.add_argument("--commands", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child))
        return 0
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="smets-kill-") as tmp:
        workdir = Path(tmp)
        plan = build(workdir, devices=args.devices, commands=args.commands, seed=args.seed)
        script_seconds = calibrate(workdir)
        results = [trial(workdir, plan, rng, script_seconds) for _ in range(args.trials)]
    problems = [p for r in results for p in r["problems"]]
    summary = {
        "trials": len(results),
        "script_seconds": round(script_seconds, 3),
        "commands": plan["commands"],
        "anchor_updates_in_script": plan["anchor_updates"],
        "anchors_and_counters_in_one_command": plan["multi_section"],
        "killed_mid_script": sum(not r["completed"] for r in results),
        "distinct_prefixes": len({tuple(sorted(r["prefixes"].items())) for r in results}),
        "replays_refused": sum(r["replays_refused"] for r in results),
        "problems": problems[:20],
        "ok": not problems,
    }
    if not args.json:
        for key, value in summary.items():
            print(f"{key:26} {value}")
    print(json.dumps(summary))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
