"""The device page's profile plot: a meter's half-hourly consumption as an inline SVG (no script needed).

The points are :func:`smets_emu.tools.metering_readings.readings` over the day before the lab's
time (the numbers ``GET /devices/{eui}/readings`` answers and the GBCS profile reads return). The
SVG carries ``data-*`` attributes (points, total, unit, range) and a link to the JSON, so a
person sees the shape and a test checks the numbers.
"""

from __future__ import annotations

import datetime as dt
import html
from urllib.parse import quote, urlencode

from smets_emu.emulator.state import DeviceState
from smets_emu.errors import InputError
from smets_emu.tools.metering_readings import DEFAULT_RANGE, readings

WIDTH, HEIGHT, PAD = 720, 180, 24


def profile_section(state: DeviceState, now: dt.datetime) -> str:
    """``<h2>Profile</h2>`` and the plot of the last day's half-hourly values; empty for devices that do not meter."""
    if state.device_type not in ("ESME", "GSME"):
        return ""
    start = now - DEFAULT_RANGE
    try:
        result = readings(state, now, start, now)
    except InputError as exc:
        return f'<h2>Profile</h2><p id="profile-missing" class="muted">{html.escape(str(exc))}</p>'
    values = [v for _, v in result.intervals]
    top = max(values, default=0) or 1
    step = (WIDTH - 2 * PAD) / max(1, len(values) - 1)
    points = " ".join(f"{PAD + i * step:.1f},{HEIGHT - PAD - v * (HEIGHT - 2 * PAD) / top:.1f}"
                      for i, v in enumerate(values))
    eui = state.eui.hex().upper()
    link = f"/devices/{quote(eui)}/readings?" + urlencode({"from": start.isoformat(), "to": now.isoformat()})
    unit = html.escape(result.unit, quote=True)
    first = result.intervals[0][0].isoformat() if result.intervals else ""
    last = result.intervals[-1][0].isoformat() if result.intervals else ""
    return (
        f'<h2>Profile</h2><p>Half-hourly consumption over the last day ({unit}; peak {top}, '
        f'total {sum(values)}): <a id="profile-json" href="{html.escape(link, quote=True)}">JSON</a></p>'
        f'<svg id="profile" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="half-hourly consumption" '
        f'data-points="{len(values)}" data-total="{sum(values)}" data-peak="{top}" data-unit="{unit}" '
        f'data-from="{first}" data-to="{last}">'
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#fafafa" stroke="#ccc"/>'
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#999"/>'
        f'<polyline fill="none" stroke="#1f5fa8" stroke-width="1.5" points="{points}"/>'
        f'<text x="{PAD}" y="{HEIGHT - 6}" font-size="10" fill="#555">{html.escape(first[:16])}</text>'
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - 6}" font-size="10" fill="#555" text-anchor="end">'
        f'{html.escape(last[:16])}</text></svg>'
    )
