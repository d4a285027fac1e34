"""``run --serial``: the fleet answers on a serial line (a pty pair here) through the hw bridge."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys

import pytest

from smets_emu.protocols.envelope import CraFlag, decode_envelope
from smets_emu.tools.lab import open_lab
from smets_emu.tools.serial_wiring import parse_serial
from smets_emu.tools.service import LabService, ServiceConfig
from smets_emu.tools.wan_client import RemoteParty

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")

ESME = bytes.fromhex("00DB1234567890A0")


def test_parse_serial() -> None:
    assert parse_serial("binary@/dev/ttyUSB0") == ("binary", "/dev/ttyUSB0")
    assert parse_serial("socket://rig:7000") == ("gfi", "socket://rig:7000")


@pytest.mark.parametrize("framing", ["gfi", "binary"])
async def test_fleet_on_a_pty(tmp_path, framing: str) -> None:  # type: ignore[no-untyped-def]
    from smets_emu.hw import FrameLink, framing_for, open_fd, open_pty

    pty = open_pty()
    lab = open_lab(tmp_path, synchronous="OFF")
    service = LabService(lab, ServiceConfig(port=None, binary_port=None, http_port=None, clock="virtual",
                                            start=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), tick_interval=3600,
                                            serial=[f"{framing}@{pty.path}"]))
    await service.start()
    reader, writer = await open_fd(pty.master_fd)
    link = FrameLink(reader, writer, framing_for(framing), name="rig")
    try:
        party = RemoteParty(lab.keystore, None)  # type: ignore[arg-type]
        await link.send(party.build(0x0059, to=ESME), seq=7)
        frame = await asyncio.wait_for(link.receive_frame(), 10)
        assert frame.seq == 7  # numbered like the command, as on the TCP front
        response = frame.payload
        assert decode_envelope(response).header.cra_flag is CraFlag.RESPONSE
        assert party.headend.verify(response).mac.value == "valid"
        bad = bytearray(party.build(0x0059, to=ESME))
        bad[-1] ^= 1
        await link.send(bytes(bad), seq=8)
        frame = await asyncio.wait_for(link.receive_frame(), 10)
        alert = frame.payload
        assert frame.seq == 8
        assert decode_envelope(alert).header.cra_flag is CraFlag.ALERT
    finally:
        await service.stop()
        writer.transport.close()
        pty.close()
        lab.close()
