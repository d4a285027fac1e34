"""The dashboard's routes on the control plane: fleet overview and search JSON, the live feed, the pages.

Routes (all behind the control-plane token; a browser uses the cookie from ``/?token=``)::

    GET /                        the fleet page: overview, searchable device list (?q=&offset=&limit=),
                                 live feed, clock control (:mod:`.dashboard_pages`)
    GET /pages/devices/{eui}     a device: anchors with certificates, counters, firmware slots, logs,
                                 recent traffic and alerts, fault injection
    GET /overview                counts by device type, lifecycle state and running firmware version
    GET /events                  the live feed: Server-Sent Events (:mod:`.dashboard_feed`)
    GET /static/dashboard.js     the pages' one script (:mod:`.dashboard_script`)

``GET /devices?q=...`` searches with :class:`~smets_emu.tools.dashboard_index.Query`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from smets_emu.hosting.runtime import Runtime
from smets_emu.tools.control_bodies import eui_param, query_int
from smets_emu.tools.control_views import stored_alert_record
from smets_emu.tools.dashboard_feed import LiveFeed
from smets_emu.tools.dashboard_index import FleetIndex, Query, Row, SearchError
from smets_emu.tools.dashboard_script import SCRIPT, SCRIPT_PATH
from smets_emu.tools.faults import FaultTable
from smets_emu.tools.lab import Lab

DEFAULT_PAGE = 500
MAX_PAGE = 5000
"""Devices per page of ``GET /`` and ``GET /devices``: default and maximum ``limit``."""


@dataclass
class Dashboard:
    """What the dashboard's routes work on."""

    lab: Lab
    runtime: Runtime
    faults: FaultTable
    index: FleetIndex
    feed: LiveFeed
    alerts: deque[dict[str, Any]]  # the control plane's alert history (newest last)
    fronts: list[Any]

    async def recent_alerts(self, limit: int, device: bytes | None = None) -> list[dict[str, Any]]:
        """The newest *limit* alerts (of *device*: from the state store's outbox), newest last."""
        if limit <= 0:
            return []
        if device is None:
            return list(self.alerts)[-limit:]
        store = self.lab.store
        rows = await self.runtime.call(lambda: store.recent_alerts(limit, device))
        return [stored_alert_record(r) for r in rows]


DASHBOARD_KEY: web.AppKey[Dashboard] = web.AppKey("dashboard", Dashboard)


def dashboard(request: web.Request) -> Dashboard:
    return request.app[DASHBOARD_KEY]


def parse_query(request: web.Request) -> Query:
    try:
        return Query.parse(request.query.get("q"))
    except SearchError as exc:
        raise web.HTTPBadRequest(text=f"q: {exc}") from exc


def device_page(request: web.Request) -> tuple[Query, int, int, int, list[Row]]:
    """The search, offset, limit, number of matches and rows of the requested page of devices."""
    query = parse_query(request)
    offset = query_int(request, "offset", 0, 0, 10**9)
    limit = query_int(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    total, rows = dashboard(request).index.search(query, offset, limit)
    return query, offset, limit, total, rows


def request_eui(request: web.Request) -> bytes:
    """The device EUI in the path (dashes allowed), 400 when malformed, 404 when not in the fleet."""
    eui = eui_param(request.match_info["eui"])
    if eui not in dashboard(request).lab.fleet.devices:
        raise web.HTTPNotFound(text=f"no device {eui.hex().upper()}")
    return eui


async def get_overview(request: web.Request) -> web.Response:
    board = dashboard(request)
    body = board.index.overview().to_json()
    body["time"] = board.runtime.clock.now().isoformat()
    body["live_feed"] = {"clients": len(board.feed.clients), "dropped_clients": board.feed.dropped_clients}
    return web.json_response(body)


async def get_events(request: web.Request) -> web.StreamResponse:
    device = request.query.get("device")
    if device is not None:
        device = device.replace("-", "").upper()
        if len(device) != 16 or any(c not in "0123456789ABCDEF" for c in device):
            raise web.HTTPBadRequest(text="device is an EUI, 16 hex digits")
    kinds = frozenset(k for k in request.query.get("kinds", "alert,traffic").split(",") if k)
    if not kinds or not kinds <= {"alert", "traffic"}:
        raise web.HTTPBadRequest(text="kinds is a comma-separated list of alert and traffic")
    return await dashboard(request).feed.stream(request, device, kinds)


async def get_script(request: web.Request) -> web.Response:
    return web.Response(text=SCRIPT, content_type="text/javascript",
                        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


def add_dashboard(app: web.Application, lab: Lab, runtime: Runtime, *, faults: FaultTable,
                  alerts: deque[dict[str, Any]], fronts: list[Any]) -> Dashboard:
    """Install the dashboard on the control-plane *app*: its state, the live feed's lifetime and its routes."""
    from smets_emu.tools.dashboard_pages import device_detail_page, fleet_page

    board = Dashboard(lab, runtime, faults, FleetIndex(lab.fleet, lab.premises), LiveFeed(runtime), alerts, fronts)
    app[DASHBOARD_KEY] = board

    async def start(_: web.Application) -> None:
        board.feed.start(fronts)
        await runtime.call(board.index.refresh)  # the first page of a large fleet is then fast

    async def stop(_: web.Application) -> None:
        await board.feed.stop()

    app.on_startup.append(start)
    app.on_shutdown.append(stop)
    app.add_routes([
        web.get("/", fleet_page),
        web.get("/pages/devices/{eui}", device_detail_page),
        web.get("/overview", get_overview),
        web.get("/events", get_events),
        web.get(SCRIPT_PATH, get_script),
    ])
    return board
