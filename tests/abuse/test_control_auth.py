"""Finding 2: the control plane is authenticated and refuses cross-site and rebinding requests.

Before: anyone who could reach the HTTP port (a web page through the browser included: CSRF,
DNS rebinding) could inject faults, move the clock or submit DUIS as ``text/plain`` from any
Origin. Now every request but ``GET /healthz`` needs the lab's bearer token (``<lab>/control-token``,
0600), a foreign Host is refused (421), a foreign Origin is refused (403) and a state-changing
request needs a JSON (or, on /duis, XML) Content-Type (415).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import aiohttp
import pytest

from smets_emu.tools.lab import Lab
from smets_emu.tools.service import LabService, ServiceConfig
from tests_support import read_firmware_duis

ESME = "00DB1234567890A0"
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
ROUTES = [
    ("GET", "/"), ("GET", "/devices"), ("GET", f"/devices/{ESME}"), ("GET", "/alerts"), ("GET", "/clock"),
    ("GET", "/stats"), ("GET", "/metrics"), ("GET", "/campaigns"), ("GET", "/overview"),
    ("POST", "/clock/advance"), ("POST", f"/devices/{ESME}/faults"),
    ("DELETE", f"/devices/{ESME}/faults"), ("POST", "/duis"), ("GET", "/no-such-route"),
    ("POST", f"/devices/{ESME}/events"), ("GET", f"/devices/{ESME}/events"), ("GET", f"/devices/{ESME}/readings"),
]


@pytest.fixture
def lab(fresh_lab: Lab) -> Lab:
    return fresh_lab


@pytest.fixture
async def served(fresh_service: LabService) -> AsyncIterator[tuple[LabService, str, aiohttp.ClientSession]]:
    service = fresh_service
    host, port = service.endpoints.http  # type: ignore[misc]
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
    try:
        yield service, f"http://{host}:{port}", session
    finally:
        await session.close()


def _auth(service: LabService) -> dict[str, str]:
    return {"Authorization": f"Bearer {getattr(service, 'control_token', '')}"}


async def test_token_file_and_no_token_refused_everywhere_but_healthz(served, lab: Lab) -> None:  # type: ignore[no-untyped-def]
    service, base, session = served
    path = lab.folder / "control-token"
    assert path.is_file() and path.stat().st_mode & 0o777 == 0o600
    assert service.control_token and path.read_text().strip() == service.control_token
    for method, route in ROUTES:
        wrong = ({}, {"Authorization": "Bearer wrong-token"}, {"Authorization": f"Basic {service.control_token}"})
        for headers in wrong:
            async with session.request(method, base + route, json={}, headers=headers) as resp:
                assert resp.status == 401, (method, route, headers, resp.status)
                assert "token" in (await resp.json())["error"]
    async with session.get(base + "/healthz") as resp:
        assert resp.status == 200 and await resp.json() == {"status": "ok"}
    async with session.get(base + "/devices", headers=_auth(service)) as resp:
        assert resp.status == 200 and (await resp.json())["total"] == 4


async def test_duis_without_token_reaches_no_device(served, lab: Lab) -> None:  # type: ignore[no-untyped-def]
    service, base, session = served
    before = {eui: dict(d.state.counters) for eui, d in lab.fleet.devices.items()}
    outbox = len(lab.store.outbox())
    counter = int(START.timestamp() * 1000)
    for content_type in ("text/plain", "application/xml", "application/x-www-form-urlencoded"):
        counter += 1
        body = read_firmware_duis(counter)
        async with session.post(base + "/duis?as=IS", data=body, headers={"Content-Type": content_type}) as resp:
            assert resp.status == 401, content_type
            assert "<sr:Response" not in await resp.text()
    assert {eui: dict(d.state.counters) for eui, d in lab.fleet.devices.items()} == before
    assert len(lab.store.outbox()) == outbox


async def test_foreign_host_is_refused(served) -> None:  # type: ignore[no-untyped-def]
    service, base, session = served
    port = base.rsplit(":", 1)[1]
    for host in ("evil.example", f"evil.example:{port}", f"rebound.attacker.test:{port}", "localhost:1",
                 "10.0.0.1", f"[::2]:{port}"):
        async with session.get(base + "/devices", headers={**_auth(service), "Host": host}) as resp:
            assert resp.status in (403, 421), host
            assert "Host" in (await resp.json())["error"]
    for host in (f"127.0.0.1:{port}", "127.0.0.1", f"localhost:{port}", "LOCALHOST", f"[::1]:{port}"):
        async with session.get(base + "/clock", headers={**_auth(service), "Host": host}) as resp:
            assert resp.status == 200, host


async def test_foreign_origin_and_wrong_content_type_refused(served) -> None:  # type: ignore[no-untyped-def]
    service, base, session = served
    clock = await (await session.get(base + "/clock", headers=_auth(service))).json()
    port = base.rsplit(":", 1)[1]
    for origin in ("http://evil.example", f"http://evil.example:{port}", "null", f"https://127.0.0.1:{port}",
                   "http://127.0.0.1:1"):
        async with session.post(base + "/clock/advance", json={"days": 1},
                                headers={**_auth(service), "Origin": origin}) as resp:
            assert resp.status == 403, origin
    async with session.get(base + "/devices", headers={**_auth(service), "Origin": "http://evil.example"}) as resp:
        assert resp.status == 403
    async with session.post(base + "/clock/advance", data=b'{"days": 1}',
                            headers={**_auth(service), "Content-Type": "text/plain"}) as resp:
        assert resp.status == 415
    async with session.post(base + "/duis", data=read_firmware_duis(1),
                            headers={**_auth(service), "Content-Type": "text/plain"}) as resp:
        assert resp.status == 415 and "application/xml" in (await resp.json())["error"]
    assert await (await session.get(base + "/clock", headers=_auth(service))).json() == clock
    async with session.post(base + "/clock/advance", json={"hours": 1},
                            headers={**_auth(service), "Origin": f"http://127.0.0.1:{port}"}) as resp:
        assert resp.status == 200  # the lab's own origin


async def test_page_token_cookie(served) -> None:  # type: ignore[no-untyped-def]
    service, base, _ = served
    # a browser keeps cookies of IP-address hosts; aiohttp's client only with an "unsafe" jar
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True), timeout=aiohttp.ClientTimeout(total=10))
    try:
        await _page_cookie_flow(service, base, session)
    finally:
        await session.close()


async def _page_cookie_flow(service: LabService, base: str, session: aiohttp.ClientSession) -> None:
    async with session.get(base + "/?token=wrong", allow_redirects=False) as resp:
        assert resp.status == 401
    async with session.get(base + f"/?token={service.control_token}", allow_redirects=False) as resp:
        assert resp.status == 303 and resp.headers["Location"] == "/"
        cookie = resp.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    jar = session.cookie_jar
    assert len(jar) == 1
    async with session.get(base + "/") as resp:  # the cookie stands for the token on GETs
        assert resp.status == 200 and "smets-emu fleet" in await resp.text()
    async with session.get(base + "/devices") as resp:
        assert resp.status == 200
    async with session.post(base + "/clock/advance", json={"days": 1}) as resp:  # but not on state changes
        assert resp.status == 401
    jar.clear()
    async with session.get(base + "/") as resp:
        assert resp.status == 401


async def test_no_auth_is_explicit(lab: Lab) -> None:
    service = LabService(lab, ServiceConfig(port=None, binary_port=None, http_port=0, clock="virtual", start=START,
                                            auth=False))
    await service.start()
    try:
        assert service.control_token is None
        host, port = service.endpoints.http  # type: ignore[misc]
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://{host}:{port}/clock") as resp:
                assert resp.status == 200
            async with session.get(f"http://{host}:{port}/clock", headers={"Host": "evil.example"}) as resp:
                assert resp.status == 421  # DNS rebinding is refused even without a token
    finally:
        await service.stop()
