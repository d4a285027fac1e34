"""A running lab: runtime, WAN front listeners, control plane and (optionally) a serial bridge."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from smets_emu.errors import SmetsError
from smets_emu.hosting.runtime import MAX_TIME, MIN_TIME, ClockRangeError, Runtime, VirtualClock, check_time
from smets_emu.tools.control_plane import TOKEN_FILE, load_or_create_token, make_app
from smets_emu.tools.faults import FaultTable
from smets_emu.tools.lab import Lab
from smets_emu.tools.wan_server import WanFront

log = logging.getLogger(__name__)

WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})


@dataclass
class ServiceConfig:
    """Where and how a lab serves; a port of 0 picks a free port, None disables the listener.

    ``host`` is the WAN listeners' address, ``http_host`` the control plane's (loopback by
    default); ``auth=False`` serves the control plane without its bearer token.
    """

    host: str = "127.0.0.1"
    port: int | None = 4059
    binary_port: int | None = 4060
    http_port: int | None = 8059
    http_host: str = "127.0.0.1"
    auth: bool = True
    clock: str = "real"  # "real": virtual time follows the wall clock; "virtual": moves only when advanced
    start: dt.datetime | None = None
    tick_interval: float = 1.0
    serial: list[str] = field(default_factory=list)


@dataclass
class Endpoints:
    """What a started service listens on."""

    gfi: tuple[str, int] | None = None
    binary: tuple[str, int] | None = None
    http: tuple[str, int] | None = None
    serial: list[str] = field(default_factory=list)


class LabService:
    """Serves a :class:`Lab` until stopped."""

    def __init__(self, lab: Lab, config: ServiceConfig | None = None) -> None:
        self.lab = lab
        self.config = config or ServiceConfig()
        start = self.config.start
        if start is not None:
            check_time(start, "start time")
        elif self.config.clock == "virtual":
            start = self._saved_clock()
        self.clock = VirtualClock(start, follow_wall_clock=self.config.clock == "real")
        self.runtime = Runtime(lab.fleet, self.clock, tick_interval=self.config.tick_interval)
        self.faults = FaultTable()
        self.front = WanFront(self.runtime, faults=self.faults)
        self.endpoints = Endpoints()
        self.control_token: str | None = None  # the control plane's bearer token (None: no authentication)
        self._http: web.AppRunner | None = None
        self._bridges: list[Any] = []

    @property
    def token_file(self) -> Path:
        """Where the control plane's bearer token is kept."""
        return self.lab.folder / TOKEN_FILE

    def _saved_clock(self) -> dt.datetime | None:
        """The previous run's virtual time; one the devices cannot represent is refused, not loaded."""
        try:
            saved = self.lab.saved_clock()
        except ValueError as exc:
            raise ClockRangeError(f"the lab's saved virtual clock is unreadable: {exc}") from exc
        if saved is None:
            return None
        try:
            return check_time(saved, "the lab's saved virtual clock")
        except ClockRangeError as exc:
            raise ClockRangeError(
                f"{exc}; refusing to load it (serve with --clock real, or remove the 'virtual_clock' entry "
                "from the state file's meta table)"
            ) from exc

    def save_clock(self) -> None:
        """Remember the virtual time for the next run (only a time the devices can represent)."""
        now = self.clock.now()
        if MIN_TIME <= now <= MAX_TIME:
            self.lab.save_clock(now)
        else:
            log.error("virtual clock %s is outside the range devices carry: not saved", now.isoformat())

    async def start(self) -> Endpoints:
        """Start the runtime timers and every configured listener."""
        cfg = self.config
        await self.runtime.__aenter__()
        try:
            if cfg.port is not None:
                self.endpoints.gfi = await self.front.listen("gfi", cfg.host, cfg.port)
            if cfg.binary_port is not None:
                self.endpoints.binary = await self.front.listen("binary", cfg.host, cfg.binary_port)
            if cfg.http_port is not None:
                if cfg.auth:
                    self.control_token = load_or_create_token(self.lab.folder)
                hosts = () if cfg.http_host in WILDCARD_HOSTS else (cfg.http_host,)
                app = make_app(self.lab, self.runtime, faults=self.faults, fronts={"wan": self.front},
                               token=self.control_token, hosts=hosts)
                self._http = web.AppRunner(app, access_log=None)
                await self._http.setup()
                site = web.TCPSite(self._http, cfg.http_host, cfg.http_port)
                await site.start()
                sock = site._server.sockets[0].getsockname()  # type: ignore[union-attr]
                self.endpoints.http = (str(sock[0]), int(sock[1]))
                if not cfg.auth:
                    log.warning("control plane without authentication: anyone who can reach %s:%s controls the lab",
                                *self.endpoints.http)
            for url in cfg.serial:
                self._bridges.append(await self._start_serial(url))
                self.endpoints.serial.append(url)
        except BaseException:
            await self.stop()
            raise
        self._record_endpoints()
        return self.endpoints

    def _record_endpoints(self) -> None:
        """Tell the lab where this service listens (shown to a second process that tries to open it)."""
        named = {name: f"{_host_text(ep[0])}:{ep[1]}" for name, ep in
                 (("gfi", self.endpoints.gfi), ("binary", self.endpoints.binary), ("http", self.endpoints.http))
                 if ep is not None}
        for i, url in enumerate(self.endpoints.serial):
            named[f"serial{i}" if i else "serial"] = url
        try:
            self.lab.record_endpoints(named)
        except (OSError, SmetsError) as exc:  # informative only: never stop serving for it
            log.warning("could not record the endpoints in the lab: %s", exc)

    async def _start_serial(self, url: str) -> Any:
        from smets_emu.tools.serial_wiring import start_serial_bridge

        return await start_serial_bridge(url, self.runtime)

    async def stop(self) -> None:
        """Stop listening, stop timers and remember the virtual time."""
        for bridge in self._bridges:
            try:
                await bridge.close()
            except Exception:  # a failing port must not keep the lab from stopping
                log.exception("closing a serial bridge failed")
        self._bridges.clear()
        if self._http is not None:
            await self._http.cleanup()
            self._http = None
        await self.front.close()
        await self.runtime.__aexit__(None, None, None)
        self.save_clock()


def _host_text(host: str) -> str:
    return f"[{host}]" if ":" in host else host
