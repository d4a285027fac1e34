"""Control-plane request bodies and queries: strict JSON, one JSON schema per route, bounded integers."""

from __future__ import annotations

import json
import logging
import math
from typing import Any

import jsonschema
from aiohttp import web

from smets_emu.hosting.runtime import MAX_TIME, MIN_TIME
from smets_emu.tools.faults import DIRECTIONS, FAULT_KINDS, MAX_COUNT, MAX_SECONDS

log = logging.getLogger(__name__)

JSON_BODY_LIMIT = 64 * 1024
"""The largest JSON request body, in bytes."""


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


def register_schemas(*schemas: dict[str, Any]) -> None:
    """Make module-level *schemas* of other route modules usable with :func:`schema_error` and :func:`read_json`."""
    for schema in schemas:
        validator = jsonschema.Draft202012Validator(schema)
        validator.check_schema(schema)
        _VALIDATORS[id(schema)] = validator


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


def eui_param(text: str, what: str = "an EUI") -> bytes:
    """An EUI-64 from a path or query value (16 hex digits, dashes allowed); 400 with the reason otherwise."""
    try:
        eui = bytes.fromhex(text.replace("-", ""))
    except ValueError:
        eui = b""
    if len(eui) != 8:
        raise web.HTTPBadRequest(text=f"{what} is 16 hex digits")
    return eui

