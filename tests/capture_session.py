"""A mixed WAN session recorded into a capture file (capture and replay tests)."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from smets_emu.tools.capture import CaptureWriter
from smets_emu.tools.lab import Lab, open_lab
from smets_emu.tools.service import LabService, ServiceConfig
from smets_emu.tools.wan_client import RemoteParty, WanClient

ESME = bytes.fromhex("00DB1234567890A0")
GSME = bytes.fromhex("00DB1234567890A1")
CHF = bytes.fromhex("00DB1234567890A2")
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
ECS02_CREDIT_MODE = 0x001A  # critical: signed by the supplier
GARBAGE = b"not a GBCS message"

SESSION = (
    # (client, message code, recipient, remote party)
    ("gfi", 0x0059, ESME, None),  # ECS52 read firmware
    ("binary", 0x0084, GSME, None),  # GCS38 on the GSME
    ("gfi", 0x0059, CHF, None),  # ECS52 on the CHF, from the ACB
    ("gfi", ECS02_CREDIT_MODE, ESME, None),  # a critical command
    ("gfi", 0x0059, ESME, "wan-provider"),  # refused: a security alert, no response
)
"""The commands of the mixed session, in order; then a garbage frame and an empty keep-alive frame."""


def serve(lab: Lab) -> LabService:
    """*lab* on free loopback WAN ports, a virtual clock and no control plane."""
    return LabService(lab, ServiceConfig(port=0, binary_port=0, http_port=None, clock="virtual", start=START,
                                         tick_interval=3600))


async def mixed_session(service: LabService, lab: Lab) -> None:
    """Reads on the ESME, GSME and CHF, a critical command, a refused one, garbage and a keep-alive."""
    clients = {"gfi": await WanClient.connect(*service.endpoints.gfi, "gfi"),  # type: ignore[misc]
               "binary": await WanClient.connect(*service.endpoints.binary, "binary")}  # type: ignore[misc]
    try:
        def device_type(eui: bytes) -> str | None:
            device = lab.fleet.devices.get(eui)
            return None if device is None else device.state.device_type

        for name, code, to, party in SESSION:
            remote = RemoteParty(lab.keystore, clients[name].exchange, device_type_of=device_type)
            await remote.command(code, to=to, as_party=party)
        await clients["gfi"].exchange(GARBAGE)
        await clients["gfi"].exchange(b"")
        await asyncio.sleep(0.05)  # the unsolicited alert on the binary connection
    finally:
        for client in clients.values():
            await client.close()


async def record(folder: Path, capture: Path, **writer: object) -> Lab:
    """Create a default lab in *folder*, serve it, run the mixed session into *capture*; the lab is closed."""
    lab = open_lab(folder, synchronous="OFF")
    try:
        service = serve(lab)
        await service.start()
        recorder = CaptureWriter(capture, lab=str(lab.folder), **writer)  # type: ignore[arg-type]
        await recorder.start(service.front)
        try:
            await mixed_session(service, lab)
        finally:
            await service.stop()
            await recorder.close()
    finally:
        lab.close()
    return lab


def recorded_session(folder: Path) -> Path:
    """The mixed session recorded from a default lab in *folder* (``lab/``), as ``session.jsonl`` beside it."""
    path = folder / "session.jsonl"
    asyncio.run(record(folder / "lab", path))
    return path
