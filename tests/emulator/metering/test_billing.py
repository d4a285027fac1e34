"""Billing period ends on the lab clock: the billing data log is pushed as ECS68 (ESME) and GCS53 (GSME),
signed and encrypted for the supplier, at the period end, with the registers a GBCS read gives for it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smets_emu.emulator.cosem import metering_objects as esme_metering
from smets_emu.emulator.device import Outbound
from smets_emu.emulator.metering.billing import billing_log, last_handled
from smets_emu.emulator.zcl.metering_logs import billing_snapshot
from smets_emu.emulator.zcl.metering_registers import GasRegisters
from smets_emu.protocols.message import Message
from smets_emu.protocols.timestamps import GBCS_EPOCH, gbz_seconds_to_datetime
from smets_emu.tools.fleet_file import FleetSpec, parse_fleet
from smets_emu.tools.lab import Lab, open_lab
from smets_emu.tools.wan_client import RemoteParty

ESME = bytes.fromhex("00DB1234567890A0")
GSME = bytes.fromhex("00DB1234567890A1")
SUPPLIER = bytes.fromhex("90B3D51F30010000")
START = dt.datetime(2026, 3, 10, 6, 0, tzinfo=dt.UTC)
PERIOD_END = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)


def fleet(origin: dt.datetime | None = START) -> FleetSpec:
    metering = {"seed": 5} if origin is None else {"seed": 5, "origin": origin.isoformat()}
    return parse_fleet({"premises": [{"name": "home", "devices": [
        {"type": "ESME", "eui": ESME.hex(), "metering": metering},
        {"type": "GSME", "eui": GSME.hex(), "metering": metering},
        {"type": "CHF", "eui": "00DB1234567890A2"},
    ]}]})


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    opened = open_lab(tmp_path / "lab", fleet())
    try:
        yield opened
    finally:
        opened.close()


def decoded(lab: Lab, sent: list[Outbound]) -> list[Message]:
    party = RemoteParty(lab.keystore, None)  # type: ignore[arg-type]
    return [party.headend.decode(o.message) for o in sent if o.kind == "alert"]


def esme_entry(message: Message) -> dict[str, Any]:
    """The billing data log entry an ECS68 alert carries, decrypted: capture time and import register."""
    body = message.payload.to_json()["body"]["value"]
    assert body[0]["value"] == 0x8F0A
    log = body[3]["decrypted"]["value"][0]
    (entry,) = log["value"]
    cells = entry["value"]
    return {"time": GBCS_EPOCH + dt.timedelta(seconds=cells[0]["value"]), "import": cells[1]["value"],
            "protection": body[2]["value"][0]["value"][1]["value"]}


def test_period_end_pushes_ecs68_and_gcs53_at_its_time(lab: Lab) -> None:
    fleet_ = lab.fleet
    esme, gsme = fleet_.devices[ESME], fleet_.devices[GSME]
    assert esme.next_due(esme.state) == PERIOD_END and gsme.next_due(gsme.state) == PERIOD_END
    assert decoded(lab, fleet_.tick(PERIOD_END - SECOND)) == []  # a second before: nothing due, nothing sent

    alerts = {m.message_code: m for m in decoded(lab, fleet_.tick(PERIOD_END))}
    assert set(alerts) == {0x0061, 0x008B}  # ECS68, GCS53
    ecs68, gcs53 = alerts[0x0061], alerts[0x008B]
    for message, eui in ((ecs68, ESME), (gcs53, GSME)):
        assert message.header.originator == eui and message.header.recipient == SUPPLIER
        assert message.signature is not None  # critical alerts are signed

    # ECS68: the entry of the period end, the register an ECS20c read gives; transaction id = the alert counter
    entry = esme_entry(ecs68)
    assert entry["time"] == PERIOD_END
    assert entry["import"] == esme_metering.import_reading(esme.state, PERIOD_END) > 0
    assert entry["protection"][0]["value"] == f"04{ecs68.header.originator_counter:016X}"
    assert entry["protection"][1]["value"] == ESME.hex().upper()

    # GCS53: one encrypted Publish Snapshot, the billing snapshot GCS15c returns for the period end
    payload = gcs53.payload.to_json()
    assert payload["alert_code"] == 0x8F0A and gbz_seconds_to_datetime(payload["timestamp"]) == PERIOD_END
    (component,) = payload["components"]
    assert component["encrypted"] and component["zcl"]["command"] == "Publish Snapshot"
    fields = component["zcl"]["decrypted"]["fields"]
    expected = billing_snapshot(gsme.state, PERIOD_END)
    assert fields["snapshot_payload"] == expected["snapshot_payload"] and fields["snapshot_cause"] == 2
    summation = int.from_bytes(bytes.fromhex(fields["snapshot_payload"])[:6], "little")
    registers = GasRegisters.of(gsme.state)
    assert registers is not None and summation == registers.summation(PERIOD_END) > 0

    # the log keeps the snapshot; the next period end is the next month's
    (logged,) = billing_log(esme.state)
    assert logged.end == PERIOD_END and logged.import_total == entry["import"]
    assert billing_log(gsme.state)[0].import_total == GasRegisters.of(gsme.state).model.reading(PERIOD_END)  # type: ignore[union-attr]
    assert esme.next_due(esme.state) == dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    assert decoded(lab, fleet_.tick(PERIOD_END + dt.timedelta(days=3))) == []


def test_a_lab_moved_on_by_months_logs_each_end_and_pushes_the_latest(lab: Lab) -> None:
    later = dt.datetime(2026, 7, 15, tzinfo=dt.UTC)
    messages = decoded(lab, lab.fleet.tick(later))
    esme_alerts = [m for m in messages if m.message_code == 0x0061]
    assert len(esme_alerts) == 1 and esme_entry(esme_alerts[0])["time"] == dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
    ends = [e.end.month for e in billing_log(lab.fleet.devices[ESME].state)]
    assert ends == [4, 5, 6, 7]


def test_the_handled_period_end_survives_a_restart(tmp_path: Path) -> None:
    folder = tmp_path / "lab"
    lab = open_lab(folder, fleet())
    try:
        assert len(decoded(lab, lab.fleet.tick(PERIOD_END))) == 2
    finally:
        lab.close()
    again = open_lab(folder)
    try:
        state = again.fleet.devices[ESME].state
        assert last_handled(state) == PERIOD_END and len(billing_log(state)) == 1
        assert decoded(again, again.fleet.tick(PERIOD_END + dt.timedelta(hours=1))) == []  # not pushed twice
        assert {m.message_code for m in decoded(again, again.fleet.tick(dt.datetime(2026, 5, 1, tzinfo=dt.UTC)))} \
            == {0x0061, 0x008B}
    finally:
        again.close()


def test_a_meter_without_a_metering_origin_keeps_no_billing_periods(tmp_path: Path) -> None:
    lab = open_lab(tmp_path / "lab", fleet(origin=None))
    try:
        esme = lab.fleet.devices[ESME]
        assert esme.next_due(esme.state) is None
        assert decoded(lab, lab.fleet.tick(PERIOD_END)) == []
    finally:
        lab.close()
