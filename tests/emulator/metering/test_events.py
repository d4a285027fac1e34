"""Scheduled device events: kept in the state, due at the earliest, each logged and alerted at its own time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from smets_emu.emulator.device import Device, Outbound, Outcome
from smets_emu.emulator.metering.events import (
    MAX_SCHEDULED,
    event_log,
    parse_time,
    schedule_event,
    scheduled_events,
)
from smets_emu.errors import InputError
from smets_emu.protocols.message import Message
from smets_emu.protocols.timestamps import datetime_to_gbz_seconds
from smets_emu.tools.command_choice import sample_payload
from smets_emu.tools.fleet_file import FleetFileError, parse_fleet
from smets_emu.tools.lab import Lab, open_lab, read_inventory
from smets_emu.tools.wan_client import Exchange, RemoteParty

ESME = bytes.fromhex("00DB1234567890A0")
GSME = bytes.fromhex("00DB1234567890A1")
T0 = dt.datetime(2026, 2, 1, 8, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    opened = open_lab(tmp_path / "lab")
    try:
        yield opened
    finally:
        opened.close()


def schedule(lab: Lab, eui: bytes, *events: tuple[str, dt.datetime]) -> Device:
    device = lab.fleet.devices[eui]
    work = device.state.clone()
    for kind, at in events:
        schedule_event(work, kind, at)
    lab.fleet.commit(device, Outcome(work, accepted=True), T0)
    return device


def decoded(lab: Lab, sent: list[Outbound]) -> list[Message]:
    party = RemoteParty(lab.keystore, None)  # type: ignore[arg-type]
    return [party.headend.decode(o.message) for o in sent if o.kind == "alert"]


def alert_code(message: Message) -> int:
    payload = message.payload.to_json()
    if "alert_code" in payload and isinstance(payload["alert_code"], int):
        return int(payload["alert_code"])
    return int(payload["body"]["value"][0]["value"])


def test_events_fire_at_their_time_with_their_alerts(lab: Lab) -> None:
    esme = schedule(lab, ESME, ("over-current", T0 + 30 * MINUTE), ("power-outage", T0 + 10 * MINUTE),
                    ("power-restore", T0 + 20 * MINUTE), ("tamper", T0 + 40 * MINUTE))
    assert esme.next_due(esme.state) == T0 + 10 * MINUTE  # the earliest
    assert decoded(lab, lab.fleet.tick(T0 + 9 * MINUTE)) == []
    assert decoded(lab, lab.fleet.tick(T0 + 10 * MINUTE)) == []  # the outage: logged, the meter cannot send
    (restored,) = decoded(lab, lab.fleet.tick(T0 + 25 * MINUTE))
    assert restored.message_code == 0x0067 and alert_code(restored) == 0x8F36 and restored.signature is not None
    body = restored.payload.to_json()["body"]["value"]
    assert len(body) == 4  # alert code, time, outage start, outage end (digest 5.13)
    alerts = decoded(lab, lab.fleet.tick(T0 + dt.timedelta(hours=1)))
    assert [(m.message_code, alert_code(m)) for m in alerts] == [(0x1001, 0x8F35), (0x1000, 0x8F3F)]
    state = lab.fleet.devices[ESME].state
    assert [e["kind"] for e in event_log(state)] == ["power-outage", "power-restore", "over-current", "tamper"]
    assert scheduled_events(state) == []
    assert state.security_log[-1]["code"] == 0x8F3F  # tamper is a security event


def test_a_short_outage_raises_no_restore_alert(lab: Lab) -> None:
    schedule(lab, ESME, ("power-outage", T0), ("power-restore", T0 + MINUTE))
    assert decoded(lab, lab.fleet.tick(T0 + 2 * MINUTE)) == []
    assert "no alert" in event_log(lab.fleet.devices[ESME].state)[-1]["detail"]


def test_gsme_low_battery_goes_to_its_zcl_event_log(lab: Lab) -> None:
    schedule(lab, GSME, ("low-battery", T0 + MINUTE))
    (alert,) = decoded(lab, lab.fleet.tick(T0 + MINUTE))
    assert alert.message_code == 0x1001 and alert_code(alert) == 0x8F1F
    rows = lab.fleet.devices[GSME].state.objects_view()["tables"]["event_logs"]["3"]
    assert rows[-1]["event_id"] == 0x8F1F


def test_scheduled_events_survive_a_restart(tmp_path: Path) -> None:
    folder = tmp_path / "lab"
    lab = open_lab(folder)
    try:
        schedule(lab, GSME, ("tamper", T0 + dt.timedelta(days=2)))
    finally:
        lab.close()
    again = open_lab(folder)
    try:
        device = again.fleet.devices[GSME]
        assert [e.kind for e in scheduled_events(device.state)] == ["tamper"]
        assert device.next_due(device.state) == T0 + dt.timedelta(days=2)
        (alert,) = decoded(again, again.fleet.tick(T0 + dt.timedelta(days=2)))
        assert alert.message_code == 0x1000 and alert_code(alert) == 0x8F3F
        state = again.fleet.devices[GSME].state
        assert scheduled_events(state) == [] and [e["kind"] for e in event_log(state)] == ["tamper"]
        assert state.objects_view()["tables"]["event_logs"]["4"][-1]["event_id"] == 0x8F3F  # the security log
        assert decoded(again, again.fleet.tick(T0 + dt.timedelta(days=3))) == []  # once only
    finally:
        again.close()


@pytest.mark.parametrize(("eui", "kind", "at", "reason"), [
    (ESME, "meteor-strike", T0, "unknown event kind"),
    (ESME, "low-battery", T0, "has no low-battery event"),
    (GSME, "over-current", T0, "has no over-current event"),
    (ESME, "tamper", dt.datetime(2150, 1, 1, tzinfo=dt.UTC), "must lie in"),
])
def test_bad_events_are_refused(lab: Lab, eui: bytes, kind: str, at: dt.datetime, reason: str) -> None:
    work = lab.fleet.devices[eui].state.clone()
    with pytest.raises(InputError, match=reason):
        schedule_event(work, kind, at)


def test_the_schedule_is_bounded(lab: Lab) -> None:
    work = lab.fleet.devices[ESME].state.clone()
    for k in range(MAX_SCHEDULED):
        schedule_event(work, "tamper", T0 + k * MINUTE)
    with pytest.raises(InputError, match="already has"):
        schedule_event(work, "tamper", T0)


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01T00:00:00", "9999-01-01T00:00:00Z", "1" * 100, 12])
def test_unreadable_times_are_refused(text: object) -> None:
    with pytest.raises(InputError):
        parse_time(text, T0)


def test_a_fleet_file_schedules_events(tmp_path: Path) -> None:
    spec = parse_fleet({"premises": [{"name": "home", "devices": [
        {"type": "GSME", "eui": GSME.hex(), "events": [{"kind": "low-battery", "at": dt.datetime(2026, 2, 3)}]},
        {"type": "CHF", "eui": "00DB1234567890A2"},
    ]}]})
    lab = open_lab(tmp_path / "lab", spec)
    try:
        device = lab.fleet.devices[GSME]
        assert device.next_due(device.state) == dt.datetime(2026, 2, 3, tzinfo=dt.UTC)
        assert "clusters" in device.state.objects_view()  # the ZigBee model is there beside the schedule
    finally:
        lab.close()
    with pytest.raises(FleetFileError, match="has no event"):
        parse_fleet({"premises": [{"devices": [{"type": "CHF", "eui": "00DB1234567890A2",
                                                "events": [{"kind": "tamper", "at": "2026-01-01T00:00:00Z"}]}]}]})


def read_log(lab: Lab, code: int, now: dt.datetime, start: dt.datetime, end: dt.datetime) -> list[list[int]]:
    """The entries of an ESME log read over GBCS (ECS35a event log, ECS35e power event log) in [start, end]."""
    party = RemoteParty(lab.keystore, None, device_type_of=read_inventory(lab.key_folder).get)  # type: ignore[arg-type]
    tree = sample_payload(code).to_json()
    bounds = tree["requests"][0]["access_parameters"]["value"]
    bounds[1]["value"], bounds[2]["value"] = datetime_to_gbz_seconds(start), datetime_to_gbz_seconds(end)
    data = party.build(code, tree, to=ESME)
    sent = lab.fleet.deliver(data, now)
    reply = party.read(data, Exchange(1, next(o.message for o in sent if o.kind == "response"), []))
    (result,) = reply.payload.to_json()["results"]  # type: ignore[union-attr]
    return [[c["value"] for c in e["value"]] for e in result["data"]["value"]]


def test_a_head_end_reads_the_events_in_the_esme_logs(lab: Lab) -> None:
    schedule(lab, ESME, ("power-outage", T0), ("power-restore", T0 + 5 * MINUTE), ("tamper", T0 + 7 * MINUTE))
    lab.fleet.tick(T0 + 10 * MINUTE)
    stamp = datetime_to_gbz_seconds
    events = read_log(lab, 0x0048, T0 + 11 * MINUTE, T0 - MINUTE, T0 + 10 * MINUTE)  # ECS35a
    assert [row[:2] for row in events] == [[stamp(T0 + 5 * MINUTE), 0x8F36], [stamp(T0 + 7 * MINUTE), 0x8F3F]]
    power = read_log(lab, 0x00B9, T0 + 11 * MINUTE, T0 - MINUTE, T0 + 10 * MINUTE)  # ECS35e
    assert power == [[stamp(T0 + 5 * MINUTE), 0x8F36, 300]]
    assert read_log(lab, 0x0048, T0 + 11 * MINUTE, T0 + 8 * MINUTE, T0 + 10 * MINUTE) == []  # outside the range
