"""Future-dated Update Security Credentials run on every device type's timer (0x00CB alert)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

from smets_emu.emulator.devices import device_for
from smets_emu.emulator.provision import new_device_state
from smets_emu.parties.headend import HeadEnd
from smets_emu.protocols.payloads.asn1 import Asn1Payload
from smets_emu.protocols.pki import generate_test_pki

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from kill_restart import _cs02b  # noqa: E402

SUPPLIER = bytes.fromhex("90B3D51F30010000")
SUPPLIER2 = bytes.fromhex("90B3D51F30030000")
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize(("device_type", "eui"), [("ESME", "00DB1234567890A0"), ("GSME", "00DB1234567890A1"),
                                                  ("GPF", "00DB1234567890A3")])
def test_future_dated_supplier_swap_executes_in_due(device_type: str, eui: str) -> None:
    pki = generate_test_pki(seed=5)
    device_eui = bytes.fromhex(eui)
    state = new_device_state(device_eui, device_type, pki.keystore, pki=pki)
    device = device_for(state)
    headend = HeadEnd(pki.keystore)
    headend.register_device(state)
    tree = _cs02b(pki, SUPPLIER2, 2000).to_json()
    tree["value"]["executionDateTime"] = "20300101000000Z"
    command = headend.command(originator=SUPPLIER, recipient=device_eui, message_code=0x0102,
                              payload=Asn1Payload.from_json(tree), counter=2000)
    outcome = device.handle(command, NOW)
    assert outcome.accepted
    assert headend.decode(outcome.responses[0].message).payload.to_json()["value"] == {"commandAccepted": None}
    assert device.role_of(device.state, SUPPLIER2) is None
    assert device.due(dt.datetime(2029, 12, 31, tzinfo=dt.UTC)).outbound == []
    fired = device.due(dt.datetime(2030, 1, 2, tzinfo=dt.UTC))
    assert [o.message_code for o in fired.alerts] == [0x00CB]
    alert = headend.decode(fired.alerts[0].message).payload.to_json()["value"]
    assert alert["alertCode"] == "futureDatedCommandActioned(0x8F66)"
    assert device.role_of(device.state, SUPPLIER2) is not None
    assert device.due(dt.datetime(2030, 1, 3, tzinfo=dt.UTC)).outbound == []
