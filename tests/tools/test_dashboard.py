"""The dashboard: overview counts, search, device pages, the live feed (SSE) and cookie + CSRF controls."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from smets_emu.hosting.runtime import Runtime, VirtualClock
from smets_emu.tools import dashboard_feed
from smets_emu.tools.control_access import POLICY_KEY, csrf_token
from smets_emu.tools.control_plane import make_app
from smets_emu.tools.dashboard_feed import FeedClient, LiveFeed, traffic_record
from smets_emu.tools.dashboard_http import DASHBOARD_KEY
from smets_emu.tools.dashboard_index import FleetIndex, Query, SearchError
from smets_emu.tools.fleet_file import default_fleet
from smets_emu.tools.lab import Lab, open_lab
from smets_emu.tools.wan_client import RemoteParty
from smets_emu.tools.wire_events import WireEvent

ESME = "00DB1234567890A0"
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Any:
    lab = open_lab(tmp_path_factory.mktemp("dashboard"), default_fleet(40), synchronous="OFF")
    yield lab
    lab.close()


@pytest.fixture
async def client(lab: Lab) -> AsyncIterator[tuple[TestClient, Runtime]]:
    async with Runtime(lab.fleet, VirtualClock(START), tick_interval=3600) as runtime:
        client = TestClient(TestServer(make_app(lab, runtime, token=TOKEN)), headers=AUTH)
        await client.start_server()
        try:
            yield client, runtime
        finally:
            await client.close()


def _bump(lab: Lab, eui: str, **changes: Any) -> None:
    """Commit a changed copy of a device's state, as a handler does."""
    device = lab.fleet.devices[bytes.fromhex(eui)]
    work = device.state.clone()
    for name, value in changes.items():
        setattr(work, name, value)
    device.state = work


async def test_overview_counts_follow_changed_devices(client: Any, lab: Lab) -> None:
    http, _ = client
    body = await (await http.get("/overview")).json()
    assert body["total"] == 40 and body["by_type"] == {"CHF": 10, "ESME": 10, "GPF": 10, "GSME": 10}
    assert body["by_lifecycle"] == {"commissioned": 40}
    assert sum(body["by_firmware_version"].values()) == 40
    assert body["by_type_and_firmware"]["ESME"] == {"01000000": 10}
    _bump(lab, ESME, lifecycle="suspended")
    try:
        body = await (await http.get("/overview")).json()
        assert body["by_lifecycle"] == {"commissioned": 39, "suspended": 1}
    finally:
        _bump(lab, ESME, lifecycle="commissioned")
    assert (await (await http.get("/overview")).json())["by_lifecycle"] == {"commissioned": 40}


def test_index_recomputes_only_changed_rows(lab: Lab) -> None:
    index = FleetIndex(lab.fleet, lab.premises)
    index.refresh()
    generation = index.generation
    index.refresh()
    assert index.generation == generation  # nothing changed: no row recomputed
    _bump(lab, ESME, lifecycle="commissioned")
    index.refresh()
    assert index.generation == generation + 1


@pytest.mark.parametrize(("q", "expected"), [
    ("type:ESME", 10), ("esme", 10), ("eui:00DB1234567890A", 4), ("00-DB-12-34-56-78-90-A0", 1),
    ("premises:home", 4), ("premises:PREM*", 36), ("firmware:01000000", 20), ("fw:01000000 type:ESME", 10),
    ("lifecycle:commissioned", 40), ("type:ESME premises:home", 1), ("nothing", 0), ("", 40),
])
async def test_device_search(client: Any, q: str, expected: int) -> None:
    http, _ = client
    body = await (await http.get("/devices", params={"q": q, "limit": 5})).json()
    assert body["total"] == expected, body
    assert len(body["devices"]) == min(5, expected)
    if expected > 5:
        assert body["next"].startswith("/devices?offset=5&limit=5")
        if q:
            assert "q=" in body["next"]
            more = await (await http.get(body["next"])).json()
            assert more["offset"] == 5 and more["total"] == expected


@pytest.mark.parametrize("q", ["colour:red", "eui:xyz", "x" * 201, " ".join(["a"] * 9), "type:"])
async def test_bad_searches_are_refused_with_the_reason(client: Any, q: str) -> None:
    http, _ = client
    for path in ("/devices", "/"):
        resp = await http.get(path, params={"q": q})
        assert resp.status == 400 and (await resp.json())["error"].startswith("q: "), q


def test_query_text_round_trips() -> None:
    query = Query.parse("  type:esme   premises:prem*  00-db ")
    assert query.text == "type:ESME premises:PREM* 00DB"
    assert Query.parse(query.text) == query
    with pytest.raises(SearchError):
        Query.parse("eui:")


async def test_fleet_page_lists_searches_and_pages(client: Any) -> None:
    http, _ = client
    resp = await http.get("/", params={"q": "type:GPF", "limit": 4})
    page = await resp.text()
    assert resp.headers["Content-Security-Policy"].startswith("default-src 'none'; script-src 'self'")
    assert "showing 1-4 of 10" in page and 'href="/?offset=4&amp;limit=4&amp;q=type%3AGPF"' in page
    assert page.count('<tr data-eui="') == 4 and page.count("<script") == 1  # the one same-origin script
    assert 'id="by-type"' in page and 'data-key="ESME"' in page
    assert f'<meta name="csrf-token" content="{csrf_token(http.server.app[POLICY_KEY], TOKEN)}">' in page
    script = await http.get("/static/dashboard.js")
    assert script.status == 200 and "EventSource" in await script.text()


async def test_device_page_shows_certificates_counters_and_slots(client: Any, lab: Lab) -> None:
    http, runtime = client
    party = RemoteParty(lab.keystore, None)  # type: ignore[arg-type]
    await runtime.submit(party.build(0x0059, to=bytes.fromhex(ESME), counter=4242))
    page = await (await http.get(f"/pages/devices/{ESME}")).text()
    api = await (await http.get(f"/devices/{ESME}")).json()
    assert '<tr data-role="supplier" data-value="4242">' in page
    for cell in api["anchors"]:
        assert f'data-cell="{cell["cell"]}" data-party="{cell["party"] or ""}"' in page
    assert 'data-slot="running" data-version="01000000"' in page
    assert "keyAgreement" in page and "digitalSignature" in page and "not-after" in page
    assert api["anchors"][2]["party"] in page
    assert (await http.get("/pages/devices/00DB000000000000")).status == 404
    assert (await http.get("/pages/devices/nothex")).status == 400


async def test_cookie_requests_that_change_state_need_the_csrf_header(client: Any) -> None:
    http, _ = client
    policy = http.server.app[POLICY_KEY]
    cookie = {"Cookie": f"smets_token_{http.server.port}={TOKEN}", "Authorization": ""}
    headers = {**cookie, "Content-Type": "application/json"}
    assert (await http.post("/clock/advance", data=b'{"seconds": 1}', headers=headers)).status == 401
    wrong = await http.post("/clock/advance", data=b'{"seconds": 1}', headers={**headers, "X-CSRF-Token": "00"})
    assert wrong.status == 403
    good = await http.post("/clock/advance", data=b'{"seconds": 1}',
                           headers={**headers, "X-CSRF-Token": csrf_token(policy, TOKEN)})
    assert good.status == 200


async def _events(resp: Any, wanted: str, timeout: float = 5.0) -> dict[str, Any]:
    kind = None
    async with asyncio.timeout(timeout):
        while True:
            line = (await resp.content.readline()).decode().rstrip("\n")
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: ") and kind == wanted:
                return json.loads(line[6:])


async def test_live_feed_streams_alerts(client: Any, lab: Lab) -> None:
    http, runtime = client
    resp = await http.get("/events", params={"device": ESME, "kinds": "alert"})
    assert resp.status == 200 and resp.headers["Content-Type"] == "text/event-stream"
    party = RemoteParty(lab.keystore, None)  # type: ignore[arg-type]
    command = party.build(0x0059, to=bytes.fromhex(ESME), counter=5000)
    await runtime.submit(command)
    await runtime.submit(command)  # replayed: the ESME refuses it with an alert
    alert = await _events(resp, "alert")
    assert alert["device"] == ESME and alert["message_code"] == "0x1001"
    resp.close()
    for bad in ({"device": "zz"}, {"kinds": "nothing"}):
        assert (await http.get("/events", params=bad)).status == 400
    for path in ("/events", "/overview", f"/pages/devices/{ESME}", "/"):
        assert (await http.get(path, headers={"Authorization": ""})).status == 401, path


async def test_heartbeat_and_slow_clients(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    http, _ = client
    monkeypatch.setattr(dashboard_feed, "HEARTBEAT", 0.05)
    monkeypatch.setattr(dashboard_feed, "GONE_CHECK", 0.02)
    resp = await http.get("/events")
    async with asyncio.timeout(5):
        lines = [(await resp.content.readline()).decode() for _ in range(5)]
    assert ": keep-alive\n" in lines
    feed: LiveFeed = http.server.app[DASHBOARD_KEY].feed
    assert len(feed.clients) == 1
    resp.close()  # the browser moved on: its place is freed without waiting for a write to fail
    async with asyncio.timeout(5):
        while feed.clients:
            await asyncio.sleep(0.02)
    slow = FeedClient(None, frozenset({"alert", "traffic"}))
    feed.clients.add(slow)
    for n in range(dashboard_feed.CLIENT_QUEUE + 1):
        feed.publish("alert", {"n": n})
    assert slow.dropped and slow not in feed.clients and feed.dropped_clients >= 1
    assert slow.queue.get_nowait() is None  # its stream ends


def test_traffic_records_name_the_device(lab: Lab) -> None:
    party = RemoteParty(lab.keystore, None)  # type: ignore[arg-type]
    message = party.build(0x0059, to=bytes.fromhex(ESME), counter=6000)
    event = WireEvent(time=START, virtual_time=START, direction="in", connection=3, peer="127.0.0.1:5000",
                      framing="gfi", seq=1, message=message, kind="command")
    record = traffic_record(event)
    assert record["device"] == ESME and record["message_code"] == "0x0059" and record["counter"] == 6000
    assert record["size"] == len(message) and record["use_case"]
    odd = traffic_record(WireEvent(START, START, "in", 3, "p", "gfi", 2, b"\x01\x02", "command"))
    assert odd["kind"] == "undecodable" and odd["device"] is None
    feed = LiveFeed(None)  # type: ignore[arg-type]
    for n in range(dashboard_feed.PER_DEVICE + 5):
        feed.add_traffic({**record, "seq": n})
    kept = feed.device_traffic(ESME)
    assert len(kept) == dashboard_feed.PER_DEVICE and kept[-1]["seq"] == dashboard_feed.PER_DEVICE + 4


async def test_wan_frames_reach_the_device_page(tmp_path: Path) -> None:
    from smets_emu.tools.service import LabService, ServiceConfig
    from smets_emu.tools.wan_client import WanClient

    lab = open_lab(tmp_path, synchronous="OFF")
    service = LabService(lab, ServiceConfig(port=0, binary_port=None, http_port=0, clock="virtual", start=START))
    try:
        await service.start()
        host, port = service.endpoints.gfi  # type: ignore[misc]
        party = RemoteParty(lab.keystore, None)  # type: ignore[arg-type]
        async with await WanClient.connect(host, port) as wan:
            await wan.exchange(party.build(0x0059, to=bytes.fromhex(ESME), counter=7000))
        await asyncio.sleep(0.1)
        http_host, http_port = service.endpoints.http  # type: ignore[misc]
        import aiohttp

        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {service.control_token}"}) as s:
            async with s.get(f"http://{http_host}:{http_port}/pages/devices/{ESME}") as resp:
                page = await resp.text()
        assert page.count('<tr data-direction="') == 2
        assert 'data-direction="in" data-kind="command"' in page and 'data-kind="response"' in page
    finally:
        await service.stop()
        lab.close()
