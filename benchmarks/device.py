"""Critical-command throughput of emulated devices, against raw crypto in the same run.

Usage: ``python benchmarks/device.py [--json] [--devices N] [--commands N]``

A critical command (ECS43 open load switch: ACB MAC + supplier signature) is handled by one
device, then spread over N devices (default 10,000). Each handled command costs the device a
MAC check (ECDH secret cached per pair, KDF, GMAC), a signature verification, the model's work
and a signed response. The peer figure is raw ``cryptography`` work for the same protection:
one ECDSA verify + one ECDSA sign + one GMAC per command. RSS per idle device is measured
from the process's resident set before and after provisioning the fleet.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import sys
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from smets_emu.emulator.devices import device_for
from smets_emu.emulator.provision import new_device_state
from smets_emu.parties.headend import HeadEnd
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


def raw_crypto_rate(seconds: float) -> float:
    """Commands/s if a device did nothing but the crypto of one critical command."""
    org = ec.generate_private_key(ec.SECP256R1())
    dev = ec.generate_private_key(ec.SECP256R1())
    data = bytes(120)
    sig = org.sign(data, ec.ECDSA(hashes.SHA256()))
    gmac = AESGCM(bytes(16))
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        org.public_key().verify(sig, data, ec.ECDSA(hashes.SHA256()))
        dev.sign(data, ec.ECDSA(hashes.SHA256()))
        gmac.encrypt(bytes(12), b"", data)
        done += 1
    return done / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--commands", type=int, default=2_000, help="commands per measurement")
    parser.add_argument("--seconds", type=float, default=3.0, help="raw crypto measurement time")
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
    start = time.perf_counter()
    accepted = sum(device.handle(cmd, NOW).accepted for cmd in commands)
    one_rate = len(commands) / (time.perf_counter() - start)

    # a fleet of idle devices
    gc.collect()
    before = rss_bytes()
    fleet = {}
    for i in range(args.devices):
        d_eui = bytes.fromhex("00DB1235") + i.to_bytes(4, "big")
        fleet[d_eui] = device_for(new_device_state(d_eui, "ESME", pki.keystore))
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
    start = time.perf_counter()
    fleet_accepted = sum(fleet[d_eui].handle(cmd, NOW).accepted for d_eui, cmd in spread)
    fleet_rate = len(spread) / (time.perf_counter() - start)

    crypto_rate = raw_crypto_rate(args.seconds)
    result = {
        "commands": len(commands),
        "accepted_one_device": accepted,
        "critical_commands_per_s_one_device": round(one_rate, 1),
        "devices": args.devices,
        "accepted_fleet": fleet_accepted,
        "critical_commands_per_s_fleet": round(fleet_rate, 1),
        "raw_crypto_commands_per_s": round(crypto_rate, 1),
        "ratio_one_device": round(one_rate / crypto_rate, 3),
        "ratio_fleet": round(fleet_rate / crypto_rate, 3),
        "rss_bytes_per_idle_device": round(per_device),
    }
    if not args.json:
        for key, value in result.items():
            print(f"{key:38} {value}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
