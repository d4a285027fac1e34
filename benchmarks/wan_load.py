"""Shared by the benchmarks that load the WAN front: ECS52 reads, one after the other, over one GFI connection."""

from __future__ import annotations

import time

from smets_emu.tools.service import LabService
from smets_emu.tools.wan_client import RemoteParty, WanClient

ESME = bytes.fromhex("00DB1234567890A0")


async def commands_per_s(service: LabService, party: RemoteParty, count: int) -> float:
    """Send *count* ECS52 reads to the lab's first ESME and wait for each answer; commands per second."""
    async with await WanClient.connect(*service.endpoints.gfi, "gfi", keepalive=None) as client:  # type: ignore[misc]
        commands = [party.build(0x0059, to=ESME) for _ in range(count)]
        began = time.perf_counter()
        for command in commands:
            await client.exchange(command)
        return count / (time.perf_counter() - began)
