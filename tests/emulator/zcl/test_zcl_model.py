"""ZCL object model: attribute reads and writes, access rights, faults, firmware version."""

from __future__ import annotations

import pytest

from smets_emu.emulator.state import DeviceState
from smets_emu.emulator.zcl.model import DEFAULT_FIRMWARE_VERSION, ZclModel
from smets_emu.protocols.payloads.zcl import ZclStatus


@pytest.fixture
def model() -> ZclModel:
    state = DeviceState(eui=bytes(8), device_type="GSME")
    state.objects["clusters"] = {"0702": {"0000": {"type": "UINT48", "value": 5, "access": "r"},
                                          "0B10": {"type": "UINT16", "value": 1, "access": "rw"}}}
    return ZclModel(state)


def test_read_success_and_unsupported(model: ZclModel) -> None:
    assert model.read(0x0702, 0x0000).record() == {"attribute_id": 0, "status": "SUCCESS", "type": "UINT48",
                                                    "value": 5}
    missing = model.read(0x0702, 0x4242)
    assert missing.status is ZclStatus.UNSUPPORTED_ATTRIBUTE
    assert missing.record()["type"] is None


def test_write_respects_access(model: ZclModel) -> None:
    assert model.write(0x0702, 0x0000, 9) is ZclStatus.READ_ONLY
    assert model.write(0x0702, 0x0B10, 9, "UINT8") is ZclStatus.INVALID_DATA_TYPE
    assert model.write(0x0702, 0x0B10, 9, "UINT16") is ZclStatus.SUCCESS
    assert model.get(0x0702, 0x0B10) == 9
    assert model.write(0x0702, 0x9999, 1) is ZclStatus.UNSUPPORTED_ATTRIBUTE


def test_faults(model: ZclModel) -> None:
    model.inject_attribute_fault(0x0702, 0x0000, ZclStatus.HARDWARE_FAILURE)
    model.inject_command_fault(0x0705, 0x07, ZclStatus.HARDWARE_FAILURE, sequence_number=3)
    assert model.read(0x0702, 0x0000).status is ZclStatus.HARDWARE_FAILURE
    assert model.command_fault(0x0705, 0x07, 2) is None
    assert model.command_fault(0x0705, 0x07, 3) is ZclStatus.HARDWARE_FAILURE
    model.clear_faults()
    assert model.read(0x0702, 0x0000).status is ZclStatus.SUCCESS


def test_firmware_version_attribute(model: ZclModel) -> None:
    assert model.read(0x0702, 0x0206).value == DEFAULT_FIRMWARE_VERSION
    model.state.firmware["version"] = "deadbeef"
    assert model.read(0x0702, 0x0206).value == "DEADBEEF"


def test_set_creates_only_with_a_type(model: ZclModel) -> None:
    model.set(0x0700, 0x0302, 7)
    assert model.attribute(0x0700, 0x0302) is None
    model.set(0x0700, 0x0302, 7, "UINT32")
    assert model.get(0x0700, 0x0302) == 7
