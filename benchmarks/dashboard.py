"""The dashboard's server side on a large fleet: index, overview, search and the fleet page.

Usage: ``python benchmarks/dashboard.py [--devices N] [--json]`` (default 100,000 devices; provisioning
them takes minutes, ``--devices 10000`` is quick).

Figures: ``provision_s`` (``open_lab`` of ``default_fleet(N)``), ``index_build_ms`` (the first
:meth:`FleetIndex.refresh`), ``refresh_unchanged_ms`` (a refresh when no device changed),
``refresh_100_changed_ms`` (after 100 devices committed a new state), ``overview_ms``,
``search_ms`` per query (first run: a full scan) and ``search_cached_ms`` (the next page of the same
search; medians of 5 runs where repeated), and over HTTP (aiohttp's test server, the lab token):
``first_page_ms`` for ``GET /`` (500 devices), ``overview_http_ms`` and ``devices_search_http_ms``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import statistics
import tempfile
import time
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from smets_emu.hosting.runtime import Runtime, VirtualClock
from smets_emu.tools.control_plane import make_app
from smets_emu.tools.dashboard_index import FleetIndex, Query
from smets_emu.tools.fleet_file import default_fleet
from smets_emu.tools.lab import open_lab

TOKEN = "benchmark-token-0123456789"
QUERIES = ("type:ESME", "eui:00DB1235000", "premises:premises-4242", "firmware:0123ABCD lifecycle:commissioned")


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _median_ms(fn: Any, runs: int = 5) -> float:
    """The median time of *runs* calls of *fn* (the machine may be busy: one slow run says little)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(_ms(started))
    return statistics.median(times)


async def _http(lab: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with Runtime(lab.fleet, VirtualClock(dt.datetime(2026, 1, 1, tzinfo=dt.UTC)), tick_interval=3600) as rt:
        client = TestClient(TestServer(make_app(lab, rt, token=TOKEN)),
                            headers={"Authorization": f"Bearer {TOKEN}"})
        await client.start_server()
        try:
            for name, path in (("first_page_ms", "/"), ("overview_http_ms", "/overview"),
                               ("devices_search_http_ms", "/devices?q=type:GPF&limit=500")):
                started = time.perf_counter()
                resp = await client.get(path)
                await resp.read()
                assert resp.status == 200, (path, resp.status)
                out[name] = _ms(started)
        finally:
            await client.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--json", action="store_true", help="print one JSON object only")
    args = parser.parse_args()
    figures: dict[str, Any] = {"devices": args.devices}
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        lab = open_lab(folder, default_fleet(args.devices), synchronous="OFF")
        figures["provision_s"] = round(time.perf_counter() - started, 1)
        try:
            index = FleetIndex(lab.fleet, lab.premises)
            started = time.perf_counter()
            index.refresh()
            figures["index_build_ms"] = _ms(started)
            figures["refresh_unchanged_ms"] = _median_ms(index.refresh)
            for device in list(lab.fleet.devices.values())[:100]:
                device.state = device.state.clone()
            started = time.perf_counter()
            index.refresh()
            figures["refresh_100_changed_ms"] = _ms(started)
            figures["overview_ms"] = _median_ms(index.overview)
            figures["search_ms"], figures["search_cached_ms"] = {}, {}
            for text in QUERIES:
                query = Query.parse(text)
                started = time.perf_counter()
                index.search(query, 0, 500)
                figures["search_ms"][text] = _ms(started)
                figures["search_cached_ms"][text] = _median_ms(lambda q=query: index.search(q, 500, 500))
            figures.update(asyncio.run(_http(lab)))
        finally:
            lab.close()
    print(json.dumps(figures) if args.json else json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
