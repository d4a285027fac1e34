"""The device kernel: one parse per message, pure transitions, one adopt point, replies with their metadata."""

from __future__ import annotations

import datetime as dt

import pytest
from test_security_credentials import DS, NOW, SUPPLIER, Lab

from smets_emu.emulator.device import Inbound, Outcome
from smets_emu.protocols import envelope
from smets_emu.protocols.envelope import CraFlag, Envelope, WireSpans, decode_envelope
from smets_emu.protocols.security import CheckStatus


def provide_ds(lab: Lab) -> bytes:
    return lab.command(SUPPLIER, 0x000C, {"keyUsage": DS}, sign=True)


def test_inbound_parses_once_and_carries_envelope_and_spans() -> None:
    lab = Lab()
    data = provide_ds(lab)
    inbound = Inbound.parse(data)
    assert inbound.error == "" and inbound.data == data
    assert inbound.recipient == lab.eui and inbound.originator == SUPPLIER and inbound.message_code == 0x000C
    assert inbound.spans is not None and inbound.spans.signed in data
    assert Inbound.of(inbound) is inbound


def test_malformed_inbound_never_raises() -> None:
    inbound = Inbound.parse(b"\xdd\x00\x01")
    assert inbound.envelope is None and inbound.recipient is None and inbound.error
    lab = Lab()
    out = lab.device.handle(inbound, NOW)
    assert not out.accepted and out.reason.startswith("malformed message")
    assert lab.device.state.security_log[-1]["code"] == 0x8F1E


def test_device_handles_a_parsed_message_without_decoding_it_again(monkeypatch: pytest.MonkeyPatch) -> None:
    lab = Lab()
    inbound = Inbound.parse(provide_ds(lab))
    calls: list[bytes] = []
    real = envelope.decode_envelope_with_spans

    def counting(data: bytes) -> tuple[Envelope, WireSpans]:
        calls.append(data)
        return real(data)

    monkeypatch.setattr(envelope, "decode_envelope_with_spans", counting)
    out = lab.device.handle(inbound, NOW)
    assert out.accepted and out.inbound is inbound
    assert calls == []


def test_process_is_pure_and_adopt_is_the_transition() -> None:
    lab = Lab()
    before = lab.device.state
    out = lab.device.process(before, provide_ds(lab), NOW)
    assert out.accepted and lab.device.state is before
    assert out.state is not before and out.state.counters != before.counters
    lab.device.adopt(out)
    assert lab.device.state is out.state


def test_a_message_for_another_device_leaves_the_state_object_alone() -> None:
    lab = Lab()
    other = Lab("GSME")
    before = lab.device.state
    out = lab.device.process(before, provide_ds(other), NOW)
    assert out.state is before and out.outbound == [] and out.reason == "not addressed to this device"


def test_outbound_carries_its_header() -> None:
    lab = Lab()
    data = provide_ds(lab)
    out = lab.device.handle(data, NOW)
    (response,) = out.responses
    decoded = decode_envelope(response.message).header
    assert response.header == decoded
    assert response.cra_flag is CraFlag.RESPONSE and response.originator == lab.eui
    assert response.originator_counter == decode_envelope(data).header.originator_counter
    assert response.recipient == SUPPLIER and response.message_code == 0x000C
    assert lab.headend.verify(response.message).signature is CheckStatus.VALID


def test_rejected_command_returns_its_alert_beside_the_outcome() -> None:
    lab = Lab()
    data = provide_ds(lab)
    lab.device.handle(data, NOW)
    replay = lab.device.process(lab.device.state, data, NOW)
    assert not replay.accepted and replay.responses == []
    (alert,) = replay.alerts
    assert alert.cra_flag is CraFlag.ALERT and alert.originator_counter == replay.state.alert_counter
    assert lab.headend.verify(alert.message).mac is CheckStatus.VALID  # 0x8F53 is non-critical: MACed


def test_event_alerts_are_pure() -> None:
    lab = Lab()
    before = lab.device.state
    out = lab.device.generic_alert(0x8F30, NOW)
    assert isinstance(out, Outcome) and lab.device.state is before
    assert out.state.alert_counter == before.alert_counter + 1
    assert out.alerts[0].originator_counter == out.state.alert_counter


def test_timers_are_pure() -> None:
    lab = Lab()
    before = lab.device.state
    out = lab.device.timers(before, NOW + dt.timedelta(days=1))
    assert lab.device.state is before
    lab.device.adopt(out)
    assert lab.device.state is out.state
