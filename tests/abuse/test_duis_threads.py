"""Finding 4: concurrent ``POST /duis`` against a running lab never answers 500.

The control plane runs DSP work in worker threads (``Runtime.call`` -> ``asyncio.to_thread``); a
SQLite connection opened in one thread and used in another raised ``sqlite3.ProgrammingError`` on
most requests. Every answer must now be a DUIS response.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from pathlib import Path

import aiohttp

from smets_emu.parties.smets1.request_ids import time_counter
from smets_emu.protocols.duis import ResponseCode, parse_response
from smets_emu.tools.lab import open_lab
from smets_emu.tools.service import LabService, ServiceConfig
from tests_support import read_firmware_duis

REQUESTS = 200
SUPPLIER = "90-B3-D5-1F-30-01-00-00"
TARGETS = ("00-DB-12-34-56-78-90-A0", "00-DB-12-34-56-78-90-A1")  # the lab's ESME and GSME


def _token(service: LabService, folder: Path) -> str | None:
    token = getattr(service, "control_token", None)
    if token is None and (folder / "control-token").exists():
        token = (folder / "control-token").read_text().strip()
    return token


async def test_200_concurrent_duis_requests_get_duis_answers(tmp_path: Path) -> None:
    lab = open_lab(tmp_path, synchronous="OFF")
    service = LabService(lab, ServiceConfig(port=None, binary_port=None, http_port=0, tick_interval=3600))
    try:
        endpoints = await service.start()
        assert endpoints.http is not None
        host, port = endpoints.http
        headers = {"Content-Type": "application/xml"}
        token = _token(service, tmp_path)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        base = time_counter(dt.datetime.now(dt.UTC))
        bodies = [
            read_firmware_duis(base + i, originator=SUPPLIER, target=TARGETS[i % 2])
            for i in range(REQUESTS)
        ]

        async def one(session: aiohttp.ClientSession, body: bytes) -> tuple[int, str]:
            async with session.post(f"http://{host}:{port}/duis", data=body, headers=headers) as reply:
                return reply.status, await reply.text()

        started = time.monotonic()
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
            answers = await asyncio.wait_for(asyncio.gather(*(one(session, b) for b in bodies)), 90)
        elapsed = time.monotonic() - started
    finally:
        await service.stop()
        lab.close()

    statuses = [status for status, _ in answers]
    assert statuses.count(200) == REQUESTS, f"non-200 answers: {sorted(set(statuses))}"
    codes = [parse_response(text).response_code for _, text in answers]
    # concurrent requests arrive in any order: a counter below one already accepted is refused (X6)
    assert set(codes) <= {ResponseCode.SUCCESS, ResponseCode.REQUEST_ID_REJECTED}, set(codes)
    assert codes.count(ResponseCode.SUCCESS) >= 2
    assert elapsed < 60
