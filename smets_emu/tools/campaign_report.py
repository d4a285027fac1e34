"""A self-contained HTML report of a firmware campaign: one file, viewable offline.

:func:`render_report` turns a campaign's JSON summary (:meth:`Campaign.summary`, the same one
``firmware campaign --json`` prints) and its per-device rows (:meth:`Campaign.devices`) into one
HTML page with inline CSS and server-drawn inline SVG charts: no script, no external resource.
Every count the page shows (outcomes, stages, failure reasons, versions) is read from the
summary; the device table and the completion timeline come from the device rows. Every value is
HTML-escaped. Tables carry ``data-*`` attributes (``data-outcome``, ``data-stage``,
``data-reason``, ``data-version``, ``data-eui``) so tools can read the numbers back.
"""

from __future__ import annotations

import datetime as dt
import html
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

MAX_DEVICE_ROWS = 10_000
"""Device rows a report lists (failed devices first); the counts always cover every target."""
MAX_FAILURE_SAMPLES = 20
"""Devices named per failure reason in the failures table."""
REFRESH_SECONDS = 5

CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
COLOURS = {"running": "#2e7d32", "scheduled": "#66bb6a", "held": "#81c784", "transferring": "#64b5f6",
           "waiting": "#cfd8dc", "failed": "#c62828"}
OUTCOME_ORDER = ("running", "scheduled", "held", "transferring", "waiting", "failed")
STYLE = """body{font-family:sans-serif;margin:1.5em 2em;color:#222;max-width:1200px}
h1{font-size:150%}h2{font-size:120%;margin-top:1.6em;border-bottom:1px solid #ccc}
td,th{padding:2px 8px;text-align:left;vertical-align:top}tr:nth-child(even){background:#f3f3f3}
td.n,th.n{text-align:right}code{font-size:90%}dl{display:grid;grid-template-columns:max-content auto;gap:2px 1em}
dt{font-weight:bold}dd{margin:0}.status{padding:1px 6px;border-radius:4px;color:#fff;background:#555}
.status-completed{background:#2e7d32}.status-paused{background:#ef6c00}.status-aborted{background:#c62828}
.status-running{background:#1565c0}.failed{color:#c62828}.legend span{display:inline-block;margin-right:1em}
.swatch{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:middle}
table.devices{font-size:90%}table.devices td{white-space:nowrap}.note{color:#555}"""

_TRANSFER = {"image_discarded": ("imageDiscarded", 1), "hardware_version_mismatch": ("hardwareVersionMismatch", 2),
             "file_transfer_failure": ("fileTransferFailure", 3)}
_ACTIVATION = {"noImageHeld": 1, "hashMismatch": 2, "activationFailure": 3}


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def gbcs_code(reason: str) -> str:
    """The GBCS alert or response code a failure reason comes from ("" when none applies)."""
    if reason in _TRANSFER:
        name, code = _TRANSFER[reason]
        text = f"CCS08 alert 0x8F89 firmwareTransferFailure, responseCode {name} ({code})"
        if reason == "file_transfer_failure":
            text += "; FDRA 0x8F1C where the device received the image but failed to verify it"
        return text
    if reason.startswith("activation "):
        outcome = reason.split(" ", 1)[1]
        if outcome in _ACTIVATION:
            return f"CS06 Activate Firmware response: activateImageResponseCode {outcome} ({_ACTIVATION[outcome]})"
        return f"CS06 Activate Firmware: {outcome}"
    return ""


def alert_meaning(key: str) -> str:
    """What an alert counter of the summary (``fdra_8F72``, ``ccs08_success``, ``cs06_...``) stands for."""
    kind, _, value = key.partition("_")
    if kind == "fdra":
        names = {"8F72": "Firmware Verification Successful", "8F1C": "Firmware Verification Failed"}
        return f"Firmware Distribution Receipt Alert 0x{value} {names.get(value, '')}".strip()
    if kind == "ccs08":
        alert = "0x8F8A firmwareTransferSuccess" if value == "success" else "0x8F89 firmwareTransferFailure"
        return f"CCS08 Firmware Transfer Alert {alert}, responseCode {value}"
    if kind == "cs06":
        return f"CS06 Activate Firmware response: {value}"
    return ""


def _when(text: str | None) -> str:
    return "" if not text else dt.datetime.fromisoformat(text).strftime("%Y-%m-%d %H:%M:%S")


def _activation(value: str | None) -> str:
    if value is None:
        return "none (distribution only)"
    if value == "now":
        return "CS06 immediately after each stage"
    return f"CS06 future-dated to {_when(value)} (virtual)"


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _table(table_id: str, head: Iterable[str], rows: Iterable[str], cls: str = "") -> str:
    heads = "".join(f'<th class="n">{_e(h[1:])}</th>' if h.startswith("#") else f"<th>{_e(h)}</th>" for h in head)
    body = "".join(rows) or '<tr><td colspan="20" class="note">none</td></tr>'
    klass = f' class="{cls}"' if cls else ""
    return f'<table id="{table_id}"{klass}><thead><tr>{heads}</tr></thead><tbody>{body}</tbody></table>'


def _n(value: Any) -> str:
    return f'<td class="n">{_e(value)}</td>'


def render_report(summary: Mapping[str, Any], devices: Iterable[Mapping[str, Any]], *,
                  refresh: int | None = None, generated: dt.datetime | None = None,
                  max_rows: int = MAX_DEVICE_ROWS) -> str:
    """The HTML report (a ``meta refresh`` of *refresh* seconds for a live view)."""
    record = summary["campaign"]
    stages = list(record["stages"])
    per_stage: list[Counter[str]] = [Counter() for _ in stages]
    failed_rows: list[Mapping[str, Any]] = []
    other_rows: list[Mapping[str, Any]] = []
    transitions: Counter[tuple[str, str]] = Counter()
    finished: list[float] = []
    listed = 0
    for row in devices:
        per_stage[int(row["stage"])][str(row["outcome"])] += 1
        transitions[(str(row["version_before"] or "unknown"), str(row["version_after"] or "unknown"))] += 1
        if row["outcome"] in ("held", "scheduled", "running") and row["seconds"] is not None:
            started = dt.datetime.fromisoformat(str(row["started"]))
            created = dt.datetime.fromisoformat(record["created"])
            finished.append((started - created).total_seconds() + float(row["seconds"]))
        if listed < max_rows:
            (failed_rows if row["outcome"] == "failed" else other_rows).append(row)
            listed += 1
        elif row["outcome"] == "failed" and other_rows:  # failures first when the list is capped
            other_rows.pop()
            failed_rows.append(row)
    total = int(summary["targets"])
    parts = [_head(record, refresh), _facts(summary, generated), _outcomes(summary),
             _stages(record, per_stage), _stage_chart(stages, per_stage),
             _timeline(finished, total, float(summary["virtual_time_s"])), _failures(summary),
             _alerts(summary), _versions(summary, transitions),
             _devices(failed_rows + other_rows, total), "</body></html>"]
    return "\n".join(parts)


def campaign_report(campaign: Any, *, live: bool = False, generated: dt.datetime | None = None) -> str:
    """The report of a :class:`~smets_emu.parties.campaign.Campaign` from its current state.

    *live*: refresh the page every few seconds while anything can still change (the campaign
    runs, or devices hold a future-dated activation or an unfinished transfer).
    """
    summary = campaign.summary()
    outcomes = summary["outcomes"]
    moving = summary["campaign"]["status"] == "running" or any(outcomes.get(k) for k in ("scheduled", "transferring"))
    return render_report(summary, campaign.devices(), refresh=REFRESH_SECONDS if live and moving else None,
                         generated=generated)


def _head(record: Mapping[str, Any], refresh: int | None) -> str:
    meta = f'<meta http-equiv="refresh" content="{int(refresh)}">' if refresh else ""
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">{meta}'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>Firmware campaign {_e(record['id'])}</title><style>{STYLE}</style></head><body>"
            f"<h1>Firmware campaign <code id=\"campaign-id\">{_e(record['id'])}</code> "
            f'<span id="status" class="status status-{_e(record["status"])}">{_e(record["status"])}</span></h1>')


def _facts(summary: Mapping[str, Any], generated: dt.datetime | None) -> str:
    record = summary["campaign"]
    facts = [
        ("Status", f"{record['status']}" + (f": {record['reason']}" if record.get("reason") else "")),
        ("Image version", record["version"]), ("Image size", f"{int(record['size']):,} bytes"),
        ("Image hash", record["image_hash"]), ("Image file (SHA-256)", record["file"]),
        ("Targets", summary["targets"]), ("Created (virtual)", _when(record["created"])),
        ("Campaign clock (virtual)", _when(record["clock"])),
        ("Virtual time taken", f"{float(summary['virtual_time_s']):.1f} s"),
        ("Error threshold", f"{float(record['error_threshold']):.1%} of a stage"),
        ("Activation", _activation(record.get("activate"))),
        ("Blocks delivered / lost", f"{summary['blocks']['delivered']:,} / {summary['blocks']['lost']:,}"),
    ]
    if generated is not None:
        facts.append(("Report generated", generated.strftime("%Y-%m-%d %H:%M:%S UTC")))
    items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts)
    return f'<dl id="facts">{items}</dl>'


def _outcomes(summary: Mapping[str, Any]) -> str:
    rows = [f'<tr data-outcome="{_e(k)}"><td><span class="swatch" style="background:{COLOURS.get(k, "#999")}">'
            f'</span>{_e(k)}</td>{_n(v)}</tr>' for k, v in summary["outcomes"].items()]
    return "<h2>Outcomes</h2>" + _table("outcomes", ("outcome", "#devices"), rows)


def _stages(record: Mapping[str, Any], per_stage: list[Counter[str]]) -> str:
    results = {int(r["stage"]): r for r in record.get("stage_results", [])}
    starts: dict[int, str] = {}
    for start in record.get("starts", []):
        starts.setdefault(int(start["stage"]), start["at"])
    rows = []
    low = 0
    for index, stage in enumerate(record["stages"]):
        upto = int(stage["upto"])
        result = results.get(index)
        state = "done" if result else ("current" if index == int(record["stage"]) else "to come")
        now = ", ".join(f"{k} {v}" for k, v in sorted(per_stage[index].items()))
        rows.append(f'<tr data-stage="{index}" data-state="{state}"><td>{index + 1}</td><td>{_e(stage["name"])}</td>'
                    f'{_n(upto - low)}{_n(upto)}<td>{_e(_when(starts.get(index)))}</td>'
                    f'<td>{_e(_when(result["ended"]) if result else "")}</td>'
                    f'<td class="n ok">{_e(result["ok"] if result else "")}</td>'
                    f'<td class="n failed">{_e(result["failed"] if result else "")}</td>'
                    f"<td>{_e(state)}</td><td>{_e(now)}</td></tr>")
        low = upto
    head = ("stage", "name", "#devices", "#cumulative", "started (virtual)", "ended (virtual)", "#ok", "#failed",
            "state", "outcomes now")
    return "<h2>Stages</h2>" + _table("stages", head, rows)


def _stage_chart(stages: list[Mapping[str, Any]], per_stage: list[Counter[str]]) -> str:
    """Horizontal stacked bars: each stage's devices by outcome now."""
    width, label, bar, gap = 720, 90, 22, 10
    biggest = max((sum(c.values()) for c in per_stage), default=0) or 1
    height = len(stages) * (bar + gap) + 10
    shapes = []
    for index, (stage, counts) in enumerate(zip(stages, per_stage, strict=True)):
        y = 5 + index * (bar + gap)
        shapes.append(f'<text x="0" y="{y + 16}" font-size="13">{_e(index + 1)}: {_e(stage["name"])}</text>')
        x = float(label)
        for outcome in OUTCOME_ORDER:
            count = counts.get(outcome, 0)
            if not count:
                continue
            w = (width - label - 60) * count / biggest
            shapes.append(f'<rect x="{x:.1f}" y="{y}" width="{max(w, 1):.1f}" height="{bar}" '
                          f'fill="{COLOURS[outcome]}" data-outcome="{outcome}" data-count="{count}">'
                          f"<title>{_e(outcome)}: {count}</title></rect>")
            x += w
        shapes.append(f'<text x="{x + 4:.1f}" y="{y + 16}" font-size="12">{sum(counts.values())}</text>')
    legend = "".join(f'<span><span class="swatch" style="background:{COLOURS[o]}"></span>{o}</span>'
                     for o in OUTCOME_ORDER)
    return (f'<h2>Devices per stage by outcome</h2><svg id="stage-chart" '
            f'width="{width}" height="{height}" role="img" aria-label="devices per stage by outcome">'
            f'{"".join(shapes)}</svg><p class="legend">{legend}</p>')


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _timeline(finished: list[float], total: int, span: float) -> str:
    """Cumulative devices holding or running the image over virtual time since the campaign started (steps)."""
    width, height, pad = 720, 220, 45
    finished.sort()
    span = max(span, finished[-1] if finished else 0.0, 1e-3)
    top = max(total, 1)
    plot_w, plot_h = width - 2 * pad, height - 2 * pad
    columns: dict[int, int] = {}  # x pixel -> devices done by then (one step per pixel column at most)
    for count, t in enumerate(finished, 1):
        columns[round(plot_w * t / span)] = count
    points, done = [f"{pad},{height - pad}"], 0
    for x, count in sorted(columns.items()):
        y_before, y_after = height - pad - plot_h * done / top, height - pad - plot_h * count / top
        points += [f"{pad + x},{y_before:.1f}", f"{pad + x},{y_after:.1f}"]
        done = count
    points.append(f"{width - pad},{height - pad - plot_h * done / top:.1f}")
    axis = (f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#555"/>'
            f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="#555"/>'
            f'<text x="{pad}" y="{height - pad + 18}" font-size="12">0 s</text>'
            f'<text x="{width - pad}" y="{height - pad + 18}" font-size="12" text-anchor="end">{_duration(span)}</text>'
            f'<text x="{pad - 4}" y="{pad + 4}" font-size="12" text-anchor="end">{top}</text>'
            f'<text x="{pad - 4}" y="{height - pad}" font-size="12" text-anchor="end">0</text>')
    line = f'<polyline fill="none" stroke="#2e7d32" stroke-width="2" points="{" ".join(points)}"/>'
    return (f'<h2>Completion over virtual time</h2><p class="note">{len(finished)} of {total} devices '
            f'received the image (held, scheduled or running), by virtual time since the campaign was created.</p>'
            f'<svg id="timeline" width="{width}" height="{height}" role="img" '
            f'aria-label="cumulative completion">{axis}{line}</svg>')


def _failures(summary: Mapping[str, Any]) -> str:
    rows = []
    for reason, info in summary["failures"].items():
        devices = list(info["devices"])
        named = ", ".join(devices[:MAX_FAILURE_SAMPLES]) + (f" and {len(devices) - MAX_FAILURE_SAMPLES} more"
                                                           if len(devices) > MAX_FAILURE_SAMPLES else "")
        rows.append(f'<tr data-reason="{_e(reason)}"><td>{_e(reason)}</td>{_n(info["count"])}'
                    f"<td>{_e(gbcs_code(reason))}</td><td><code>{_e(named)}</code></td></tr>")
    return "<h2>Failures by reason</h2>" + _table("failures", ("reason", "#devices", "GBCS code", "devices"), rows)


def _alerts(summary: Mapping[str, Any]) -> str:
    rows = [f'<tr data-alert="{_e(k)}"><td>{_e(k)}</td>{_n(v)}<td>{_e(alert_meaning(k))}</td></tr>'
            for k, v in summary["alerts"].items()]
    return "<h2>Alerts and responses</h2>" + _table("alerts", ("counter", "#count", "meaning"), rows)


def _versions(summary: Mapping[str, Any], transitions: Counter[tuple[str, str]]) -> str:
    versions = summary["versions"]
    running = [f'<tr data-version="{_e(v)}"><td>{_e(v)}</td>{_n(len(e))}</tr>' for v, e in versions["running"].items()]
    pending = [f'<tr data-version="{_e(v)}"><td>{_e(v)}</td>{_n(len(e))}</tr>' for v, e in versions["pending"].items()]
    by_type = [f'<tr data-type="{_e(t)}" data-version="{_e(v)}"><td>{_e(t)}</td><td>{_e(v)}</td>{_n(n)}</tr>'
               for t, counts in versions["by_type"].items() for v, n in counts.items()]
    moves = [f'<tr data-before="{_e(b)}" data-after="{_e(a)}"><td>{_e(b)}</td><td>{_e(a)}</td>{_n(n)}</tr>'
             for (b, a), n in sorted(transitions.items())]
    return ("<h2>Versions</h2><h3>Before &rarr; after (targets)</h3>"
            + _table("versions-transitions", ("before", "after", "#devices"), moves)
            + "<h3>Running now</h3>" + _table("versions-running", ("version", "#devices"), running)
            + "<h3>Held, pending activation</h3>" + _table("versions-pending", ("version", "#devices"), pending)
            + "<h3>By device type</h3>" + _table("versions-by-type", ("type", "version", "#devices"), by_type))


def _devices(rows: list[Mapping[str, Any]], total: int) -> str:
    lines = []
    for row in rows:
        reason = str(row["reason"] or "")
        code = gbcs_code(reason).split(";")[0] if reason else ""
        cls = ' class="failed"' if row["outcome"] == "failed" else ""
        lines.append(
            f'<tr data-eui="{_e(row["eui"])}" data-outcome="{_e(row["outcome"])}"{cls}><td><code>{_e(row["eui"])}'
            f'</code></td><td>{_e(row["type"])}</td><td>{_e(int(row["stage"]) + 1)} ({_e(row["stage_name"])})</td>'
            f'<td>{_e(row["outcome"])}</td><td>{_e(reason)}</td><td>{_e(code)}</td>{_n(row["delivered"])}'
            f'{_n(row["lost"])}{_n(_seconds(row["seconds"]))}<td>{_e(_when(row["ended"]))}</td>'
            f'<td>{_e(row["version_before"] or "?")} &rarr; {_e(row["version_after"] or "?")}</td></tr>')
    shown = (f"all {total} targets" if len(rows) >= total else
             f"{len(rows)} of {total} targets (failed devices first; the counts above cover every target)")
    head = ("EUI", "type", "stage", "outcome", "failure reason", "GBCS code / alert", "#blocks sent", "#blocks lost",
            "#time to complete (s)", "ended (virtual)", "version before → after")
    return (f'<h2>Devices</h2><p class="note" id="devices-shown">Listing {_e(shown)}.</p>'
            + _table("devices", head, lines, cls="devices"))
