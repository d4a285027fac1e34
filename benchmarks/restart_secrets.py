"""Keeping ECDH secrets derived after provisioning in the stored key pair: what a restart saves, what it costs.

Usage: ``python benchmarks/restart_secrets.py [--devices 200]``

ESMEs are provisioned (the secret Z with the ACB key agreement cell is derived then, GBCS
6.2.4) and committed to an SQLite store. Each device then answers a supplier read: the response
is MACed for the supplier, which needs Z with the supplier's key agreement cell (GBCS 6.3.1),
derived at this first contact. The process cache of secrets is cleared (as a new process
starts), the fleet is reopened from the file and each device answers a second read.

Measured both ways in the same run (in the order peer, kept, kept, peer; means printed), on copies of the
same devices: with the derived
secret kept in the device's key pair at the commit of the first contact (the fleet does this),
and with it kept only in the process cache (the peer: ``DeviceKeys.keep_learned`` disabled).
Printed as JSON: ECDH derivations and time per device for the first command after the
restart, the bytes and time the first-contact commit spends on writing the identity section
once, and the cost of one ECDH for scale.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from unittest import mock

from smets_emu.emulator.kernel import keys
from smets_emu.emulator.provision import new_device_state
from smets_emu.emulator.state import DeviceState
from smets_emu.hosting.fleet import Fleet
from smets_emu.hosting.store import StateStore
from smets_emu.parties.headend import HeadEnd
from smets_emu.protocols import crypto
from smets_emu.protocols.pki import generate_test_pki

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kill_restart import _read_firmware  # noqa: E402

SUPPLIER = bytes.fromhex("90B3D51F30010000")
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


class Counted:
    """crypto.ecdh_shared_secret, counting calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.derive = crypto.ecdh_shared_secret

    def __call__(self, **kwargs: Any) -> bytes:
        self.calls += 1
        return self.derive(**kwargs)


def run(workdir: Path, devices: int) -> dict[str, Any]:
    pki = generate_test_pki(seed=5)
    headend = HeadEnd(pki.keystore)
    euis = [(0x00DB_1234_5600_0000 + n).to_bytes(8, "big") for n in range(devices)]
    states = [new_device_state(eui, "ESME", pki.keystore, pki=pki) for eui in euis]
    for state in states:
        headend.register_device(state)
    commands = {eui: [headend.command(originator=SUPPLIER, recipient=eui, message_code=0x0059,
                                      payload=_read_firmware(c), counter=c) for c in (1001, 1002)] for eui in euis}
    counted = Counted()
    result: dict[str, Any] = {"devices": devices}
    runs: dict[str, list[dict[str, Any]]] = {"kept": [], "cache_only": []}
    for n, mode in enumerate(("cache_only", "kept", "kept", "cache_only")):  # ABBA: warm-up and drift shared
        with contextlib.ExitStack() as patches:
            patches.enter_context(mock.patch.object(crypto, "ecdh_shared_secret", counted))
            if mode == "cache_only":
                patches.enter_context(mock.patch.object(keys.DeviceKeys, "keep_learned", lambda self, state: False))
            runs[mode].append(_restart(workdir / f"{mode}{n}.sqlite", states, commands, counted))
    for mode, pair in runs.items():
        result[mode] = {name: round(sum(r[name] for r in pair) / len(pair), 2) for name in pair[0]}
    private = keys.DeviceKeys().private_key(states[0], "ka")
    peer = private.public_key()
    start = time.perf_counter()
    for _ in range(devices):
        crypto.ecdh_shared_secret(private_key=private, public_key=peer)
    result["ecdh_us"] = round((time.perf_counter() - start) / devices * 1e6, 1)
    return result


def _restart(path: Path, states: list[DeviceState], commands: dict[bytes, list[bytes]],
             counted: Counted) -> dict[str, Any]:
    """First contact of every device, a restart, and the first command after it."""
    devices = len(states)
    fleet = Fleet(StateStore(path))
    fleet.extend(state.clone() for state in states)
    keys.SECRETS.clear()
    stats = fleet.store.stats
    bytes_before, start = stats.state_bytes, time.perf_counter()
    for state in states:
        fleet.deliver(commands[state.eui][0], NOW)
    first_s = time.perf_counter() - start
    first_bytes = (stats.state_bytes - bytes_before) / devices
    fleet.store.close()
    keys.SECRETS.clear()  # a new process
    counted.calls = 0
    restarted = Fleet(StateStore(path))
    start = time.perf_counter()
    for state in states:
        restarted.deliver(commands[state.eui][1], NOW)
    restart_s = time.perf_counter() - start
    restarted.store.close()
    return {
        "first_contact_us_per_device": round(first_s / devices * 1e6, 1),
        "first_contact_state_bytes_per_device": round(first_bytes),
        "after_restart_ecdh_per_device": counted.calls / devices,
        "after_restart_us_per_device": round(restart_s / devices * 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        print(json.dumps(run(Path(workdir), args.devices), indent=2))


if __name__ == "__main__":
    main()
