"""Device-originated event alerts: CHF sub-GHz events (DBCH06-DBCH11) and the ESME supply-restored alert."""

from __future__ import annotations

import datetime as dt

import pytest

from smets_emu.emulator.devices import ElectricityMeter, device_for
from smets_emu.emulator.provision import new_device_state
from smets_emu.parties.headend import HeadEnd
from smets_emu.protocols.pki import generate_test_pki
from smets_emu.protocols.security import CheckStatus

CHF = bytes.fromhex("00DB1234567890A2")
ESME = bytes.fromhex("00DB1234567890A0")
ACB = bytes.fromhex("90B3D51F30000002")
NETWORK_OPERATOR = bytes.fromhex("90B3D51F30020000")
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def pki():  # type: ignore[no-untyped-def]
    return generate_test_pki(seed=12)


def _lab(pki, eui: bytes, kind: str):  # type: ignore[no-untyped-def]
    state = new_device_state(eui, kind, pki.keystore)
    headend = HeadEnd(pki.keystore)
    headend.register_device(state)
    return device_for(state), headend


@pytest.mark.parametrize(("method", "args", "code", "alert_code"), [
    ("duty_cycle_limited", (ESME,), 0x0110, "8F20"),
    ("sub_ghz_channel_changed", (bytes.fromhex("E0000001"), 0), 0x0111, "8F26"),
    ("channel_scan_assessed", (0, 1), 0x0112, "8F28"),
    ("message_discarded", (NETWORK_OPERATOR, ESME, 1, 1000), 0x0114, "8F2C"),
    ("no_sub_ghz_capacity", (ESME,), 0x0115, "8F2D"),
])
def test_chf_sub_ghz_events(pki, method: str, args: tuple, code: int, alert_code: str) -> None:  # type: ignore[no-untyped-def,type-arg]
    device, headend = _lab(pki, CHF, "CHF")
    outcome = getattr(device, method)(*args, NOW)
    (alert,) = outcome.alerts
    assert alert.message_code == code and alert.recipient == ACB
    assert headend.verify(alert.message).mac is CheckStatus.VALID
    assert headend.decode(alert.message).payload.to_json()["alert_code"] == alert_code
    assert device.state.alert_counter + 1 == outcome.state.alert_counter  # pure: the caller adopts
    device.adopt(outcome)
    assert device.state is outcome.state


def test_esme_supply_restored_goes_signed_to_the_network_operator(pki) -> None:  # type: ignore[no-untyped-def]
    device, headend = _lab(pki, ESME, "ESME")
    assert isinstance(device, ElectricityMeter)
    outcome = device.supply_restored(NOW - dt.timedelta(minutes=10), NOW - dt.timedelta(minutes=2), NOW)
    (alert,) = outcome.alerts
    assert alert.message_code == 0x0067 and alert.recipient == NETWORK_OPERATOR
    assert headend.verify(alert.message).signature is CheckStatus.VALID


def test_esme_apc_and_operational_update_alerts(pki) -> None:  # type: ignore[no-untyped-def]
    device, headend = _lab(pki, ESME, "ESME")
    assert isinstance(device, ElectricityMeter)
    processed = device.apc_level_limit_processed(1, NOW, NOW + dt.timedelta(days=1), 50, NOW)
    ended = device.apc_level_limit_ended(1, 100, NOW)
    update = device.operational_update('{"outputState":"50"}', NOW)
    assert [o.message_code for o in (*processed.alerts, *ended.alerts, *update.alerts)] == [0x0121, 0x0122, 0x0123]
    for outcome in (processed, ended, update):
        assert headend.verify(outcome.alerts[0].message).signature is CheckStatus.VALID
    header = headend.decode(update.alerts[0].message).header
    assert header.other_information.supplementary_remote_party_id == bytes.fromhex("90B3D51F30010008")
