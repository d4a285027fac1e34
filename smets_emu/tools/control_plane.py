"""The control plane: an HTTP API (aiohttp) over a running lab.

Routes::

    GET  /                       a short HTML page showing the fleet
    GET  /devices                every device: type, premises, lifecycle, firmware, counters, anchors
    GET  /devices/{eui}          one device in full (no private keys)
    GET  /alerts?limit=N         the latest alerts devices sent (newest last)
    GET  /clock                  the virtual time
    POST /clock/advance          {"seconds": S} (or minutes/hours/days): move the clock, run due timers
    POST /devices/{eui}/faults   {"kind": "drop"|"delay"|"corrupt"|"power-cycle", "count": 1,
                                  "seconds": 0.0, "direction": "command"|"reply"}
    DELETE /devices/{eui}/faults clear pending faults
    GET  /stats                  WAN front counters
    POST /duis?as=ROLE           a DUIS service request (XML body); answers with the DUIS response XML
                                 (SMETS1 devices through the S1SP, the lab's SMETS2 devices as GBCS)
"""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
from collections import deque
from dataclasses import asdict
from typing import Any

from aiohttp import web

from smets_emu.emulator.device import Outbound
from smets_emu.emulator.runtime import Runtime
from smets_emu.emulator.state import DeviceState
from smets_emu.errors import SmetsError
from smets_emu.protocols.envelope import decode_envelope
from smets_emu.protocols.message_codes import lookup
from smets_emu.tools.faults import Fault, FaultError, FaultTable
from smets_emu.tools.lab import Lab
from smets_emu.tools.wan_server import WanFront

log = logging.getLogger(__name__)

ALERT_HISTORY = 1000

LAB_KEY: web.AppKey[Lab] = web.AppKey("lab", Lab)
RUNTIME_KEY: web.AppKey[Runtime] = web.AppKey("runtime", Runtime)
FAULTS_KEY: web.AppKey[FaultTable] = web.AppKey("faults", FaultTable)
ALERTS_KEY: web.AppKey[deque[dict[str, Any]]] = web.AppKey("alerts", deque)
FRONT_KEY: web.AppKey[dict[str, WanFront]] = web.AppKey("front", dict)
DSP_KEY: web.AppKey[dict[str, Any]] = web.AppKey("dsp", dict)


def _anchor_json(state: DeviceState) -> list[dict[str, Any]]:
    cells = []
    for cell_id, cell in state.anchors.items():
        cells.append({
            "cell": f"{cell_id.role.name.lower()}/{cell_id.key_usage.name.lower()}/{cell_id.cell_usage.name.lower()}",
            "party": None if cell.subject_id is None else cell.subject_id.hex().upper(),
            "empty": cell.empty,
        })
    return cells


def device_summary(lab: Lab, state: DeviceState, faults: FaultTable) -> dict[str, Any]:
    """A device as the control plane lists it."""
    return {
        "eui": state.eui.hex().upper(),
        "type": state.device_type,
        "premises": lab.premises.get(state.eui),
        "profile": state.profile,
        "lifecycle": state.lifecycle,
        "firmware": state.firmware,
        "counters": {_role_name(role): value for role, value in state.counters.items()},
        "alert_counter": state.alert_counter,
        "anchors": _anchor_json(state),
        "pending_commands": len(state.pending),
        "faults": [f.to_json() for f in faults.pending(state.eui)],
    }


def _role_name(role: int) -> str:
    from smets_emu.emulator.anchors import Role

    try:
        return Role(int(role)).name.lower()
    except ValueError:
        return str(role)


def alert_record(alert: Outbound, now: dt.datetime) -> dict[str, Any]:
    """An alert as the control plane keeps it."""
    record: dict[str, Any] = {
        "time": now.isoformat(),
        "recipient": alert.recipient.hex().upper(),
        "message_code": f"0x{alert.message_code:04X}",
        "hex": alert.message.hex().upper(),
    }
    info = lookup(alert.message_code)
    if info is not None:
        record["use_case"] = info.use_case
    try:
        record["device"] = decode_envelope(alert.message).header.originator.hex().upper()
    except SmetsError:
        record["device"] = None
    return record


def _eui(request: web.Request) -> bytes:
    try:
        eui = bytes.fromhex(request.match_info["eui"].replace("-", ""))
    except ValueError as exc:
        raise web.HTTPBadRequest(text="an EUI is 16 hex digits") from exc
    if eui not in request.app[LAB_KEY].fleet.devices:
        raise web.HTTPNotFound(text=f"no device {eui.hex().upper()}")
    return eui


async def list_devices(request: web.Request) -> web.Response:
    lab, faults = request.app[LAB_KEY], request.app[FAULTS_KEY]
    devices = [device_summary(lab, d.state, faults) for d in lab.fleet.devices.values()]
    return web.json_response({"devices": devices, "time": request.app[RUNTIME_KEY].clock.now().isoformat()})


async def get_device(request: web.Request) -> web.Response:
    eui = _eui(request)
    lab = request.app[LAB_KEY]
    state = lab.fleet.devices[eui].state
    body = device_summary(lab, state, request.app[FAULTS_KEY])
    body.update({
        "pending": state.pending,
        "device_log": state.device_log,
        "security_log": state.security_log[-50:],
        "certificates": {u: (p.certificate.hex().upper() if p.certificate else None) for u, p in state.keys.items()},
    })
    return web.json_response(body, dumps=lambda o: json.dumps(o, default=str))


async def get_alerts(request: web.Request) -> web.Response:
    try:
        limit = int(request.query.get("limit", "100"))
    except ValueError as exc:
        raise web.HTTPBadRequest(text="limit is an integer") from exc
    alerts = list(request.app[ALERTS_KEY])
    device = request.query.get("device")
    if device:
        alerts = [a for a in alerts if a.get("device") == device.upper()]
    return web.json_response({"alerts": alerts[-limit:] if limit > 0 else []})


async def get_clock(request: web.Request) -> web.Response:
    return web.json_response({"time": request.app[RUNTIME_KEY].clock.now().isoformat()})


async def advance_clock(request: web.Request) -> web.Response:
    try:
        body = await request.json()
        delta = dt.timedelta(**{k: float(v) for k, v in body.items() if k in ("seconds", "minutes", "hours", "days")})
    except (ValueError, TypeError, AttributeError) as exc:
        raise web.HTTPBadRequest(text='body is {"seconds": S} (or minutes, hours, days)') from exc
    if delta < dt.timedelta():
        raise web.HTTPBadRequest(text="the clock only moves forward")
    runtime = request.app[RUNTIME_KEY]
    sent = await runtime.advance(delta)
    request.app[LAB_KEY].save_clock(runtime.clock.now())
    return web.json_response({"time": runtime.clock.now().isoformat(), "alerts": len(sent)})


async def add_fault(request: web.Request) -> web.Response:
    eui = _eui(request)
    try:
        fault = Fault.from_json(await request.json())
    except (FaultError, ValueError) as exc:
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
    request.app[FAULTS_KEY].clear(eui)
    return web.json_response({"eui": eui.hex().upper(), "faults": []})


async def get_stats(request: web.Request) -> web.Response:
    fronts = request.app[FRONT_KEY]
    return web.json_response({name: asdict(front.stats) for name, front in fronts.items()})


async def submit_duis(request: web.Request) -> web.Response:
    """A DUIS request to the lab's DSP, serialised with the fleet's other work."""
    from smets_emu.emulator.smets1.validation import UserRole
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
    if "dsp" not in holder:
        holder["dsp"] = await runtime.call(lambda: open_lab_dsp(lab))
    dsp = holder["dsp"]
    now = runtime.clock.now()
    answer = await runtime.call(lambda: dsp.submit_xml(data, user_role=role, now=now))
    return web.Response(body=answer, content_type="application/xml")


async def index(request: web.Request) -> web.Response:
    lab = request.app[LAB_KEY]
    runtime = request.app[RUNTIME_KEY]
    rows = []
    for device in list(lab.fleet.devices.values())[:500]:
        s = device.state
        rows.append(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>".format(
                *(html.escape(str(v)) for v in (
                    lab.premises.get(s.eui, ""), s.device_type, s.eui.hex().upper(), s.lifecycle,
                    s.firmware.get("version", ""),
                    ", ".join(f"{_role_name(r)}={c}" for r, c in s.counters.items()),
                ))
            )
        )
    alerts = list(request.app[ALERTS_KEY])[-20:]
    alert_rows = "".join(
        f"<li>{html.escape(a['time'])} {html.escape(str(a.get('device')))} {html.escape(a['message_code'])}</li>"
        for a in reversed(alerts)
    )
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>smets-emu fleet</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:2px 8px;text-align:left}}
tr:nth-child(even){{background:#f3f3f3}}</style></head><body>
<h1>smets-emu fleet</h1><p>Virtual time {html.escape(runtime.clock.now().isoformat())};
{len(lab.fleet.devices)} devices. JSON: <a href="/devices">/devices</a>, <a href="/alerts">/alerts</a>,
<a href="/stats">/stats</a>.</p>
<table><tr><th>premises</th><th>type</th><th>EUI</th><th>lifecycle</th><th>firmware</th><th>counters</th></tr>
{''.join(rows)}</table><h2>Latest alerts</h2><ul>{alert_rows or '<li>none</li>'}</ul></body></html>"""
    return web.Response(text=page, content_type="text/html")


def make_app(
    lab: Lab, runtime: Runtime, *, faults: FaultTable | None = None, fronts: dict[str, WanFront] | None = None
) -> web.Application:
    """The control-plane application over a lab and its runtime (alerts are recorded from now on)."""
    app = web.Application()
    app[LAB_KEY] = lab
    app[RUNTIME_KEY] = runtime
    app[FAULTS_KEY] = faults if faults is not None else FaultTable()
    app[FRONT_KEY] = fronts or {}
    alerts: deque[dict[str, Any]] = deque(maxlen=ALERT_HISTORY)
    app[ALERTS_KEY] = alerts
    subscription = runtime.subscribe(lambda alert: alerts.append(alert_record(alert, runtime.clock.now())))

    async def unsubscribe(_: web.Application) -> None:
        subscription.cancel()

    app.on_cleanup.append(unsubscribe)
    app[DSP_KEY] = {}
    app.add_routes([
        web.get("/", index),
        web.get("/devices", list_devices),
        web.get("/devices/{eui}", get_device),
        web.get("/alerts", get_alerts),
        web.get("/clock", get_clock),
        web.post("/clock/advance", advance_clock),
        web.post("/devices/{eui}/faults", add_fault),
        web.delete("/devices/{eui}/faults", clear_faults),
        web.get("/stats", get_stats),
        web.post("/duis", submit_duis),
    ])
    return app
