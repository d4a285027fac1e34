"""HAN-only commands from a joined PPMID (PCS01/PCS02): device-to-device MACs from the join certificate."""

from __future__ import annotations

import datetime as dt

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from smets_emu.emulator.device_log import OtherDeviceType, record_entry
from smets_emu.emulator.devices import device_for
from smets_emu.emulator.provision import new_device_state
from smets_emu.parties.headend import HeadEnd
from smets_emu.protocols.keystore import KeyUsage
from smets_emu.protocols.payloads.gbz import sample_gbz
from smets_emu.protocols.pki import generate_test_pki
from smets_emu.protocols.security import CheckStatus

GSME = bytes.fromhex("00DB1234567890A1")
PPMID = bytes.fromhex("00DB1234567890A4")
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _lab(joined: bool):  # type: ignore[no-untyped-def]
    pki = generate_test_pki(seed=9)
    ppmid_key = ec.generate_private_key(ec.SECP256R1())
    ppmid_cert = pki.issue_device_certificate(PPMID, KeyUsage.KA, ppmid_key.public_key())
    state = new_device_state(GSME, "GSME", pki.keystore)
    if joined:
        record_entry(state, PPMID, int(OtherDeviceType.PPMID), NOW, join_method=3)
        state.device_log[-1]["ka_certificate"] = ppmid_cert.public_bytes(Encoding.DER).hex().upper()
    device = device_for(state)
    headend = HeadEnd(pki.keystore)
    headend.keystore.add(PPMID, KeyUsage.KA, certificate=ppmid_cert, private_key=ppmid_key)
    headend.register_device(state)
    return device, headend


def _pcs(headend: HeadEnd, counter: int) -> bytes:
    return headend.command(originator=PPMID, recipient=GSME, message_code=0x0090,
                           payload=sample_gbz(0x0090, 1), counter=counter, sign=False)


def test_joined_ppmid_command_is_answered_with_a_device_mac() -> None:
    device, headend = _lab(joined=True)
    outcome = device.handle(_pcs(headend, 5), NOW)
    assert outcome.accepted, outcome.reason
    reply = outcome.responses[0].message
    assert headend.verify(reply).mac is CheckStatus.VALID
    assert device.handle(_pcs(headend, 5), NOW).accepted is False  # replayed counter


def test_unjoined_ppmid_is_refused() -> None:
    device, headend = _lab(joined=False)
    outcome = device.handle(_pcs(headend, 5), NOW)
    assert not outcome.accepted and outcome.responses == []
