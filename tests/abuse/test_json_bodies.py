"""Finding 10: bad JSON bodies get 400 with the reason, never 500.

Before: ``{"seconds": Infinity}``, ``{"days": 1e10}`` and ``{"count": 1e400}`` answered 500 with
a traceback. Now every control-plane body is parsed with NaN/Infinity and out-of-range numbers
refused, checked against a JSON schema (types, ranges, enums, no unknown keys) and bounded in size.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import aiohttp
import pytest

from smets_emu.tools.faults import Fault, FaultError
from smets_emu.tools.lab import Lab
from smets_emu.tools.service import LabService

ESME = "00DB1234567890A0"
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
FAULTS = f"/devices/{ESME}/faults"

BAD_CLOCK = [
    b'{"seconds": Infinity}', b'{"seconds": -Infinity}', b'{"seconds": NaN}', b'{"days": 1e10}',
    b'{"seconds": 1e400}', b'{"hours": -1e400}', b'{"seconds": "10"}', b'{"seconds": [1]}', b'{"seconds": {"a": 1}}',
    b'{"seconds": true}', b'{"seconds": null}', b'{"weeks": 1}', b'{"seconds": 1, "extra": 2}', b"{}", b"[]",
    b'"x"', b"1", b"null", b'{"seconds": 1', b"", b"\xff\xfe{}", b"[" * 5000 + b"]" * 5000,
    b'{"seconds": ' + b"9" * 5000 + b"}", b'{"a": ' * 3000 + b"1" + b"}" * 3000,
]
BAD_FAULTS = [
    b'{"kind": "drop", "count": 1e400}', b'{"kind": "drop", "count": 1e10}', b'{"kind": "drop", "count": 0}',
    b'{"kind": "drop", "count": 2.5}', b'{"kind": "drop", "count": "3"}', b'{"kind": "drop", "count": NaN}',
    b'{"kind": "delay", "seconds": Infinity}', b'{"kind": "delay", "seconds": 301}',
    b'{"kind": "delay", "seconds": -1}',
    b'{"kind": "corrupt", "direction": "sideways"}', b'{"kind": "melt"}', b'{"kind": ["drop"]}',
    b'{"kind": "drop", "colour": "red"}', b'{"count": 1}', b'["drop"]',
    b'{"kind": "drop", "count": ' + b"9" * 5000 + b"}",
]


@pytest.fixture
def lab(fresh_lab: Lab) -> Lab:
    return fresh_lab


@pytest.fixture
async def served(fresh_service: LabService) -> AsyncIterator[tuple[LabService, str, aiohttp.ClientSession]]:
    service = fresh_service
    host, port = service.endpoints.http  # type: ignore[misc]
    token = getattr(service, "control_token", None)
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    session = aiohttp.ClientSession(headers=headers, timeout=aiohttp.ClientTimeout(total=10))
    try:
        yield service, f"http://{host}:{port}", session
    finally:
        await session.close()


async def _refused(session: aiohttp.ClientSession, method: str, url: str, body: bytes, status: int = 400) -> str:
    async with session.request(method, url, data=body) as resp:
        assert resp.status == status, (body[:60], resp.status, await resp.text())
        reason = (await resp.json())["error"]
        assert reason and "Traceback" not in reason
        return str(reason)


async def test_bad_clock_bodies(served) -> None:  # type: ignore[no-untyped-def]
    service, base, session = served
    reasons = {body[:40]: await _refused(session, "POST", base + "/clock/advance", body) for body in BAD_CLOCK}
    assert "Infinity" in reasons[b'{"seconds": Infinity}'] and "NaN" in reasons[b'{"seconds": NaN}']
    assert "weeks" in reasons[b'{"weeks": 1}'] and "range" in reasons[b'{"seconds": 1e400}']
    assert service.clock.now() == START
    async with session.get(base + "/clock") as resp:
        assert resp.status == 200 and (await resp.json())["time"] == START.isoformat()


async def test_bad_fault_bodies(served) -> None:  # type: ignore[no-untyped-def]
    service, base, session = served
    reasons = [await _refused(session, "POST", base + FAULTS, body) for body in BAD_FAULTS]
    assert any("count" in r for r in reasons) and any("direction" in r or "sideways" in r for r in reasons)
    await _refused(session, "DELETE", base + FAULTS, b'{"everything": true}')
    await _refused(session, "DELETE", base + FAULTS, b"NaN")
    assert not service.faults.faults
    async with session.post(base + FAULTS, json={"kind": "delay", "count": 10000, "seconds": 300}) as resp:
        assert resp.status == 200  # the bounds themselves are accepted


async def test_oversized_bodies(served) -> None:  # type: ignore[no-untyped-def]
    service, base, session = served
    padded = b'{"seconds": 1, "pad": "' + b"a" * 70_000 + b'"}'
    reason = await _refused(session, "POST", base + "/clock/advance", padded, 413)
    assert "65536" in reason
    huge = b"<x>" + b"a" * (2 * 1024 * 1024) + b"</x>"
    async with session.post(base + "/duis", data=huge, headers={"Content-Type": "application/xml"}) as resp:
        assert resp.status == 413
    assert service.clock.now() == START


def test_fault_from_json_bounds() -> None:
    for obj in ({"kind": "drop", "count": float("inf")}, {"kind": "drop", "count": 10**400},
                {"kind": "delay", "seconds": float("nan")}, {"kind": "delay", "seconds": 1e308},
                {"kind": "drop", "count": True}, {"kind": "drop", "bogus": 1}, ["drop"], None):
        with pytest.raises(FaultError):
            Fault.from_json(obj)
    assert Fault.from_json({"kind": "drop", "count": 3.0}).count == 3
