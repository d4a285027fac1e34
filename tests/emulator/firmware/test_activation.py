"""Activate Firmware (CS06): immediate, future-dated, cancelled, and the activation rows of the failure matrix."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec
from firmware_lab import ESME_EUI, GSME_EUI, LATER, SUPPLIER, Lab, build_lab, keystore, make_image

from smets_emu.emulator.device import Device, Outcome
from smets_emu.emulator.devices import device_for
from smets_emu.emulator.firmware.codes import payload_of
from smets_emu.emulator.firmware.slots import FirmwareSlots
from smets_emu.hosting.store import StateStore
from smets_emu.parties.firmware_commands import activation_command
from smets_emu.parties.headend import HeadEnd
from smets_emu.protocols.keystore import KeyUsage

NOW = LATER + dt.timedelta(minutes=5)


def _slots(device: Device) -> FirmwareSlots:
    return FirmwareSlots(device.state)


def _value(out: Outcome, kind: str = "response") -> dict:
    (msg,) = [o for o in out.outbound if o.kind == kind]
    return payload_of(msg).to_json()


def _held(lab: Lab, version: int = 0x01000001, device: bytes = ESME_EUI) -> bytes:
    image = make_image(version=version, image_type=0 if device == ESME_EUI else 1)
    lab.distribute(image.encode(), [device])
    return image.image_hash


def _activate(lab: Lab, image_hash: bytes, *, device: bytes = ESME_EUI, **kw: object) -> Outcome:
    target = lab.esme if device == ESME_EUI else lab.gsme
    return target.handle(activation_command(lab.headend, device, image_hash, lab.next_counter(), **kw), NOW)


def test_immediate_activation_switches_slots(lab: Lab) -> None:
    image_hash = _held(lab)
    out = _activate(lab, image_hash)
    assert out.accepted
    value = _value(out)["value"]["executionOutcome"]
    assert value == {"activateImageResponseCode": "success(0)", "firmwareVersion": "01000001"}
    slots = _slots(lab.esme)
    assert slots.running.version == "01000001" and slots.running.image_hash == image_hash
    assert slots.previous.version == "01000000" and slots.pending is None
    assert lab.esme.state.firmware["version"] == "01000001"  # what ECS52 reads


def test_gsme_activation(lab: Lab) -> None:
    image_hash = _held(lab, 0x0123ABCE, GSME_EUI)
    out = _activate(lab, image_hash, device=GSME_EUI)
    assert _value(out)["value"]["executionOutcome"]["activateImageResponseCode"] == "success(0)"
    assert lab.gsme.state.firmware["version"] == "0123ABCE"


def test_activation_of_an_image_never_received(lab: Lab) -> None:
    """Row: activation of an image never received -> noImageHeld(1), running version unchanged."""
    out = _activate(lab, make_image().image_hash)
    assert _value(out)["value"]["executionOutcome"] == {"activateImageResponseCode": "noImageHeld(1)",
                                                        "firmwareVersion": "01000000"}
    assert _slots(lab.esme).running.version == "01000000" and _slots(lab.esme).previous is None


def test_activation_with_a_mismatching_hash(lab: Lab) -> None:
    """Row: activation with a mismatching hash -> hashMismatch(2); the pending image stays."""
    image_hash = _held(lab)
    out = _activate(lab, bytes(32))
    assert _value(out)["value"]["executionOutcome"]["activateImageResponseCode"] == "hashMismatch(2)"
    assert _slots(lab.esme).pending.image_hash == image_hash and _slots(lab.esme).version == "01000000"


def test_stored_image_damaged_after_receipt(lab: Lab) -> None:
    image_hash = _held(lab)
    pending = lab.esme.state.firmware["pending"]
    damaged = bytearray.fromhex(pending["image"])
    damaged[100] ^= 0x01  # storage damage inside the Manufacturer Image after the FDRA
    pending["image"] = damaged.hex().upper()
    out = _activate(lab, image_hash)
    assert _value(out)["value"]["executionOutcome"]["activateImageResponseCode"] == "hashMismatch(2)"
    assert _slots(lab.esme).version == "01000000"


def test_downgrade_is_refused(lab: Lab) -> None:
    """Row: downgrade -> activationFailure(3); slots unchanged."""
    lab.esme.state.firmware["version"] = "02000000"
    image_hash = _held(lab, 0x01000001)
    out = _activate(lab, image_hash)
    assert _value(out)["value"]["executionOutcome"] == {"activateImageResponseCode": "activationFailure(3)",
                                                        "firmwareVersion": "02000000"}
    assert _slots(lab.esme).pending.image_hash == image_hash


def test_same_version_is_refused(lab: Lab) -> None:
    """Row: same-version activation -> activationFailure(3)."""
    lab.distribute(make_image(version=0x01000001).encode(), [ESME_EUI])
    first = _slots(lab.esme).pending.image_hash
    assert _value(_activate(lab, first))["value"]["executionOutcome"]["activateImageResponseCode"] == "success(0)"
    again = _held(lab, 0x01000001)
    out = _activate(lab, again)
    assert _value(out)["value"]["executionOutcome"]["activateImageResponseCode"] == "activationFailure(3)"
    assert _slots(lab.esme).version == "01000001"


def test_downgrade_allowed_by_policy(lab: Lab) -> None:
    lab.esme.state.firmware["version"] = "02000000"
    lab.esme.state.firmware["policy"] = {"allow_downgrade": True}
    out = _activate(lab, _held(lab, 0x01000001))
    assert _value(out)["value"]["executionOutcome"]["activateImageResponseCode"] == "success(0)"


def test_activation_signed_by_the_wrong_krp(lab: Lab) -> None:
    """Row: activation signed by a key that is not the supplier's anchor -> alert 0x8F3D, no response, no switch."""
    image_hash = _held(lab)
    before = _slots(lab.esme).to_json()
    ks = keystore()
    ks.remove(SUPPLIER, KeyUsage.DS)
    ks.add(SUPPLIER, KeyUsage.DS, private_key=ec.generate_private_key(ec.SECP256R1()))
    rogue = HeadEnd(ks)
    rogue.register_device(lab.esme.state)
    out = lab.esme.handle(activation_command(rogue, ESME_EUI, image_hash, lab.next_counter()), NOW)
    assert not out.accepted and not out.responses
    assert payload_of(out.alerts[0]).to_json()["alert_code"] == "8F3D"
    assert _slots(lab.esme).to_json() == before


def test_replayed_activation(lab: Lab) -> None:
    """Row: a replayed activation -> alert 0x8F53 (counter not above the last), slots unchanged."""
    image_hash = _held(lab)
    command = activation_command(lab.headend, ESME_EUI, image_hash, lab.next_counter())
    assert lab.esme.handle(command, NOW).accepted
    _held(lab, 0x01000002)  # a new pending image the replay must not touch
    before = _slots(lab.esme).to_json()
    out = lab.esme.handle(command, NOW)
    assert not out.accepted and payload_of(out.alerts[0]).to_json()["alert_code"] == "8F53"
    assert _slots(lab.esme).to_json() == before


def test_future_dated_activation(lab: Lab) -> None:
    image_hash = _held(lab)
    when = NOW + dt.timedelta(days=2)
    out = _activate(lab, image_hash, execution=when)
    assert _value(out)["value"] == {"commandAccepted": None}
    assert _slots(lab.esme).version == "01000000"
    assert not lab.esme.due(when - dt.timedelta(seconds=1)).outbound
    due = lab.esme.due(when)
    alert = _value(due, "alert")
    assert due.alerts[0].message_code == 0x00CA
    assert alert["value"]["alertCode"] == "futureDatedCommandActioned(0x8F66)"
    assert alert["value"]["originatorCounter"] == lab.counter
    assert alert["value"]["executionOutcome"] == {"activateImageResponseCode": "success(0)",
                                                  "firmwareVersion": "01000001"}
    assert _slots(lab.esme).version == "01000001" and not lab.esme.state.pending


def test_future_dated_activation_failure(lab: Lab) -> None:
    _held(lab)
    _activate(lab, bytes(32), execution=NOW + dt.timedelta(days=1))
    alert = _value(lab.esme.due(NOW + dt.timedelta(days=1)), "alert")["value"]
    assert alert["alertCode"] == "futureDatedCommandNotActioned(0x8F67)"
    assert alert["executionOutcome"]["activateImageResponseCode"] == "hashMismatch(2)"
    assert _slots(lab.esme).version == "01000000"


def test_cancelled_activation(lab: Lab) -> None:
    image_hash = _held(lab)
    _activate(lab, image_hash, execution=NOW + dt.timedelta(days=1))
    out = _activate(lab, image_hash, cancel=True)
    assert _value(out)["value"] == {"commandAccepted": None}
    assert not lab.esme.state.pending
    assert not lab.esme.due(NOW + dt.timedelta(days=30)).alerts
    assert _slots(lab.esme).version == "01000000" and _slots(lab.esme).pending.image_hash == image_hash


def test_future_dated_activation_survives_a_power_cycle(lab: Lab, tmp_path: Path) -> None:
    """Row: a future-dated activation with a power cycle before its time -> it still runs when due."""
    image_hash = _held(lab)
    when = NOW + dt.timedelta(hours=6)
    out = _activate(lab, image_hash, execution=when)
    with StateStore(tmp_path / "fleet.sqlite") as store:
        store.commit(out.state)
    with StateStore(tmp_path / "fleet.sqlite") as store:
        state = store.load(ESME_EUI)
    assert state is not None
    rebooted = device_for(state)
    assert _slots(rebooted).version == "01000000"
    alert = _value(rebooted.due(when), "alert")["value"]
    assert alert["alertCode"] == "futureDatedCommandActioned(0x8F66)"
    assert _slots(rebooted).version == "01000001"


def test_a_new_lab_starts_on_its_factory_image() -> None:
    lab = build_lab()
    assert _slots(lab.esme).running.version == "01000000" and _slots(lab.gsme).version == "0123ABCD"
