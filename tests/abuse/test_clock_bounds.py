"""Finding 3: the virtual clock stays inside what the devices' wire formats carry.

Before: ``POST /clock/advance {"days": 3000000}`` left /clock, /devices and / at 500 and every
WAN command closed until restart (the clock overflowed Python's datetime), and a clock moved past
2136 silently stopped GSME alerts (their GBZ header time is a 32-bit count of seconds since 2000).
Now any advance past 2136-02-07T06:28:14Z (0xFFFFFFFE seconds after 2000-01-01; 0xFFFFFFFF
means "invalid") is refused with 400 and leaves the clock as it was, the lab never persists such
a clock, and a saved clock outside the range is refused at start with a clear error.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from smets_emu.protocols.envelope import CraFlag, decode_envelope
from smets_emu.tools.cli import main
from smets_emu.tools.lab import Lab, open_lab
from smets_emu.tools.service import LabService, ServiceConfig
from smets_emu.tools.wan_client import RemoteParty, WanClient

ESME = bytes.fromhex("00DB1234567890A0")
GSME = bytes.fromhex("00DB1234567890A1")
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
LAST = dt.datetime(2136, 2, 7, 6, 28, 14, tzinfo=dt.UTC)  # 2000-01-01 + 0xFFFFFFFE s


@pytest.fixture
def lab(fresh_lab: Lab) -> Lab:
    return fresh_lab


@pytest.fixture
async def served(fresh_service: LabService) -> AsyncIterator[tuple[LabService, str, aiohttp.ClientSession]]:
    service = fresh_service
    host, port = service.endpoints.http  # type: ignore[misc]
    token = getattr(service, "control_token", None)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    session = aiohttp.ClientSession(headers=headers, timeout=aiohttp.ClientTimeout(total=10))
    try:
        yield service, f"http://{host}:{port}", session
    finally:
        await session.close()


async def _still_works(service: LabService, lab: Lab, base: str, session: aiohttp.ClientSession) -> None:
    for route in ("/clock", "/devices", "/", f"/devices/{ESME.hex().upper()}", "/alerts"):
        async with session.get(base + route) as resp:
            assert resp.status == 200, route
    host, port = service.endpoints.gfi  # type: ignore[misc]
    client = await WanClient.connect(host, port, "gfi")
    try:
        party = RemoteParty(lab.keystore, client.exchange)
        for eui, code in ((ESME, 0x0059), (GSME, 0x0084)):
            reply = await party.command(code, to=eui)
            assert reply.response is not None and reply.security["mac"] == "valid", hex(code)
        bad = bytearray(party.build(0x0084, to=GSME))
        bad[-1] ^= 0x55  # the gas meter answers a bad MAC with a security alert (GBZ, 32-bit UTC time)
        reply = await party.send_raw(bytes(bad))
        assert reply.response is None and reply.alerts
        assert decode_envelope(reply.alerts[0]).header.cra_flag is CraFlag.ALERT
    finally:
        await client.close()


async def test_huge_advance_refused_and_lab_keeps_working(served, lab: Lab) -> None:  # type: ignore[no-untyped-def]
    service, base, session = served
    for body in ({"days": 3000000}, {"days": 49711}, {"seconds": 2**32}, {"hours": 1e9}):
        async with session.post(base + "/clock/advance", json=body) as resp:
            assert resp.status == 400, body
            assert "error" in await resp.json()
    assert service.clock.now() == START
    await _still_works(service, lab, base, session)
    saved = lab.saved_clock()
    assert saved is None or saved == START


async def test_up_to_the_last_representable_second(served, lab: Lab) -> None:  # type: ignore[no-untyped-def]
    service, base, session = served
    clock = await (await session.get(base + "/clock")).json()
    assert clock["max_time"] == LAST.isoformat()
    below = (LAST - START).total_seconds() - 1
    async with session.post(base + "/clock/advance", json={"seconds": below}) as resp:
        assert resp.status == 200 and (await resp.json())["time"] == (LAST - dt.timedelta(seconds=1)).isoformat()
    async with session.post(base + "/clock/advance", json={"seconds": 2}) as resp:
        assert resp.status == 400 and "2136-02-07T06:28:14" in (await resp.json())["error"]
    async with session.post(base + "/clock/advance", json={"seconds": 1}) as resp:
        assert resp.status == 200 and (await resp.json())["time"] == LAST.isoformat()
    async with session.post(base + "/clock/advance", json={"seconds": 0.5}) as resp:
        assert resp.status == 400
    assert service.clock.now() == LAST and lab.saved_clock() == LAST
    await _still_works(service, lab, base, session)  # GSME alerts still go out at the last second


async def test_restart_refuses_an_out_of_range_saved_clock(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "lab"
    lab = open_lab(folder, synchronous="OFF")
    try:
        lab.store.set_meta("virtual_clock", "2200-01-01T00:00:00+00:00")  # as a version without bounds left it
        with pytest.raises(ValueError, match="2136-02-07T06:28:14"):
            LabService(lab, ServiceConfig(port=None, binary_port=None, http_port=None, clock="virtual"))
        with pytest.raises(ValueError, match="outside"):
            LabService(lab, ServiceConfig(port=None, binary_port=None, http_port=None, clock="virtual",
                                          start=dt.datetime(1999, 12, 31, tzinfo=dt.UTC)))
    finally:
        lab.close()
    code = await asyncio.to_thread(main, ["run", "--lab", str(folder), "--clock", "virtual", "--port", "-1",
                                          "--binary-port", "-1", "--http-port", "-1", "--exit-after", "0.1"])
    err = capsys.readouterr().err
    assert code == 2 and "saved virtual clock" in err and "2200-01-01" in err
