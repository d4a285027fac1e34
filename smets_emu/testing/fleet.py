"""A lab served from a background thread, with a blocking client, for synchronous test code.

``start_fleet(folder)`` provisions a fleet with its own test PKI in *folder*, serves it on
ephemeral TCP ports (GFI, binary, HTTP) with a virtual clock, and yields a :class:`SmetsFleet`.
:class:`SmetsClient` sends commands through the real WAN front as a named remote party.
The control plane is authenticated as ``smets-emu run`` serves it: :attr:`SmetsFleet.token` and
:attr:`SmetsFleet.http_headers` carry its bearer token, and :meth:`SmetsFleet.http` sends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from smets_emu.emulator.device import Device
from smets_emu.protocols.payloads import Payload
from smets_emu.tools.faults import Fault
from smets_emu.tools.fleet_file import FleetSpec, default_fleet
from smets_emu.tools.lab import Lab, open_lab
from smets_emu.tools.service import Endpoints, LabService, ServiceConfig
from smets_emu.tools.wan_client import RemoteParty, Reply, WanClient

_T = TypeVar("_T")

DEFAULT_START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class HttpReply:
    """A control-plane answer: status, body (decoded JSON, or text for other content) and headers."""

    status: int
    body: Any
    headers: dict[str, str]


class SmetsFleet:
    """A running in-process fleet (virtual clock) and its endpoints."""

    def __init__(self, lab: Lab, service: LabService, loop: asyncio.AbstractEventLoop, endpoints: Endpoints) -> None:
        self.lab = lab
        self.service = service
        self.loop = loop
        self.endpoints = endpoints
        self.alerts: list[bytes] = []  # every alert any device sent, in order
        self._subscription = service.runtime.subscribe(lambda item: self.alerts.append(item.message))

    def run(self, coro: Coroutine[Any, Any, _T], timeout: float = 30.0) -> _T:
        """Run a coroutine on the fleet's event loop and wait for it."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    @property
    def key_folder(self) -> Path:
        """The keystore folder remote parties use."""
        return self.lab.key_folder

    @property
    def devices(self) -> dict[bytes, Device]:
        """The devices by EUI."""
        return self.lab.fleet.devices

    def eui(self, device_type: str, index: int = 0) -> bytes:
        """The EUI of the *index*-th device of a type (ESME, GSME, CHF, GPF)."""
        matches = [e for e, d in self.devices.items() if d.state.device_type == device_type.upper()]
        return matches[index]

    # the EUI of the fleet's first device of each type
    esme = property(lambda self: self.eui("ESME"))
    gsme = property(lambda self: self.eui("GSME"))
    chf = property(lambda self: self.eui("CHF"))
    gpf = property(lambda self: self.eui("GPF"))

    def now(self) -> dt.datetime:
        """The virtual time."""
        return self.service.clock.now()

    def advance(self, delta: dt.timedelta | float) -> list[bytes]:
        """Move the virtual clock (seconds or a timedelta); returns the alerts that became due."""
        if not isinstance(delta, dt.timedelta):
            delta = dt.timedelta(seconds=delta)
        return [o.message for o in self.run(self.service.runtime.advance(delta))]

    def fault(self, eui: bytes, kind: str, *, count: int = 1, seconds: float = 0.0, direction: str = "command") -> None:
        """Inject a fault (drop, delay, corrupt, power-cycle) for a device at the WAN front."""
        fault = Fault.from_json({"kind": kind, "count": count, "seconds": seconds, "direction": direction})
        if fault.kind == "power-cycle":
            self.run(self.service.runtime.call(lambda: self.lab.power_cycle(eui)))
        else:
            self.service.faults.add(eui, fault)

    @property
    def token(self) -> str | None:
        """The control plane's bearer token (None when served without authentication or without HTTP)."""
        return self.service.control_token

    @property
    def http_headers(self) -> dict[str, str]:
        """Headers that authenticate a control-plane request (``Authorization: Bearer <token>``)."""
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    @property
    def http_url(self) -> str:
        """The control plane's base URL (``http://127.0.0.1:<port>``)."""
        if self.endpoints.http is None:
            raise RuntimeError("the fleet serves no control plane (start_fleet(..., http=False))")
        host, port = self.endpoints.http
        return f"http://{'[' + host + ']' if ':' in host else host}:{port}"

    def http(self, method: str, path: str, body: Any = None, *, content_type: str | None = None,
             timeout: float = 10.0) -> HttpReply:
        """One control-plane request with the token: ``fleet.http("POST", "/clock/advance", {"hours": 1})``.

        A dict or list *body* is sent as JSON, bytes or str as they are (``content_type`` defaults
        to ``application/xml`` on ``/duis`` and ``application/json`` elsewhere).
        """
        data: bytes | None = None
        method = method.upper()
        if body is not None:
            data = body.encode() if isinstance(body, str) else body if isinstance(body, bytes) else json.dumps(
                body).encode()
        headers = dict(self.http_headers)
        if method not in ("GET", "HEAD"):
            headers["Content-Type"] = content_type or (
                "application/xml" if path.split("?", 1)[0] == "/duis" else "application/json")
        request = urllib.request.Request(self.http_url + path, data=data, method=method, headers=headers)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy
        try:
            with opener.open(request, timeout=timeout) as response:
                status, raw, reply_headers = response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as exc:
            status, raw, reply_headers = exc.code, exc.read(), dict(exc.headers)
        parsed: Any = raw.decode("utf-8", "replace")
        if reply_headers.get("Content-Type", "").startswith("application/json"):
            parsed = json.loads(raw)
        return HttpReply(status, parsed, reply_headers)

    def client(self, framing: str = "gfi") -> SmetsClient:
        """A new blocking client on its own connection."""
        return SmetsClient(self, framing)


class SmetsClient:
    """A blocking remote-party client of a :class:`SmetsFleet` over its TCP front."""

    def __init__(self, fleet: SmetsFleet, framing: str = "gfi", *, timeout: float = 10.0) -> None:
        self.fleet = fleet
        endpoint = fleet.endpoints.gfi if framing == "gfi" else fleet.endpoints.binary
        if endpoint is None:
            raise RuntimeError(f"the fleet serves no {framing} framing")
        self._wan = fleet.run(WanClient.connect(endpoint[0], endpoint[1], framing))
        self.party = RemoteParty(fleet.lab.keystore, lambda data: self._wan.exchange(data, timeout=timeout),
                                 device_type_of=self._device_type)

    def _device_type(self, eui: bytes) -> str | None:
        device = self.fleet.lab.fleet.device(eui)
        return None if device is None else device.device_type

    def command(
        self,
        code: int | str,
        payload: Payload | bytes | dict[str, Any] | None = None,
        *,
        to: bytes | str,
        as_role: str | bytes | None = None,
    ) -> Reply:
        """Send one command (a sample payload when none is given) and return the decoded, checked reply."""
        return self.fleet.run(self.party.command(code, payload, to=to, as_party=as_role))

    def build(self, code: int | str, payload: Payload | bytes | None = None, *, to: bytes | str,
              as_role: str | bytes | None = None) -> bytes:
        """A protected command without sending it."""
        return self.party.build(code, payload, to=to, as_party=as_role)

    def send_raw(self, data: bytes) -> Reply:
        """Send an already protected message."""
        return self.fleet.run(self.party.send_raw(data))

    def close(self) -> None:
        self.fleet.run(self._wan.close())


@contextlib.contextmanager
def start_fleet(
    folder: str | Path,
    spec: FleetSpec | None = None,
    *,
    devices: int = 4,
    start: dt.datetime = DEFAULT_START,
    http: bool = True,
    auth: bool = True,
) -> Iterator[SmetsFleet]:
    """Provision (or resume) a lab in *folder* and serve it from a background thread.

    The control plane (when *http*) listens on 127.0.0.1 and needs the fleet's token unless *auth* is False.
    """
    lab = open_lab(folder, spec or default_fleet(devices), synchronous="OFF")
    config = ServiceConfig(
        port=0, binary_port=0, http_port=0 if http else None, clock="virtual", start=start, tick_interval=3600.0,
        auth=auth,
    )
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="smets-fleet", daemon=True)
    thread.start()
    service = LabService(lab, config)
    try:
        endpoints = asyncio.run_coroutine_threadsafe(service.start(), loop).result(30)
        fleet = SmetsFleet(lab, service, loop, endpoints)
        try:
            yield fleet
        finally:
            fleet._subscription.cancel()
            asyncio.run_coroutine_threadsafe(service.stop(), loop).result(30)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
        lab.close()
