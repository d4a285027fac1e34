"""SRV 11.2 Read Firmware Version on the default lab's CHF through ``POST /duis``: the DSP sends ECS52 to the CHF
from the ACB on the requester's behalf (GBCS 4.3.2), as it does every command to a CHF."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from smets_emu.hosting.runtime import Runtime, VirtualClock
from smets_emu.tools.control_plane import make_app
from smets_emu.tools.lab import open_lab
from tests_support import read_firmware_duis

CHF = "00DB1234567890A2"
TOKEN = "test-token-0123456789abcdef"


async def test_duis_read_firmware_version_of_the_chf(tmp_path: Path) -> None:
    lab = open_lab(tmp_path, synchronous="OFF")
    lab.fleet.device(bytes.fromhex(CHF)).state.firmware["version"] = "0C0D0E0F"  # type: ignore[union-attr]
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    try:
        async with Runtime(lab.fleet, VirtualClock(now), tick_interval=3600) as runtime:
            client = TestClient(TestServer(make_app(lab, runtime, token=TOKEN)),
                                headers={"Authorization": f"Bearer {TOKEN}"})
            await client.start_server()
            try:
                target = "-".join(CHF[i:i + 2] for i in range(0, 16, 2))
                body = read_firmware_duis(int(now.timestamp() * 1000), target=target)
                reply = await client.post("/duis", data=body, headers={"Content-Type": "application/xml"})
                text = await reply.text()
            finally:
                await client.close()
    finally:
        lab.close()
    assert reply.status == 200
    assert re.search(r"<sr:ResponseCode>I0</sr:ResponseCode>", text), text
    assert "<sr:FirmwareVersion>0C0D0E0F</sr:FirmwareVersion>" in text
