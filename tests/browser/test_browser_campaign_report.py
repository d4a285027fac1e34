"""The live campaign report through the control plane in a real browser (system Chromium).

A lab of ten ESMEs (behind their CHFs) holds a campaign with a future-dated activation and one
device whose HAN link fails; the lab is served, the browser opens ``/campaigns/{id}/report`` with
``?token=`` once (the cookie login): the counts match ``GET /campaigns/{id}``, the page refreshes itself
while activations are scheduled, and after the lab's clock passes the activation time the
regenerated report shows the devices running the new version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from governance_http_support import START, ThreadedLab

from smets_emu.hosting.han_network import HanLink
from smets_emu.parties.campaign import Campaign
from smets_emu.parties.headend import HeadEnd
from smets_emu.protocols.firmware import UpgradeImage, sign_image
from smets_emu.protocols.keystore import KeyUsage
from smets_emu.tools.fleet_file import default_fleet
from smets_emu.tools.lab import open_lab

SUPPLIER = "90B3D51F30010000"


def stored_campaign(folder: Path) -> str:
    """Provision a 40-device lab and run a campaign in it (activation due 2 h after START); its id."""
    lab = open_lab(folder, default_fleet(40), synchronous="OFF")
    try:
        esmes = sorted(e for e, d in lab.fleet.devices.items() if d.device_type == "ESME")
        image = UpgradeImage(0x121D, 0, 0x02000000, bytes(range(256)) * 8, "browser campaign", (0x1100, 0x1300))
        key = lab.keystore.private_key(SUPPLIER, KeyUsage.DS)
        campaign = Campaign.create(lab.fleet, sign_image(image, key).encode(), esmes, START,  # type: ignore[arg-type]
                                   stages=(0.2, 1.0), error_threshold=0.5, activate=START + dt.timedelta(hours=2),
                                   headend=HeadEnd(lab.keystore))
        campaign.links = {esmes[4]: HanLink(down_after=5)}
        assert campaign.run() == "completed"
        return str(campaign.record["id"])
    finally:
        lab.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ThreadedLab, str]]:
    folder = tmp_path_factory.mktemp("campaign-browser") / "lab"
    campaign_id = stored_campaign(folder)
    with ThreadedLab(folder) as lab:
        yield lab, campaign_id


def _outcomes(page: Any) -> dict[str, int]:
    rows = page.eval_on_selector_all("#outcomes tbody tr[data-outcome]",
                                     "rows => rows.map(r => [r.dataset.outcome, r.cells[1].innerText])")
    return {name: int(count.replace(",", "")) for name, count in rows}


def test_live_report_page(page: Any, served: tuple[ThreadedLab, str], screenshot: Any) -> None:
    lab, campaign_id = served
    operator = lab.operator
    listed = operator.ok("GET", "/campaigns")["campaigns"]
    assert [c["id"] for c in listed] == [campaign_id] and listed[0]["report"] == f"/campaigns/{campaign_id}/report"
    summary = operator.ok("GET", f"/campaigns/{campaign_id}")
    assert summary["outcomes"] == {"failed": 1, "scheduled": 9}

    response = page.goto(f"{lab.base}/campaigns/{campaign_id}/report?token={lab.lab_token}")  # the cookie login
    assert response.status == 200 and page.url == f"{lab.base}/campaigns/{campaign_id}/report"
    assert page.inner_text("#campaign-id") == campaign_id
    assert _outcomes(page) == summary["outcomes"]
    assert page.locator('meta[http-equiv="refresh"]').count() == 1  # activations are still to come
    failed = page.locator("#devices tbody tr.failed")
    assert failed.count() == 1 and "fileTransferFailure (3)" in failed.inner_text()
    assert page.locator("#stage-chart rect").count() >= 2
    assert page.evaluate("document.scripts.length") == 0
    screenshot(page, "campaign-report-scheduled")

    advanced = operator.ok("POST", "/clock/advance", {"hours": 3})
    assert dt.datetime.fromisoformat(advanced["time"]) > START + dt.timedelta(hours=2)
    page.reload()
    after = operator.ok("GET", f"/campaigns/{campaign_id}")
    assert after["outcomes"] == {"failed": 1, "running": 9} == _outcomes(page)
    assert page.locator('meta[http-equiv="refresh"]').count() == 0  # nothing left to change
    assert "02000000" in page.inner_text("#versions-running")
    screenshot(page, "campaign-report-running")
    assert page.console_errors == []


def test_campaign_routes_need_the_token_and_a_known_id(served: tuple[ThreadedLab, str]) -> None:
    lab, campaign_id = served
    assert lab.client(None).get("/campaigns").status == 401
    assert lab.client(None).get(f"/campaigns/{campaign_id}/report").status == 401
    assert lab.operator.get("/campaigns/0000-nope").status == 404
    assert lab.operator.get("/campaigns/%3Cscript%3E/report").status == 400
    report = lab.operator.get(f"/campaigns/{campaign_id}/report")
    assert report.status == 200 and "default-src 'none'" in report.headers["Content-Security-Policy"]
