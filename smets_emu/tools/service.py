"""A running lab: runtime, WAN front listeners, control plane and (optionally) a serial bridge."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from smets_emu.emulator.runtime import Runtime, VirtualClock
from smets_emu.tools.control_plane import make_app
from smets_emu.tools.faults import FaultTable
from smets_emu.tools.lab import Lab
from smets_emu.tools.wan_server import WanFront

log = logging.getLogger(__name__)


@dataclass
class ServiceConfig:
    """Where and how a lab serves; a port of 0 picks a free port, None disables the listener."""

    host: str = "127.0.0.1"
    port: int | None = 4059
    binary_port: int | None = 4060
    http_port: int | None = 8059
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
        if self.config.clock == "virtual":
            start = start or lab.saved_clock()
        self.clock = VirtualClock(start, follow_wall_clock=self.config.clock == "real")
        self.runtime = Runtime(lab.fleet, self.clock, tick_interval=self.config.tick_interval)
        self.faults = FaultTable()
        self.front = WanFront(self.runtime, faults=self.faults)
        self.endpoints = Endpoints()
        self._http: web.AppRunner | None = None
        self._bridges: list[Any] = []

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
                app = make_app(self.lab, self.runtime, faults=self.faults, fronts={"wan": self.front})
                self._http = web.AppRunner(app, access_log=None)
                await self._http.setup()
                site = web.TCPSite(self._http, cfg.host, cfg.http_port)
                await site.start()
                sock = site._server.sockets[0].getsockname()  # type: ignore[union-attr]
                self.endpoints.http = (str(sock[0]), int(sock[1]))
            for url in cfg.serial:
                self._bridges.append(await self._start_serial(url))
                self.endpoints.serial.append(url)
        except BaseException:
            await self.stop()
            raise
        return self.endpoints

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
        self.lab.save_clock(self.clock.now())
