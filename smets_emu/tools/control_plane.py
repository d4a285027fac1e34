"""The control plane: an HTTP API (aiohttp) over a running lab.

Routes::

    GET  /healthz                {"status": "ok"} (the one route without authentication)
    GET  /                       an HTML page showing the fleet (?offset=&limit=, newest alerts)
    GET  /devices                devices: type, premises, lifecycle, firmware, counters, anchors
                                 (?offset=&limit=; answers total and the next page's link)
    GET  /devices/{eui}          one device in full (no private keys; firmware images by size and hash)
    GET  /alerts?limit=N&device=EUI   the latest alerts devices sent (newest last; kept across restarts)
    GET  /clock                  the virtual time and the range devices can represent
    POST /clock/advance          {"seconds": S} (or minutes/hours/days): move the clock, run due timers
    POST /devices/{eui}/faults   {"kind": "drop"|"delay"|"corrupt"|"power-cycle", "count": 1,
                                  "seconds": 0.0, "direction": "command"|"reply"}
    DELETE /devices/{eui}/faults clear pending faults
    GET  /stats                  WAN front counters
    POST /duis?as=ROLE           a DUIS service request (XML body); answers with the DUIS response XML
                                 (SMETS1 devices through the S1SP, the lab's SMETS2 devices as GBCS)

Access rules (:class:`AccessPolicy`, applied by :func:`access_middleware` before any handler):

- ``Host`` must name the address the connection reached, the configured HTTP host, ``localhost``,
  ``127.0.0.1`` or ``::1`` (with the listening port or none), else 421: a page whose DNS name was
  rebound to the lab's address cannot talk to it.
- a request carrying an ``Origin`` that is not the lab's own (``http://<such a host>:<port>``) is
  refused with 403: no cross-site request reaches a handler;
- every request but ``GET /healthz`` needs ``Authorization: Bearer <token>`` (compared in constant
  time), else 401; a browser gets the token once through ``GET /?token=<token>``, which answers
  with an HttpOnly, SameSite=Strict cookie and a redirect, and the cookie then stands for the token
  on GET and HEAD requests only;
- a request that changes state (any method but GET and HEAD) needs ``Content-Type:
  application/json`` (``application/xml`` or ``text/xml`` on ``/duis``), else 415.

Bodies: JSON bodies are at most :data:`JSON_BODY_LIMIT` bytes (413 beyond), parsed with NaN,
Infinity and out-of-range numbers refused and validated against a JSON schema per route (400
with the reason); a request body is at most :data:`MAX_REQUEST_BYTES` (the DUIS XML limit here).
Errors are JSON ``{"error": reason, "status": code}``; an unexpected failure is logged and
answers 500 without a traceback.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import html
import ipaddress
import json
import logging
import math
import os
import secrets
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import jsonschema
from aiohttp import web

from smets_emu.emulator.device import Outbound
from smets_emu.emulator.firmware.slots import FirmwareSlots
from smets_emu.emulator.runtime import MAX_TIME, MIN_TIME, ClockRangeError, Runtime
from smets_emu.emulator.state import DeviceState
from smets_emu.errors import SmetsError
from smets_emu.protocols.envelope import decode_envelope
from smets_emu.protocols.message_codes import lookup
from smets_emu.secure_files import FILE_MODE, tighten
from smets_emu.tools.faults import DIRECTIONS, FAULT_KINDS, MAX_COUNT, MAX_SECONDS, Fault, FaultError, FaultTable
from smets_emu.tools.lab import Lab
from smets_emu.tools.wan_server import WanFront

log = logging.getLogger(__name__)

ALERT_HISTORY = 1000
"""Alerts kept in memory for ``GET /alerts`` and the page (seeded from the state store at start)."""
JSON_BODY_LIMIT = 64 * 1024
"""The largest JSON request body, in bytes."""
MAX_REQUEST_BYTES = 1024 * 1024
"""The largest request body of any route (a DUIS service request), in bytes."""
DEFAULT_PAGE = 500
MAX_PAGE = 5000
"""Devices per page of ``GET /`` and ``GET /devices``: default and maximum ``limit``."""

TOKEN_FILE = "control-token"
TOKEN_COOKIE = "smets_token"
LOCAL_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
JSON_TYPES = ("application/json",)
XML_TYPES = ("application/xml", "text/xml")
SAFE_METHODS = frozenset({"GET", "HEAD"})


class ControlPlaneError(SmetsError):
    """The control plane cannot start (e.g. its token file is unreadable)."""


@dataclass(frozen=True)
class AccessPolicy:
    """Who may use the control plane: the bearer token (None: no authentication) and extra Host names."""

    token: str | None
    hosts: frozenset[str] = frozenset()


LAB_KEY: web.AppKey[Lab] = web.AppKey("lab", Lab)
RUNTIME_KEY: web.AppKey[Runtime] = web.AppKey("runtime", Runtime)
FAULTS_KEY: web.AppKey[FaultTable] = web.AppKey("faults", FaultTable)
ALERTS_KEY: web.AppKey[deque[dict[str, Any]]] = web.AppKey("alerts", deque)
FRONT_KEY: web.AppKey[dict[str, WanFront]] = web.AppKey("front", dict)
DSP_KEY: web.AppKey[dict[str, Any]] = web.AppKey("dsp", dict)
POLICY_KEY: web.AppKey[AccessPolicy] = web.AppKey("policy", AccessPolicy)


# --------------------------------------------------------------------------- token file


def load_or_create_token(folder: str | Path) -> str:
    """The control-plane bearer token kept in ``<folder>/control-token``, created on first use.

    A new token is 32 random bytes (``secrets.token_urlsafe``) written to a file created
    exclusively with mode 0600; later runs read the same token. A file left empty by an
    interrupted first run is replaced; one readable by others is tightened.
    """
    path = Path(folder) / TOKEN_FILE
    for _ in range(2):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
        except FileExistsError:
            pass
        except OSError as exc:
            raise ControlPlaneError(f"cannot create the control-plane token file {path}: {exc}") from exc
        else:
            token = secrets.token_urlsafe(32)
            try:
                os.write(fd, (token + "\n").encode())
            finally:
                os.close(fd)
            log.info("control-plane token written to %s", path)
            return token
        tighten(path)
        try:
            text = path.read_text(encoding="ascii", errors="replace")[:1024].strip()
        except OSError as exc:
            raise ControlPlaneError(f"cannot read the control-plane token file {path}: {exc}") from exc
        if text:
            if len(text) < 16 or any(c.isspace() or not c.isprintable() for c in text):
                raise ControlPlaneError(f"{path} does not hold a usable token (delete it to get a new one)")
            return text
        path.unlink(missing_ok=True)  # an interrupted first run: start again
    raise ControlPlaneError(f"cannot create the control-plane token file {path}")


def cookie_name(port: int | None) -> str:
    """The page's cookie (per port: browsers share cookies between ports of one host)."""
    return TOKEN_COOKIE if port is None else f"{TOKEN_COOKIE}_{port}"


# --------------------------------------------------------------------------- errors and access


def error_response(status: int, reason: str, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON error: ``{"error": reason, "status": status}``."""
    return web.json_response({"error": reason, "status": status}, status=status, headers=headers)


@web.middleware
async def error_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Every error as JSON with its reason; an unexpected exception is logged and answers 500."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        headers = {k: v for k, v in exc.headers.items() if k in ("Allow", "WWW-Authenticate")}
        return error_response(exc.status, exc.text or exc.reason, headers)
    except Exception:
        log.exception("control plane: %s %s failed", request.method, request.path)
        return error_response(500, "internal error (logged by the lab)")


def _normal_name(name: str) -> str:
    """A host name or IP address in one spelling (lower case, no trailing dot, IPv4-mapped IPv6 as IPv4)."""
    name = name.strip().lower().rstrip(".")
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return name
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


def split_host(value: str) -> tuple[str, int | None] | None:
    """``name[:port]`` or ``[v6][:port]`` as (normalised name, port or None); None when malformed."""
    value = value.strip()
    if not value:
        return None
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        name, rest = value[1:end], value[end + 1:]
        if rest and not rest.startswith(":"):
            return None
        port_text = rest[1:] if rest else None
    elif value.count(":") == 1:
        name, port_text = value.split(":")
    else:
        name, port_text = value, None  # a name, or a bare IPv6 address
    port = None
    if port_text is not None:
        if not port_text.isdigit() or len(port_text) > 5:
            return None
        port = int(port_text)
    return _normal_name(name), port


def _local(request: web.Request) -> tuple[str | None, int | None]:
    """The address and port the connection reached."""
    sock = request.transport.get_extra_info("sockname") if request.transport is not None else None
    if isinstance(sock, tuple) and len(sock) >= 2:
        return _normal_name(str(sock[0])), int(sock[1])
    return None, None


def _allowed_names(policy: AccessPolicy, local_name: str | None) -> set[str]:
    names = set(LOCAL_NAMES) | {_normal_name(h) for h in policy.hosts}
    if local_name is not None:
        names.add(local_name)
    return names


def _host_refusal(request: web.Request, policy: AccessPolicy) -> str | None:
    local_name, local_port = _local(request)
    value = request.headers.get("Host")
    if value is None:
        return "the request has no Host header"
    parsed = split_host(value)
    if parsed is None:
        return f"malformed Host header {value[:100]!r}"
    name, port = parsed
    if name not in _allowed_names(policy, local_name) or (port is not None and local_port is not None
                                                          and port != local_port):
        return (f"Host {value[:100]!r} is not this lab's address; use localhost, 127.0.0.1, ::1 or the "
                "address the control plane listens on")
    return None


def _origin_refusal(request: web.Request, policy: AccessPolicy) -> str | None:
    origin = request.headers.get("Origin")
    if origin is None:
        return None
    local_name, local_port = _local(request)
    refusal = f"cross-origin request from {origin[:100]!r} refused"
    if not origin.startswith("http://") or "/" in origin[7:]:
        return refusal
    parsed = split_host(origin[7:])
    if parsed is None:
        return refusal
    name, port = parsed
    if name not in _allowed_names(policy, local_name) or (port or 80) != (local_port or port or 80):
        return refusal
    return None


def _same(given: str, token: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "replace"), token.encode("utf-8"))


def _bearer(request: web.Request) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def _token_redirect(request: web.Request, policy: AccessPolicy) -> web.StreamResponse:
    """``GET /?token=...``: keep the token in a cookie and show the page without it in the address."""
    _, port = _local(request)
    given = request.query.get("token", "")
    if policy.token is not None and not _same(given, policy.token):
        return error_response(401, "wrong token in ?token=; it is in the lab's control-token file",
                              {"WWW-Authenticate": 'Bearer realm="smets-emu"'})
    rest = [(k, v) for k, v in request.query.items() if k != "token"]
    response = web.Response(status=303, headers={"Location": request.path + ("?" + urlencode(rest) if rest else "")})
    if policy.token is not None:
        response.set_cookie(cookie_name(port), policy.token, httponly=True, samesite="Strict", path="/")
    return response


@web.middleware
async def access_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Host, Origin, token and Content-Type checks (module docstring), before any handler runs."""
    if request.path == "/healthz" and request.method in SAFE_METHODS:
        return await handler(request)
    policy = request.app[POLICY_KEY]
    refusal = _host_refusal(request, policy)
    if refusal is not None:
        return error_response(421, refusal)
    refusal = _origin_refusal(request, policy)
    if refusal is not None:
        return error_response(403, refusal)
    safe = request.method in SAFE_METHODS
    if safe and "token" in request.query:
        return _token_redirect(request, policy)
    if policy.token is not None:
        given = _bearer(request)
        if given is None and safe:
            given = request.cookies.get(cookie_name(_local(request)[1]))
        if given is None or not _same(given, policy.token):
            return error_response(
                401,
                "missing or wrong token: send 'Authorization: Bearer <token>' with the token from the lab's "
                f"{TOKEN_FILE} file (browsers: open /?token=<token> once)",
                {"WWW-Authenticate": 'Bearer realm="smets-emu"'},
            )
    if not safe:
        wanted = XML_TYPES if request.path == "/duis" else JSON_TYPES
        if request.content_type not in wanted:
            return error_response(415, f"{request.method} {request.path} takes Content-Type {' or '.join(wanted)}, "
                                       f"not {request.headers.get('Content-Type', '(none)')[:100]}")
    return await handler(request)


# --------------------------------------------------------------------------- bodies and queries


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


def parse_json(data: bytes) -> Any:
    """JSON text as Python values; NaN, Infinity and numbers beyond a double are refused (ValueError)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError("the body is not UTF-8 text") from exc
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite)
    except RecursionError as exc:
        raise ValueError("the body nests too deeply") from exc
    except json.JSONDecodeError as exc:
        raise ValueError(f"the body is not JSON: {exc}") from exc


_SPAN = (MAX_TIME - MIN_TIME).total_seconds()
CLOCK_UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
CLOCK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {unit: {"type": "number", "minimum": 0, "maximum": _SPAN / factor}
                   for unit, factor in CLOCK_UNITS.items()},
    "additionalProperties": False,
    "minProperties": 1,
}
FAULT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "kind": {"enum": list(FAULT_KINDS)},
        "count": {"type": "integer", "minimum": 1, "maximum": MAX_COUNT},
        "seconds": {"type": "number", "minimum": 0, "maximum": MAX_SECONDS},
        "direction": {"enum": list(DIRECTIONS)},
    },
    "required": ["kind"],
    "additionalProperties": False,
}
EMPTY_SCHEMA: dict[str, Any] = {"type": "object", "maxProperties": 0}
_VALIDATORS = {
    id(schema): jsonschema.Draft202012Validator(schema)
    for schema in (CLOCK_SCHEMA, FAULT_SCHEMA, EMPTY_SCHEMA)
}
for _validator in _VALIDATORS.values():
    _validator.check_schema(_validator.schema)


def schema_error(obj: Any, schema: dict[str, Any]) -> str | None:
    """Why *obj* does not match *schema* (the most relevant error, short), or None."""
    error = jsonschema.exceptions.best_match(_VALIDATORS[id(schema)].iter_errors(obj))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "body"
    message = error.message if len(error.message) <= 200 else error.message[:200] + "..."
    return f"{where}: {message}"


async def read_json(request: web.Request, schema: dict[str, Any], *, allow_empty: bool = False,
                    hint: str = "") -> Any:
    """The request's JSON body, checked against *schema*; 413 when too large, 400 with the reason otherwise.

    *hint* is added to a schema error (what a valid body looks like).
    """
    if request.content_length is not None and request.content_length > JSON_BODY_LIMIT:
        raise web.HTTPRequestEntityTooLarge(JSON_BODY_LIMIT, request.content_length,
                                            text=f"a JSON body is at most {JSON_BODY_LIMIT} bytes")
    data = await request.read()
    if len(data) > JSON_BODY_LIMIT:
        raise web.HTTPRequestEntityTooLarge(JSON_BODY_LIMIT, len(data),
                                            text=f"a JSON body is at most {JSON_BODY_LIMIT} bytes")
    if allow_empty and not data.strip():
        return {}
    try:
        obj = parse_json(data)
    except ValueError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from exc
    reason = schema_error(obj, schema)
    if reason is not None:
        raise web.HTTPBadRequest(text=f"{reason}{hint}")
    return obj


def query_int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter in low..high (400 otherwise)."""
    text = request.query.get(name)
    if text is None or text == "":
        return default
    if not (text.isascii() and text.isdigit()) or len(text) > 12 or not low <= int(text) <= high:
        raise web.HTTPBadRequest(text=f"{name} is an integer from {low} to {high}")
    return int(text)


# --------------------------------------------------------------------------- views


def _anchor_json(state: DeviceState) -> list[dict[str, Any]]:
    cells = []
    for cell_id, cell in state.anchors.items():
        cells.append({
            "cell": f"{cell_id.role.name.lower()}/{cell_id.key_usage.name.lower()}/{cell_id.cell_usage.name.lower()}",
            "party": None if cell.subject_id is None else cell.subject_id.hex().upper(),
            "empty": cell.empty,
        })
    return cells


def firmware_version(state: DeviceState) -> str:
    """The running firmware version, as the device reports it (ECS52 / GCS38), 8 hex digits."""
    return FirmwareSlots(state).version


def _blob_summary(text: str) -> dict[str, Any]:
    try:
        data = bytes.fromhex(text)
    except ValueError:
        return {"size": len(text), "sha256": hashlib.sha256(text.encode()).hexdigest().upper(), "encoding": "text"}
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest().upper()}


def _without_images(obj: Any) -> Any:
    """Firmware slot JSON with image bytes (``image``, ``data``) replaced by their size and SHA-256."""
    if isinstance(obj, dict):
        return {k: _blob_summary(v) if k in ("image", "data") and isinstance(v, str) and v else _without_images(v)
                for k, v in obj.items()}
    if isinstance(obj, list):
        return [_without_images(v) for v in obj]
    return obj


def firmware_json(state: DeviceState) -> dict[str, Any]:
    """The firmware slots (running, pending, previous), identity and transfers, without image bytes."""
    body = FirmwareSlots(state).to_json()
    for key, value in state.firmware.items():
        if key not in body and key != "version":
            body[key] = value
    return _without_images(body)


def device_summary(lab: Lab, state: DeviceState, faults: FaultTable) -> dict[str, Any]:
    """A device as the control plane lists it."""
    slots = FirmwareSlots(state)
    pending = slots.pending
    return {
        "eui": state.eui.hex().upper(),
        "type": state.device_type,
        "premises": lab.premises.get(state.eui),
        "profile": state.profile,
        "lifecycle": state.lifecycle,
        "firmware": {"version": slots.version, "pending": None if pending is None else pending.version},
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


def _alert_json(time: str, recipient: bytes, message: bytes, message_code: int | None,
                device: bytes | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {"time": time, "recipient": recipient.hex().upper()}
    if device is None or message_code is None:
        try:
            header = decode_envelope(message).header
            device = device if device is not None else header.originator
            message_code = header.message_code if message_code is None else message_code
        except SmetsError:
            pass
    record["message_code"] = None if message_code is None else f"0x{message_code:04X}"
    record["hex"] = message.hex().upper()
    info = lookup(message_code) if message_code is not None else None
    if info is not None:
        record["use_case"] = info.use_case
    record["device"] = None if device is None else device.hex().upper()
    return record


def alert_record(alert: Outbound, now: dt.datetime) -> dict[str, Any]:
    """An alert as the control plane keeps it."""
    return _alert_json(now.isoformat(), alert.recipient, alert.message, alert.message_code)


def stored_alert_record(stored: Any) -> dict[str, Any]:
    """An alert from the state store's outbox (a ``StoredMessage``) as the control plane shows it."""
    return _alert_json(stored.created, stored.recipient, stored.message, None, stored.eui)


def _eui(request: web.Request) -> bytes:
    text = request.match_info["eui"].replace("-", "")
    try:
        eui = bytes.fromhex(text)
    except ValueError as exc:
        raise web.HTTPBadRequest(text="an EUI is 16 hex digits") from exc
    if len(eui) != 8:
        raise web.HTTPBadRequest(text="an EUI is 16 hex digits")
    if eui not in request.app[LAB_KEY].fleet.devices:
        raise web.HTTPNotFound(text=f"no device {eui.hex().upper()}")
    return eui


def _page(request: web.Request) -> tuple[int, int, int, list[DeviceState]]:
    """offset, limit, total and the device states of the requested page."""
    devices = request.app[LAB_KEY].fleet.devices
    total = len(devices)
    offset = query_int(request, "offset", 0, 0, 10**9)
    limit = query_int(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    states = [d.state for d in islice(devices.values(), offset, offset + limit)]
    return offset, limit, total, states


def _link(path: str, offset: int, limit: int) -> str:
    return f"{path}?{urlencode({'offset': offset, 'limit': limit})}"


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def list_devices(request: web.Request) -> web.Response:
    lab, faults = request.app[LAB_KEY], request.app[FAULTS_KEY]
    offset, limit, total, states = _page(request)
    end = offset + len(states)
    return web.json_response({
        "devices": [device_summary(lab, s, faults) for s in states],
        "total": total,
        "offset": offset,
        "limit": limit,
        "next": _link("/devices", end, limit) if end < total else None,
        "time": request.app[RUNTIME_KEY].clock.now().isoformat(),
    })


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
    """The newest *limit* alerts (of *device*), newest last: from the state store when it keeps them."""
    if limit <= 0:
        return []
    if device is not None:
        store = app[LAB_KEY].store
        stored = getattr(store, "recent_alerts", None)
        if stored is not None:
            rows = await app[RUNTIME_KEY].call(lambda: stored(limit, device))
            return [stored_alert_record(r) for r in rows]
        wanted = device.hex().upper()
        return [a for a in app[ALERTS_KEY] if a.get("device") == wanted][-limit:]
    return list(app[ALERTS_KEY])[-limit:]


async def get_alerts(request: web.Request) -> web.Response:
    limit = query_int(request, "limit", 100, 0, ALERT_HISTORY)
    device = None
    if request.query.get("device"):
        text = request.query["device"].replace("-", "")
        try:
            device = bytes.fromhex(text)
        except ValueError as exc:
            raise web.HTTPBadRequest(text="device is an EUI, 16 hex digits") from exc
        if len(device) != 8:
            raise web.HTTPBadRequest(text="device is an EUI, 16 hex digits")
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


def _esc(value: Any) -> str:
    return html.escape(str(value))


async def index(request: web.Request) -> web.Response:
    lab = request.app[LAB_KEY]
    runtime = request.app[RUNTIME_KEY]
    offset, limit, total, states = _page(request)
    rows = []
    for s in states:
        eui = s.eui.hex().upper()
        cells = (
            _esc(lab.premises.get(s.eui, "")), _esc(s.device_type),
            f'<a href="/devices/{quote(eui)}">{_esc(eui)}</a>', _esc(s.lifecycle), _esc(firmware_version(s)),
            _esc(", ".join(f"{_role_name(r)}={c}" for r, c in s.counters.items())),
        )
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    end = offset + len(states)
    shown = f"showing {offset + 1}-{end} of {total}" if states else f"showing none of {total}"
    nav = []
    if offset > 0:
        nav.append(f'<a href="{_esc(_link("/", max(0, offset - limit), limit))}">previous {limit}</a>')
    if end < total:
        nav.append(f'<a href="{_esc(_link("/", end, limit))}">next {min(limit, total - end)}</a>')
    alerts = (await recent_alerts(request.app, 20))[::-1]
    alert_rows = "".join(
        f"<li>{_esc(a['time'])} {_esc(a.get('device'))} {_esc(a.get('message_code'))} {_esc(a.get('use_case', ''))}"
        "</li>"
        for a in alerts
    )
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>smets-emu fleet</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:2px 8px;text-align:left}}
tr:nth-child(even){{background:#f3f3f3}}</style></head><body>
<h1>smets-emu fleet</h1><p>Virtual time {_esc(runtime.clock.now().isoformat())};
{total} devices. JSON: <a href="/devices">/devices</a>, <a href="/alerts">/alerts</a>,
<a href="/clock">/clock</a>, <a href="/stats">/stats</a>.</p>
<p>{shown} {' | '.join(nav)}</p>
<table><tr><th>premises</th><th>type</th><th>EUI</th><th>lifecycle</th><th>firmware</th><th>counters</th></tr>
{''.join(rows)}</table><h2>Latest alerts</h2><ul>{alert_rows or '<li>none</li>'}</ul></body></html>"""
    return web.Response(text=page, content_type="text/html",
                        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY",
                                 "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})


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
    app[POLICY_KEY] = AccessPolicy(token, frozenset(hosts))
    app[LAB_KEY] = lab
    app[RUNTIME_KEY] = runtime
    app[FAULTS_KEY] = faults if faults is not None else FaultTable()
    app[FRONT_KEY] = fronts or {}
    alerts: deque[dict[str, Any]] = deque(maxlen=ALERT_HISTORY)
    app[ALERTS_KEY] = alerts
    live: list[dict[str, Any]] = []  # alerts raised while the history loads
    subscription = runtime.subscribe(lambda alert: live.append(alert_record(alert, runtime.clock.now())))

    async def load_history(_: web.Application) -> None:
        nonlocal subscription
        stored = getattr(lab.store, "recent_alerts", None)
        seen: set[str] = set()
        if stored is not None:
            try:
                rows = await runtime.call(lambda: stored(ALERT_HISTORY))
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

    app.on_startup.append(load_history)
    app.on_cleanup.append(unsubscribe)
    app[DSP_KEY] = {}
    app.add_routes([
        web.get("/healthz", healthz),
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
