"""The control plane: devices with anchors and counters, alerts, virtual clock, injected faults, pages."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from smets_emu.emulator.firmware.slots import FirmwareSlot
from smets_emu.hosting.runtime import Runtime, VirtualClock
from smets_emu.tools.control_plane import load_or_create_token, make_app
from smets_emu.tools.faults import FaultTable
from smets_emu.tools.fleet_file import default_fleet
from smets_emu.tools.lab import Lab, open_lab
from smets_emu.tools.wan_client import RemoteParty
from tests_support import read_firmware_duis

ESME = "00DB1234567890A0"
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def lab(tmp_path) -> Lab:  # type: ignore[no-untyped-def]
    lab = open_lab(tmp_path, synchronous="OFF")
    yield lab
    lab.close()


async def _client(lab: Lab, runtime: Runtime, faults: FaultTable | None = None) -> TestClient:
    client = TestClient(TestServer(make_app(lab, runtime, faults=faults, token=TOKEN)), headers=AUTH)
    await client.start_server()
    return client


@pytest.fixture
async def setup(lab: Lab) -> AsyncIterator[tuple[TestClient, Runtime, FaultTable]]:
    faults = FaultTable()
    async with Runtime(lab.fleet, VirtualClock(START), tick_interval=3600) as runtime:
        client = await _client(lab, runtime, faults)
        yield client, runtime, faults
        await client.close()


async def test_devices_and_page(setup, lab: Lab) -> None:  # type: ignore[no-untyped-def]
    client, runtime, _ = setup
    body = await (await client.get("/devices")).json()
    assert {d["eui"] for d in body["devices"]} == {ESME, "00DB1234567890A1", "00DB1234567890A2", "00DB1234567890A3"}
    assert body["total"] == 4 and body["next"] is None
    esme = next(d for d in body["devices"] if d["eui"] == ESME)
    assert esme["type"] == "ESME" and esme["premises"] == "home"
    assert esme["firmware"]["version"] == "01000000"  # what the ESME reports on ECS52, not blank
    assert any(c["cell"].startswith("supplier/") and c["party"] == "90B3D51F30010000" for c in esme["anchors"])
    party = RemoteParty(lab.keystore, None)  # type: ignore[arg-type]
    await runtime.submit(party.build(0x0059, to=bytes.fromhex(ESME), counter=77))
    one = await (await client.get(f"/devices/{ESME}")).json()
    assert one["counters"] == {"supplier": 77} and "private_key" not in str(one)
    assert (await client.get("/devices/00DB000000000000")).status == 404
    assert (await client.get("/devices/zz")).status == 400
    assert (await client.get("/devices/00DB")).status == 400
    page = await (await client.get("/")).text()
    assert "smets-emu fleet" in page and ESME in page and "<td>01000000</td>" in page
    assert "showing 1-4 of 4" in page
    assert (await (await client.get("/healthz", headers={"Authorization": ""})).json()) == {"status": "ok"}


async def test_device_firmware_shows_image_size_and_hash_not_bytes(setup, lab: Lab) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = setup
    image = bytes(range(256)) * 40
    state = lab.fleet.devices[bytes.fromhex(ESME)].state
    state.firmware["pending"] = FirmwareSlot("02000000", 0x121D, 0, b"\x11" * 32, len(image), image).to_json()
    body = await (await client.get(f"/devices/{ESME}")).json()
    pending = body["firmware"]["pending"]
    assert pending["version"] == "02000000"
    assert pending["image"] == {"size": len(image), "sha256": hashlib.sha256(image).hexdigest().upper()}
    assert image.hex().upper()[:64] not in str(body)
    assert body["firmware"]["version"] == "01000000"
    listed = await (await client.get("/devices")).json()
    assert next(d for d in listed["devices"] if d["eui"] == ESME)["firmware"] == {"version": "01000000",
                                                                                 "pending": "02000000"}


async def test_pages_of_a_large_fleet(tmp_path: Path) -> None:
    lab = open_lab(tmp_path, default_fleet(520), synchronous="OFF")
    try:
        async with Runtime(lab.fleet, VirtualClock(START), tick_interval=3600) as runtime:
            client = await _client(lab, runtime)
            try:
                first = await (await client.get("/devices")).json()
                assert first["total"] == 520 and len(first["devices"]) == 500
                assert first["next"] == "/devices?offset=500&limit=500"
                last = await (await client.get(first["next"])).json()
                assert len(last["devices"]) == 20 and last["next"] is None
                seen = {d["eui"] for d in first["devices"]} | {d["eui"] for d in last["devices"]}
                assert len(seen) == 520
                page = await (await client.get("/")).text()
                assert "showing 1-500 of 520" in page and 'href="/?offset=500&amp;limit=500"' in page
                page = await (await client.get("/?offset=200&limit=200")).text()
                assert "showing 201-400 of 520" in page
                assert 'href="/?offset=400&amp;limit=200"' in page and 'href="/?offset=0&amp;limit=200"' in page
                for bad in ("limit=0", "limit=100000", "offset=-1", "offset=x", "limit=1e400"):
                    resp = await client.get(f"/devices?{bad}")
                    assert resp.status == 400 and "error" in await resp.json(), bad
            finally:
                await client.close()
    finally:
        lab.close()


async def test_clock_and_alerts(setup, lab: Lab) -> None:  # type: ignore[no-untyped-def]
    client, runtime, _ = setup
    resp = await client.post("/clock/advance", json={"days": 2})
    assert (await resp.json())["time"].startswith("2026-01-03")
    assert (await client.post("/clock/advance", json={"seconds": -1})).status == 400
    clock = await (await client.get("/clock")).json()
    assert clock["max_time"] == "2136-02-07T06:28:14+00:00" and clock["time"].startswith("2026-01-03")
    party = RemoteParty(lab.keystore, None)  # type: ignore[arg-type]
    bad = bytearray(party.build(0x0059, to=bytes.fromhex(ESME)))
    bad[-1] ^= 1
    await runtime.submit(bytes(bad))
    alerts = (await (await client.get("/alerts")).json())["alerts"]
    assert alerts and alerts[-1]["device"] == ESME and alerts[-1]["time"].startswith("2026-01-03")
    assert lab.saved_clock() == START + dt.timedelta(days=2)
    mine = (await (await client.get(f"/alerts?device={ESME}&limit=5")).json())["alerts"]
    assert mine and all(a["device"] == ESME for a in mine)


async def test_alert_history_survives_a_restart(tmp_path: Path) -> None:
    lab = open_lab(tmp_path, synchronous="OFF")
    try:
        async with Runtime(lab.fleet, VirtualClock(START), tick_interval=3600) as runtime:
            party = RemoteParty(lab.keystore, None)  # type: ignore[arg-type]
            bad = bytearray(party.build(0x0059, to=bytes.fromhex(ESME)))
            bad[-1] ^= 1
            await runtime.submit(bytes(bad))
            client = await _client(lab, runtime)
            before = (await (await client.get("/alerts")).json())["alerts"]
            await client.close()
        assert before and before[-1]["device"] == ESME
    finally:
        lab.close()
    lab = open_lab(tmp_path, synchronous="OFF")  # a new process: nothing in memory
    try:
        async with Runtime(lab.fleet, VirtualClock(START), tick_interval=3600) as runtime:
            client = await _client(lab, runtime)
            after = (await (await client.get("/alerts")).json())["alerts"]
            assert [a["hex"] for a in after] == [a["hex"] for a in before]
            assert after[-1]["device"] == ESME and after[-1]["message_code"] == before[-1]["message_code"]
            assert ESME in await (await client.get("/")).text()
            await client.close()
    finally:
        lab.close()


async def test_faults_and_power_cycle(setup, lab: Lab) -> None:  # type: ignore[no-untyped-def]
    client, runtime, faults = setup
    resp = await client.post(f"/devices/{ESME}/faults", json={"kind": "drop", "count": 2})
    assert (await resp.json())["faults"][0]["count"] == 2
    assert faults.pending(bytes.fromhex(ESME))[0].kind == "drop"
    assert (await client.post(f"/devices/{ESME}/faults", json={"kind": "melt"})).status == 400
    resp = await client.delete(f"/devices/{ESME}/faults", headers={"Content-Type": "application/json"})
    assert resp.status == 200 and not faults.faults
    # power cycle: an uncommitted in-memory change is lost, the committed state comes back
    device = lab.fleet.devices[bytes.fromhex(ESME)]
    device.state.lifecycle = "scribbled"
    resp = await client.post(f"/devices/{ESME}/faults", json={"kind": "power-cycle"})
    assert (await resp.json())["power_cycled"]
    assert lab.fleet.devices[bytes.fromhex(ESME)].state.lifecycle == "commissioned"


def test_token_file(tmp_path: Path) -> None:
    token = load_or_create_token(tmp_path)
    path = tmp_path / "control-token"
    assert len(token) >= 40 and path.stat().st_mode & 0o777 == 0o600
    assert load_or_create_token(tmp_path) == token  # reused on later runs
    path.write_text("")  # an interrupted first run
    fresh = load_or_create_token(tmp_path)
    assert fresh != token and path.read_text().strip() == fresh


XML = {"Content-Type": "application/xml"}


async def test_duis_requests_reach_the_lab_devices(setup, lab: Lab) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = setup
    target = "-".join(ESME[i:i + 2] for i in range(0, 16, 2))
    lab.fleet.devices[bytes.fromhex(ESME)].state.firmware["version"] = "0A0B0C0D"
    counter = int(START.timestamp() * 1000)  # DUIS RequestID counters are time-based (ms since 1970)
    reply = await client.post("/duis", data=read_firmware_duis(counter, target=target),
                              headers=XML)
    text = await reply.text()
    assert reply.status == 200 and "<sr:ResponseCode>I0</sr:ResponseCode>" in text, text
    assert "<sr:FirmwareVersion>0A0B0C0D</sr:FirmwareVersion>" in text
    again = await (await client.post("/duis", data=read_firmware_duis(counter, target=target),
                                     headers=XML)).text()
    assert "<sr:ResponseCode>I0</sr:ResponseCode>" not in again  # a replayed counter is refused
    hostile = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    refused = await (await client.post("/duis", data=hostile, headers=XML)).text()
    assert "<sr:ResponseCode>I0</sr:ResponseCode>" not in refused
