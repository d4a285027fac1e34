"""Method behaviours: clock, scripts, credit, token gateway, ZigBee network control, Data protection."""

from __future__ import annotations

import datetime as dt

from smets_emu.emulator.cosem.engine import invoke_method, read_attribute
from smets_emu.emulator.cosem.methods import ExecContext, ProtectionContext
from smets_emu.emulator.cosem.model import CosemModel
from smets_emu.emulator.state import DeviceState
from smets_emu.protocols.payloads.dlms_data import (
    ArrayData,
    DataTag,
    IntegerData,
    NullData,
    OctetStringData,
    StructureData,
    decode_data,
)

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def ctx(device_type: str = "ESME", encrypt: object = None) -> ExecContext:
    state = DeviceState(bytes.fromhex("00DB1234567890A0"), device_type)
    protection = ProtectionContext(7, state.eui, bytes.fromhex("90B3D51F30010000"), encrypt)  # type: ignore[arg-type]
    return ExecContext(CosemModel(state), NOW, protection=protection)


def test_load_switch_scripts() -> None:
    c = ctx()
    for script, state in ((0x34, 0), (0x35, 2), (0x33, 1)):
        assert invoke_method(c, 9, "0-0:10.0.106.255", 1, IntegerData(DataTag.LONG_UNSIGNED, script))[0] == 0
        assert c.model.read_value(70, "0-0:96.3.10.255", 3) == IntegerData(DataTag.ENUM, state)
    assert invoke_method(c, 9, "0-0:10.0.106.255", 1, NullData())[0] == 12


def test_credit_and_token() -> None:
    c = ctx()
    invoke_method(c, 112, "0-0:19.10.0.255", 2, IntegerData(DataTag.DOUBLE_LONG, 100))
    invoke_method(c, 112, "0-0:19.10.0.255", 1, IntegerData(DataTag.DOUBLE_LONG, 50))
    assert read_attribute(c, 112, "0-0:19.10.0.255", 2)[1] == IntegerData(DataTag.DOUBLE_LONG, 150)
    token = OctetStringData(b"1" * 20)  # 20 digits, but no UTRN minted for this device (GBCS 14)
    assert invoke_method(c, 115, "0-0:19.40.0.255", 1, token)[0] == 250
    assert invoke_method(c, 115, "0-0:19.40.0.255", 1, OctetStringData(b"12"))[0] == 250


def test_zigbee_network_control() -> None:
    c = ctx("CHF")
    eui = bytes.fromhex("00DB1234567890A1")
    register = StructureData((OctetStringData(eui), IntegerData(DataTag.ENUM, 0), OctetStringData(bytes(16)),
                              IntegerData(DataTag.ENUM, 0)))
    assert invoke_method(c, 104, "0-0:30.3.0.255", 1, register)[0] == 0
    assert c.device_log_changed and c.state.device_log[0]["eui"] == eui.hex().upper()
    result, backup = invoke_method(c, 104, "0-0:30.3.0.255", 4, NullData())
    assert result == 0 and isinstance(backup, StructureData) and len(backup.items[2].items) == 1
    restore = StructureData((OctetStringData(bytes(8)), ArrayData((StructureData((OctetStringData(b"\x01" * 8),
                                                                                  OctetStringData(bytes(16)))),))))
    assert invoke_method(c, 104, "0-0:30.3.0.255", 5, restore)[0] == 0
    assert [e["eui"] for e in c.state.device_log] == ["01" * 8]


def test_data_protection_encrypts_the_listed_attributes() -> None:
    c = ctx(encrypt=lambda plain: b"\x31\x00\x00\x00\x00" + plain + bytes(12))
    entry = StructureData((IntegerData(DataTag.LONG_UNSIGNED, 1), OctetStringData(bytes.fromhex("0000000201FF")),
                           IntegerData(DataTag.INTEGER, 2), IntegerData(DataTag.LONG_UNSIGNED, 0),
                           StructureData((IntegerData(DataTag.ENUM, 0), NullData()))))
    result, value = invoke_method(c, 30, "0-0:43.2.8.255", 1, StructureData((ArrayData((entry,)), ArrayData(()))))
    assert result == 0 and isinstance(value, StructureData)
    assert isinstance(value.items[1], OctetStringData)
    blob = value.items[1].value
    assert decode_data(blob[5:-12]) == StructureData((OctetStringData(bytes.fromhex("01000000")),))
    c.protection = None
    assert invoke_method(c, 30, "0-0:43.2.8.255", 1, StructureData((ArrayData((entry,)), ArrayData(()))))[0] == 250
