"""The firmware governance HTTP API: CPL, CFL, G3.20 vulnerability reports, PPCT, notifications, audit.

Routes (JSON unless said; ``{id}`` integers)::

    /governance/parties, /governance/me        parties and their tokens (:mod:`.governance_parties`)
    GET  /governance/cpl[?manufacturer_id=&model_id=]   CPL device models
    GET  /governance/cpl/{manufacturer}/{model}         one device model's CPL entries (every version)
    POST /governance/cpl                       add a device model (SECAS)
    POST /governance/cpl/{manufacturer}/{model}/{version}/withdraw   withdraw one (SECAS)
    GET  /governance/cpl-history               CPL and EPCL changes
    GET  /governance/epcl                      Device Model Combinations on the EPCL
    GET  /governance/cfl                       CFL images (commercial ones marked, with no download link)
    GET  /governance/cfl/find?model=&version=  the image of MODEL@VERSION
    GET  /governance/cfl/{id}                  one image with its release notes (Markdown and safe HTML)
    GET  /governance/cfl/{id}/image            the image bytes (application/octet-stream), never a commercial one
    POST /governance/cfl                       upload (manufacturer): {"image": base64, "notes", "commercial", "models"}
    GET  /governance/vulnerabilities[/{id}]    G3.20 reports; POST /governance/vulnerabilities reports one
    GET  /governance/ppct/queue                the PPCT calendar in test order with slot dates
    POST /governance/ppct/submissions          submit a DMC (supplier); GET .../submissions/{id} one submission
    POST /governance/ppct/submissions/{id}/fast-track    request the security fast track (the submitting supplier)
    POST /governance/ppct/submissions/{id}/projection    send SECAS the two projected test dates (DCC)
    POST /governance/ppct/submissions/{id}/confirmation  SECAS's three answers for the SSC chair
    POST /governance/ppct/submissions/{id}/result        the PPCT result (DCC): a pass lists the DMC on EPCL and CPL
    GET  /governance/notifications             the caller's notifications
    GET  /governance/audit?limit=N             the audit log (DCC, SECAS)

Who calls is the party whose token the request carries (:mod:`smets_emu.tools.control_access`);
every party action is authorised by the governance access table and audited by the governance
services. Their errors map to 403 (refused), 404 (unknown), 409 (conflict: state, hash mismatch,
fast track for a non-security fix) and 400 (invalid). The pages are in :mod:`.governance_pages`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web

from smets_emu.inputs import MAX_FIRMWARE_IMAGE_BYTES
from smets_emu.parties.governance import errors as gov_errors
from smets_emu.parties.governance.model import DeviceModel
from smets_emu.parties.governance.notes import render_notes
from smets_emu.parties.governance.service import Governance
from smets_emu.tools.control_access import CALLER_KEY, Caller
from smets_emu.tools.control_bodies import EMPTY_SCHEMA, query_int, read_json
from smets_emu.tools.governance_views import (
    CONFIRM_SCHEMA,
    CPL_ADD_SCHEMA,
    FAST_TRACK_SCHEMA,
    REASON_SCHEMA,
    RESULT_SCHEMA,
    SUBMIT_SCHEMA,
    VULNERABILITY_SCHEMA,
    model_pairs,
    read_upload,
    to_json,
)

log = logging.getLogger(__name__)

GOVERNANCE_KEY: web.AppKey[Governance] = web.AppKey("governance", Governance)
T = TypeVar("T")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_STATUS: tuple[tuple[type[gov_errors.GovernanceError], type[web.HTTPException]], ...] = (
    (gov_errors.AccessRefused, web.HTTPForbidden),
    (gov_errors.UnknownObject, web.HTTPNotFound),
    (gov_errors.Conflict, web.HTTPConflict),
    (gov_errors.InvalidInput, web.HTTPBadRequest),
)


def caller(request: web.Request) -> Caller:
    return request[CALLER_KEY]


def actor(request: web.Request) -> str:
    """The calling party's organisation id; 403 for the lab operator, who is no party."""
    party = caller(request).party
    if party is None:
        raise web.HTTPForbidden(text="the lab token stands for the lab operator, who is no governance party: "
                                     "register a party (POST /governance/parties) and use its token")
    return str(party.org_id)


def operator_only(request: web.Request) -> None:
    if not caller(request).operator:
        raise web.HTTPForbidden(text="only the lab operator (the lab token) manages parties")


async def call(request: web.Request, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A governance call in a worker thread, its errors as HTTP errors with their (safe) messages."""
    try:
        return await asyncio.to_thread(method, *args, **kwargs)
    except gov_errors.GovernanceError as exc:
        for kind, http in _STATUS:
            if isinstance(exc, kind):
                raise http(text=str(exc)) from exc
        raise web.HTTPBadRequest(text=str(exc)) from exc


def gov(request: web.Request) -> Governance:
    return request.app[GOVERNANCE_KEY]


def _int(request: web.Request, name: str) -> int:
    text = request.match_info[name]
    if not (text.isascii() and text.isdigit()) or len(text) > 15:
        raise web.HTTPNotFound(text=f"no {name.replace('_', ' ')} {text[:20]!r}")
    return int(text)


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, headers={"Cache-Control": "no-store"})


def listing(method: Callable[..., Any], key: str, *, view: Callable[[Any], Any] = to_json,
            limited: bool = False) -> Handler:
    """A GET handler answering ``{key: view(method(governance, party))}``, with ``?limit=`` (1..1000) when *limited*."""
    async def handler(request: web.Request) -> web.Response:
        options = {"limit": query_int(request, "limit", 200, 1, 1000)} if limited else {}
        found = await call(request, method, gov(request), actor(request), **options)
        return json_response({key: view(found)})
    return handler


def detail(method: Callable[..., Any], id_name: str) -> Handler:
    """A GET handler answering ``method(governance, party, <the integer {id_name} of the path>)`` as JSON."""
    async def handler(request: web.Request) -> web.Response:
        return json_response(to_json(await call(request, method, gov(request), actor(request), _int(request, id_name))))
    return handler


# --------------------------------------------------------------------------- CPL


def _query_hex(request: web.Request, name: str, digits: int) -> str | None:
    text = request.query.get(name) or None
    if text is not None and (len(text) != digits or any(c not in "0123456789abcdefABCDEF" for c in text)):
        raise web.HTTPBadRequest(text=f"{name} is {digits} hex digits")
    return text


async def cpl_list(request: web.Request) -> web.Response:
    models = await call(request, gov(request).cpl_models, actor(request),
                        manufacturer_id=_query_hex(request, "manufacturer_id", 4),
                        model_id=_query_hex(request, "model_id", 8))
    return json_response({"models": to_json(models)})


async def cpl_detail(request: web.Request) -> web.Response:
    info = request.match_info
    models = await call(request, gov(request).cpl_models, actor(request), manufacturer_id=info["manufacturer"],
                        model_id=info["model"])
    if not models:
        raise web.HTTPNotFound(text=f"no CPL entry for {info['manufacturer'][:8]}/{info['model'][:12]}")
    return json_response({"manufacturer_id": models[0].manufacturer_id, "model_id": models[0].model_id,
                          "versions": to_json(models)})


def device_model(body: dict[str, Any]) -> DeviceModel:
    try:
        return DeviceModel.create(body["manufacturer_id"], body["model_id"], body["firmware_version"],
                                  body.get("image_hash"), body["generation"], body["device_type"])
    except gov_errors.InvalidInput as exc:
        raise web.HTTPBadRequest(text=str(exc)) from exc


async def cpl_add(request: web.Request) -> web.Response:
    who = actor(request)
    body = await read_json(request, CPL_ADD_SCHEMA)
    model = await call(request, gov(request).cpl_add, who, device_model(body), reason=body.get("reason", ""))
    return json_response({"model": to_json(model)}, 201)


async def cpl_withdraw(request: web.Request) -> web.Response:
    who = actor(request)
    body = await read_json(request, REASON_SCHEMA, allow_empty=True)
    info = request.match_info
    await call(request, gov(request).cpl_withdraw, who, info["manufacturer"], info["model"], info["version"],
               reason=body.get("reason", ""))
    return json_response({"withdrawn": f"{info['manufacturer']}/{info['model']}@{info['version']}".upper()})


# --------------------------------------------------------------------------- CFL


async def cfl_detail(request: web.Request) -> web.Response:
    image = await call(request, gov(request).cfl_image, actor(request), _int(request, "image_id"))
    body = to_json(image)
    body["notes"] = image.notes
    body["notes_html"] = render_notes(image.notes)
    return json_response(body)


async def cfl_find(request: web.Request) -> web.Response:
    model, version = request.query.get("model", ""), request.query.get("version", "")
    image = await call(request, gov(request).cfl_find, actor(request), model, version)
    return json_response(to_json(image))


async def cfl_download(request: web.Request) -> web.Response:
    who, image_id = actor(request), _int(request, "image_id")
    image = await call(request, gov(request).cfl_image, who, image_id)
    data = await call(request, gov(request).cfl_download, who, image_id)
    name = f"cfl-{image.image_id}-{image.manufacturer_id}-{image.version}.ota"
    return web.Response(body=data, content_type="application/octet-stream", headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Manufacturer-Image-Hash": image.image_hash.hex().upper(),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    })


async def cfl_upload(request: web.Request) -> web.Response:
    who = actor(request)
    body = await read_upload(request)
    try:
        data = base64.b64decode(body["image"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise web.HTTPBadRequest(text=f"image is not base64: {exc}") from exc
    if len(data) > MAX_FIRMWARE_IMAGE_BYTES:
        raise web.HTTPRequestEntityTooLarge(MAX_FIRMWARE_IMAGE_BYTES, len(data),
                                            text=f"an Upgrade Image is at most {MAX_FIRMWARE_IMAGE_BYTES} bytes")
    image = await call(request, gov(request).cfl_upload, who, data, notes=body["notes"],
                       commercial=body["commercial"], models=model_pairs(body["models"]))
    log.info("CFL image %s (%s, version %s) uploaded by %s", image.image_id, image.manufacturer_id, image.version, who)
    return json_response(to_json(image), 201)


# --------------------------------------------------------------------------- vulnerabilities


async def vulnerability_report(request: web.Request) -> web.Response:
    who = actor(request)
    body = await read_json(request, VULNERABILITY_SCHEMA)
    due = body.get("remediation_due")
    try:
        due_date = None if due is None else dt.date.fromisoformat(due)
    except ValueError as exc:
        raise web.HTTPBadRequest(text=f"remediation_due: {exc}") from exc
    report = await call(request, gov(request).report_vulnerability, who, manufacturer_id=body["manufacturer_id"],
                        model_id=body["model_id"], summary=body["summary"], mitigation=body["mitigation"],
                        remediation_due=due_date)
    return json_response(to_json(report), 201)


# --------------------------------------------------------------------------- PPCT


def queue_json(items: list[Any]) -> list[dict[str, Any]]:
    return [{"position": i.position, "slot_start": i.slot_start.isoformat(), "in_test": i.in_test,
             "submission": to_json(i.submission)} for i in items]


async def ppct_submit(request: web.Request) -> web.Response:
    who = actor(request)
    body = await read_json(request, SUBMIT_SCHEMA)
    submission = await call(request, gov(request).ppct_submit, who, models=[device_model(m) for m in body["models"]],
                            test_kind=body.get("test_kind", "ordinary"), vulnerability_id=body.get("vulnerability_id"),
                            description=body.get("description", ""))
    return json_response(to_json(submission), 201)


async def ppct_fast_track(request: web.Request) -> web.Response:
    who = actor(request)
    body = await read_json(request, FAST_TRACK_SCHEMA)
    submission = await call(request, gov(request).ppct_request_fast_track, who, _int(request, "submission_id"),
                            assessment=body["assessment"])
    return json_response(to_json(submission))


async def ppct_projection(request: web.Request) -> web.Response:
    who = actor(request)
    await read_json(request, EMPTY_SCHEMA, allow_empty=True)
    dates = await call(request, gov(request).ppct_project_dates, who, _int(request, "submission_id"))
    return json_response(to_json(dates))


async def ppct_confirmation(request: web.Request) -> web.Response:
    who = actor(request)
    body = await read_json(request, CONFIRM_SCHEMA)
    submission = await call(request, gov(request).ppct_confirm, who, _int(request, "submission_id"), **body)
    return json_response(to_json(submission))


async def ppct_result(request: web.Request) -> web.Response:
    who = actor(request)
    body = await read_json(request, RESULT_SCHEMA)
    submission = await call(request, gov(request).ppct_record_result, who, _int(request, "submission_id"),
                            passed=body["passed"], notes=body.get("notes", ""))
    return json_response(to_json(submission))


def add_governance_routes(app: web.Application, governance: Governance) -> None:
    """Mount the governance API and pages on the control plane (the store is closed with the app)."""
    from smets_emu.tools import governance_pages as pages
    from smets_emu.tools import governance_parties as parties

    app[GOVERNANCE_KEY] = governance

    async def close(_: web.Application) -> None:
        governance.close()

    app.on_cleanup.append(close)
    g = "/governance"
    app.add_routes([
        web.post(f"{g}/parties", parties.add_party),
        web.get(f"{g}/parties", parties.list_parties),
        web.post(f"{g}/parties/{{org}}/token", parties.new_token),
        web.get(f"{g}/me", parties.me),
        web.get(f"{g}/cpl", cpl_list),
        web.post(f"{g}/cpl", cpl_add),
        web.get(f"{g}/cpl/{{manufacturer}}/{{model}}", cpl_detail),
        web.post(f"{g}/cpl/{{manufacturer}}/{{model}}/{{version}}/withdraw", cpl_withdraw),
        web.get(f"{g}/cpl-history", listing(Governance.cpl_history, "changes", limited=True)),
        web.get(f"{g}/epcl", listing(Governance.epcl, "dmcs")),
        web.get(f"{g}/cfl", listing(Governance.cfl_list, "images")),
        web.post(f"{g}/cfl", cfl_upload),
        web.get(f"{g}/cfl/find", cfl_find),
        web.get(f"{g}/cfl/{{image_id}}", cfl_detail),
        web.get(f"{g}/cfl/{{image_id}}/image", cfl_download),
        web.get(f"{g}/vulnerabilities", listing(Governance.vulnerabilities, "reports")),
        web.post(f"{g}/vulnerabilities", vulnerability_report),
        web.get(f"{g}/vulnerabilities/{{report_id}}", detail(Governance.vulnerability, "report_id")),
        web.get(f"{g}/ppct/queue", listing(Governance.ppct_queue, "queue", view=queue_json)),
        web.post(f"{g}/ppct/submissions", ppct_submit),
        web.get(f"{g}/ppct/submissions/{{submission_id}}", detail(Governance.ppct_submission, "submission_id")),
        web.post(f"{g}/ppct/submissions/{{submission_id}}/fast-track", ppct_fast_track),
        web.post(f"{g}/ppct/submissions/{{submission_id}}/projection", ppct_projection),
        web.post(f"{g}/ppct/submissions/{{submission_id}}/confirmation", ppct_confirmation),
        web.post(f"{g}/ppct/submissions/{{submission_id}}/result", ppct_result),
        web.get(f"{g}/notifications", listing(Governance.notifications, "notifications", limited=True)),
        web.get(f"{g}/audit", listing(Governance.audit_log, "records", limited=True)),
    ])
    pages.add_page_routes(app)
