"""The governance web pages: server-rendered HTML over the same services as the JSON API.

Pages (a browser logs in as a party once with ``/governance/login?token=<party token>``)::

    GET /governance/                  landing page: who is logged in, links, the party's notifications
    GET /governance/pages/cpl         the CPL (device models), the EPCL and the latest CPL changes
    GET /governance/pages/cfl         the CFL: images, commercial ones marked, download links where allowed
    GET /governance/pages/cfl/{id}    one image with its release notes rendered (raw HTML shown as text)
    GET /governance/pages/upload      the upload form (manufacturers)
    GET /governance/pages/ppct        the PPCT queue in test order: fast-tracked and H&S tests marked,
                                      slot dates, projected dates, SECAS's confirmations, role actions
    GET /governance/logout            forget the party cookie

Every page is plain HTML with no external resource and no inline script; the Content-Security-Policy
allows only the lab's own script (:mod:`.governance_script`) and same-origin ``fetch()``. Forms
that change state are sent by that script as JSON with the session's CSRF token: SECMP0009
section 3 asks for a web interface giving basic information on the images; the PPCT page shows
what ETAD 9.15 to 9.17 ask DCC and SECAS to exchange.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiohttp import web

from smets_emu.parties.governance.access import Action, Owner, refusal
from smets_emu.parties.governance.model import CflImage, FastTrack, Organisation, PartyRole, QueueItem, TestKind
from smets_emu.parties.governance.notes import render_notes
from smets_emu.tools.control_access import GOVERNANCE_PREFIX, party_cookie_name
from smets_emu.tools.governance_http import actor, call, caller, gov
from smets_emu.tools.governance_script import SCRIPT, SCRIPT_PATH

CSP = ("default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; "
       "form-action 'none'; base-uri 'none'; frame-ancestors 'none'")
STYLE = """body{font-family:sans-serif;margin:1.5em 2em;color:#222}nav a{margin-right:1em}
td,th{padding:3px 8px;text-align:left;vertical-align:top}tr:nth-child(even){background:#f3f3f3}
.badge{display:inline-block;padding:0 6px;border-radius:4px;font-size:85%;margin-right:4px}
.commercial{background:#fde2b3}.hs{background:#f8c4c4}.fast{background:#c9e7c4}.pending{background:#e5e5f5}
.notes{border-left:4px solid #ccc;padding:0 1em;max-width:60em}.ok{color:#176b22}.refused{color:#a11}
form.inline{display:inline}label{display:block;margin:.4em 0}code{font-size:90%}"""


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _party_line(party: Organisation | None) -> str:
    if party is None:
        return "Signed in with the lab token (the lab operator, no party)."
    return (f'Signed in as <strong id="party">{esc(party.name)}</strong> (<code>{esc(party.org_id)}</code>, '
            f'role <span id="role">{esc(party.role.value)}</span>). <a href="{GOVERNANCE_PREFIX}/logout">Log out</a>')


def page(request: web.Request, title: str, body: str, *, status: int = 200) -> web.Response:
    """A governance page: the CSRF token, the navigation, the body; strict CSP, no caching."""
    who = caller(request)
    g = GOVERNANCE_PREFIX
    upload = f'<a href="{g}/pages/upload">Upload</a>' if who.party is not None and \
        who.party.role is PartyRole.MANUFACTURER else ""
    text = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="csrf-token" content="{esc(who.csrf or '')}"><title>{esc(title)} - smets-emu governance</title>
<style>{STYLE}</style><script src="{SCRIPT_PATH}" defer></script></head><body>
<nav><a href="{g}/">Governance</a><a href="{g}/pages/cpl">CPL</a><a href="{g}/pages/cfl">CFL</a>{upload}
<a href="{g}/pages/ppct">PPCT queue</a></nav>
<p class="who">{_party_line(who.party)}</p><h1>{esc(title)}</h1>
{body}</body></html>"""
    return web.Response(text=text, status=status, content_type="text/html", headers={
        "Cache-Control": "no-store", "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer", "Content-Security-Policy": CSP})


def table(headers: Iterable[str], rows: Iterable[str], *, table_id: str, empty: str) -> str:
    rows = list(rows)
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    if not rows:
        return f'<p id="{table_id}-empty">{esc(empty)}</p>'
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


PartyPage = Callable[[web.Request, Organisation], Awaitable[web.Response]]


def party_page(title: str) -> Callable[[PartyPage], Callable[[web.Request], Awaitable[web.Response]]]:
    """A page for a governance party (given to *render*); the lab operator gets a notice titled *title* (403)."""
    def wrap(render: PartyPage) -> Callable[[web.Request], Awaitable[web.Response]]:
        @functools.wraps(render)
        async def handler(request: web.Request) -> web.Response:
            party = caller(request).party
            if party is None:
                return page(request, title, '<p>The lab operator is no governance party. Register parties with '
                                            '<code>POST /governance/parties</code> and open the login link of one.</p>',
                            status=403)
            return await render(request, party)
        return handler
    return wrap


# --------------------------------------------------------------------------- landing


async def landing(request: web.Request) -> web.Response:
    who = caller(request)
    g = GOVERNANCE_PREFIX
    links = [f'<li><a href="{g}/pages/cpl">Central Products List</a>: device models, the EPCL, changes</li>',
             f'<li><a href="{g}/pages/cfl">Centralised Firmware Library</a>: images, release notes, downloads</li>',
             f'<li><a href="{g}/pages/ppct">PPCT queue</a>: test order, the security fast track</li>']
    if who.party is not None and who.party.role is PartyRole.MANUFACTURER:
        links.insert(2, f'<li><a href="{g}/pages/upload">Upload an image</a> to the CFL</li>')
    body = f'<ul id="links">{"".join(links)}</ul>'
    if who.party is None:
        orgs = await call(request, gov(request).organisations)
        body += "<h2>Parties</h2>" + table(
            ("organisation", "name", "role", "manufacturer id"),
            (f"<tr><td><code>{esc(o.org_id)}</code></td><td>{esc(o.name)}</td><td>{esc(o.role.value)}</td>"
             f"<td>{esc(o.manufacturer_id or '')}</td></tr>" for o in orgs), table_id="parties", empty="none")
        body += ("<p>Issue a party's token with <code>POST /governance/parties/&lt;org&gt;/token</code> and open "
                 "<code>/governance/login?token=&lt;token&gt;</code> to act as that party.</p>")
    else:
        notes = await call(request, gov(request).notifications, actor(request), limit=50)
        body += "<h2>Notifications</h2>" + table(
            ("time", "kind", "subject", "text"),
            (f"<tr><td>{esc(n.at.isoformat())}</td><td>{esc(n.kind)}</td><td>{esc(n.subject)}</td>"
             f"<td>{esc(n.text)}</td></tr>" for n in notes), table_id="notifications", empty="No notifications.")
    return page(request, "Firmware governance", body)


async def logout(request: web.Request) -> web.Response:
    response = web.Response(status=303, headers={"Location": GOVERNANCE_PREFIX + "/"})
    sock = request.transport.get_extra_info("sockname") if request.transport is not None else None
    port = int(sock[1]) if isinstance(sock, tuple) and len(sock) >= 2 else None
    response.del_cookie(party_cookie_name(port), path=GOVERNANCE_PREFIX)
    return response


async def script(request: web.Request) -> web.Response:
    return web.Response(text=SCRIPT, content_type="text/javascript",
                        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


# --------------------------------------------------------------------------- CPL


@party_page("Central Products List")
async def cpl_page(request: web.Request, party: Organisation) -> web.Response:
    who = party.org_id
    models = await call(request, gov(request).cpl_models, who)
    dmcs = await call(request, gov(request).epcl, who)
    changes = await call(request, gov(request).cpl_history, who, limit=20)
    rows = (f'<tr data-label="{esc(m.label)}"><td>{esc(m.manufacturer_id)}</td><td>{esc(m.model_id)}</td>'
            f"<td>{esc(m.firmware_version)}</td><td>{esc(m.generation.value)}</td><td>{esc(m.device_type.value)}</td>"
            f"<td><code>{esc(m.image_hash.hex().upper()[:16] + '...' if m.image_hash else '-')}</code></td></tr>"
            for m in models)
    body = table(("manufacturer", "model", "firmware version", "generation", "device type", "image hash"), rows,
                 table_id="cpl", empty="The CPL is empty.")
    body += "<h2>EPCL (Device Model Combinations)</h2>" + table(
        ("DMC", "device models", "added"),
        (f"<tr><td>{esc(d.dmc_id)}</td><td>{esc(', '.join(m.label for m in d.models))}</td>"
         f"<td>{esc(d.added_at.isoformat() if d.added_at else '')}</td></tr>" for d in dmcs if d.on_epcl),
        table_id="epcl", empty="No DMC on the EPCL yet.")
    body += "<h2>Latest changes</h2>" + table(
        ("time", "party", "change", "subject", "reason"),
        (f"<tr><td>{esc(c.at.isoformat())}</td><td>{esc(c.party)}</td><td>{esc(c.change)}</td>"
         f"<td>{esc(c.subject)}</td><td>{esc(c.reason)}</td></tr>" for c in changes),
        table_id="history", empty="No changes.")
    return page(request, "Central Products List", body)


# --------------------------------------------------------------------------- CFL


def may_download(party: Organisation, image: CflImage) -> bool:
    """Whether the page offers a download link: never for commercial images; else by the access table."""
    return image.downloadable and refusal(party, Action.CFL_DOWNLOAD,
                                          Owner.of(manufacturers=(image.manufacturer_id,))) is None


def _image_marks(image: CflImage) -> str:
    marks = []
    if image.commercial:
        marks.append('<span class="badge commercial">commercial: not distributed</span>')
    if image.cpl_status != "listed":
        marks.append('<span class="badge pending">pending CPL</span>')
    return "".join(marks)


def _download_cell(party: Organisation, image: CflImage) -> str:
    g = GOVERNANCE_PREFIX
    if may_download(party, image):
        return f'<a class="download" href="{g}/cfl/{image.image_id}/image" download>download</a>'
    return "not distributed" if image.commercial else "-"


@party_page("Centralised Firmware Library")
async def cfl_page(request: web.Request, party: Organisation) -> web.Response:
    images = await call(request, gov(request).cfl_list, party.org_id)
    g = GOVERNANCE_PREFIX
    rows = (f'<tr data-image-id="{i.image_id}" data-commercial="{str(i.commercial).lower()}">'
            f'<td><a href="{g}/pages/cfl/{i.image_id}">{i.image_id}</a></td><td>{esc(i.manufacturer_id)}</td>'
            f"<td>{esc(', '.join(f'{m}/{d}' for m, d in i.models))}</td><td>{esc(i.version)}</td>"
            f"<td>{i.size}</td><td>{esc(i.signature)}</td><td>{_image_marks(i)}</td>"
            f"<td>{_download_cell(party, i)}</td></tr>" for i in images)
    body = ("<p>Non-commercially released firmware images and their release notes (SECMP0009). "
            "Commercially developed images are listed and marked but never distributed.</p>")
    body += table(("id", "manufacturer", "device models", "version", "bytes", "signature", "marks", "download"),
                  rows, table_id="cfl", empty="The CFL holds no image you may see.")
    return page(request, "Centralised Firmware Library", body)


@party_page("CFL image")
async def cfl_detail_page(request: web.Request, party: Organisation) -> web.Response:
    text = request.match_info["image_id"]
    if not (text.isascii() and text.isdigit()) or len(text) > 15:
        raise web.HTTPNotFound(text="no such image")
    image = await call(request, gov(request).cfl_image, party.org_id, int(text))
    facts = [("manufacturer", image.manufacturer_id), ("device models", ", ".join(f"{m}/{d}" for m, d in image.models)),
             ("version", image.version), ("size", f"{image.size} bytes"),
             ("Manufacturer Image hash", image.image_hash.hex().upper()), ("signature", image.signature),
             ("CPL", image.cpl_status), ("uploaded", f"{image.uploaded_at.isoformat()} by {image.uploaded_by}")]
    body = ('<table id="facts">' + "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in facts)
            + f"</table><p>{_image_marks(image)} {_download_cell(party, image)}</p>"
            + f'<h2>Release notes</h2><article class="notes" id="notes">{render_notes(image.notes)}</article>')
    return page(request, f"CFL image {image.image_id}: {image.manufacturer_id} version {image.version}", body)


@party_page("Upload an image")
async def upload_page(request: web.Request, party: Organisation) -> web.Response:
    if party.role is not PartyRole.MANUFACTURER:
        return page(request, "Upload an image", f'<p id="refused">Only manufacturers upload images to the CFL; '
                                                f"{esc(party.org_id)} is a {esc(party.role.value)}.</p>", status=403)
    g = GOVERNANCE_PREFIX
    body = f"""<form id="upload" data-api="{g}/cfl" data-then="{g}/pages/cfl/{{image_id}}">
<label>Upgrade Image (the project's OTA format) <input type="file" name="image" required></label>
<label>Device models it applies to (<code>MANUFACTURER/MODEL</code>, comma separated)
<input type="text" name="models" data-kind="list" size="40" value="{esc(party.manufacturer_id or '')}/"></label>
<label><input type="checkbox" name="commercial"> commercially developed (listed, never distributed)</label>
<label>Release notes (Markdown)<br><textarea name="notes" rows="12" cols="80"></textarea></label>
<button type="submit">Upload</button> <output data-result></output></form>"""
    return page(request, "Upload an image", body)


# --------------------------------------------------------------------------- PPCT


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _queue_actions(party: Organisation, item: QueueItem, head: bool) -> str:
    s, g = item.submission, GOVERNANCE_PREFIX
    base = f"{g}/ppct/submissions/{s.submission_id}"
    if party.role is PartyRole.SUPPLIER and s.supplier == party.org_id and s.fast_track is FastTrack.NONE \
            and s.security_fix:
        return (f'<form class="inline" data-api="{base}/fast-track" data-then="reload">'
                '<input name="assessment" placeholder="assessment (S1SR, DMVES, interoperability)" required>'
                '<button>Request fast track</button><output data-result></output></form>')
    if party.role is PartyRole.DCC and s.fast_track is FastTrack.REQUESTED:
        return (f'<form class="inline" data-api="{base}/projection" data-then="reload">'
                '<button>Send projected dates to SECAS</button><output data-result></output></form>')
    if party.role is PartyRole.SECAS and s.fast_track is FastTrack.PROJECTED:
        boxes = "".join(f'<label><input type="checkbox" name="{n}"> {t}</label>' for n, t in (
            ("ssc_notified", "SSC notified"), ("material", "material vulnerability"),
            ("warrants_fast_track", "warrants fast tracking")))
        return (f'<form class="inline" data-api="{base}/confirmation" data-then="reload">{boxes}'
                '<button>Confirm</button><output data-result></output></form>')
    if party.role is PartyRole.DCC and head and item.in_test:
        return (f'<form class="inline" data-api="{base}/result" data-then="reload">'
                '<label><input type="checkbox" name="passed"> passed</label><button>Record result</button>'
                '<output data-result></output></form>')
    return ""


def _queue_row(party: Organisation, item: QueueItem, head: bool) -> str:
    s = item.submission
    marks = []
    if s.test_kind is TestKind.HEALTH_AND_SAFETY:
        marks.append('<span class="badge hs">health and safety</span>')
    if s.fast_track is FastTrack.GRANTED:
        marks.append('<span class="badge fast">fast-tracked</span>')
    elif s.fast_track is not FastTrack.NONE:
        marks.append(f'<span class="badge pending">fast track {esc(s.fast_track.value)}</span>')
    if s.security_fix:
        marks.append(f'<span class="badge">security fix (report {s.vulnerability_id})</span>')
    projected = "-" if s.projected is None else (
        f"without: {esc(s.projected.without_fast_track.isoformat())}<br>"
        f"with: {esc(s.projected.with_fast_track.isoformat())}")
    confirmed = "-" if s.confirmation is None else (
        f"SSC notified: {_yes(s.confirmation.ssc_notified)}<br>material: {_yes(s.confirmation.material)}<br>"
        f"warrants fast track: {_yes(s.confirmation.warrants_fast_track)}")
    models = ", ".join(m.label for m in s.dmc.models)
    return (f'<tr data-submission-id="{s.submission_id}" data-fast-track="{esc(s.fast_track.value)}" '
            f'data-test-kind="{esc(s.test_kind.value)}"><td>{item.position + 1}</td><td>{s.submission_id}</td>'
            f"<td>{esc(s.supplier)}</td><td>{esc(models)}</td><td>{''.join(marks)}</td>"
            f"<td>{esc(item.slot_start.isoformat())}{' (in test)' if item.in_test else ''}</td>"
            f"<td>{projected}</td><td>{confirmed}</td><td>{_queue_actions(party, item, head)}</td></tr>")


@party_page("PPCT queue")
async def ppct_page(request: web.Request, party: Organisation) -> web.Response:
    items = await call(request, gov(request).ppct_queue, party.org_id)
    body = ("<p>Pending Product Combinations Tests in test order on the lab clock. A security fast track "
            "moves a DMC ahead of ordinary tests once SECAS confirms all three questions, never ahead of a "
            "health-and-safety test.</p>")
    body += table(("#", "submission", "supplier", "device models", "marks", "slot start", "projected dates",
                   "SECAS confirmations", "actions"),
                  (_queue_row(party, item, i == 0) for i, item in enumerate(items)),
                  table_id="ppct", empty="The PPCT queue is empty.")
    return page(request, "PPCT queue", body)


def add_page_routes(app: web.Application) -> None:
    g = GOVERNANCE_PREFIX

    async def to_landing(request: web.Request) -> web.Response:
        raise web.HTTPSeeOther(g + "/")

    app.add_routes([
        web.get(g, to_landing),
        web.get(f"{g}/", landing),
        web.get(f"{g}/logout", logout),
        web.get(SCRIPT_PATH, script),
        web.get(f"{g}/pages/cpl", cpl_page),
        web.get(f"{g}/pages/cfl", cfl_page),
        web.get(f"{g}/pages/cfl/{{image_id}}", cfl_detail_page),
        web.get(f"{g}/pages/upload", upload_page),
        web.get(f"{g}/pages/ppct", ppct_page),
    ])
