"""The control plane: an HTTP API (aiohttp) over a running lab.

Routes::

    GET  /healthz                {"status": "ok"} (the one route without authentication)
    GET  /                       the dashboard: fleet overview, searchable device list, live feed, controls
                                 (device pages, /overview, /events: :mod:`smets_emu.tools.dashboard_http`)
    GET  /devices                devices: type, premises, lifecycle, firmware, counters, anchors
                                 (?offset=&limit=&q=; answers total and the next page's link; q searches:
                                 :class:`smets_emu.tools.dashboard_index.Query`)
    GET  /devices/{eui}          one device in full (no private keys; firmware images by size and hash)
    GET  /alerts?limit=N&device=EUI   the latest alerts devices sent (newest last; kept across restarts)
    GET  /clock                  the virtual time and the range devices can represent
    POST /clock/advance          {"seconds": S} (or minutes/hours/days): move the clock, run due timers
    POST /devices/{eui}/faults   {"kind": "drop"|"delay"|"corrupt"|"power-cycle", "count": 1,
                                  "seconds": 0.0, "direction": "command"|"reply"}
    DELETE /devices/{eui}/faults clear pending faults
    POST /devices/{eui}/events   {"kind": ..., "at": ISO}: schedule a device event; GET: scheduled, log
    GET  /devices/{eui}/readings?from=&to=   registers, half-hourly profile, daily reads
                                 (:mod:`smets_emu.tools.control_metering`)
    GET  /stats                  WAN front counters
    GET  /metrics                Prometheus metrics (text exposition format): :mod:`smets_emu.tools.metrics`
    POST /duis?as=ROLE           a DUIS service request (XML body); answers with the DUIS response XML
                                 (SMETS1 devices through the S1SP, the lab's SMETS2 devices as GBCS)
    GET  /campaigns[/{id}[/report]]   the lab's firmware campaign: list, JSON summary, live HTML report
    POST /campaigns[/{id}/abort]      start one on the running lab, abort it (:mod:`smets_emu.tools.campaign_http`)
    /governance/...              firmware governance (CPL, CFL, PPCT): :mod:`smets_emu.tools.governance_http`
                                 (JSON API, party tokens) and :mod:`smets_emu.tools.governance_pages` (pages)

Access rules and bodies: :mod:`smets_emu.tools.control_access`, :mod:`smets_emu.tools.control_bodies`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import deque
from dataclasses import asdict
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from smets_emu.errors import SmetsError
from smets_emu.hosting.runtime import MAX_TIME, MIN_TIME, ClockRangeError, Runtime
from smets_emu.tools.campaign_http import add_campaign_routes
from smets_emu.tools.control_access import (
    POLICY_KEY,
    TOKEN_FILE,
    AccessPolicy,
    ControlPlaneError,
    access_middleware,
    error_middleware,
    load_or_create_token,
)
from smets_emu.tools.control_bodies import (
    CLOCK_SCHEMA,
    CLOCK_UNITS,
    EMPTY_SCHEMA,
    FAULT_SCHEMA,
    eui_param,
    query_int,
    read_json,
)
from smets_emu.tools.control_metering import add_metering_routes
from smets_emu.tools.control_views import (
    alert_record,
    device_summary,
    firmware_json,
    stored_alert_record,
)
from smets_emu.tools.dashboard_http import add_dashboard, device_page
from smets_emu.tools.faults import DIRECTIONS, FAULT_KINDS, MAX_COUNT, MAX_SECONDS, Fault, FaultError, FaultTable
from smets_emu.tools.governance_http import GOVERNANCE_KEY, add_governance_routes
from smets_emu.tools.governance_parties import party_resolver
from smets_emu.tools.lab import Lab
from smets_emu.tools.lab_governance import open_lab_governance
from smets_emu.tools.metrics import METRICS_KEY, LabMetrics, get_metrics
from smets_emu.tools.wan_server import WanFront

log = logging.getLogger(__name__)

__all__ = ["TOKEN_FILE", "AccessPolicy", "ControlPlaneError", "load_or_create_token", "make_app"]

ALERT_HISTORY = 1000
"""Alerts kept in memory for ``GET /alerts`` and the page (seeded from the state store at start)."""
MAX_REQUEST_BYTES = 1024 * 1024
"""The largest request body of any route (a DUIS service request), in bytes."""

LAB_KEY: web.AppKey[Lab] = web.AppKey("lab", Lab)
RUNTIME_KEY: web.AppKey[Runtime] = web.AppKey("runtime", Runtime)
FAULTS_KEY: web.AppKey[FaultTable] = web.AppKey("faults", FaultTable)
ALERTS_KEY: web.AppKey[deque[dict[str, Any]]] = web.AppKey("alerts", deque)
FRONT_KEY: web.AppKey[dict[str, WanFront]] = web.AppKey("front", dict)
DSP_KEY: web.AppKey[dict[str, Any]] = web.AppKey("dsp", dict)


def _eui(request: web.Request) -> bytes:
    eui = eui_param(request.match_info["eui"])
    if eui not in request.app[LAB_KEY].fleet.devices:
        raise web.HTTPNotFound(text=f"no device {eui.hex().upper()}")
    return eui


def _link(path: str, offset: int, limit: int) -> str:
    return f"{path}?{urlencode({'offset': offset, 'limit': limit})}"


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def list_devices(request: web.Request) -> web.Response:
    lab, faults = request.app[LAB_KEY], request.app[FAULTS_KEY]
    query, offset, limit, total, rows = device_page(request)
    end = offset + len(rows)
    following = _link("/devices", end, limit) if end < total else None
    if following is not None and query.terms:
        following += "&" + urlencode({"q": query.text})
    body = {
        "devices": [device_summary(lab, r.state, faults) for r in rows],
        "total": total,
        "offset": offset,
        "limit": limit,
        "next": following,
        "time": request.app[RUNTIME_KEY].clock.now().isoformat(),
    }
    if query.terms:
        body["q"] = query.text
    return web.json_response(body)


async def get_device(request: web.Request) -> web.Response:
    eui = _eui(request)
    lab = request.app[LAB_KEY]
    state = lab.fleet.devices[eui].state
    body = device_summary(lab, state, request.app[FAULTS_KEY])
    body.update({
        "firmware": firmware_json(state),
        "pending": state.pending,
        "device_log": state.device_log,
        "security_log": state.security_log[-50:],
        "certificates": {u: (p.certificate.hex().upper() if p.certificate else None) for u, p in state.keys.items()},
    })
    return web.json_response(body, dumps=lambda o: json.dumps(o, default=str))


async def recent_alerts(app: web.Application, limit: int, device: bytes | None = None) -> list[dict[str, Any]]:
    """The newest *limit* alerts (of *device*: from the state store's outbox), newest last."""
    if limit <= 0:
        return []
    if device is not None:
        store = app[LAB_KEY].store
        rows = await app[RUNTIME_KEY].call(lambda: store.recent_alerts(limit, device))
        return [stored_alert_record(r) for r in rows]
    return list(app[ALERTS_KEY])[-limit:]


async def get_alerts(request: web.Request) -> web.Response:
    limit = query_int(request, "limit", 100, 0, ALERT_HISTORY)
    device = None
    if request.query.get("device"):
        device = eui_param(request.query["device"], "device, an EUI,")
    return web.json_response({"alerts": await recent_alerts(request.app, limit, device)})


def clock_json(runtime: Runtime) -> dict[str, Any]:
    clock = runtime.clock
    return {
        "time": clock.now().isoformat(),
        "min_time": MIN_TIME.isoformat(),
        "max_time": MAX_TIME.isoformat(),
        "follows_wall_clock": bool(getattr(clock, "follows_wall_clock", False)),
    }


async def get_clock(request: web.Request) -> web.Response:
    return web.json_response(clock_json(request.app[RUNTIME_KEY]))


async def advance_clock(request: web.Request) -> web.Response:
    body = await read_json(request, CLOCK_SCHEMA, hint=(
        ' (the body is {"seconds": S} or minutes, hours, days: numbers >= 0 that keep the clock at or before '
        f'{MAX_TIME.isoformat()}, the last instant the devices can represent)'))
    seconds = sum(float(value) * CLOCK_UNITS[unit] for unit, value in body.items())
    runtime = request.app[RUNTIME_KEY]
    try:
        sent = await runtime.advance(dt.timedelta(seconds=seconds))
    except ClockRangeError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from exc
    now = runtime.clock.now()
    if MIN_TIME <= now <= MAX_TIME:
        request.app[LAB_KEY].save_clock(now)
    return web.json_response({"time": now.isoformat(), "max_time": MAX_TIME.isoformat(), "alerts": len(sent)})


async def add_fault(request: web.Request) -> web.Response:
    eui = _eui(request)
    body = await read_json(request, FAULT_SCHEMA, hint=(
        f' (a fault is {{"kind": {"|".join(FAULT_KINDS)}, "count": 1..{MAX_COUNT}, "seconds": 0..{MAX_SECONDS:g}, '
        f'"direction": {"|".join(DIRECTIONS)}}})'))
    try:
        fault = Fault.from_json(body)
    except FaultError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from exc
    lab = request.app[LAB_KEY]
    if fault.kind == "power-cycle":
        await request.app[RUNTIME_KEY].call(lambda: lab.power_cycle(eui))
        log.info("power-cycled %s", eui.hex().upper())
        return web.json_response({"eui": eui.hex().upper(), "power_cycled": True})
    faults = request.app[FAULTS_KEY]
    faults.add(eui, fault)
    return web.json_response({"eui": eui.hex().upper(), "faults": [f.to_json() for f in faults.pending(eui)]})


async def clear_faults(request: web.Request) -> web.Response:
    eui = _eui(request)
    await read_json(request, EMPTY_SCHEMA, allow_empty=True)
    request.app[FAULTS_KEY].clear(eui)
    return web.json_response({"eui": eui.hex().upper(), "faults": []})


async def get_stats(request: web.Request) -> web.Response:
    fronts = request.app[FRONT_KEY]
    return web.json_response({name: asdict(front.stats) for name, front in fronts.items()})


async def submit_duis(request: web.Request) -> web.Response:
    """A DUIS request to the lab's DSP, serialised with the fleet's other work."""
    from smets_emu.parties.smets1.validation import UserRole
    from smets_emu.tools.lab_dsp import open_lab_dsp

    runtime = request.app[RUNTIME_KEY]
    lab = request.app[LAB_KEY]
    data = await request.read()
    role_name = request.query.get("as")
    try:
        role = UserRole.parse(role_name) if role_name else None
    except ValueError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from exc
    holder = request.app[DSP_KEY]

    def open_once() -> Any:
        # serialised by the runtime: two first requests arriving together open the DSP once
        if "dsp" not in holder:
            holder["dsp"] = open_lab_dsp(lab, governance=request.app.get(GOVERNANCE_KEY))
        return holder["dsp"]

    dsp = holder.get("dsp") or await runtime.call(open_once)  # its E110101 checks read the governance CPL
    now = runtime.clock.now()
    answer = await runtime.call(lambda: dsp.submit_xml(data, user_role=role, now=now))
    if METRICS_KEY in request.app:
        request.app[METRICS_KEY].duis_answered(answer)
    return web.Response(body=answer, content_type="application/xml")


def make_app(
    lab: Lab,
    runtime: Runtime,
    *,
    faults: FaultTable | None = None,
    fronts: dict[str, WanFront] | None = None,
    token: str | None,
    hosts: frozenset[str] | set[str] | tuple[str, ...] = (),
) -> web.Application:
    """The control-plane application over a lab and its runtime.

    *token* is the bearer token every request but ``GET /healthz`` must carry (None: no
    authentication); *hosts* are extra names the Host header may use (the configured listening
    host). The alert history starts from the state store's newest alerts and follows the fleet.
    """
    app = web.Application(middlewares=[error_middleware, access_middleware], client_max_size=MAX_REQUEST_BYTES)
    governance = open_lab_governance(lab, clock=runtime.clock.now)
    app[POLICY_KEY] = AccessPolicy(token, frozenset(hosts), parties=party_resolver(governance))
    add_governance_routes(app, governance)
    add_campaign_routes(app, lab, runtime, governance)
    add_metering_routes(app, lab, runtime)
    app[LAB_KEY] = lab
    app[RUNTIME_KEY] = runtime
    app[FAULTS_KEY] = faults if faults is not None else FaultTable()
    app[FRONT_KEY] = fronts or {}
    app[METRICS_KEY] = LabMetrics(lab, runtime, app[FRONT_KEY])
    alerts: deque[dict[str, Any]] = deque(maxlen=ALERT_HISTORY)
    app[ALERTS_KEY] = alerts
    live: list[dict[str, Any]] = []  # alerts raised while the history loads
    subscription = runtime.subscribe(lambda alert: live.append(alert_record(alert, runtime.clock.now())))

    async def load_history(_: web.Application) -> None:
        nonlocal subscription
        seen: set[str] = set()
        try:
            rows = await runtime.call(lambda: lab.store.recent_alerts(ALERT_HISTORY))
            alerts.extend(stored_alert_record(r) for r in rows)
            seen = {a["hex"] for a in alerts}
        except SmetsError as exc:
            log.warning("alert history not loaded from the state store: %s", exc)
        subscription.cancel()
        alerts.extend(a for a in live if a["hex"] not in seen)  # raised while loading, if not stored yet
        live.clear()
        subscription = runtime.subscribe(lambda alert: alerts.append(alert_record(alert, runtime.clock.now())))

    async def unsubscribe(_: web.Application) -> None:
        subscription.cancel()
        app[METRICS_KEY].close()

    app.on_startup.append(load_history)
    add_dashboard(app, lab, runtime, faults=app[FAULTS_KEY], alerts=alerts, fronts=list(app[FRONT_KEY].values()))
    app.on_cleanup.append(unsubscribe)
    app[DSP_KEY] = {}
    app.add_routes([
        web.get("/healthz", healthz),
        web.get("/devices", list_devices),
        web.get("/devices/{eui}", get_device),
        web.get("/alerts", get_alerts),
        web.get("/clock", get_clock),
        web.post("/clock/advance", advance_clock),
        web.post("/devices/{eui}/faults", add_fault),
        web.delete("/devices/{eui}/faults", clear_faults),
        web.get("/stats", get_stats),
        web.get("/metrics", get_metrics),
        web.post("/duis", submit_duis),
    ])
    return app
