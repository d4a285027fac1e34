"""The CHF's DLMS use cases: device log (CCS01-CCS07) with the CS14 whitelist alert (GBCS 5.11, 5.13)."""

from __future__ import annotations

from dlms_lab import ACB, SUPPLIER, DlmsLab, action, get

from smets_emu.emulator.cosem import CHF_DLMS_CODES
from smets_emu.emulator.device import Outcome
from smets_emu.emulator.devices import CommsHubFunction
from smets_emu.protocols.payloads.dlms import DataNotification
from smets_emu.protocols.payloads.dlms_data import (
    ArrayData,
    DataTag,
    IntegerData,
    NullData,
    OctetStringData,
    StructureData,
)

LOG = "0-0:30.3.0.255"
GSME = bytes.fromhex("00DB1234567890A1")


def register(lab: DlmsLab, eui: bytes) -> Outcome:
    parameter = StructureData((OctetStringData(eui), IntegerData(DataTag.ENUM, 0), OctetStringData(bytes(16)),
                               IntegerData(DataTag.ENUM, 0)))
    out, _ = lab.send(0x0001, action(104, LOG, 1, parameter), originator=ACB, supplementary=SUPPLIER)
    return out


def test_chf_codes() -> None:
    assert set(CHF_DLMS_CODES) <= set(CommsHubFunction._routes)
    assert {0x0001, 0x0002, 0x0003, 0x0004, 0x00FE, 0x010F, 0x0092, 0x00FA, 0x0093, 0x0094} <= CHF_DLMS_CODES
    assert 0x0018 not in CHF_DLMS_CODES


def test_add_device_raises_cs14_and_read_log_lists_it() -> None:
    lab = DlmsLab("CHF")
    out = register(lab, GSME)
    assert [o.kind for o in out.outbound] == ["response", "alert"]
    response, alert = out.outbound
    assert response.recipient == ACB and alert.message_code == 0x0018 and alert.recipient == ACB
    notification = lab.read(alert.message)
    assert notification.signature is None
    assert isinstance(notification.payload, DataNotification)
    assert notification.payload.to_json()["alert_code"] == "8F12"
    whitelist = notification.payload.body.items[2]
    assert whitelist.items[2].items[0].items[0] == OctetStringData(GSME)
    read, _ = lab.send(0x0004, get(104, LOG, 4), originator=ACB, supplementary=SUPPLIER)
    log = lab.read(read.responses[0].message).payload.data[0]
    assert isinstance(log, ArrayData) and log.items[0].items[0] == OctetStringData(GSME)


def test_remove_and_backup() -> None:
    lab = DlmsLab("CHF")
    register(lab, GSME)
    out, _ = lab.send(0x0002, action(104, LOG, 2, OctetStringData(GSME)), originator=ACB, supplementary=SUPPLIER)
    assert [o.message_code for o in out.alerts] == [0x0018]
    assert not lab.device.state.device_log
    backup, _ = lab.send(0x00FE, action(104, LOG, 4, NullData()), action(104, "0-0:30.3.1.255", 4, NullData()),
                         originator=ACB, supplementary=SUPPLIER)
    data = lab.read(backup.responses[0].message).payload.data
    assert data[0].items[2] == ArrayData(())
    assert data[1].items[2].items[0].items[0] == OctetStringData(GSME)


def test_removing_an_unknown_device_changes_nothing() -> None:
    lab = DlmsLab("CHF")
    out, _ = lab.send(0x0002, action(104, LOG, 2, OctetStringData(GSME)), originator=ACB, supplementary=SUPPLIER)
    assert not out.alerts and int(lab.read(out.responses[0].message).payload.results[0].result) == 0


def test_chf_identity() -> None:
    lab = DlmsLab("CHF")
    out, _ = lab.send(0x0092, get(1, "0-0:96.1.1.255", 2), originator=ACB, supplementary=SUPPLIER)
    assert lab.read(out.responses[0].message).payload.data[0] == OctetStringData(lab.eui)
