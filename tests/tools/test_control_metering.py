"""The control plane's metering routes: device events scheduled over HTTP fire at their time and survive a
restart; readings show the numbers GBCS reads return; bad requests get 400 (and 401 without the token)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from emulator.metering.esme_reader import Reader

from smets_emu.emulator.metering.events import MAX_SCHEDULED
from smets_emu.hosting.runtime import Runtime, VirtualClock
from smets_emu.tools.control_plane import make_app
from smets_emu.tools.fleet_file import FleetSpec, parse_fleet
from smets_emu.tools.lab import Lab, open_lab

ESME, GSME = "00DB1234567890A0", "00DB1234567890A1"
ORIGIN = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
START = dt.datetime(2026, 3, 20, 10, 0, tzinfo=dt.UTC)
TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ECS17B, ECS21A, ECS22B = 0x0027, 0x0033, 0x0037


def fleet() -> FleetSpec:
    metering = {"seed": 3, "origin": ORIGIN.isoformat()}
    return parse_fleet({"premises": [{"name": "home", "devices": [
        {"type": "ESME", "eui": ESME, "metering": metering},
        {"type": "GSME", "eui": GSME, "metering": metering},
        {"type": "CHF", "eui": "00DB1234567890A2"},
    ]}]})


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    lab = open_lab(tmp_path / "lab", fleet())
    lab.close()
    return tmp_path / "lab"


class Served:
    """A lab behind the control plane on the virtual clock; reopened from its store on :meth:`restart`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.lab: Lab
        self.runtime: Runtime
        self.client: TestClient

    async def start(self, now: dt.datetime) -> None:
        self.lab = open_lab(self.folder)
        self.runtime = Runtime(self.lab.fleet, VirtualClock(now), tick_interval=3600)
        await self.runtime.__aenter__()
        self.client = TestClient(TestServer(make_app(self.lab, self.runtime, token=TOKEN)), headers=AUTH)
        await self.client.start_server()

    async def stop(self) -> None:
        await self.client.close()
        await self.runtime.__aexit__(None, None, None)
        self.lab.close()

    async def restart(self) -> None:
        now = self.runtime.clock.now()
        await self.stop()
        await self.start(now)


@pytest.fixture
async def served(folder: Path) -> AsyncIterator[Served]:
    server = Served(folder)
    await server.start(START)
    yield server
    await server.stop()


async def _json(response: Any, status: int = 200) -> Any:
    assert response.status == status, await response.text()
    return await response.json()


async def test_events_scheduled_over_http_fire_at_their_time_and_survive_a_restart(served: Served) -> None:
    client = served.client
    at = (START + dt.timedelta(hours=2)).isoformat()
    body = await _json(await client.post(f"/devices/{GSME}/events", json={"kind": "low-battery", "at": at}), 201)
    assert body["event"]["kind"] == "low-battery" and body["alerts"] == 0
    await _json(await client.post(f"/devices/{ESME}/events", json={"kind": "tamper", "at": at}), 201)
    await served.restart()  # the schedule is in the device state
    client = served.client
    listed = await _json(await client.get(f"/devices/{GSME}/events"))
    assert [e["kind"] for e in listed["scheduled"]] == ["low-battery"] and listed["log"] == []
    await _json(await client.post("/clock/advance", json={"hours": 1}))
    assert (await _json(await client.get(f"/devices/{GSME}/events")))["log"] == []  # not yet
    advanced = await _json(await client.post("/clock/advance", json={"hours": 1}))
    assert advanced["alerts"] == 2  # the GSME's low battery, the ESME's tamper
    alerts = (await _json(await client.get("/alerts")))["alerts"]
    assert {(a["device"], a["message_code"]) for a in alerts[-2:]} == {(GSME, "0x1001"), (ESME, "0x1000")}
    done = await _json(await client.get(f"/devices/{GSME}/events"))
    assert done["scheduled"] == [] and done["log"][0]["kind"] == "low-battery" and done["log"][0]["at"] == at


async def test_an_event_due_now_runs_at_once(served: Served) -> None:
    body = await _json(await served.client.post(f"/devices/{ESME}/events", json={"kind": "over-current"}), 201)
    assert body["alerts"] == 1 and body["scheduled"] == [] and body["log"][0]["kind"] == "over-current"


async def test_an_event_run_at_once_counts_only_its_own_devices_alerts(served: Served) -> None:
    """The tick that runs it also sends what other devices had due; the answer counts this device's alerts."""
    at = (START + dt.timedelta(minutes=30)).isoformat()
    await _json(await served.client.post(f"/devices/{GSME}/events", json={"kind": "low-battery", "at": at}), 201)
    served.runtime.clock.advance(dt.timedelta(hours=1))  # the clock moves on, no tick yet: the GSME's event is due
    body = await _json(await served.client.post(f"/devices/{ESME}/events", json={"kind": "over-current"}), 201)
    assert body["alerts"] == 1 and body["log"][0]["kind"] == "over-current"
    assert (await _json(await served.client.get(f"/devices/{GSME}/events")))["log"][0]["kind"] == "low-battery"


@pytest.mark.parametrize(("path", "body", "reason"), [
    (f"/devices/{ESME}/events", {"kind": "meteor"}, "unknown event kind"),
    (f"/devices/{GSME}/events", {"kind": "over-current"}, "has no over-current event"),
    (f"/devices/{ESME}/events", {"kind": "tamper", "at": "tomorrow"}, "not an ISO 8601 time"),
    (f"/devices/{ESME}/events", {"kind": "tamper", "at": "9999-12-31T00:00:00Z"}, "must lie in"),
    (f"/devices/{ESME}/events", {"kind": "tamper", "at": "2026-01-01T00:00:00Z", "x": 1}, "Additional properties"),
    (f"/devices/{ESME}/events", {"at": "2026-01-01T00:00:00Z"}, "'kind' is a required property"),
    (f"/devices/{ESME}/events", {"kind": "x" * 500}, "kind: "),
    (f"/devices/{ESME}/events", [1, 2], "is not of type 'object'"),
])
async def test_bad_event_requests_get_400(served: Served, path: str, body: Any, reason: str) -> None:
    response = await served.client.post(path, json=body)
    assert response.status == 400 and reason in await response.text()


async def test_the_number_of_scheduled_events_is_bounded(served: Served) -> None:
    late = "2030-01-01T00:00:00Z"
    for _ in range(MAX_SCHEDULED):
        await _json(await served.client.post(f"/devices/{ESME}/events", json={"kind": "tamper", "at": late}), 201)
    refused = await served.client.post(f"/devices/{ESME}/events", json={"kind": "tamper", "at": late})
    assert refused.status == 400 and "already has" in await refused.text()


@pytest.mark.parametrize("query", [
    {"from": "2026-03-20T00:00:00Z", "to": "2026-03-19T00:00:00Z"},
    {"from": "2024-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
    {"from": "not a time"},
    {"to": "2150-01-01T00:00:00Z"},
])
async def test_bad_readings_requests_get_400(served: Served, query: dict[str, str]) -> None:
    response = await served.client.get(f"/devices/{ESME}/readings", params=query)
    assert response.status == 400, await response.text()


async def test_metering_routes_need_the_token_and_a_meter(served: Served) -> None:
    for method, path in (("POST", f"/devices/{ESME}/events"), ("GET", f"/devices/{ESME}/events"),
                         ("GET", f"/devices/{ESME}/readings")):
        response = await served.client.request(method, path, json={"kind": "tamper"},
                                               headers={"Authorization": "Bearer wrong"})
        assert response.status == 401
    assert (await served.client.get("/devices/00DB1234567890A2/readings")).status == 400  # the CHF does not meter
    assert (await served.client.get("/devices/00DB000000000000/readings")).status == 404


def _rows(reader: Reader, code: int, now: dt.datetime, start: dt.datetime, end: dt.datetime) -> list[tuple[str, int]]:
    """(capture time, first value) of each entry of the first buffer a read returns."""
    return [(stamp.isoformat(), values[0]) for stamp, *values in reader.buffer(code, now, start, end)[0]]


async def test_readings_are_the_numbers_gbcs_reads_return(served: Served) -> None:
    start, end = dt.datetime(2026, 3, 17, tzinfo=dt.UTC), dt.datetime(2026, 3, 19, 12, tzinfo=dt.UTC)
    body = await _json(await served.client.get(f"/devices/{ESME}/readings",
                                               params={"from": start.isoformat(), "to": end.isoformat()}))
    reader = Reader(served.lab)
    profile = _rows(reader, ECS22B, START, start, end)
    assert [(i["end"], i["value"]) for i in body["intervals"]] == profile and len(profile) == 2.5 * 48 + 1
    daily = _rows(reader, ECS21A, START, start, end)
    assert [(d["at"], d["register"]) for d in body["daily"]] == daily and len(daily) == 3
    (register,) = reader.read(ECS17B, end)
    assert body["registers"]["import"] == register["value"][0]["value"] > 0
    assert body["interval_total"] == sum(v for _, v in profile)

    month = await _json(await served.client.get(f"/devices/{ESME}/readings", params={
        "from": (START - dt.timedelta(days=40)).isoformat(), "to": (START + dt.timedelta(days=9)).isoformat()}))
    assert month["to"] == START.isoformat() and len(month["intervals"]) == 40 * 48 + 1  # to the lab's time only
    assert month["interval_total"] == month["registers"]["import"] - month["daily"][0]["register"] + sum(
        i["value"] for i in month["intervals"] if i["end"] <= month["daily"][0]["at"])

    gas = await _json(await served.client.get(f"/devices/{GSME}/readings",
                                              params={"from": start.isoformat(), "to": end.isoformat()}))
    assert len(gas["intervals"]) == 2.5 * 48 + 1 and gas["daily"][-1]["at"] == "2026-03-19T00:00:00+00:00"
    first, last = gas["daily"][0]["register"], gas["daily"][-1]["register"]
    inside = [i["value"] for i in gas["intervals"] if gas["daily"][0]["at"] < i["end"] <= gas["daily"][-1]["at"]]
    assert sum(inside) == last - first > 0  # half-hours add up to the register's rise between daily reads


async def test_the_device_page_plots_the_profile(served: Served) -> None:
    page = await (await served.client.get(f"/pages/devices/{ESME}")).text()
    assert 'id="profile"' in page and 'data-points="49"' in page and "<polyline" in page
    chf = await (await served.client.get("/pages/devices/00DB1234567890A2")).text()
    assert 'id="profile"' not in chf
