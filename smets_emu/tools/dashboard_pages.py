"""The dashboard's pages: the fleet page (``GET /``) and a device's page (``GET /pages/devices/{eui}``).

Server-rendered HTML with no external resource and no inline script: the Content-Security-Policy
allows the lab's own script (:mod:`.dashboard_script`), same-origin ``fetch()`` and the event
stream, and nothing else. The script opens the live feed and sends the controls (clock advance,
fault injection) to the JSON routes with the session's CSRF token (``<meta name="csrf-token">``).
Elements carry ``id`` and ``data-*`` attributes naming what they show, for people's tools and tests.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web

from smets_emu.hosting.runtime import MAX_TIME
from smets_emu.tools.control_access import POLICY_KEY, csrf_token
from smets_emu.tools.control_views import firmware_json, role_name
from smets_emu.tools.dashboard_http import dashboard, device_page, request_eui
from smets_emu.tools.dashboard_index import Query, Row
from smets_emu.tools.dashboard_profile import profile_section
from smets_emu.tools.dashboard_script import SCRIPT_PATH
from smets_emu.tools.dashboard_views import anchors_json, logs_json, own_certificates_json
from smets_emu.tools.faults import DIRECTIONS, FAULT_KINDS, MAX_COUNT, MAX_SECONDS

CSP = ("default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
STYLE = """body{font-family:sans-serif;margin:1.2em 2em;color:#222}nav a{margin-right:1em}
td,th{padding:2px 8px;text-align:left;vertical-align:top}tr:nth-child(even){background:#f3f3f3}
.cards{display:flex;flex-wrap:wrap;gap:1em}.card{border:1px solid #ccc;border-radius:6px;padding:.5em 1em}
.card table{font-size:90%}.feed{max-height:22em;overflow-y:auto;font-family:monospace;font-size:85%;
border:1px solid #ccc;padding:.3em .6em;list-style:none}.feed li.alert{color:#8a1111}.muted{color:#777}
.ok{color:#176b22}.refused{color:#a11}code{font-size:90%}form.inline{display:inline-block;margin-right:1.5em}
.cols{display:flex;flex-wrap:wrap;gap:2em}.cols>section{flex:1 1 30em}"""
FEED_ROWS = 50
RECENT_ALERTS = 20
TRAFFIC_ROWS = 50


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def page(request: web.Request, title: str, body: str) -> web.Response:
    """A dashboard page: the CSRF token, the navigation, the body; strict CSP, no caching."""
    policy = request.app[POLICY_KEY]
    csrf = csrf_token(policy, policy.token) if policy.token is not None else ""
    text = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="csrf-token" content="{esc(csrf)}"><title>{esc(title)}</title>
<style>{STYLE}</style><script src="{SCRIPT_PATH}" defer></script></head><body>
<nav><a href="/">Fleet</a><a href="/governance/">Governance</a><a href="/overview">/overview</a>
<a href="/devices">/devices</a><a href="/alerts">/alerts</a><a href="/clock">/clock</a><a href="/stats">/stats</a></nav>
<h1>{esc(title)}</h1>{body}</body></html>"""
    return web.Response(text=text, content_type="text/html", headers={
        "Cache-Control": "no-store", "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer", "Content-Security-Policy": CSP})


def table(headers: Iterable[str], rows: Iterable[str], *, table_id: str, empty: str) -> str:
    rows = list(rows)
    if not rows:
        return f'<p id="{table_id}-empty" class="muted">{esc(empty)}</p>'
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _counts(title: str, counts: dict[str, int], card_id: str) -> str:
    rows = "".join(f'<tr data-key="{esc(k)}"><td>{esc(k)}</td><td class="n">{n}</td></tr>' for k, n in counts.items())
    return f'<div class="card" id="{card_id}"><strong>{esc(title)}</strong><table>{rows}</table></div>'


def _link(query: Query, offset: int, limit: int) -> str:
    params: dict[str, Any] = {"offset": offset, "limit": limit}
    if query.terms:
        params["q"] = query.text
    return "/?" + urlencode(params)


def _counters(state: Any) -> str:
    return ", ".join(f"{role_name(r)}={c}" for r, c in state.counters.items())


def _device_row(row: Row) -> str:
    eui = row.eui_hex
    cells = (esc(row.premises), esc(row.type), f'<a href="/pages/devices/{quote(eui)}">{esc(eui)}</a>',
             esc(row.lifecycle), esc(row.firmware), esc(_counters(row.state)))
    return f'<tr data-eui="{esc(eui)}">' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def _alert_items(alerts: list[dict[str, Any]]) -> str:
    return "".join(f'<li class="alert">{esc(a["time"])} alert {esc(a.get("message_code"))} '
                   f'{esc(a.get("use_case", ""))} from {esc(a.get("device"))}</li>' for a in alerts)


def _feed(src: str, alerts: list[dict[str, Any]]) -> str:
    return (f'<p>Live feed (alerts and WAN traffic): <span id="feed-status" class="muted">connecting</span></p>'
            f'<ul id="feed" class="feed" data-src="{esc(src)}" data-rows="{FEED_ROWS}">{_alert_items(alerts)}</ul>')


def _clock_form(now: str) -> str:
    units = "".join(f'<option value="{u}"{" selected" if u == "hours" else ""}>{u}</option>'
                    for u in ("seconds", "minutes", "hours", "days"))
    return (f'<p>Virtual time <strong id="clock">{esc(now)}</strong> (the devices go up to '
            f'{esc(MAX_TIME.isoformat())}).</p><form id="clock-advance" class="inline" data-api="/clock/advance" '
            f'data-body="unit-amount" data-then="reload"><label>Advance by <input name="amount" type="number" min="0" '
            f'step="any" value="1" required></label> <select name="unit">{units}</select> '
            '<button type="submit">Advance the clock</button> <output data-result></output></form>')


async def fleet_page(request: web.Request) -> web.Response:
    board = dashboard(request)
    query, offset, limit, total, rows = device_page(request)
    overview = board.index.overview()
    end = offset + len(rows)
    shown = f"showing {offset + 1}-{end} of {total}" if rows else f"showing none of {total}"
    nav = []
    if offset > 0:
        nav.append(f'<a id="previous" href="{esc(_link(query, max(0, offset - limit), limit))}">previous {limit}</a>')
    if end < total:
        nav.append(f'<a id="next" href="{esc(_link(query, end, limit))}">next {min(limit, total - end)}</a>')
    versions: dict[str, int] = {}
    for counts in overview.by_firmware.values():
        for version, n in counts.items():
            versions[version] = versions.get(version, 0) + n
    cards = (_counts("device type", overview.by_type, "by-type") + _counts("lifecycle", overview.by_lifecycle,
                                                                          "by-lifecycle")
             + _counts("running firmware", dict(sorted(versions.items())), "by-firmware"))
    search = (f'<form id="search" method="get" action="/"><input type="search" name="q" size="50" '
              f'value="{esc(query.text)}" placeholder="EUI prefix, type:ESME, premises:home, firmware:01000000">'
              f'<input type="hidden" name="limit" value="{limit}"> <button type="submit">Search</button></form>')
    alerts = (await board.recent_alerts(RECENT_ALERTS))[::-1]
    body = (f'<p>{overview.total} devices. <span class="muted">JSON: /overview, /devices?q=</span></p>'
            f'<div class="cards" id="overview" data-total="{overview.total}">{cards}</div>'
            f'{_clock_form(board.runtime.clock.now().isoformat())}<h2>Devices</h2>{search}'
            f'<p id="shown" data-total="{total}" data-offset="{offset}">{shown} {" | ".join(nav)}</p>'
            + table(("premises", "type", "EUI", "lifecycle", "firmware", "counters"), map(_device_row, rows),
                    table_id="devices", empty="No device matches.")
            + "<h2>Live</h2>" + _feed("/events", alerts))
    return page(request, "smets-emu fleet", body)


# --------------------------------------------------------------------------- one device


def _facts(facts: Iterable[tuple[str, Any]], table_id: str) -> str:
    return f'<table id="{table_id}">' + "".join(f'<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>'
                                                for k, v in facts) + "</table>"


def _cert_text(cert: dict[str, Any] | None) -> str:
    if cert is None:
        return '<span class="muted">none</span>'
    if "error" in cert:
        return f'<span class="refused">{esc(cert["error"])}</span>'
    role = "" if cert["role"] is None else f' role {esc(cert["roleName"])} ({esc(cert["role"])})'
    return (f'<span data-field="eui">{esc(cert["eui"])}</span> {esc(cert["profile"])} certificate{role}, '
            f'{esc(", ".join(cert["keyUsage"]))}<br>SKI <code data-field="ski">'
            f'{esc(cert["subjectKeyIdentifier"])}</code>, serial {esc(cert["serialNumber"])}<br>valid '
            f'<span data-field="not-before">{esc(cert["notBefore"])}</span> to '
            f'<span data-field="not-after">{esc(cert["notAfter"])}</span>')


def _anchor_row(cell: dict[str, Any]) -> str:
    return (f'<tr data-cell="{esc(cell["cell"])}" data-party="{esc(cell["party"] or "")}" '
            f'data-empty="{str(cell["empty"]).lower()}"><td>{esc(cell["label"])}</td><td>{esc(cell["party"] or "")}'
            f'</td><td><code>{esc(cell["subject_key_id"] or "")}</code></td>'
            f'<td>{_cert_text(cell["certificate"])}</td></tr>')


def _slot_row(name: str, slot: dict[str, Any] | None) -> str:
    if slot is None:
        return f'<tr data-slot="{name}" data-version=""><td>{name}</td><td colspan="4" class="muted">empty</td></tr>'
    image = slot.get("image")
    size = image["size"] if isinstance(image, dict) else slot.get("size", 0)
    digest = slot.get("hash") or ""
    return (f'<tr data-slot="{name}" data-version="{esc(slot.get("version"))}" data-size="{esc(size)}" '
            f'data-hash="{esc(digest)}"><td>{name}</td><td>{esc(slot.get("version"))}</td><td>{esc(size)}</td>'
            f'<td><code>{esc(digest)}</code></td><td>{esc(slot.get("received_at", ""))}</td></tr>')


def _log_rows(entries: list[dict[str, Any]]) -> Iterable[str]:
    for entry in reversed(entries):
        text = ", ".join(f"{k}={str(v)[:40] + ('...' if len(str(v)) > 40 else '')}" for k, v in entry.items())
        yield f"<tr><td>{esc(text)}</td></tr>"


def _traffic_row(t: dict[str, Any]) -> str:
    return (f'<tr data-direction="{esc(t["direction"])}" data-kind="{esc(t["kind"])}"><td>{esc(t["time"])}</td>'
            f'<td>{esc(t["direction"])}</td><td>{esc(t["kind"])}</td><td>{esc(t.get("message_code"))}</td>'
            f'<td>{esc(t.get("use_case", ""))}</td><td>{esc(t.get("counter"))}</td><td>{esc(t["size"])}</td>'
            f'<td>{esc(t["peer"])} #{esc(t["connection"])}</td></tr>')


def _fault_form(eui: str) -> str:
    kinds = "".join(f'<option value="{k}">{k}</option>' for k in FAULT_KINDS)
    directions = "".join(f'<option value="{d}">{d}</option>' for d in DIRECTIONS)
    api = f"/devices/{quote(eui)}/faults"
    return (f'<form id="fault" class="inline" data-api="{api}" data-then="reload"><select name="kind">{kinds}</select> '
            f'<label>count <input name="count" data-kind="int" type="number" min="1" max="{MAX_COUNT}" value="1">'
            f'</label> <label>seconds <input name="seconds" data-kind="number" type="number" min="0" '
            f'max="{MAX_SECONDS:g}" step="any" value="0"></label> <select name="direction">{directions}</select> '
            '<button type="submit">Inject</button> <output data-result></output></form>'
            f'<form id="clear-faults" class="inline" data-api="{api}" data-method="DELETE" data-then="reload">'
            '<button type="submit">Clear faults</button> <output data-result></output></form>')


async def device_detail_page(request: web.Request) -> web.Response:
    eui = request_eui(request)
    board = dashboard(request)
    state = board.lab.fleet.devices[eui].state
    eui_hex = eui.hex().upper()
    firmware = firmware_json(state)
    logs = logs_json(state)
    facts = [("type", state.device_type), ("premises", board.lab.premises.get(eui, "")), ("profile", state.profile),
             ("lifecycle", state.lifecycle), ("alert counter", state.alert_counter),
             ("pending commands", len(state.pending))]
    counters = table(("role", "last accepted counter"), (
        f'<tr data-role="{esc(role_name(r))}" data-value="{c}"><td>{esc(role_name(r))}</td><td>{c}</td></tr>'
        for r, c in state.counters.items()), table_id="counters", empty="No command accepted yet.")
    slots = table(("slot", "version", "bytes", "Manufacturer Image hash", "received"),
                  (_slot_row(name, firmware.get(name)) for name in ("running", "pending", "previous")),
                  table_id="firmware", empty="")
    anchors = table(("cell", "subject EUI", "SKI", "certificate"), map(_anchor_row, anchors_json(state)),
                    table_id="anchors", empty="No trust anchor cells.")
    own = table(("key", "certificate"), (f'<tr data-usage="{esc(u)}"><td>{esc(u)}</td><td>{_cert_text(c)}</td></tr>'
                                         for u, c in own_certificates_json(state).items()),
                table_id="own-certificates", empty="No device certificates.")
    faults = board.faults.pending(eui)
    alerts = (await board.recent_alerts(RECENT_ALERTS, eui))[::-1]
    traffic = board.feed.device_traffic(eui_hex, TRAFFIC_ROWS)[::-1]
    body = (f'<div class="cols"><section>{_facts(facts, "facts")}<h2>Counters</h2>{counters}'
            f'<h2>Firmware</h2><p>Running version <strong id="firmware-version">{esc(firmware["version"])}</strong></p>'
            f'{slots}</section><section><h2>Faults</h2><p id="faults">{len(faults)} pending: '
            f'{esc(", ".join(f["kind"] + " x" + str(f["count"]) for f in (x.to_json() for x in faults)) or "none")}</p>'
            f'{_fault_form(eui_hex)}<h2>Recent alerts</h2><ul id="device-alerts">{_alert_items(alerts)}</ul>'
            f'{_feed("/events?" + urlencode({"device": eui_hex}), [])}</section></div>'
            f"{profile_section(state, board.runtime.clock.now())}"
            f"<h2>Trust anchor cells</h2>{anchors}<h2>Device certificates</h2>{own}"
            "<h2>Recent WAN traffic</h2>" + table(
                ("wall-clock time", "dir", "kind", "message code", "use case", "counter", "bytes", "connection"),
                map(_traffic_row, traffic), table_id="traffic", empty="No traffic seen since the lab started.")
            + "<h2>Device log (HAN)</h2>" + table(("entry",), _log_rows(logs["device_log"]), table_id="device-log",
                                                  empty="Empty.")
            + "<h2>Security log</h2>" + table(("entry",), _log_rows(logs["security_log"]), table_id="security-log",
                                              empty="Empty."))
    return page(request, f"{state.device_type} {eui_hex}", body)
