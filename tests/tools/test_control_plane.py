"""The control plane: devices with anchors and counters, alerts, virtual clock, injected faults."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from smets_emu.emulator.runtime import Runtime, VirtualClock
from smets_emu.tools.control_plane import make_app
from smets_emu.tools.faults import FaultTable
from smets_emu.tools.lab import Lab, open_lab
from smets_emu.tools.wan_client import RemoteParty

ESME = "00DB1234567890A0"
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def lab(tmp_path) -> Lab:  # type: ignore[no-untyped-def]
    lab = open_lab(tmp_path, synchronous="OFF")
    yield lab
    lab.close()


@pytest.fixture
async def setup(lab: Lab) -> AsyncIterator[tuple[TestClient, Runtime, FaultTable]]:
    faults = FaultTable()
    async with Runtime(lab.fleet, VirtualClock(START), tick_interval=3600) as runtime:
        client = TestClient(TestServer(make_app(lab, runtime, faults=faults)))
        await client.start_server()
        yield client, runtime, faults
        await client.close()


async def test_devices_and_page(setup, lab: Lab) -> None:  # type: ignore[no-untyped-def]
    client, runtime, _ = setup
    body = await (await client.get("/devices")).json()
    assert {d["eui"] for d in body["devices"]} == {ESME, "00DB1234567890A1", "00DB1234567890A2", "00DB1234567890A3"}
    esme = next(d for d in body["devices"] if d["eui"] == ESME)
    assert esme["type"] == "ESME" and esme["premises"] == "home"
    assert any(c["cell"].startswith("supplier/") and c["party"] == "90B3D51F30010000" for c in esme["anchors"])
    party = RemoteParty(lab.keystore, None)  # type: ignore[arg-type]
    await runtime.submit(party.build(0x0059, to=bytes.fromhex(ESME), counter=77))
    one = await (await client.get(f"/devices/{ESME}")).json()
    assert one["counters"] == {"supplier": 77} and "private_key" not in str(one)
    assert (await client.get("/devices/00DB000000000000")).status == 404
    assert (await client.get("/devices/zz")).status == 400
    page = await (await client.get("/")).text()
    assert "smets-emu fleet" in page and ESME in page


async def test_clock_and_alerts(setup, lab: Lab) -> None:  # type: ignore[no-untyped-def]
    client, runtime, _ = setup
    resp = await client.post("/clock/advance", json={"days": 2})
    assert (await resp.json())["time"].startswith("2026-01-03")
    assert (await client.post("/clock/advance", json={"seconds": -1})).status == 400
    party = RemoteParty(lab.keystore, None)  # type: ignore[arg-type]
    bad = bytearray(party.build(0x0059, to=bytes.fromhex(ESME)))
    bad[-1] ^= 1
    await runtime.submit(bytes(bad))
    alerts = (await (await client.get("/alerts")).json())["alerts"]
    assert alerts and alerts[-1]["device"] == ESME and alerts[-1]["time"].startswith("2026-01-03")
    assert lab.saved_clock() == START + dt.timedelta(days=2)


async def test_faults_and_power_cycle(setup, lab: Lab) -> None:  # type: ignore[no-untyped-def]
    client, runtime, faults = setup
    resp = await client.post(f"/devices/{ESME}/faults", json={"kind": "drop", "count": 2})
    assert (await resp.json())["faults"][0]["count"] == 2
    assert faults.pending(bytes.fromhex(ESME))[0].kind == "drop"
    assert (await client.post(f"/devices/{ESME}/faults", json={"kind": "melt"})).status == 400
    assert (await client.delete(f"/devices/{ESME}/faults")).status == 200 and not faults.faults
    # power cycle: an uncommitted in-memory change is lost, the committed state comes back
    device = lab.fleet.devices[bytes.fromhex(ESME)]
    device.state.lifecycle = "scribbled"
    resp = await client.post(f"/devices/{ESME}/faults", json={"kind": "power-cycle"})
    assert (await resp.json())["power_cycled"]
    assert lab.fleet.devices[bytes.fromhex(ESME)].state.lifecycle == "commissioned"


READ_FIRMWARE = """<?xml version="1.0" encoding="UTF-8"?>
<sr:Request xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway" schemaVersion="5.4">
  <sr:Header>
    <sr:RequestID>90-B3-D5-1F-30-01-00-00:{target}:{counter}</sr:RequestID>
    <sr:CommandVariant>1</sr:CommandVariant>
    <sr:ServiceReference>11.2</sr:ServiceReference>
    <sr:ServiceReferenceVariant>11.2</sr:ServiceReferenceVariant>
  </sr:Header>
  <sr:Body><sr:ReadFirmwareVersion/></sr:Body>
</sr:Request>"""


async def test_duis_requests_reach_the_lab_devices(setup, lab: Lab) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = setup
    target = "-".join(ESME[i:i + 2] for i in range(0, 16, 2))
    lab.fleet.devices[bytes.fromhex(ESME)].state.firmware["version"] = "0A0B0C0D"
    reply = await client.post("/duis", data=READ_FIRMWARE.format(target=target, counter=7).encode())
    text = await reply.text()
    assert reply.status == 200 and "<sr:ResponseCode>I0</sr:ResponseCode>" in text, text
    assert "<sr:FirmwareVersion>0A0B0C0D</sr:FirmwareVersion>" in text
    again = await (await client.post("/duis", data=READ_FIRMWARE.format(target=target, counter=7).encode())).text()
    assert "<sr:ResponseCode>I0</sr:ResponseCode>" not in again  # the device refuses the replayed counter
    hostile = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    refused = await (await client.post("/duis", data=hostile)).text()
    assert "<sr:ResponseCode>I0</sr:ResponseCode>" not in refused
