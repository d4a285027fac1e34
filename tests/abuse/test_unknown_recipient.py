"""Finding 12: garbage messages and unknown recipients are counted, exposed and logged once per source.

Before: a truncated, extended or random message, or one for an EUI that is not in the fleet, got
an empty frame (fine on the wire) but was logged once per message and counted nowhere, so a
flood of them filled the log and a head-end could not see why its commands went unanswered.
Now the front counts them (``undecodable``, ``unknown_recipient`` in ``GET /stats``) and logs
each kind once per source host.
"""

from __future__ import annotations

import datetime as dt
import logging
import random

import aiohttp
import pytest

from smets_emu.tools.lab import Lab
from smets_emu.tools.service import LabService
from smets_emu.tools.wan_client import RemoteParty, WanClient

ESME = bytes.fromhex("00DB1234567890A0")
NOBODY = bytes.fromhex("00DB0000000000FF")
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
ROUNDS = 10


@pytest.mark.parametrize("framing", ["gfi", "binary"])
async def test_garbage_and_unknown_recipients_counted_and_logged_once(
    service: LabService, lab: Lab, framing: str, caplog: pytest.LogCaptureFixture
) -> None:
    rng = random.Random(framing)
    address = service.endpoints.gfi if framing == "gfi" else service.endpoints.binary
    client = await WanClient.connect(*address, framing)  # type: ignore[misc]
    party = RemoteParty(lab.keystore, client.exchange)
    before = dict(vars(service.front.stats))
    with caplog.at_level(logging.INFO):
        try:
            for _ in range(ROUNDS):
                good = party.build(0x0059, to=ESME, as_party="supplier")
                for message in (
                    good[: rng.randrange(1, len(good) - 1)],  # truncated
                    good + bytes(rng.randrange(256) for _ in range(rng.randint(1, 9))),  # extended
                    bytes(rng.randrange(256) for _ in range(rng.randint(1, 300))),  # random
                ):
                    assert (await client.exchange(message)).response is None
                other = party.build(0x0059, to=ESME, as_party="supplier").replace(ESME, NOBODY)
                assert (await client.exchange(other)).response is None
            assert (await party.command(0x0059, to=ESME)).response is not None  # the honest command still works
        finally:
            await client.close()
    stats = service.front.stats
    assert stats.undecodable - before["undecodable"] == 3 * ROUNDS
    assert stats.unknown_recipient - before["unknown_recipient"] == ROUNDS
    assert stats.no_response - before["no_response"] == 4 * ROUNDS
    # one line per kind and source, not one per message (the fleet never saw them)
    noisy = [r for r in caplog.records if r.levelno >= logging.INFO and r.name.startswith("smets_emu")
             and ("GBCS" in r.getMessage() or "fleet" in r.getMessage() or "decod" in r.getMessage())]
    assert len(noisy) <= 2, [r.getMessage() for r in noisy]
    # exposed on the control plane
    token = getattr(service, "control_token", None)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    host, port = service.endpoints.http  # type: ignore[misc]
    async with aiohttp.ClientSession(headers=headers) as session, session.get(f"http://{host}:{port}/stats") as reply:
        assert reply.status == 200
        body = await reply.json()
    assert body["wan"]["undecodable"] == stats.undecodable
    assert body["wan"]["unknown_recipient"] == stats.unknown_recipient
