"""Critical-command throughput of emulated devices, against raw crypto in the same run.

Usage: ``python benchmarks/device.py [--json] [--devices N] [--commands N]``

A critical command (ECS43 open load switch: ACB MAC + supplier signature) is handled by one
device, then spread over N devices (default 10,000). Each handled command costs the device a
MAC check (ECDH secret cached per pair, KDF, GMAC), a signature verification, the model's work
and a signed response. The peer figure is raw ``cryptography`` work for the same protection:
one ECDSA verify + one ECDSA sign + one GMAC per command, run in chunks interleaved with the
devices' chunks so both see the same load. Building a device loads nothing (``construct_us_per_device``,
what a fleet of 100,000 devices pays at start): a device's first command loads its signing key.
The ECDH secret with the ACB is derived when the device is provisioned and kept in its state
(``provision_us_per_device``: key pairs, trust anchors and that secret). RSS per idle device is
measured from the process's resident set before and after provisioning the fleet.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from smets_emu.emulator.devices import device_for
from smets_emu.emulator.provision import new_device_state
from smets_emu.parties.headend import HeadEnd
from smets_emu.protocols.keystore import Keystore
from smets_emu.protocols.payloads.dlms import (
    AccessRequest,
    AccessRequestKind,
    AccessRequestSpec,
    InvokeIdAndPriority,
    ObisCode,
)
from smets_emu.protocols.payloads.dlms_data import DataTag, IntegerData
from smets_emu.protocols.pki import generate_test_pki

SUPPLIER = bytes.fromhex("90B3D51F30010000")
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def rss_bytes() -> int:
    """Resident set size of this process."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def open_load_switch(counter: int) -> AccessRequest:
    """ECS43: ACTION Script table 0-0:10.0.106.255 method 1 with the disconnect script id."""
    spec = AccessRequestSpec(AccessRequestKind.ACTION, 9, ObisCode.parse("0-0:10.0.106.255"), 1)
    return AccessRequest(InvokeIdAndPriority(counter & 0xFFFFFF), (spec,), (IntegerData(DataTag.LONG_UNSIGNED, 0x34),))


def state_write_bytes(keystore: Keystore, commands: int = 200) -> dict[str, int]:
    """Bytes the state store writes per handled command: section bodies and security log rows.

    An ESME in a fleet handles reads (ECS17b import energy registers, 0x0027) and critical
    commands (ECS43); ``whole_state`` is the peer: the device's whole state as one JSON document.
    """
    from smets_emu.hosting.fleet import Fleet
    from smets_emu.hosting.store import StateStore
    from smets_emu.protocols.payloads.dlms import sample_dlms

    headend = HeadEnd(keystore)
    fleet = Fleet(StateStore(":memory:"))
    eui = bytes.fromhex("00DB1236000000A0")
    device = fleet.add(new_device_state(eui, "ESME", keystore))
    headend.register_device(device.state)
    result = {}
    for kind, code, first in (("read", 0x0027, 30_000), ("critical", 0x0050, 40_000)):
        start = fleet.store.stats.state_bytes
        for counter in range(first, first + commands):
            payload = sample_dlms(code, 1) if code == 0x0027 else open_load_switch(counter)
            sent = fleet.deliver(headend.command(originator=SUPPLIER, recipient=eui, message_code=code,
                                                 payload=payload, counter=counter), NOW)
            assert [o.kind for o in sent] == ["response"], sent
        result[kind] = round((fleet.store.stats.state_bytes - start) / commands)
    result["whole_state"] = len(device.state.dumps())
    return result


class RawCrypto:
    """The crypto of one critical command and nothing else: one ECDSA verify, one ECDSA sign, one GMAC."""

    def __init__(self) -> None:
        self.org = ec.generate_private_key(ec.SECP256R1())
        self.dev = ec.generate_private_key(ec.SECP256R1())
        self.data = bytes(120)
        self.sig = self.org.sign(self.data, ec.ECDSA(hashes.SHA256()))
        self.gmac = AESGCM(bytes(16))

    def run(self, n: int) -> float:
        """Seconds taken by *n* commands' worth of raw crypto."""
        public, data, sig = self.org.public_key(), self.data, self.sig
        start = time.perf_counter()
        for _ in range(n):
            public.verify(sig, data, ec.ECDSA(hashes.SHA256()))
            self.dev.sign(data, ec.ECDSA(hashes.SHA256()))
            self.gmac.encrypt(bytes(12), b"", data)
        return time.perf_counter() - start


def interleaved(handle: Callable[[Any], bool], items: list[Any], peer: RawCrypto,
                chunk: int = 20) -> tuple[int, float, float]:
    """Handle *items* in chunks, each followed by the same number of raw crypto steps.

    Returns (accepted, device commands/s, raw crypto commands/s): both rates see the same load on
    a shared machine, so their ratio does not drift with it.
    """
    accepted, device_time, crypto_time = 0, 0.0, 0.0
    for first in range(0, len(items), chunk):
        part = items[first:first + chunk]
        start = time.perf_counter()
        accepted += sum(handle(item) for item in part)
        device_time += time.perf_counter() - start
        crypto_time += peer.run(len(part))
    return accepted, len(items) / device_time, len(items) / crypto_time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--commands", type=int, default=2_000, help="commands per measurement")
    args = parser.parse_args()

    pki = generate_test_pki(seed=1)
    headend = HeadEnd(pki.keystore)

    # one device
    eui = bytes.fromhex("00DB1234567890A0")
    device = device_for(new_device_state(eui, "ESME", pki.keystore))
    headend.register_device(device.state)
    commands = [
        headend.command(originator=SUPPLIER, recipient=eui, message_code=0x0050, payload=open_load_switch(c), counter=c)
        for c in range(10_000, 10_000 + args.commands)
    ]
    peer = RawCrypto()
    accepted, one_rate, one_crypto = interleaved(lambda cmd: device.handle(cmd, NOW).accepted, commands, peer)

    # a fleet of idle devices
    gc.collect()
    before = rss_bytes()
    start = time.perf_counter()
    states = [new_device_state(bytes.fromhex("00DB1235") + i.to_bytes(4, "big"), "ESME", pki.keystore)
              for i in range(args.devices)]
    provision_s = time.perf_counter() - start
    start = time.perf_counter()
    fleet = {state.eui: device_for(state) for state in states}
    construct_s = time.perf_counter() - start
    del states
    gc.collect()
    per_device = (rss_bytes() - before) / max(args.devices, 1)

    # spread commands over the fleet
    targets = list(fleet)[: args.commands]
    for d_eui in targets:
        headend.register_device(fleet[d_eui].state)
    spread = [
        (d_eui, headend.command(originator=SUPPLIER, recipient=d_eui, message_code=0x0050,
                                payload=open_load_switch(20_000 + i), counter=20_000 + i))
        for i, d_eui in enumerate(targets)
    ]
    fleet_accepted, fleet_rate, fleet_crypto = interleaved(
        lambda item: fleet[item[0]].handle(item[1], NOW).accepted, spread, peer)

    crypto_rate = (one_crypto + fleet_crypto) / 2
    written = state_write_bytes(pki.keystore)
    result = {
        "commands": len(commands),
        "accepted_one_device": accepted,
        "critical_commands_per_s_one_device": round(one_rate, 1),
        "devices": args.devices,
        "accepted_fleet": fleet_accepted,
        "critical_commands_per_s_fleet": round(fleet_rate, 1),
        "raw_crypto_commands_per_s": round(crypto_rate, 1),
        "ratio_one_device": round(one_rate / one_crypto, 3),
        "ratio_fleet": round(fleet_rate / fleet_crypto, 3),
        "rss_bytes_per_idle_device": round(per_device),
        "construct_us_per_device": round(construct_s / max(args.devices, 1) * 1e6, 1),
        "provision_us_per_device": round(provision_s / max(args.devices, 1) * 1e6, 1),
        "state_write_bytes_per_command": written,
    }
    if not args.json:
        for key, value in result.items():
            print(f"{key:38} {value}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
