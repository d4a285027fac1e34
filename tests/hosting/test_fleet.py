"""Fleet routing through the premises' CHF: whitelisted devices are reached, others raise 0x00D5."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from smets_emu.emulator.device_log import eui_text
from smets_emu.emulator.provision import new_device_state
from smets_emu.hosting.fleet import Fleet
from smets_emu.hosting.store import StateStore
from smets_emu.parties.headend import HeadEnd
from smets_emu.protocols.pki import generate_test_pki

ESME = bytes.fromhex("00DB1234567890A0")
CHF = bytes.fromhex("00DB1234567890A2")
SUPPLIER = bytes.fromhex("90B3D51F30010000")
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _fleet(tmp_path: Path) -> tuple[Fleet, HeadEnd]:
    pki = generate_test_pki(seed=8)
    fleet = Fleet(StateStore(tmp_path / "f.sqlite"))
    headend = HeadEnd(pki.keystore)
    for eui, kind in ((ESME, "ESME"), (CHF, "CHF")):
        state = new_device_state(eui, kind, pki.keystore)
        fleet.add(state)
        headend.register_device(state)
    return fleet, headend


def _read_firmware(headend: HeadEnd, counter: int) -> bytes:
    from smets_emu.parties.smets2_dsp import read_firmware_payload

    code, payload = read_firmware_payload("ESME", counter)
    return headend.command(originator=SUPPLIER, recipient=ESME, message_code=code, payload=payload, counter=counter)


def test_whitelisted_device_answers_and_premises_persist(tmp_path: Path) -> None:
    fleet, headend = _fleet(tmp_path)
    fleet.attach(ESME, CHF, NOW)
    sent = fleet.deliver(_read_firmware(headend, 10), NOW)
    assert [o.kind for o in sent] == ["response"]
    reopened = Fleet(StateStore(tmp_path / "f.sqlite"))
    assert reopened.premises == {ESME: CHF}
    assert any(e["eui"] == eui_text(ESME) for e in reopened.devices[CHF].state.device_log)


def test_device_missing_from_chf_log_is_not_reached(tmp_path: Path) -> None:
    fleet, headend = _fleet(tmp_path)
    fleet.attach(ESME, CHF, NOW, whitelist=False)
    before = fleet.devices[ESME].state.dumps()
    sent = fleet.deliver(_read_firmware(headend, 11), NOW)
    assert [(o.kind, o.message_code) for o in sent] == [("alert", 0x00D5)]
    alert = headend.decode(sent[0].message).payload.to_json()["value"]
    assert alert["remotePartyMessage"]["businessTargetId"] == ESME.hex().upper()
    assert alert["remotePartyMessage"]["originatorCounter"] == 11
    assert fleet.devices[ESME].state.dumps() == before


def test_one_parse_one_commit_and_the_device_adopts_only_what_was_stored(tmp_path: Path) -> None:
    from smets_emu.emulator.kernel.messages import Inbound
    from smets_emu.hosting.store import StoreError

    fleet, headend = _fleet(tmp_path)
    device = fleet.devices[ESME]
    sent = fleet.deliver(Inbound.parse(_read_firmware(headend, 20)), NOW)
    assert [o.kind for o in sent] == ["response"] and device.state.counters[2] == 20
    commits = fleet.store.stats.commits
    assert fleet.tick(NOW) == [] and fleet.store.stats.commits == commits  # nothing due: nothing written
    held = device.state

    def failing(*args: object, **kwargs: object) -> list[int]:
        raise StoreError("disk full")

    fleet.store.commit = failing  # type: ignore[method-assign]
    with pytest.raises(StoreError):
        fleet.deliver(_read_firmware(headend, 21), NOW)
    assert device.state is held  # not stored, so not adopted: the command is forgotten
