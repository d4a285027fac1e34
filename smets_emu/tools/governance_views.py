"""What the governance HTTP API answers: JSON views of the CPL, CFL and PPCT values, and request bodies.

Views are plain JSON: hashes as upper-case hex, times as ISO 8601, enums as their values; a CFL
image never carries its bytes (``GET /governance/cfl/{id}/image`` serves them). Bodies are
checked against one JSON schema per route (:mod:`smets_emu.tools.control_bodies`); the upload
body is larger than other JSON bodies and has a reader of its own, capped at what the base64 of
the largest Upgrade Image (:data:`smets_emu.inputs.MAX_FIRMWARE_IMAGE_BYTES`) and the longest
release notes need.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from typing import Any

from aiohttp import web

from smets_emu.inputs import MAX_FIRMWARE_IMAGE_BYTES
from smets_emu.parties.governance.model import CflImage, DeviceModel, PartyRole
from smets_emu.parties.governance.notes import MAX_NOTES
from smets_emu.tools.control_bodies import parse_json, register_schemas, schema_error

UPLOAD_BODY_LIMIT = 4 * ((MAX_FIRMWARE_IMAGE_BYTES + 2) // 3) + 4 * MAX_NOTES + 64 * 1024
"""The largest upload body: the base64 of the largest Upgrade Image, the notes (UTF-8, JSON-escaped) and the rest."""


def to_json(value: Any) -> Any:
    """A governance value (dataclass, enum, bytes, time, tuple) as JSON values."""
    if isinstance(value, CflImage):
        out = {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name != "notes"}
        out["models"] = [{"manufacturer_id": m, "model_id": d} for m, d in value.models]
        out["downloadable"] = value.downloadable
        out["download"] = f"/governance/cfl/{value.image_id}/image" if value.downloadable else None
        return out
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, DeviceModel):
            out["label"] = value.label
        return out
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes):
        return value.hex().upper()
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------- schemas

_HEX4 = {"type": "string", "pattern": "^[0-9A-Fa-f]{4}$"}
_HEX8 = {"type": "string", "pattern": "^[0-9A-Fa-f]{8}$"}
_HASH = {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}
_TEXT = {"type": "string", "maxLength": 4000}
_ID = {"type": "integer", "minimum": 1, "maximum": 2**53}

PARTY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "org_id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,39}$"},
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "role": {"enum": [r.value for r in PartyRole]},
        "manufacturer_id": _HEX4,
        "signing_key_pem": {"type": "string", "maxLength": 4096},
    },
    "required": ["org_id", "name", "role"],
    "additionalProperties": False,
}
MODEL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "manufacturer_id": _HEX4,
        "model_id": _HEX8,
        "firmware_version": _HEX8,
        "image_hash": {"anyOf": [_HASH, {"type": "null"}]},
        "generation": {"enum": ["SMETS1", "SMETS2"]},
        "device_type": {"enum": ["ESME", "GSME", "CHF", "GPF", "PPMID", "HCALCS"]},
    },
    "required": ["manufacturer_id", "model_id", "firmware_version", "generation", "device_type"],
    "additionalProperties": False,
}
CPL_ADD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {**MODEL_SCHEMA["properties"], "reason": _TEXT},
    "required": MODEL_SCHEMA["required"],
    "additionalProperties": False,
}
REASON_SCHEMA: dict[str, Any] = {
    "type": "object", "properties": {"reason": _TEXT}, "additionalProperties": False,
}
UPLOAD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "image": {"type": "string", "minLength": 1, "maxLength": 4 * ((MAX_FIRMWARE_IMAGE_BYTES + 2) // 3),
                  "pattern": "^[A-Za-z0-9+/]*={0,2}$"},
        "notes": {"type": "string", "maxLength": MAX_NOTES},
        "commercial": {"type": "boolean"},
        "models": {"type": "array", "minItems": 1, "maxItems": 32, "items": {"anyOf": [
            {"type": "string", "pattern": "^[0-9A-Fa-f]{4}/[0-9A-Fa-f]{8}$"},
            {"type": "object", "properties": {"manufacturer_id": _HEX4, "model_id": _HEX8},
             "required": ["manufacturer_id", "model_id"], "additionalProperties": False},
        ]}},
    },
    "required": ["image", "notes", "commercial", "models"],
    "additionalProperties": False,
}
VULNERABILITY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "manufacturer_id": _HEX4,
        "model_id": _HEX8,
        "summary": {"type": "string", "minLength": 1, "maxLength": 4000},
        "mitigation": _TEXT,
        "remediation_due": {"anyOf": [{"type": "string", "format": "date",
                                       "pattern": r"^\d{4}-\d{2}-\d{2}$"}, {"type": "null"}]},
    },
    "required": ["manufacturer_id", "model_id", "summary", "mitigation"],
    "additionalProperties": False,
}
SUBMIT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "models": {"type": "array", "minItems": 1, "maxItems": 16, "items": MODEL_SCHEMA},
        "test_kind": {"enum": ["ordinary", "health_and_safety"]},
        "vulnerability_id": {"anyOf": [_ID, {"type": "null"}]},
        "description": _TEXT,
    },
    "required": ["models"],
    "additionalProperties": False,
}
FAST_TRACK_SCHEMA: dict[str, Any] = {
    "type": "object", "properties": {"assessment": {"type": "string", "minLength": 1, "maxLength": 4000}},
    "required": ["assessment"], "additionalProperties": False,
}
CONFIRM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"ssc_notified": {"type": "boolean"}, "material": {"type": "boolean"},
                   "warrants_fast_track": {"type": "boolean"}},
    "required": ["ssc_notified", "material", "warrants_fast_track"],
    "additionalProperties": False,
}
RESULT_SCHEMA: dict[str, Any] = {
    "type": "object", "properties": {"passed": {"type": "boolean"}, "notes": _TEXT},
    "required": ["passed"], "additionalProperties": False,
}
register_schemas(PARTY_SCHEMA, CPL_ADD_SCHEMA, REASON_SCHEMA, UPLOAD_SCHEMA, VULNERABILITY_SCHEMA, SUBMIT_SCHEMA,
                 FAST_TRACK_SCHEMA, CONFIRM_SCHEMA, RESULT_SCHEMA)


def model_pairs(items: list[Any]) -> list[tuple[str, str]]:
    """``["AB01/0F0A030B", {"manufacturer_id": ..., "model_id": ...}]`` as (manufacturer id, model id) pairs."""
    pairs = []
    for item in items:
        if isinstance(item, str):
            mid, _, model = item.partition("/")
        else:
            mid, model = item["manufacturer_id"], item["model_id"]
        pairs.append((mid.upper(), model.upper()))
    return pairs


async def read_upload(request: web.Request) -> dict[str, Any]:
    """The upload route's JSON body, read in chunks up to :data:`UPLOAD_BODY_LIMIT` (413 beyond), then checked."""
    too_large = f"an upload body is at most {UPLOAD_BODY_LIMIT} bytes (an Upgrade Image of at most " \
                f"{MAX_FIRMWARE_IMAGE_BYTES} bytes in base64 with its release notes)"
    if request.content_length is not None and request.content_length > UPLOAD_BODY_LIMIT:
        raise web.HTTPRequestEntityTooLarge(UPLOAD_BODY_LIMIT, request.content_length, text=too_large)
    chunks, size = [], 0
    while True:
        chunk = await request.content.read(256 * 1024)
        if not chunk:
            break
        size += len(chunk)
        if size > UPLOAD_BODY_LIMIT:
            raise web.HTTPRequestEntityTooLarge(UPLOAD_BODY_LIMIT, size, text=too_large)
        chunks.append(chunk)
    try:
        body = parse_json(b"".join(chunks))
    except ValueError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from exc
    reason = schema_error(body, UPLOAD_SCHEMA)
    if reason is not None:
        raise web.HTTPBadRequest(text=f"{reason} (the body is {{\"image\": base64, \"notes\": Markdown, "
                                      "\"commercial\": bool, \"models\": [\"MFR/MODEL\", ...]})")
    return body  # type: ignore[no-any-return]
