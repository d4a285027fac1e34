"""The COSEM object model over DeviceState.objects: profiles, type checks, buffers, faults."""

from __future__ import annotations

import datetime as dt
import json

from smets_emu.emulator.cosem.model import CosemModel, compatible, selection_bounds
from smets_emu.emulator.cosem.profiles import profile_objects
from smets_emu.emulator.state import DeviceState
from smets_emu.protocols.payloads.dlms_data import (
    ArrayData,
    CompactArrayData,
    DataTag,
    IntegerData,
    OctetStringData,
    StructureData,
)
from smets_emu.protocols.timestamps import GBCS_EPOCH, DlmsDateTime

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def esme() -> DeviceState:
    return DeviceState(bytes.fromhex("00DB1234567890A0"), "ESME")


def test_profiles_load_and_are_json_safe() -> None:
    for device_type in ("ESME", "CHF"):
        objects = profile_objects(device_type)
        assert objects
        json.dumps(objects)
    assert "1/0-0:0.2.1.255" in profile_objects("ESME")
    assert "104/0-0:30.3.0.255" in profile_objects("CHF")
    assert profile_objects("ESME", "twin") != profile_objects("ESME")
    assert profile_objects("ESME", "no-such-profile") == profile_objects("ESME")


def test_model_lives_in_the_state_and_survives_a_round_trip() -> None:
    state = esme()
    model = CosemModel(state)
    assert model.write_value(1, "0-0:94.44.3.2", 2, OctetStringData(b"\x01" * 12))
    again = DeviceState.loads(state.dumps())
    assert CosemModel(again).read_value(1, "0-0:94.44.3.2", 2) == OctetStringData(b"\x01" * 12)


def test_compatible() -> None:
    u32 = IntegerData(DataTag.DOUBLE_LONG_UNSIGNED, 1)
    assert compatible(u32, IntegerData(DataTag.DOUBLE_LONG_UNSIGNED, 9))
    assert not compatible(u32, IntegerData(DataTag.LONG_UNSIGNED, 9))
    assert compatible(ArrayData((u32,)), ArrayData((u32, u32, u32)))
    assert not compatible(ArrayData((u32,)), ArrayData((OctetStringData(b""),)))
    assert not compatible(StructureData((u32,)), StructureData((u32, u32)))


def test_buffer_entries_cover_the_range_at_the_capture_period() -> None:
    model = CosemModel(esme())
    obj = model.get_object(7, "1-0:32.24.0.255")
    assert obj is not None
    model.store(obj, 4, IntegerData(DataTag.DOUBLE_LONG_UNSIGNED, 3600))
    low = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    entries = model.buffer_entries(obj, NOW, low, low + dt.timedelta(hours=3))
    assert isinstance(entries, CompactArrayData) and len(entries.items) == 4
    row = entries.items[0]
    assert isinstance(row, StructureData) and isinstance(row.items[0], IntegerData)
    first = row.items[0]
    assert first.value == int((low - GBCS_EPOCH).total_seconds())
    assert not model.buffer_entries(obj, NOW, NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=2)).items
    obj["buffer"]["reset_at"] = (low + dt.timedelta(hours=2)).isoformat()
    assert len(model.buffer_entries(obj, NOW, low, low + dt.timedelta(hours=3)).items) == 2


def test_selection_bounds() -> None:
    a = OctetStringData(DlmsDateTime.from_datetime(NOW).to_bytes())
    assert selection_bounds(1, StructureData((a, a))) == (NOW, NOW)
    restricting = StructureData((IntegerData(DataTag.LONG_UNSIGNED, 1),))
    secs = IntegerData(DataTag.DOUBLE_LONG_UNSIGNED, 10)
    assert selection_bounds(1, StructureData((restricting, secs, secs, ArrayData(()))))[0] == (
        GBCS_EPOCH + dt.timedelta(seconds=10))
    assert selection_bounds(1, StructureData((OctetStringData(b"x"), a))) is None


def test_faults() -> None:
    model = CosemModel(esme())
    model.inject_fault("get", 1, "0-0:0.2.1.255", 2, 1)
    assert model.fault("get", 1, "0-0:0.2.1.255", 2) == 1
    assert model.fault("set", 1, "0-0:0.2.1.255", 2) is None
    model.clear_faults()
    assert model.fault("get", 1, "0-0:0.2.1.255", 2) is None
