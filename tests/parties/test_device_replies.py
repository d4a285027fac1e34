"""The version and alert code a remote party reads from real device replies (ECS52, GCS38, CS08; FDRA)."""

from __future__ import annotations

import datetime as dt

import pytest

from smets_emu.emulator.anchors import Role
from smets_emu.emulator.provision import DEFAULT_PARTIES, new_device_state
from smets_emu.hosting.fleet import Fleet
from smets_emu.hosting.store import StateStore
from smets_emu.parties.device_replies import alert_code_of, firmware_version_of
from smets_emu.parties.headend import HeadEnd
from smets_emu.parties.smets2_dsp import read_firmware_payload
from smets_emu.protocols.payloads.dlms import DataNotification, InvokeIdAndPriority
from smets_emu.protocols.payloads.dlms_data import DataTag, IntegerData, StructureData
from smets_emu.protocols.payloads.gbz import AlertBody, GbzAlert, GbzPayload
from smets_emu.protocols.pki import generate_test_pki

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(("device_type", "eui"), [("ESME", "00DB123456789001"), ("GSME", "00DB123456789002"),
                                                  ("PPMID", "00DB123456789003")])
def test_the_version_each_device_type_reports(device_type: str, eui: str) -> None:
    keystore = generate_test_pki(seed=1).keystore
    state = new_device_state(bytes.fromhex(eui), device_type, keystore)
    state.firmware["version"] = "0A0B0C0D"
    fleet = Fleet(StateStore(":memory:"))
    fleet.add(state)
    headend = HeadEnd(keystore)
    headend.register_device(state)
    code, payload = read_firmware_payload(device_type, 5)
    command = headend.command(originator=DEFAULT_PARTIES[Role.SUPPLIER], recipient=state.eui, message_code=code,
                              payload=payload, counter=5)
    responses = [o for o in fleet.deliver(command, NOW) if o.kind == "response"]
    assert responses
    assert firmware_version_of(headend.decode(responses[0].message).payload) == "0A0B0C0D"


def test_alert_codes_of_dlms_and_gbz_alerts() -> None:
    body = StructureData((IntegerData(DataTag.LONG_UNSIGNED, 0x8F72),))
    assert alert_code_of(DataNotification(InvokeIdAndPriority(1), body)) == 0x8F72
    gbz = GbzPayload(alert=GbzAlert(0x8F1C, 0, AlertBody.FIRMWARE_RECEIPT, image_hash=bytes(32)), form="alert")
    assert alert_code_of(gbz) == 0x8F1C
    assert alert_code_of(GbzPayload()) is None
