"""RTDS shapes: the DUIS sample image through a CHF to an RTDS-provisioned ESME, CS06 scenarios, version reads."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from smets_emu.emulator.devices import device_for
from smets_emu.emulator.firmware import FirmwareUseCases
from smets_emu.emulator.firmware.codes import payload_of
from smets_emu.emulator.firmware.slots import FirmwareSlots, held_image_slot
from smets_emu.emulator.provision import new_device_state
from smets_emu.hosting.han_network import HanNetwork
from smets_emu.parties.headend import HeadEnd
from smets_emu.protocols.firmware import decode_image
from smets_emu.protocols.keystore import Keystore
from smets_emu.protocols.message import decode_message
from smets_emu.protocols.payloads.asn1 import Asn1Payload
from smets_emu.protocols.rtds import list_files
from smets_emu.tools.rtds_replay import compare

ESME, CHF = bytes.fromhex("00DB1234567890A0"), bytes.fromhex("00DB1234567890A2")
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
pytestmark = pytest.mark.rtds


def _sample(rtds_root: Path) -> bytes:
    path = rtds_root.parent / "duis" / "templates" / "11.1_UPDATE_FIRMWARE_REQUEST_DUIS.XML"
    if not path.is_file():
        pytest.skip("DUIS templates not present")
    from smets_emu.protocols.duis import parse_request

    return parse_request(path.read_bytes()).body.firmware_image  # type: ignore[union-attr]


def _files(rtds_root: Path, folder: str) -> dict[str, bytes]:
    return {f.path.name: f.read() for f in list_files(rtds_root) if f.use_case_folder == folder}


def test_sample_image_hash_reported_by_the_device(rtds_root: Path, rtds_keystore_dir: Path) -> None:
    data = _sample(rtds_root)
    ks = Keystore.load(rtds_keystore_dir)
    esme, chf = (device_for(new_device_state(e, t, ks)) for e, t in ((ESME, "ESME"), (CHF, "CHF")))
    FirmwareSlots(esme.state).set_identity(hardware_version=0x1200)
    headend = HeadEnd(Keystore.load(rtds_keystore_dir))
    for d in (esme, chf):
        headend.register_device(d.state)
    net = HanNetwork.of(chf, [esme])
    out = net.update_firmware(data, [ESME], NOW) + net.run(NOW + dt.timedelta(minutes=1))
    fdra = next(o for o in out if o.message_code == 0x00CE)
    expected = decode_message(_files(rtds_root, "NA_FDRA-DLMS")["FDRA-DLMS_NA_8F72_ALERT_GBCS.HEX"])
    assert compare(expected, headend.decode(fdra.message)) in ("", [])
    assert headend.verify(fdra.message).signature.value == "valid"
    reported = payload_of(fdra).to_json()["body"]["value"][2]["value"]
    assert reported == decode_image(data).image_hash.hex().upper()
    ccs08 = next(o for o in out if o.message_code == 0x0128)
    rtds_ccs08 = decode_message(_files(rtds_root, "NA_CCS08")["CCS08_NA_NA_ALERT_GBCS.HEX"])
    assert compare(rtds_ccs08, headend.decode(ccs08.message)) in ("", [])
    # activate it and read the version back with the RTDS ECS52 command
    from smets_emu.parties.firmware_commands import activation_command

    done = esme.handle(activation_command(headend, ESME, decode_image(data).image_hash, 999), NOW)
    assert payload_of(done.responses[0]).to_json()["value"]["executionOutcome"]["firmwareVersion"] == "ACDCACDC"
    ecs52 = _files(rtds_root, "11.2_ECS52")["ECS52_11.2_SUCCESS_COMMAND_GBCS.HEX"]
    read = esme.handle(headend.reseal(ecs52), NOW)
    assert headend.decode(read.responses[0].message).payload.to_json()["results"][0]["data"]["value"] == "ACDCACDC"


def test_gsme_receipt_alert_matches_rtds(rtds_root: Path, rtds_keystore_dir: Path) -> None:
    from smets_emu.protocols.firmware import UpgradeImage, sign_image
    from smets_emu.protocols.keystore import KeyUsage

    ks = Keystore.load(rtds_keystore_dir)
    gsme = device_for(new_device_state(bytes.fromhex("00DB1234567890A1"), "GSME", ks))
    headend = HeadEnd(Keystore.load(rtds_keystore_dir))
    headend.register_device(gsme.state)
    key = ks.private_key(bytes.fromhex("90B3D51F30010000"), KeyUsage.DS)
    image = sign_image(UpgradeImage(0x121D, 0x0001, 0x0123ABCE, b"gas" * 100), key)  # type: ignore[arg-type]
    out = gsme.component(FirmwareUseCases).receive_image(gsme.state, image.encode(), NOW)
    expected = decode_message(_files(rtds_root, "NA_FDRA-ZigBee")["FDRA-ZigBee_NA_8F72_ALERT_GBCS.HEX"])
    assert compare(expected, headend.decode(out.outbound[0].message)) in ("", [])


SCENARIOS = {  # RTDS CS06 command -> precondition: the image the ESME holds (None: no image)
    "CS06_11.3_IMMEDIATE_SUCCESS_COMMAND_GBCS.HEX": ("command hash", "0123ABCE"),
    "CS06_11.3_IMMEDIATE_ERROR_COMMAND_GBCS.HEX": None,
    "CS06_11.3_FUTURE_DATED_SUCCESS_COMMAND_GBCS.HEX": ("command hash", "0123ABCF"),
    "CS06_11.3_FUTURE_DATED_ERROR_COMMAND_GBCS.HEX": ("other hash", "0123ABCF"),
    "CS06_11.3_CANCELLATION_SUCCESS_COMMAND_GBCS.HEX": ("command hash", "0123ABCF"),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_cs06_scenarios_conform(rtds_root: Path, rtds_keystore_dir: Path, name: str) -> None:
    files = _files(rtds_root, "11.3_CS06")
    ks = Keystore.load(rtds_keystore_dir)
    esme = device_for(new_device_state(ESME, "ESME", ks))
    headend = HeadEnd(Keystore.load(rtds_keystore_dir))
    headend.register_device(esme.state)
    command = headend.decode(files[name])
    assert isinstance(command.payload, Asn1Payload) and isinstance(command.payload.value, dict)
    image_hash = bytes.fromhex(command.payload.value["manufacturerImageHash"])
    precondition = SCENARIOS[name]
    if precondition is not None:
        held = image_hash if precondition[0] == "command hash" else bytes(32)
        FirmwareSlots(esme.state).hold(held_image_slot(held, precondition[1]))
    esme.state.firmware["version"] = "0123ABCD"
    out = esme.handle(headend.reseal(files[name]), NOW)
    expected = headend.decode(files[name.replace("_COMMAND", "_RESPONSE")])
    assert compare(expected, headend.decode(out.responses[0].message)) in ("", [])
    alerts = [headend.decode(a.message) for a in esme.due(dt.datetime(2040, 1, 1, tzinfo=dt.UTC)).alerts]
    wanted = {"CS06_11.3_FUTURE_DATED_SUCCESS_COMMAND_GBCS.HEX": "CS06_11.3_8F66_FUTURE_DATED_SUCCESS_ALERT_GBCS.HEX",
              "CS06_11.3_FUTURE_DATED_ERROR_COMMAND_GBCS.HEX": "CS06_11.3_8F67_FUTURE_DATED_ERROR_ALERT_GBCS.HEX"}
    if name in wanted:
        assert len(alerts) == 1 and compare(headend.decode(files[wanted[name]]), alerts[0]) in ("", [])
    else:
        assert alerts == []
