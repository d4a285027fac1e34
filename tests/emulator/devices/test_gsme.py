"""GSME: GBZ use cases end to end through the GBCS dispatch, on the project's own test PKI."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives.serialization import load_der_private_key
from gbz_lab import GSME, NOW, S2C, SUPPLIER, GbzLab, cluster_command, fields_of, gbz, pki, read

from smets_emu.emulator.devices.gsme import GSME_GBZ_CODES, GasMeter
from smets_emu.emulator.state import DeviceState
from smets_emu.emulator.zcl import utrn
from smets_emu.emulator.zcl.model import ZclModel
from smets_emu.protocols import crypto
from smets_emu.protocols.keystore import KeyUsage
from smets_emu.protocols.payloads.asn1 import Asn1Payload
from smets_emu.protocols.payloads.gbz import GbzPayload
from smets_emu.protocols.payloads.zcl import ZclStatus


@pytest.fixture
def lab() -> GbzLab:
    return GbzLab("GSME")


def test_every_gbz_command_use_case_has_a_handler() -> None:
    assert GSME_GBZ_CODES <= set(GasMeter._routes)
    assert 0x007F in GasMeter._routes
    assert 0x0072 not in GasMeter._routes  # GCS09 is for the GPF


def test_firmware_version_read_from_state(lab: GbzLab) -> None:
    lab.device.state.firmware["version"] = "0A0B0C0D"
    comps = lab.components(lab.send(0x0084, gbz(read(0x0702, 0x0206))))
    assert fields_of(comps[0])["records"] == [
        {"attribute_id": 0x0206, "status": "SUCCESS", "type": "OCTET_STRING", "value": "0A0B0C0D",
         "attribute": "CurrentMeterID"}]


def test_unsupported_attribute_and_encrypted_register_read(lab: GbzLab) -> None:
    outcome = lab.send(0x0074, gbz(read(0x0702, 0x0302, 0x7777, 0x0000)))
    comps = lab.components(outcome)
    assert comps[0]["encrypted"] and comps[0]["last"]
    records = fields_of(comps[0])["records"]
    assert [r["status"] for r in records] == ["SUCCESS", "UNSUPPORTED_ATTRIBUTE", "SUCCESS"]
    assert lab.response(outcome).header.date_time is not None


def test_publish_price_updates_model_and_default_response(lab: GbzLab) -> None:
    factor = {"issuer_event_id": 1, "start_time": {"utc": 0}, "conversion_factor": 1234567,
              "conversion_factor_trailing_digit": 0x60}
    outcome = lab.send(0x007C, gbz(cluster_command(0x0700, 0x02, factor, S2C)))
    comps = lab.components(outcome)
    assert comps[0]["zcl"]["command_id"] == 0x0B and fields_of(comps[0])["status"] == "SUCCESS"
    assert comps[0]["zcl"]["direction"] == "CLIENT_TO_SERVER"
    assert ZclModel(lab.device.state).get(0x0700, 0x0302) == 1234567


def test_fault_stops_later_components(lab: GbzLab) -> None:
    ZclModel(lab.device.state).inject_command_fault(0x0705, 0x09, ZclStatus.HARDWARE_FAILURE)
    payload = gbz(cluster_command(0x0705, 0x09, {"low_credit_warning_level": 1}),
                  cluster_command(0x0705, 0x0C, {"provider_id": 0, "issuer_event_id": 1,
                                                 "implementation_date_time": {"utc": 0}, "overall_debt_cap": 5}))
    comps = lab.components(lab.send(0x006F, payload))
    assert [(fields_of(c)["command_id"], fields_of(c)["status"]) for c in comps] == [
        (0x09, "HARDWARE_FAILURE"), (0xFF, "FAILURE")]


def _top_up_code(lab: GbzLab, counter: int, value: int) -> str:
    device_key = load_der_private_key(lab.device.state.keys["ka"].private_key, None)
    supplier_key = pki().keystore.private_key(SUPPLIER, KeyUsage.KA_PREPAYMENT)
    z = crypto.ecdh_shared_secret(private_key=supplier_key, public_key=device_key.public_key())
    return utrn.build(shared_secret=z, supplier=SUPPLIER, device=GSME, counter=counter, value=value)


def test_consumer_top_up_accepts_once(lab: GbzLab) -> None:
    code = _top_up_code(lab, 3 << 32, 1250)
    before = ZclModel(lab.device.state).get(0x0705, 0x0001)
    top_up = cluster_command(0x0705, 0x04, {"originating_device": 0, "top_up_code": code})
    first = fields_of(lab.components(lab.send(0x0097, gbz(top_up)))[0])
    assert first["result_type"] == 0 and first["top_up_value"] == 1_250_000
    share = 1_250_000 * ZclModel(lab.device.state).get(0x0705, 0x0239) // 10_000  # payment-based debt recovery
    assert ZclModel(lab.device.state).get(0x0705, 0x0001) == before + 1_250_000 - share
    again = fields_of(lab.components(lab.send(0x0097, gbz(top_up)))[0])
    assert again["result_type"] == 2  # duplicate
    wrong = cluster_command(0x0705, 0x04, {"originating_device": 0, "top_up_code": "12345678910121314156"})
    assert fields_of(lab.components(lab.send(0x0097, gbz(wrong)))[0])["result_type"] == 1


def test_future_dated_command_pending_then_alert(lab: GbzLab) -> None:
    start = 948013200  # 2030-01-15 09:00
    payload = gbz(cluster_command(0x0705, 0x0C, {"provider_id": 0, "issuer_event_id": 1,
                                                 "implementation_date_time": {"utc": start},
                                                 "overall_debt_cap": 4242}))
    comps = lab.components(lab.send(0x006F, payload))
    assert fields_of(comps[0])["status"] == "SUCCESS"
    assert len(lab.device.state.pending) == 1
    assert ZclModel(lab.device.state).get(0x0705, 0x0006) != 4242
    assert lab.device.due(NOW).outbound == []
    fired = lab.device.due(dt.datetime(2030, 1, 15, 9, 0, tzinfo=dt.UTC))
    assert len(fired.outbound) == 1 and fired.outbound[0].message_code == 0x00CD
    assert lab.head_end.verify(fired.outbound[0].message).signature.value == "valid"
    alert = lab.head_end.decode(fired.outbound[0].message).payload.alert
    assert alert.alert_code == 0x8F66
    assert alert.future_dated.message_code == 0x006F and alert.future_dated.command_id == 0x0C
    assert alert.future_dated.originator_counter == lab.counter
    assert ZclModel(lab.device.state).get(0x0705, 0x0006) == 4242
    assert lab.device.state.pending == []


def test_cancellation_removes_pending(lab: GbzLab) -> None:
    def cap(when: int) -> GbzPayload:
        return gbz(cluster_command(0x0705, 0x0C, {"provider_id": 0, "issuer_event_id": 1,
                                                  "implementation_date_time": {"utc": when}, "overall_debt_cap": 1}))
    lab.send(0x006F, cap(948013200))
    assert lab.device.state.pending
    lab.send(0x006F, cap(0xFFFFFFFF))
    assert lab.device.state.pending == []


@pytest.mark.parametrize(("start", "end", "status"), [
    ("20141231233000Z", "20150101003000Z", "reliable"),
    ("20150101010000Z", "20150101020000Z", "unreliable"),
])
def test_set_clock(lab: GbzLab, start: str, end: str, status: str) -> None:
    payload = Asn1Payload(schema="GCS28Command", value={"validityIntervalStart": start, "validityIntervalEnd": end},
                          message_code=0x007F, cra_flag=1)
    value = lab.response(lab.send(0x007F, payload)).payload.to_json()["value"]
    assert str(value["deviceTimeStatus"]).startswith(status)
    assert value["deviceTime"] == "20150101000000Z"


def test_meter_integrity_alert_is_gbz_and_maced(lab: GbzLab) -> None:
    outcome = lab.device.meter_integrity_warning(5, NOW)
    (alert,) = outcome.outbound
    assert alert.message_code == 0x00F2
    assert lab.head_end.verify(alert.message).mac.value == "valid"
    body = lab.head_end.decode(alert.message).payload.alert
    assert (body.alert_code, body.integrity_code) == (0x81A0, 5)


def test_generic_alert_uses_gbz_form(lab: GbzLab) -> None:
    (alert,) = lab.device.generic_alert(0x810E, NOW).outbound
    assert alert.message_code == 0x1001
    payload = lab.head_end.decode(alert.message).payload
    assert isinstance(payload, GbzPayload) and payload.alert is not None
    assert payload.alert.alert_code == 0x810E and payload.components == ()


def test_malformed_gbz_is_answered_not_raised(lab: GbzLab) -> None:
    outcome = lab.send(0x0074, b"\x01\x09\x01\x01\x07\x02")
    assert not outcome.accepted and outcome.alerts


def test_state_stays_json(lab: GbzLab) -> None:
    lab.send(0x0074, gbz(read(0x0702, 0x0000)))
    assert DeviceState.loads(lab.device.state.dumps()) == lab.device.state
