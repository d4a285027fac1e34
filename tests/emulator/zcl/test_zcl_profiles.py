"""Shipped profiles: loadable, every attribute encodes with its declared ZCL type, JSON-safe state."""

from __future__ import annotations

import pytest

from smets_emu.emulator.state import DeviceState
from smets_emu.emulator.zcl.profiles import ProfileError, apply_profile, load_profile, profile_names
from smets_emu.protocols.payloads import zcl_clusters as clusters
from smets_emu.protocols.payloads.zcl import ZclDirection, ZclFrameType, ZclHeader


@pytest.mark.parametrize("device_type", ["GSME", "GPF"])
def test_default_profile_attributes_encode(device_type: str) -> None:
    assert "default" in profile_names(device_type)
    doc = load_profile(device_type)
    header = ZclHeader(ZclFrameType.PROFILE_WIDE, ZclDirection.SERVER_TO_CLIENT, 0, 0x01)
    for cluster, attributes in doc["objects"]["clusters"].items():
        records = [{"attribute_id": int(a, 16), "status": "SUCCESS", "type": e["type"], "value": e["value"]}
                   for a, e in attributes.items()]
        payload = clusters.encode_command(int(cluster, 16), header, {"records": records})
        decoded = clusters.decode_command(int(cluster, 16), header, payload)
        assert decoded is not None and len(decoded["records"]) == len(records)


def test_apply_profile_fills_once() -> None:
    state = DeviceState(eui=bytes(8), device_type="GSME")
    apply_profile(state)
    assert state.objects["clusters"]["0702"] and state.firmware["version"]
    state.objects["clusters"]["0702"]["0000"]["value"] = 1
    apply_profile(state)
    assert state.objects["clusters"]["0702"]["0000"]["value"] == 1
    assert DeviceState.loads(state.dumps()) == state


def test_unknown_profile() -> None:
    with pytest.raises(ProfileError):
        load_profile("GSME", "no-such-profile")
