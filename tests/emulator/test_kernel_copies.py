"""What a handled command copies and loads: one object per change, no keys at construction, Z kept in the state."""

from __future__ import annotations

from smets_emu.emulator.anchors import CellId, CellKeyUsage
from smets_emu.emulator.cosem.model import COSEM_KEY, CosemModel
from smets_emu.emulator.devices import device_for
from smets_emu.emulator.kernel import keys
from smets_emu.emulator.provision import new_device_state
from smets_emu.emulator.state import DeviceState, KeyPair
from smets_emu.protocols import crypto
from smets_emu.protocols.pki import generate_test_pki
from smets_emu.protocols.roles import Role

EUI = bytes.fromhex("00DB1234567890A7")


def _state_with_objects() -> DeviceState:
    state = DeviceState(EUI, "ESME", objects={COSEM_KEY: {"a": {"v": [1]}, "b": {"v": [2]}}, "faults": {"x": 1}})
    state.saved(1)  # committed
    return state


def test_a_read_copies_nothing() -> None:
    parent = _state_with_objects()
    work = parent.clone()
    model = CosemModel(work)
    assert model.fault("get", 1, "0-0:1.0.0.255", 2) is None
    assert work.objects_view() is parent.objects_view()
    assert work.delta(1).sections == {}


def test_a_write_copies_only_the_object_it_changes() -> None:
    parent = _state_with_objects()
    work = parent.clone()
    obj = work.object_for_write(COSEM_KEY, "a")
    assert obj is not None and obj is not parent.objects_view()[COSEM_KEY]["a"]
    assert work.object_for_write(COSEM_KEY, "a") is obj  # copied once
    obj["v"].append(9)
    view = work.objects_view()
    assert view[COSEM_KEY]["b"] is parent.objects_view()[COSEM_KEY]["b"]  # still shared
    assert parent.objects_view()[COSEM_KEY]["a"] == {"v": [1]}
    assert set(work.delta(1).sections) == {"objects"}
    whole = work.objects  # the whole field: everything still shared is copied now
    assert whole[COSEM_KEY]["a"] is obj and whole[COSEM_KEY]["b"] is not parent.objects_view()[COSEM_KEY]["b"]
    whole["faults"]["x"] = 2
    assert parent.objects_view() == {COSEM_KEY: {"a": {"v": [1]}, "b": {"v": [2]}}, "faults": {"x": 1}}


def test_put_object_adds_without_touching_the_parent() -> None:
    parent = _state_with_objects()
    work = parent.clone()
    work.put_object(COSEM_KEY, "c", {"v": []})
    work.put_object("new", "k", {"v": 1})
    assert "c" not in parent.objects_view()[COSEM_KEY] and "new" not in parent.objects_view()
    assert work.objects_view()[COSEM_KEY]["c"] == {"v": []} and work.objects_view()["new"] == {"k": {"v": 1}}


def test_reading_a_partial_parent_leaves_its_copies_consistent() -> None:
    grand = _state_with_objects()
    parent = grand.clone()
    parent.object_for_write(COSEM_KEY, "a")
    child = parent.clone()
    child_a = child.object_for_write(COSEM_KEY, "a")
    assert parent.objects[COSEM_KEY]["b"] == {"v": [2]}  # read the parent as a whole after cloning it
    child_b = child.object_for_write(COSEM_KEY, "b")
    assert child_a is not None and child_b is not None
    child_b["v"].append(5)
    assert grand.objects_view()[COSEM_KEY]["b"] == {"v": [2]} and parent.objects_view()[COSEM_KEY]["b"] == {"v": [2]}


def test_devices_load_no_key_when_built_and_keep_z_with_the_acb_from_provisioning() -> None:
    pki = generate_test_pki(seed=1)
    state = new_device_state(EUI, "ESME", pki.keystore)
    ka = state.key_pair("ka")
    acb = state.anchor(CellId(Role.ACCESS_CONTROL_BROKER, CellKeyUsage.KEY_AGREEMENT))
    assert ka is not None and acb is not None and acb.public_point is not None
    z = ka.agreed[acb.public_point]
    loaded = keys.DeviceKeys().private_key(state, "ka")
    assert z == crypto.ecdh_shared_secret(private_key=loaded, public_key=keys.cell_public_key(acb))
    device = device_for(state)
    assert device.keys._private == {}  # nothing loaded by construction
    assert device.shared_secret(state, acb) == z
    assert device.keys._private == {}  # Z came from the state, no key load
    assert DeviceState.loads(state.dumps()) == state  # kept through the JSON form
    assert "agreed" not in KeyPair(b"\x01").to_json()
