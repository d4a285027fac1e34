"""The dashboard in a real browser (system Chromium): paging a large fleet, a device page against the API,
the live feed, and the clock and fault controls.

The lab runs on 127.0.0.1 with its WAN front (GFI framing) and control plane in a thread of its own;
the browser logs in once through ``/?token=`` and saves screenshots under ``test-artifacts/screenshots/``.
Page times are the browser's own (Navigation Timing: start of navigation to the end of the load
event); the 100,000-device run writes them to ``test-artifacts/dashboard-timings.json``.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from governance_http_support import ThreadedLab

from smets_emu.tools.wan_client import RemoteParty, WanClient

REPO_ROOT = Path(__file__).resolve().parents[2]
ESME = "00DB1234567890A0"
LOAD_TIME = "() => { const n = performance.getEntriesByType('navigation')[0]; return n.loadEventEnd - n.startTime; }"
ROWS = "rows => rows.map(r => r.dataset.eui)"


class WanLab(ThreadedLab):
    """A :class:`ThreadedLab` with its WAN front listening (GFI framing), opened with a generous start-up time."""

    gfi_port = 0
    open_timeout = 3600

    def run(self, coro: Any, timeout: float = 30) -> Any:
        """Run a coroutine in the lab's event loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def send(self, messages: list[bytes]) -> list[Any]:
        """Send commands over the WAN front, one after the other; the exchanges."""
        async def go() -> list[Any]:
            assert self.gfi is not None
            async with await WanClient.connect(*self.gfi) as wan:
                return [await wan.exchange(m) for m in messages]
        return self.run(go())

    def party(self) -> RemoteParty:
        assert self.lab is not None
        return RemoteParty(self.lab.keystore, None)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WanLab]:
    with WanLab(tmp_path_factory.mktemp("dashboard") / "lab", devices=1000) as lab:
        yield lab


def login(page: Any, lab: ThreadedLab) -> None:
    page.goto(f"{lab.base}/?token={lab.lab_token}&limit=1")
    assert page.url == f"{lab.base}/?limit=1"


def page_through(page: Any, lab: ThreadedLab, limit: int) -> dict[str, Any]:
    """Open the fleet page and follow its "next" links to the end; the EUIs listed and the load times (ms)."""
    page.goto(f"{lab.base}/?limit={limit}")
    first = page.evaluate(LOAD_TIME)
    total = int(page.get_attribute("#shown", "data-total"))
    seen: list[str] = page.eval_on_selector_all("#devices tbody tr", ROWS)
    times = [first]
    while page.locator("a#next").count():
        with page.expect_navigation():
            page.click("a#next")
        times.append(page.evaluate(LOAD_TIME))
        seen += page.eval_on_selector_all("#devices tbody tr", ROWS)
    return {"total": total, "seen": seen, "first_ms": first, "times": times}


def test_fleet_pages_list_every_device(page: Any, lab: WanLab, screenshot: Any) -> None:
    login(page, lab)
    result = page_through(page, lab, 100)
    api = lab.operator.ok("GET", "/devices?limit=1")["total"]
    assert result["total"] == api == 1000
    assert len(result["seen"]) == len(set(result["seen"])) == 1000 and len(result["times"]) == 10
    assert result["first_ms"] < 1000, result["times"]
    print(json.dumps({"devices": 1000, "first_page_ms": round(result["first_ms"], 1),
                      "median_page_ms": round(statistics.median(result["times"]), 1)}))
    page.goto(f"{lab.base}/?limit=100")
    overview = lab.operator.ok("GET", "/overview")
    shown = page.eval_on_selector_all("#by-type tr",
                                      "rows => rows.map(r => [r.dataset.key, Number(r.cells[1].innerText)])")
    assert dict(shown) == overview["by_type"]
    screenshot(page, "dashboard-fleet")
    page.fill('input[name="q"]', "type:ESME premises:home")
    with page.expect_navigation():
        page.click("#search button")
    assert page.eval_on_selector_all("#devices tbody tr", ROWS) == [ESME]
    screenshot(page, "dashboard-search")
    assert page.console_errors == []


def _dom_device(page: Any) -> dict[str, Any]:
    return {
        "anchors": page.eval_on_selector_all("#anchors tbody tr", "rows => rows.map(r => ({cell: r.dataset.cell, "
                                             "party: r.dataset.party || null, empty: r.dataset.empty === 'true'}))"),
        "counters": dict(page.eval_on_selector_all("#counters tbody tr",
                                                   "rows => rows.map(r => [r.dataset.role, Number(r.dataset.value)])")),
        "slots": page.eval_on_selector_all("#firmware tbody tr", "rows => rows.map(r => [r.dataset.slot, r.dataset."
                                           "version || null, r.dataset.size || null, r.dataset.hash || null])"),
        "version": page.inner_text("#firmware-version"),
    }


def _api_slots(firmware: dict[str, Any]) -> list[list[Any]]:
    out = []
    for name in ("running", "pending", "previous"):
        slot = firmware.get(name)
        if slot is None:
            out.append([name, None, None, None])
            continue
        size = slot["image"]["size"] if isinstance(slot.get("image"), dict) else slot["size"]
        out.append([name, slot["version"], str(size), slot["hash"]])
    return out


def test_device_page_matches_the_api(page: Any, lab: WanLab, screenshot: Any) -> None:
    party = lab.party()
    counter = party.next_counter()
    answers = lab.send([party.build(0x0059, to=bytes.fromhex(ESME), counter=counter)])
    assert answers[0].response is not None
    login(page, lab)
    page.goto(f"{lab.base}/pages/devices/{ESME}")
    dom = _dom_device(page)
    api = lab.operator.ok("GET", f"/devices/{ESME}")
    assert dom["anchors"] == [{"cell": c["cell"], "party": c["party"], "empty": c["empty"]} for c in api["anchors"]]
    assert len(dom["anchors"]) == 12 and dom["counters"] == api["counters"] and dom["counters"]["supplier"] == counter
    assert dom["slots"] == _api_slots(api["firmware"]) and dom["version"] == api["firmware"]["version"]
    # each populated cell shows its certificate: the subject EUI the API names, a key usage, an SKI and validity
    cells = page.eval_on_selector_all("#anchors tbody tr", "rows => rows.map(r => [r.dataset.party, "
                                      "(r.querySelector('[data-field=eui]') || {}).textContent, "
                                      "(r.querySelector('[data-field=ski]') || {}).textContent, "
                                      "(r.querySelector('[data-field=not-after]') || {}).textContent])")
    for party_eui, cert_eui, ski, not_after in cells:
        if party_eui and party_eui != "0000000000000000":
            assert cert_eui == party_eui and ski and not_after
    traffic = page.eval_on_selector_all("#traffic tbody tr", "rows => rows.map(r => r.dataset.kind)")
    assert "command" in traffic and "response" in traffic
    screenshot(page, "dashboard-device")
    assert page.console_errors == []


def test_alert_from_a_command_reaches_the_live_feed_within_a_second(page: Any, lab: WanLab, screenshot: Any) -> None:
    login(page, lab)
    page.goto(f"{lab.base}/?limit=20")
    page.wait_for_selector("#feed-status.ok")  # the event stream is open
    party = lab.party()
    command = party.build(0x0059, to=bytes.fromhex(ESME), counter=party.next_counter())
    lab.send([command])
    page.wait_for_selector('#feed li.traffic[data-message-code="0x0059"]')  # frames arrive too
    started = time.monotonic()
    exchange = lab.send([command])[0]  # replayed: the ESME refuses it and raises an alert
    page.wait_for_selector(f'#feed li.alert[data-device="{ESME}"][data-message-code="0x1001"]', timeout=5000)
    elapsed = time.monotonic() - started
    assert exchange.response is None and exchange.alerts
    assert elapsed < 1.0, elapsed
    print(json.dumps({"alert_to_feed_s": round(elapsed, 3)}))
    screenshot(page, "dashboard-live-feed")
    assert page.console_errors == []


def test_clock_and_fault_controls(page: Any, lab: WanLab, screenshot: Any) -> None:
    login(page, lab)
    page.goto(f"{lab.base}/?limit=20")
    before = lab.operator.ok("GET", "/clock")["time"]
    page.fill('#clock-advance input[name="amount"]', "2")
    page.select_option('#clock-advance select[name="unit"]', "days")
    with page.expect_navigation():
        page.click("#clock-advance button")
    after = lab.operator.ok("GET", "/clock")["time"]
    assert after > before and page.inner_text("#clock") == after
    page.goto(f"{lab.base}/pages/devices/{ESME}")
    page.select_option('#fault select[name="kind"]', "drop")
    page.fill('#fault input[name="count"]', "3")
    with page.expect_navigation():
        page.click("#fault button")
    assert lab.operator.ok("GET", f"/devices/{ESME}")["faults"] == [
        {"kind": "drop", "count": 3, "seconds": 0.0, "direction": "command"}]
    assert "1 pending: drop x3" in page.inner_text("#faults")
    screenshot(page, "dashboard-faults")
    with page.expect_navigation():
        page.click("#clear-faults button")
    assert lab.operator.ok("GET", f"/devices/{ESME}")["faults"] == []
    assert page.console_errors == []
    # without the page's CSRF token the cookie cannot change anything
    status = page.evaluate("""async () => (await fetch('/clock/advance', {method: 'POST',
        headers: {'Content-Type': 'application/json'}, body: '{"seconds": 1}'})).status""")
    assert status == 401


# --------------------------------------------------------------------------- 100,000 devices


@pytest.fixture(scope="module")
def big_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WanLab, float]]:
    started = time.monotonic()
    with WanLab(tmp_path_factory.mktemp("dashboard-100k") / "lab", devices=100_000) as lab:
        yield lab, time.monotonic() - started


@pytest.mark.slow
def test_a_100000_device_lab_page_by_page(page: Any, big_lab: tuple[WanLab, float], screenshot: Any) -> None:
    lab, provisioning = big_lab
    login(page, lab)
    result = page_through(page, lab, 1000)
    assert result["total"] == 100_000 and len(result["times"]) == 100
    assert len(result["seen"]) == len(set(result["seen"])) == 100_000
    page.goto(f"{lab.base}/")  # the default page: 500 devices
    default_first = page.evaluate(LOAD_TIME)
    search_started = time.monotonic()
    page.goto(f"{lab.base}/?q=premises:premises-24999")
    search_ms = page.evaluate(LOAD_TIME)
    assert page.locator("#devices tbody tr").count() == 4, time.monotonic() - search_started
    timings = {"devices": 100_000, "provisioning_and_start_s": round(provisioning, 1),
               "first_page_ms": round(result["first_ms"], 1), "default_first_page_ms": round(default_first, 1),
               "pages": len(result["times"]), "median_page_ms": round(statistics.median(result["times"]), 1),
               "max_page_ms": round(max(result["times"]), 1), "search_page_ms": round(search_ms, 1),
               "page_size": 1000}
    print(json.dumps(timings))
    out = REPO_ROOT / "test-artifacts" / "dashboard-timings.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(timings, indent=2) + "\n")
    screenshot(page, "dashboard-100k-search")
    assert result["first_ms"] < 1000 and default_first < 1000, timings
    assert page.console_errors == []

