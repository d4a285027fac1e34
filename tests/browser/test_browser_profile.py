"""A meter's profile on its device page, in a real browser (system Chromium): the plot shows the numbers the
readings route answers, and a device event scheduled over HTTP shows in the device's alerts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from governance_http_support import ThreadedLab

ESME = "00DB1234567890A0"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadedLab]:
    with ThreadedLab(tmp_path_factory.mktemp("profile") / "lab") as lab:
        yield lab


def test_device_page_plots_the_readings(page: Any, lab: ThreadedLab, screenshot: Any) -> None:
    page.goto(f"{lab.base}/?token={lab.lab_token}&limit=1")
    page.goto(f"{lab.base}/pages/devices/{ESME}")
    plot = page.locator("svg#profile")
    assert plot.is_visible()
    shown = {name: plot.get_attribute(f"data-{name}") for name in ("points", "total", "from", "to")}
    link = page.get_attribute("#profile-json", "href")
    api = lab.operator.ok("GET", link)
    assert int(shown["points"]) == len(api["intervals"]) == 49
    assert int(shown["total"]) == api["interval_total"] == sum(i["value"] for i in api["intervals"]) > 0
    assert shown["from"] == api["intervals"][0]["end"] and shown["to"] == api["intervals"][-1]["end"]
    points = page.get_attribute("svg#profile polyline", "points").split()
    assert len(points) == 49
    screenshot(page, "dashboard-profile")

    scheduled = lab.operator.ok("POST", f"/devices/{ESME}/events", {"kind": "over-current"}, status=201)
    assert scheduled["alerts"] == 1
    page.reload()
    assert "0x1001" in page.inner_text("#device-alerts")
    assert page.console_errors == []
