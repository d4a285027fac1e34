"""A lab served on 127.0.0.1 (free ports) from a background thread, and a small JSON client for its API.

The governance browser tests and the end-to-end test drive the lab only through HTTP, the way a
party's own tooling would; the service runs in its own event loop so synchronous clients (urllib,
Playwright's sync API) can call it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from smets_emu.tools.fleet_file import default_fleet
from smets_emu.tools.lab import Lab, open_lab
from smets_emu.tools.service import LabService, ServiceConfig

START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


class Reply:
    """An HTTP answer: status, headers and body (JSON decoded on demand)."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.body[:300]!r})"


class Client:
    """Requests to the control plane as one caller (a bearer token)."""

    def __init__(self, base: str, token: str | None) -> None:
        self.base, self.token = base, token

    def request(self, method: str, path: str, body: Any = None, *, data: bytes | None = None,
                content_type: str | None = None, headers: dict[str, str] | None = None) -> Reply:
        sent = dict(headers or {})
        if self.token is not None:
            sent.setdefault("Authorization", f"Bearer {self.token}")
        if body is not None:
            data = json.dumps(body).encode()
            content_type = content_type or "application/json"
        if content_type is not None:
            sent["Content-Type"] = content_type
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(req, timeout=30) as answer:  # noqa: S310 - the test's own lab
                return Reply(answer.status, dict(answer.headers), answer.read())
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, dict(exc.headers), exc.read())

    def get(self, path: str, **kw: Any) -> Reply:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        """A POST; without a body or data it sends ``{}`` (state-changing requests are JSON)."""
        if body is None and kw.get("data") is None:
            body = {}
        return self.request("POST", path, body, **kw)

    def ok_text(self, path: str) -> str:
        """The text of a GET that must answer 200."""
        reply = self.get(path)
        assert reply.status == 200, (path, reply)
        return reply.text

    def ok(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        """The JSON answer of a request that must succeed with *status*."""
        if body is None and method == "POST":
            body = {}
        reply = self.request(method, path, body)
        assert reply.status == status, (method, path, reply)
        return reply.json()


class ThreadedLab:
    """A :class:`LabService` (HTTP only, virtual clock) on 127.0.0.1 in a thread of its own.

    Subclasses set :attr:`gfi_port` to also serve the WAN front (GFI framing) and :attr:`open_timeout`
    for labs that take long to provision.
    """

    gfi_port: int | None = None
    open_timeout: float = 60
    gfi: tuple[str, int] | None = None

    def __init__(self, folder: Path, start: dt.datetime = START, *, devices: int | None = None) -> None:
        self.folder, self.start_time, self.devices = folder, start, devices
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="lab-service", daemon=True)
        self.lab: Lab | None = None
        self.service: LabService | None = None
        self.base = ""

    def __enter__(self) -> ThreadedLab:
        self.thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(self.open_timeout)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    async def _start(self) -> None:
        spec = None if self.devices is None else default_fleet(self.devices)
        self.lab = await asyncio.to_thread(open_lab, self.folder, spec, synchronous="OFF")
        self.service = LabService(self.lab, ServiceConfig(port=self.gfi_port, binary_port=None, http_port=0,
                                                          clock="virtual", start=self.start_time, tick_interval=3600))
        await self.service.start()
        host, port = self.service.endpoints.http  # type: ignore[misc]
        self.base = f"http://{host}:{port}"
        self.gfi = self.service.endpoints.gfi

    async def _stop(self) -> None:
        if self.service is not None:
            await self.service.stop()
        if self.lab is not None:
            self.lab.close()

    def __exit__(self, *exc: object) -> None:
        if self.thread.is_alive():
            try:
                asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(60)
            finally:
                self.loop.call_soon_threadsafe(self.loop.stop)
                self.thread.join(30)
        self.loop.close()

    @property
    def lab_token(self) -> str:
        assert self.service is not None and self.service.control_token is not None
        return self.service.control_token

    def client(self, token: str | None) -> Client:
        return Client(self.base, token)

    @property
    def operator(self) -> Client:
        """The lab operator (the lab's bearer token)."""
        return self.client(self.lab_token)


SEEDED_PARTIES = ("mfr-ab01", "mfr-cd02", "supplier-a", "supplier-b", "network-operator-a", "dcc", "secas")


def party_clients(lab: ThreadedLab, orgs: tuple[str, ...] = SEEDED_PARTIES) -> dict[str, Client]:
    """A client per seeded party, each with a token the lab operator issued."""
    return {org: lab.client(lab.operator.ok("POST", f"/governance/parties/{org}/token")["token"]) for org in orgs}


def fix_image_bytes(version: int, *, manufacturer_code: int = 0xAB01, payload: bytes = b"fix",
                    key: Any = None) -> bytes:
    """An Upgrade Image (the project's OTA format) of *version*, signed with *key* when given."""
    from smets_emu.protocols.firmware import UpgradeImage, sign_image

    image = UpgradeImage(manufacturer_code, 1, version, payload * 64, "governance test image")
    return (sign_image(image, key) if key is not None else image).encode()
