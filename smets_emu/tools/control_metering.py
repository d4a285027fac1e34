"""Control-plane routes for metering: scheduled device events and readings (authenticated like every route).

Routes::

    POST /devices/{eui}/events    {"kind": "power-outage"|"power-restore"|"tamper"|"over-current"|"low-battery",
                                   "at": ISO 8601 (default: the lab's time)}: schedule a device event
                                   (:mod:`smets_emu.emulator.metering.events`); one due now runs at once.
    GET  /devices/{eui}/events    the scheduled events, the device's event log and billing data log pushes
    GET  /devices/{eui}/readings?from=&to=   registers, half-hourly profile and daily reads over a range
                                   (ISO 8601, at most 400 days; default the last day):
                                   :mod:`smets_emu.tools.metering_readings`

Bad input (an unknown kind, a kind the device type lacks, an unreadable or out-of-range time, a
range too long, too many scheduled events) is answered 400 with the reason.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from smets_emu.emulator.device import Outcome
from smets_emu.emulator.metering.events import EVENT_KINDS, MAX_SCHEDULED, parse_time, schedule_event
from smets_emu.errors import InputError
from smets_emu.hosting.runtime import Runtime
from smets_emu.tools.control_bodies import eui_param, read_json, register_schemas
from smets_emu.tools.lab import Lab
from smets_emu.tools.metering_readings import events_json, readings, time_range

log = logging.getLogger(__name__)

EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"kind": {"type": "string", "maxLength": 40}, "at": {"type": "string", "maxLength": 64}},
    "required": ["kind"],
    "additionalProperties": False,
}
register_schemas(EVENT_SCHEMA)

METERING_LAB: web.AppKey[Lab] = web.AppKey("metering_lab", Lab)
METERING_RUNTIME: web.AppKey[Runtime] = web.AppKey("metering_runtime", Runtime)


def _eui(request: web.Request) -> bytes:
    eui = eui_param(request.match_info["eui"])
    if eui not in request.app[METERING_LAB].fleet.devices:
        raise web.HTTPNotFound(text=f"no device {eui.hex().upper()}")
    return eui


async def post_event(request: web.Request) -> web.Response:
    """Schedule one device event; when its time has come it runs at once (its alerts go out as usual)."""
    eui = _eui(request)
    body = await read_json(request, EVENT_SCHEMA, hint=(
        f' (an event is {{"kind": {"|".join(EVENT_KINDS)}, "at": "2026-01-01T12:00:00Z"}}, '
        f"at most {MAX_SCHEDULED} waiting per device)"))
    lab, runtime = request.app[METERING_LAB], request.app[METERING_RUNTIME]
    now = runtime.clock.now()
    try:
        at = parse_time(body.get("at"), now)
    except InputError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from exc

    def schedule() -> dict[str, Any]:
        device = lab.fleet.devices[eui]
        work = device.state.clone()
        event = schedule_event(work, body["kind"], at)
        lab.fleet.commit(device, Outcome(work, accepted=True, reason=f"{event.kind} event scheduled"), now)
        return event.to_json()

    try:
        event = await runtime.call(schedule)
    except InputError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from exc
    log.info("event %s scheduled on %s at %s", event["kind"], eui.hex().upper(), event["at"])
    sent = await runtime.tick() if at <= now else []  # other devices' timers that came due go out too
    fired = sum(1 for out in sent if out.kind == "alert" and out.originator == eui)
    state = lab.fleet.devices[eui].state
    return web.json_response({"event": event, "alerts": fired, **events_json(state)}, status=201)


async def get_events(request: web.Request) -> web.Response:
    eui = _eui(request)
    return web.json_response(events_json(request.app[METERING_LAB].fleet.devices[eui].state))


async def get_readings(request: web.Request) -> web.Response:
    eui = _eui(request)
    lab, runtime = request.app[METERING_LAB], request.app[METERING_RUNTIME]
    now = runtime.clock.now()
    try:
        start, end = time_range(request.query, now)
        state = lab.fleet.devices[eui].state
        result = await runtime.call(lambda: readings(state, now, start, end))
    except InputError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from exc
    return web.json_response(result.to_json())


def add_metering_routes(app: web.Application, lab: Lab, runtime: Runtime) -> None:
    """Install the event and readings routes on the control-plane *app*."""
    app[METERING_LAB] = lab
    app[METERING_RUNTIME] = runtime
    app.add_routes([
        web.post("/devices/{eui}/events", post_event),
        web.get("/devices/{eui}/events", get_events),
        web.get("/devices/{eui}/readings", get_readings),
    ])
