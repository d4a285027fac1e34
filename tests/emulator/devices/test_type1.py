"""PPMID and HCALCS: joins as Method A responders / Method C, unjoins, CS08 and the CS09 alert."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from smets_emu.emulator.devices import ElectricityMeter, device_for
from smets_emu.emulator.devices.type1 import Type1Firmware
from smets_emu.emulator.provision import new_device_state
from smets_emu.parties.headend import HeadEnd
from smets_emu.protocols.keystore import KeyUsage
from smets_emu.protocols.payloads.asn1 import Asn1Payload
from smets_emu.protocols.pki import generate_test_pki
from smets_emu.protocols.security import CheckStatus

PPMID = bytes.fromhex("00DB1234567890A4")
HCALCS = bytes.fromhex("00DB1234567890A5")
ESME = bytes.fromhex("00DB1234567890A0")
GSME = bytes.fromhex("00DB1234567890A1")
ACB = bytes.fromhex("90B3D51F30000002")
SUPPLIER = bytes.fromhex("90B3D51F30010000")
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def pki():  # type: ignore[no-untyped-def]
    return generate_test_pki(seed=11)


def _lab(pki, eui: bytes, kind: str):  # type: ignore[no-untyped-def]
    state = new_device_state(eui, kind, pki.keystore, pki=pki)
    headend = HeadEnd(pki.keystore)
    headend.register_device(state)
    return device_for(state), headend


def _value(headend: HeadEnd, data: bytes):  # type: ignore[no-untyped-def]
    return headend.decode(data).payload.to_json()["value"]


def _send(device, headend, code: int, schema: str, value, counter: int, *, originator=ACB):  # type: ignore[no-untyped-def]
    payload = Asn1Payload.from_json({"family": "asn1", "schema": schema, "message_code": code, "cra_flag": 1,
                                     "value": value})
    supplementary = SUPPLIER if originator == ACB else None
    data = headend.command(originator=originator, recipient=device.eui, message_code=code, payload=payload,
                           counter=counter, supplementary_id=supplementary, supplementary_counter=counter)
    return device.handle(data, NOW)


def test_ppmid_joins_an_esme_then_unjoins(pki) -> None:  # type: ignore[no-untyped-def]
    device, headend = _lab(pki, PPMID, "PPMID")
    join = {"joinMethodAndRole": "methodAResponder(1)", "otherDeviceEntityId": ESME.hex(), "otherDeviceType": 1}
    outcome = _send(device, headend, 0x00AB, "CS03Command", join, 10)
    assert outcome.accepted and _value(headend, outcome.responses[0].message) == "success(0)"
    assert headend.verify(outcome.responses[0].message).signature is CheckStatus.VALID
    # CS03A2 carries the responder role; the initiator role does not fit the message code
    wrong = dict(join, joinMethodAndRole="methodAInitiator(0)")
    reply = _send(device, headend, 0x00AB, "CS03Command", wrong, 11).responses[0].message
    assert _value(headend, reply) == "invalidMessageCodeForJoinMethodAndRole(1)"
    gone = _send(device, headend, 0x000F, "CS04Command", ESME.hex(), 12)
    assert _value(headend, gone.responses[0].message) == "success(0)"
    again = _send(device, headend, 0x000F, "CS04Command", ESME.hex(), 13)
    assert _value(headend, again.responses[0].message) == "notInDeviceLog(1)"


def test_ppmid_method_c_needs_a_ka_certificate(pki) -> None:  # type: ignore[no-untyped-def]
    device, headend = _lab(pki, PPMID, "PPMID")
    join = {"joinMethodAndRole": "methodC(3)", "otherDeviceEntityId": GSME.hex(), "otherDeviceType": 0}
    refused = _send(device, headend, 0x00AF, "CS03Command", join, 20)
    assert _value(headend, refused.responses[0].message) == "invalidOrMissingCertificate(11)"
    cert = pki.issue_device_certificate(GSME, KeyUsage.KA, ec.generate_private_key(ec.SECP256R1()).public_key())
    join["otherDeviceKACertificate"] = {"der": cert.public_bytes(Encoding.DER).hex()}
    accepted = _send(device, headend, 0x00AF, "CS03Command", join, 21)
    assert _value(headend, accepted.responses[0].message) == "success(0)"
    assert device.han_peer_key(device.state, GSME) is not None


def test_cs08_reports_the_running_version_and_cs09_announces_a_new_one(pki) -> None:  # type: ignore[no-untyped-def]
    device, headend = _lab(pki, HCALCS, "HCALCS")
    device.state.firmware["version"] = "0A0B0C0D"
    read = _send(device, headend, 0x0129, "CS08Command", None, 30)
    assert _value(headend, read.responses[0].message) == {"firmwareVersion": "0A0B0C0D", "responseCode": "success(0)"}
    alert = device.component(Type1Firmware).activate_firmware(device.state, "0A0B0C0E", NOW)
    device.adopt(alert)
    assert [o.message_code for o in alert.alerts] == [0x012B]
    assert headend.verify(alert.alerts[0].message).signature is CheckStatus.VALID
    assert _value(headend, alert.alerts[0].message)["firmwareVersion"] == "0A0B0C0E"
    read = _send(device, headend, 0x0129, "CS08Command", None, 31)
    assert _value(headend, read.responses[0].message)["firmwareVersion"] == "0A0B0C0E"


def test_esme_event_hooks_raise_protected_alerts(pki) -> None:  # type: ignore[no-untyped-def]
    device, headend = _lab(pki, ESME, "ESME")
    assert isinstance(device, ElectricityMeter)
    integrity = device.meter_integrity_warning(5, NOW)
    assert [o.message_code for o in integrity.alerts] == [0x00F0]
    assert headend.verify(integrity.alerts[0].message).mac is CheckStatus.VALID
    generic = device.generic_alert(0x8F30, NOW)
    assert [o.message_code for o in generic.alerts] == [0x1000]
    assert headend.verify(generic.alerts[0].message).signature is CheckStatus.VALID
