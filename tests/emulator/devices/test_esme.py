"""The ESME's DLMS use cases end to end on the project's own PKI (GBCS 5.11, 5.9, 3.6)."""

from __future__ import annotations

import datetime as dt

from dlms_lab import NETWORK_OPERATOR, NOW, SUPPLIER, DlmsLab, action, get, set_

from smets_emu.emulator.cosem import ESME_DLMS_CODES, CosemModel
from smets_emu.emulator.devices import ElectricityMeter
from smets_emu.protocols.payloads.dlms import AccessResponse, DataNotification
from smets_emu.protocols.payloads.dlms_data import (
    ArrayData,
    DataTag,
    IntegerData,
    NullData,
    OctetStringData,
    StructureData,
)
from smets_emu.protocols.timestamps import DlmsDateTime


def dt_octets(value: dt.datetime) -> OctetStringData:
    return OctetStringData(DlmsDateTime.from_datetime(value).to_bytes())


def test_every_esme_dlms_code_is_handled() -> None:
    assert set(ESME_DLMS_CODES) <= set(ElectricityMeter._routes)
    assert 0x0059 in ESME_DLMS_CODES and 0x0007 in ESME_DLMS_CODES
    assert 0x0001 not in ESME_DLMS_CODES and 0x00CC not in ESME_DLMS_CODES


def test_firmware_version_comes_from_state() -> None:
    lab = DlmsLab()
    lab.device.state.firmware["version"] = "0A0B0C0D"
    out, counter = lab.send(0x0059, get(1, "0-0:0.2.1.255", 2))
    reply = lab.read(out.responses[0].message)
    assert isinstance(reply.payload, AccessResponse)
    assert reply.payload.invoke.invoke_id == counter
    assert reply.payload.data[0] == OctetStringData(bytes.fromhex("0A0B0C0D"))
    assert reply.signature is None and reply.mac is not None  # non-critical: MACed


def test_critical_command_response_is_signed_and_load_switch_opens() -> None:
    lab = DlmsLab()
    out, _ = lab.send(0x0050, action(9, "0-0:10.0.106.255", 1, IntegerData(DataTag.LONG_UNSIGNED, 0x34)))
    reply = lab.read(out.responses[0].message)
    assert reply.signature is not None
    assert int(reply.payload.results[0].result) == 0
    model = CosemModel(lab.device.state)
    assert model.read_value(70, "0-0:96.3.10.255", 3) == IntegerData(DataTag.ENUM, 0)


def test_unknown_object_and_break_on_error() -> None:
    lab = DlmsLab()
    out, _ = lab.send(0x0059, get(1, "0-0:0.2.1.255", 2), get(1, "9-9:9.9.9.9", 2), get(1, "0-0:0.2.1.255", 2))
    results = [int(r.result) for r in lab.read(out.responses[0].message).payload.results]
    assert results == [0, 4, 250]


def test_future_dated_activation_raises_signed_0x00cc() -> None:
    lab = DlmsLab()
    when = NOW + dt.timedelta(days=2)
    out, counter = lab.send(0x00C7, set_(113, "0-0:19.20.5.255", 7, dt_octets(when)))
    assert [int(r.result) for r in lab.read(out.responses[0].message).payload.results] == [0]
    assert lab.device.state.pending and lab.device.state.pending[0]["originator_counter"] == counter
    assert not lab.device.due(NOW + dt.timedelta(days=1)).outbound
    done = lab.device.due(when + dt.timedelta(seconds=1))
    assert [o.message_code for o in done.alerts] == [0x00CC]
    alert = lab.read(done.alerts[0].message)
    assert alert.signature is not None
    assert isinstance(alert.payload, DataNotification)
    body = alert.payload.to_json()
    assert body["alert_code"] == "8F66"
    assert body["future_dated_command"] == {"message_code": "00C7", "originator_counter": counter,
                                            "class_id": 113, "obis": "0-0:19.20.5.255", "attribute_id": 7}
    assert not lab.device.state.pending


def test_cancelled_activation_raises_nothing() -> None:
    lab = DlmsLab()
    when = NOW + dt.timedelta(days=2)
    lab.send(0x00C7, set_(113, "0-0:19.20.5.255", 7, dt_octets(when)))
    lab.send(0x00C7, set_(113, "0-0:19.20.5.255", 7, OctetStringData(bytes.fromhex("FF" * 9 + "8000FF"))))
    assert not lab.device.state.pending
    assert not lab.device.due(when + dt.timedelta(days=1)).outbound


def test_protected_register_read_decrypts_for_the_requester() -> None:
    lab = DlmsLab()
    entry = StructureData((IntegerData(DataTag.LONG_UNSIGNED, 1), OctetStringData(bytes.fromhex("00005E2C220A")),
                           IntegerData(DataTag.INTEGER, 2), IntegerData(DataTag.LONG_UNSIGNED, 0),
                           StructureData((IntegerData(DataTag.ENUM, 0), NullData()))))
    parameter = StructureData((ArrayData((entry,)), ArrayData(())))
    out, counter = lab.send(0x0027, action(30, "0-0:43.2.8.255", 1, parameter), originator=NETWORK_OPERATOR)
    reply = lab.read(out.responses[0].message)
    result = reply.payload.data[0]
    assert isinstance(result, StructureData)
    options = result.items[0].items[0].items[1]
    assert options.items[0].value == b"\x04" + counter.to_bytes(8, "big")
    assert options.items[2].value == NETWORK_OPERATOR
    blob = result.items[1]
    assert isinstance(blob, OctetStringData) and blob.decrypted is not None
    assert isinstance(blob.decrypted, StructureData) and len(blob.decrypted.items) == 1
    assert SUPPLIER != NETWORK_OPERATOR


def test_clock_set_then_read_follows_the_preset() -> None:
    lab = DlmsLab()
    target = NOW + dt.timedelta(hours=5)
    window = StructureData((dt_octets(target), dt_octets(NOW - dt.timedelta(minutes=1)),
                            dt_octets(NOW + dt.timedelta(minutes=1))))
    out, _ = lab.send(0x0062, action(8, "0-0:1.0.0.255", 5, window),
                      action(8, "0-0:1.0.0.255", 4, IntegerData(DataTag.INTEGER, 0)), get(8, "0-0:1.0.0.255", 2))
    reply = lab.read(out.responses[0].message)
    assert [int(r.result) for r in reply.payload.results] == [0, 0, 0]
    assert reply.payload.data[2] == dt_octets(target)


def test_injected_fault_answers_hardware_fault() -> None:
    lab = DlmsLab()
    state = lab.device.state.clone()
    CosemModel(state).inject_fault("get", 1, "0-0:0.2.1.255", 2)
    lab.device.state = state
    out, _ = lab.send(0x0059, get(1, "0-0:0.2.1.255", 2))
    assert [int(r.result) for r in lab.read(out.responses[0].message).payload.results] == [1]
