"""``send``'s defaults per device type: who sends a command to a CHF, and which use case reads a firmware version.

A CHF holds only the ACB's, the WAN provider's and recovery's credentials: its commands come from the ACB
(GBCS 4.3.2), so ``send`` picks the ACB for a CHF from the lab's inventory, and ``read-firmware`` is ECS52 on
an ESME or CHF and GCS38 on a GSME.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smets_emu.emulator.anchors import Role
from smets_emu.emulator.provision import DEFAULT_PARTIES
from smets_emu.testing.fleet import SmetsClient, SmetsFleet
from smets_emu.tools.cli import main
from smets_emu.tools.lab import INVENTORY_FILE, read_inventory
from smets_emu.tools.wan_client import default_party, message_code

ACB = DEFAULT_PARTIES[Role.ACCESS_CONTROL_BROKER]
SUPPLIER = DEFAULT_PARTIES[Role.SUPPLIER]


def test_default_party_follows_the_device_type() -> None:
    assert default_party(0x0059, "CHF") == ACB
    assert default_party(0x0092, "CHF") == ACB  # ECS26i
    assert default_party(0x0059, "ESME") == SUPPLIER
    assert default_party(0x0059) == SUPPLIER  # type unknown: as before
    assert default_party(0x0008, "ESME") == ACB  # CS02a: the MAC-only variant comes from the ACB
    assert message_code("read-firmware", "CHF") == 0x0059
    assert message_code("read-firmware", "GSME") == 0x0084
    assert message_code("read-firmware", "PPMID") == 0x0129
    assert message_code("read-firmware") == 0x0059


def test_the_lab_writes_its_inventory_beside_its_keys(smets_fleet: SmetsFleet) -> None:
    inventory = read_inventory(smets_fleet.key_folder)
    assert inventory[smets_fleet.chf] == "CHF"
    assert inventory[smets_fleet.esme] == "ESME"
    assert inventory[smets_fleet.gsme] == "GSME"
    assert len(inventory) == len(smets_fleet.devices)


def test_read_inventory_tolerates_bad_files(tmp_path: Path) -> None:
    assert read_inventory(tmp_path) == {}
    for text in ("not json", "[]", '{"devices": {"00DB": "ESME"}}', '{"devices": {"xyz": 1}}', '{"devices": [1]}'):
        (tmp_path / INVENTORY_FILE).write_text(text)
        assert read_inventory(tmp_path) == {}, text


def test_client_reads_chf_firmware_with_its_default_sender(smets_fleet: SmetsFleet, smets_client: SmetsClient) -> None:
    reply = smets_client.command("read-firmware", to=smets_fleet.chf)
    assert reply.response is not None, [m.payload.to_json() for m in reply.alert_messages]
    assert reply.security["mac"] == "valid"
    assert reply.message is not None
    assert reply.message.header.recipient == ACB
    assert reply.payload.to_json()["results"][0]["result"] == "success"  # type: ignore[union-attr]


def test_client_read_firmware_on_a_gsme_is_gcs38(smets_fleet: SmetsFleet, smets_client: SmetsClient) -> None:
    reply = smets_client.command("read-firmware", to=smets_fleet.gsme)
    assert reply.response is not None
    assert reply.message is not None and reply.message.header.message_code == 0x0084


@pytest.mark.parametrize("code", ["read-firmware", "ECS26n", "CCS06"])
def test_send_cli_to_the_chf_without_as(smets_fleet: SmetsFleet, capsys: pytest.CaptureFixture[str],
                                        code: str) -> None:
    host, port = smets_fleet.endpoints.gfi  # type: ignore[misc]
    status = main(["send", "--keystore", str(smets_fleet.key_folder), "--host", host, "--port", str(port),
                   "--to", smets_fleet.chf.hex().upper(), "--code", code, "--timeout", "5"])
    out = json.loads(capsys.readouterr().out)
    assert status == 0, out
    assert out["answered"] is True
    assert out["response"]["header"]["recipient"] == ACB.hex().upper()
