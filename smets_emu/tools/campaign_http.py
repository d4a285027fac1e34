"""Firmware campaigns on the control plane: the campaign stored in the lab, as JSON and as its live report.

Routes (the lab token, or the browser's cookie from ``/?token=``, like every control-plane route)::

    GET /campaigns                 {"campaigns": [...]}: the stored campaign's id, status, image, counts, links
    GET /campaigns/{id}            its JSON summary (the one ``firmware campaign --json`` prints)
    GET /campaigns/{id}/report     its HTML report (:mod:`.campaign_report`), regenerated from the lab's
                                   current state on each request; it refreshes itself every few
                                   seconds while anything can still change
    POST /campaigns                start a campaign on the running lab (202); the JSON body takes the image
                                   as {"image": base64} (a small one: JSON bodies are at most 64 KiB) or
                                   {"cfl": "MODEL@VERSION", "party": supplier, "signer": EUI} from the lab's
                                   CFL, and "targets": [EUI] or "all": type (default ESME), "stages":
                                   "1,10,100", "error_threshold", "activate": "now"|ISO|null, "stage_timeout"
    POST /campaigns/{id}/abort     abort it (devices keep what they hold)

A lab keeps one campaign in its state store (a new campaign replaces a finished one), whether
``smets-emu firmware campaign`` ran it against the lab while it was not served (one process owns a
lab) or ``POST /campaigns`` started it here. A campaign started here runs in turns of
:data:`GROUPS_PER_TURN` CHF groups serialised with the fleet's other work, so devices keep
answering meanwhile; after each turn the lab's clock moves forward to the campaign's (HAN
transfers take virtual time), as ``firmware campaign`` saves the lab's clock at its end. A campaign
still running when the service stops stays ``running`` in the store: ``firmware campaign --state``
continues it. The lab's clock also runs future-dated activations, and the report shows those
devices moving from scheduled to running.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import logging
import re
import time
from typing import Any
from urllib.parse import quote

from aiohttp import web

from smets_emu.errors import SmetsError
from smets_emu.hosting.runtime import ClockRangeError, Runtime
from smets_emu.parties.campaign import PAUSED, RUNNING, Campaign, parse_stages
from smets_emu.parties.headend import HeadEnd
from smets_emu.tools.campaign_report import CSP, campaign_report
from smets_emu.tools.control_bodies import EMPTY_SCHEMA, read_json, register_schemas
from smets_emu.tools.lab import Lab

log = logging.getLogger(__name__)

CAMPAIGN_ID = re.compile(r"[0-9A-Za-z-]{1,64}")
REPORT_REUSE_SECONDS = 2.0
"""A report rendered this recently, in the same virtual second, is served again (many open pages
refreshing cost one rendering)."""
GROUPS_PER_TURN = 50
"""CHF groups a campaign started over HTTP distributes to in one turn of the fleet's lock."""
_EUI = {"type": "string", "pattern": "^[0-9A-Fa-f]{16}$"}
START_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "image": {"type": "string", "minLength": 1}, "cfl": {"type": "string", "maxLength": 80},
        "party": {"type": "string", "maxLength": 64}, "signer": _EUI,
        "targets": {"type": "array", "items": _EUI, "minItems": 1},
        "all": {"enum": ["ESME", "GSME", "CHF", "GPF"]}, "stages": {"type": "string", "maxLength": 200},
        "error_threshold": {"type": "number", "minimum": 0, "maximum": 1},
        "activate": {"type": ["string", "null"], "maxLength": 40},
        "stage_timeout": {"type": "number", "exclusiveMinimum": 0, "maximum": 366 * 86400},
    },
    "oneOf": [{"required": ["image"]}, {"required": ["cfl"]}],
    "not": {"required": ["targets", "all"]},
}
register_schemas(START_SCHEMA)


class CampaignRunner:
    """Runs one campaign in the lab process in turns, between the fleet's other work."""

    def __init__(self, lab: Lab, runtime: Runtime) -> None:
        self.lab, self.runtime = lab, runtime
        self.campaign: Campaign | None = None
        self.task: asyncio.Task[None] | None = None
        self.stopping = False

    @property
    def active(self) -> bool:
        return self.task is not None and not self.task.done()

    def start(self, campaign: Campaign) -> None:
        self.campaign = campaign
        name = f"campaign {campaign.record['id']}"
        self.task = asyncio.get_running_loop().create_task(self._drive(campaign), name=name)

    async def _drive(self, campaign: Campaign) -> None:
        try:
            status = RUNNING
            while status == RUNNING and not self.stopping:
                status = await self.runtime.call(lambda: campaign.run(max_groups=GROUPS_PER_TURN))
                behind = campaign.clock - self.runtime.clock.now()
                if behind > dt.timedelta():
                    await self.runtime.advance(behind)
                    self.lab.save_clock(self.runtime.clock.now())
            log.info("campaign %s: %s", campaign.record["id"], status if not self.stopping else "stopped, resumable")
        except (SmetsError, ClockRangeError, OSError):
            log.exception("campaign %s stopped", campaign.record["id"])

    async def stop(self) -> None:
        """Let the current turn finish (the store must not close under it); the campaign stays resumable."""
        self.stopping = True
        if self.task is not None:
            await asyncio.gather(self.task, return_exceptions=True)


def _selected(lab: Lab, body: dict[str, Any]) -> list[bytes]:
    if "targets" in body:
        targets = [bytes.fromhex(t) for t in body["targets"]]
        unknown = [t.hex().upper() for t in targets if t not in lab.fleet.devices]
        if unknown:
            raise web.HTTPBadRequest(text=f"no device {', '.join(unknown[:5])} in this lab")
        return targets
    kind = body.get("all", "ESME")
    return [e for e, d in lab.fleet.devices.items() if d.device_type == kind]


def _activation(value: str | None) -> str | dt.datetime | None:
    if value is None or value in ("none", "now"):
        return None if value in (None, "none") else "now"
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise web.HTTPBadRequest(text=f"activate is now, null or an ISO time, not {value!r:.40}") from exc
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def add_campaign_routes(app: web.Application, lab: Lab, runtime: Runtime, governance: Any = None) -> None:
    """Register the campaign routes over *lab* (store reads serialised with the fleet's work by *runtime*).

    *governance* (the lab's, optional) lets ``POST /campaigns`` take its image from the CFL.
    """
    runner = CampaignRunner(lab, runtime)

    async def stop_runner(_: web.Application) -> None:
        await runner.stop()

    app.on_shutdown.append(stop_runner)

    async def stored(request: web.Request | None = None) -> Campaign | None:
        campaign = await runtime.call(lambda: Campaign.load(lab.fleet))
        if request is None:
            return campaign
        wanted = request.match_info["id"]
        if not CAMPAIGN_ID.fullmatch(wanted):
            raise web.HTTPBadRequest(text="a campaign id is letters, digits and '-' (see GET /campaigns)")
        if campaign is None or campaign.record["id"] != wanted:
            raise web.HTTPNotFound(text=f"no campaign {wanted} in this lab (see GET /campaigns)")
        return campaign

    async def list_campaigns(request: web.Request) -> web.Response:
        campaign = await stored()
        items: list[dict[str, Any]] = []
        if campaign is not None:
            summary = await runtime.call(campaign.summary)
            record = summary["campaign"]
            base = f"/campaigns/{quote(record['id'])}"
            items.append({
                "id": record["id"], "status": record["status"], "reason": record["reason"],
                "version": record["version"], "image_hash": record["image_hash"], "size": record["size"],
                "created": record["created"], "clock": record["clock"], "targets": summary["targets"],
                "stage": record["stage"], "stages": len(record["stages"]), "outcomes": summary["outcomes"],
                "summary": base, "report": f"{base}/report",
            })
        return web.json_response({"campaigns": items})

    async def get_campaign(request: web.Request) -> web.Response:
        campaign = await stored(request)
        assert campaign is not None
        return web.json_response(await runtime.call(campaign.summary))

    cache: dict[str, tuple[float, str]] = {}  # the latest rendering only: campaign id and clock -> page

    async def get_report(request: web.Request) -> web.Response:
        campaign = await stored(request)
        assert campaign is not None
        second = runtime.clock.now().replace(microsecond=0)
        key = f"{campaign.record['id']}|{campaign.record['clock']}|{second.isoformat()}"
        hit = cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < REPORT_REUSE_SECONDS:
            text = hit[1]
        else:
            generated = dt.datetime.now(dt.UTC)
            text = await runtime.call(lambda: campaign_report(campaign, live=True, generated=generated))
            cache.clear()
            cache[key] = (time.monotonic(), text)
        return web.Response(text=text, content_type="text/html",
                            headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY",
                                     "Content-Security-Policy": CSP})

    async def image_of(body: dict[str, Any]) -> bytes:
        if "image" in body:
            try:
                return base64.b64decode(body["image"], validate=True)
            except (binascii.Error, ValueError) as exc:
                raise web.HTTPBadRequest(text=f"image is not base64: {exc}") from exc
        if governance is None:
            raise web.HTTPBadRequest(text="this lab has no CFL: send the image as base64")
        from smets_emu.tools.campaign_cli import cfl_image

        try:
            return await asyncio.to_thread(cfl_image, governance, lab, body["cfl"], body.get("party", "supplier-a"),
                                           body.get("signer", "90B3D51F30010000"))
        except SmetsError as exc:
            raise web.HTTPBadRequest(text=str(exc)) from exc

    async def start_campaign(request: web.Request) -> web.Response:
        body = await read_json(request, START_SCHEMA, hint=(
            ' (e.g. {"image": "<base64>", "all": "ESME", "stages": "1,10,100", "activate": "now"} or '
            '{"cfl": "MODEL@VERSION", "party": "supplier-a"})'))
        if runner.active:
            raise web.HTTPConflict(text="a campaign is running in this lab: wait for it or abort it")
        data = await image_of(body)
        targets = _selected(lab, body)
        activate = _activation(body.get("activate"))
        try:
            stages = parse_stages(body.get("stages", "1,10,100"))
        except SmetsError as exc:
            raise web.HTTPBadRequest(text=str(exc)) from exc

        def create() -> Campaign:
            current = Campaign.load(lab.fleet)
            if current is not None and current.status in (RUNNING, PAUSED):
                raise web.HTTPConflict(text=f"campaign {current.record['id']} is {current.status}: "
                                            "resume or abort it first")
            return Campaign.create(
                lab.fleet, data, targets, runtime.clock.now(), stages=stages,
                error_threshold=float(body.get("error_threshold", 0.05)), activate=activate,
                stage_timeout=dt.timedelta(seconds=float(body.get("stage_timeout", 86400.0))),
                headend=HeadEnd(lab.keystore) if activate is not None else None)

        try:
            campaign = await runtime.call(create)
        except SmetsError as exc:
            raise web.HTTPBadRequest(text=str(exc)) from exc
        runner.start(campaign)
        record = campaign.record
        base = f"/campaigns/{quote(record['id'])}"
        return web.json_response({"id": record["id"], "status": record["status"], "targets": len(campaign.targets),
                                  "summary": base, "report": f"{base}/report"}, status=202)

    async def abort_campaign(request: web.Request) -> web.Response:
        await read_json(request, EMPTY_SCHEMA, allow_empty=True)
        campaign = await stored(request)
        assert campaign is not None
        if runner.active and runner.campaign is not None and runner.campaign.record["id"] == campaign.record["id"]:
            campaign = runner.campaign  # the running object: its next turn sees the status
        if campaign.status not in (RUNNING, PAUSED):
            raise web.HTTPConflict(text=f"campaign {campaign.record['id']} is {campaign.status}")
        await runtime.call(campaign.abort)
        return web.json_response(await runtime.call(campaign.summary))

    app.add_routes([
        web.post("/campaigns", start_campaign),
        web.post("/campaigns/{id}/abort", abort_campaign),
        web.get("/campaigns", list_campaigns),
        web.get("/campaigns/{id}", get_campaign),
        web.get("/campaigns/{id}/report", get_report),
    ])
