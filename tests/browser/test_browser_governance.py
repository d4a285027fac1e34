"""The governance pages in a real browser (system Chromium): each page shows what the API says.

The lab runs on 127.0.0.1 with a seeded governance state (images, a commercial one, a PPCT queue
with a health-and-safety test and fast tracks); each test logs in as a party through
``/governance/login?token=...`` and saves screenshots under ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from governance_http_support import Client, ThreadedLab, fix_image_bytes, party_clients

from smets_emu.protocols.firmware import decode_image

MODEL = "010A030B"
NOTES = """# Release 0D000001

Fixes the **HAN key exposure** reported under SEC G3.20.

- rotates the HAN link key
- [CPL entry](https://example.invalid/cpl)

<script>window.__injected = 1; alert("xss")</script>
<img src=x onerror="window.__injected = 2">
[click](javascript:window.__injected=3)
"""


class Seeded:
    def __init__(self, lab: ThreadedLab, parties: dict[str, Client]) -> None:
        self.lab, self.parties = lab, parties
        self.tokens = {org: c.token for org, c in parties.items()}


def _model(version: str, image_hash: str, *, manufacturer: str = "AB01", model: str = MODEL,
           device_type: str = "ESME") -> dict[str, Any]:
    return {"manufacturer_id": manufacturer, "model_id": model, "firmware_version": version,
            "image_hash": image_hash, "generation": "SMETS1", "device_type": device_type}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    with ThreadedLab(tmp_path_factory.mktemp("browser") / "lab") as lab:
        parties = party_clients(lab)
        mfr, a, b, dcc, secas = (parties[o] for o in ("mfr-ab01", "supplier-a", "supplier-b", "dcc", "secas"))
        fix = fix_image_bytes(0x0D000001, payload=b"browser fix")
        mfr.ok("POST", "/governance/cfl", {"image": base64.b64encode(fix).decode(), "notes": NOTES,
                                           "commercial": False, "models": [f"AB01/{MODEL}"]}, status=201)
        mfr.ok("POST", "/governance/cfl", {"image": base64.b64encode(fix_image_bytes(
            0x0D000002, payload=b"commercial")).decode(), "notes": "Paid-for feature pack.", "commercial": True,
            "models": [f"AB01/{MODEL}"]}, status=201)
        report = a.ok("POST", "/governance/vulnerabilities", {"manufacturer_id": "AB01", "model_id": MODEL,
                                                             "summary": "HAN key exposure", "mitigation": "fix"},
                      status=201)
        b.ok("POST", "/governance/ppct/submissions", {"models": [_model("0E000001", "01" * 32)],
                                                      "description": "ordinary (in test)"}, status=201)
        b.ok("POST", "/governance/ppct/submissions", {"models": [_model("0E000002", "02" * 32)],
                                                      "test_kind": "health_and_safety"}, status=201)
        b.ok("POST", "/governance/ppct/submissions", {"models": [_model("0E000003", "03" * 32)],
                                                      "description": "ordinary"}, status=201)
        fixes = []
        for n in (4, 5):
            image = decode_image(fix_image_bytes(0x0E000000 + n, payload=bytes([n]) * 8))
            fixes.append(a.ok("POST", "/governance/ppct/submissions", {
                "models": [_model(image.version, image.image_hash.hex())], "vulnerability_id": report["report_id"],
                "description": "security fix"}, status=201)["submission_id"])
        for sid in fixes:
            a.ok("POST", f"/governance/ppct/submissions/{sid}/fast-track", {"assessment": "no S1SR impact"})
            dcc.ok("POST", f"/governance/ppct/submissions/{sid}/projection")
        secas.ok("POST", f"/governance/ppct/submissions/{fixes[0]}/confirmation",
                 {"ssc_notified": True, "material": True, "warrants_fast_track": True})
        yield Seeded(lab, parties)


def login(page: Any, seeded: Seeded, org: str) -> None:
    page.goto(f"{seeded.lab.base}/governance/login?token={seeded.tokens[org]}")
    assert page.url == f"{seeded.lab.base}/governance/"


def test_landing_page_after_login(page: Any, seeded: Seeded, screenshot: Any) -> None:
    login(page, seeded, "secas")
    assert page.inner_text("#party") == "SECAS (for the SSC)" and page.inner_text("#role") == "secas"
    assert page.locator("#links a").count() == 3  # no upload link for SECAS
    assert "vulnerability_reported" in page.inner_text("#notifications")
    screenshot(page, "governance-landing-secas")
    login(page, seeded, "mfr-ab01")
    assert page.locator("#links a", has_text="Upload an image").count() == 1
    screenshot(page, "governance-landing-manufacturer")
    assert page.console_errors == []


def test_cpl_page_lists_what_the_api_lists(page: Any, seeded: Seeded, screenshot: Any) -> None:
    login(page, seeded, "supplier-b")
    page.goto(f"{seeded.lab.base}/governance/pages/cpl")
    shown = page.eval_on_selector_all("#cpl tbody tr", "rows => rows.map(r => r.dataset.label)")
    api = [m["label"] for m in seeded.parties["supplier-b"].ok("GET", "/governance/cpl")["models"]]
    assert shown == api and len(shown) >= 5
    screenshot(page, "governance-cpl")
    assert page.console_errors == []


def test_cfl_list_marks_commercial_images_and_links_downloads(page: Any, seeded: Seeded, screenshot: Any) -> None:
    login(page, seeded, "supplier-b")
    page.goto(f"{seeded.lab.base}/governance/pages/cfl")
    rows = page.eval_on_selector_all("#cfl tbody tr", "rows => rows.map(r => [Number(r.dataset.imageId), "
                                     "r.dataset.commercial, r.querySelectorAll('a.download').length, r.innerText])")
    api = seeded.parties["supplier-b"].ok("GET", "/governance/cfl")["images"]
    assert [r[0] for r in rows] == [i["image_id"] for i in api]
    for (_, commercial, links, text), image in zip(rows, api, strict=True):
        assert commercial == str(image["commercial"]).lower()
        assert links == (0 if image["commercial"] else 1), text
        assert ("commercial: not distributed" in text) == image["commercial"]
        assert image["version"] in text
    screenshot(page, "governance-cfl-list")
    free = next(i for i in api if not i["commercial"])
    with page.expect_download() as info:
        page.click(f'tr[data-image-id="{free["image_id"]}"] a.download')
    download = info.value
    assert Path(download.path()).read_bytes() == seeded.parties["supplier-b"].get(free["download"]).body
    assert download.suggested_filename == f"cfl-{free['image_id']}-AB01-{free['version']}.ota"
    assert page.console_errors == []


def test_cfl_detail_renders_release_notes_without_running_their_html(page: Any, seeded: Seeded,
                                                                   screenshot: Any) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    login(page, seeded, "supplier-a")
    image = next(i for i in seeded.parties["supplier-a"].ok("GET", "/governance/cfl")["images"] if not i["commercial"])
    page.goto(f"{seeded.lab.base}/governance/pages/cfl/{image['image_id']}")
    notes = page.locator("#notes")
    assert notes.locator("h1").inner_text() == "Release 0D000001"
    assert notes.locator("strong").inner_text() == "HAN key exposure"
    assert notes.locator("li").count() == 2
    assert notes.locator("script, img, [onerror]").count() == 0
    assert "<script>" in notes.inner_text()  # shown as text
    assert notes.locator('a[href^="javascript:"]').count() == 0
    assert page.evaluate("window.__injected === undefined") and dialogs == []
    assert image["image_hash"] in page.inner_text("#facts")
    screenshot(page, "governance-cfl-detail")
    assert page.console_errors == []


def test_upload_form_works_for_a_manufacturer(page: Any, seeded: Seeded, screenshot: Any, tmp_path: Path) -> None:
    login(page, seeded, "mfr-ab01")
    page.goto(f"{seeded.lab.base}/governance/pages/upload")
    screenshot(page, "governance-upload-form")
    data = fix_image_bytes(0x0F000001, payload=b"uploaded from the browser")
    page.set_input_files('input[name="image"]', {"name": "fix.ota", "mimeType": "application/octet-stream",
                                                 "buffer": data})
    page.fill('input[name="models"]', f"AB01/{MODEL}")
    page.fill('textarea[name="notes"]', "## Uploaded in a browser\n\nA *fix*.")
    with page.expect_navigation():
        page.click('#upload button[type="submit"]')
    assert "/governance/pages/cfl/" in page.url
    assert page.locator("#notes h2").inner_text() == "Uploaded in a browser"
    image_id = int(page.url.rsplit("/", 1)[1])
    api = seeded.parties["supplier-a"].ok("GET", f"/governance/cfl/{image_id}")
    assert api["version"] == "0F000001" and api["commercial"] is False
    assert seeded.parties["supplier-a"].get(api["download"]).body == data
    screenshot(page, "governance-upload-done")
    assert page.console_errors == []


def test_upload_is_refused_for_a_supplier(page: Any, seeded: Seeded, screenshot: Any) -> None:
    login(page, seeded, "supplier-a")
    response = page.goto(f"{seeded.lab.base}/governance/pages/upload")
    assert response.status == 403 and "Only manufacturers upload" in page.inner_text("#refused")
    assert page.locator("form#upload").count() == 0
    screenshot(page, "governance-upload-refused")
    # Even a request the page itself sends (same origin, JSON, with the session's CSRF token) is refused.
    status = page.evaluate("""async () => {
        const csrf = document.querySelector('meta[name="csrf-token"]').content;
        const r = await fetch('/governance/cfl', {method: 'POST', headers: {'Content-Type': 'application/json',
            'X-CSRF-Token': csrf}, body: JSON.stringify({image: 'AAAA', notes: '', commercial: false,
            models: ['AB01/010A030B']})});
        return r.status; }""")
    assert status == 403


def test_ppct_queue_page_shows_the_api_order_marks_and_dates(page: Any, seeded: Seeded, screenshot: Any) -> None:
    login(page, seeded, "dcc")
    page.goto(f"{seeded.lab.base}/governance/pages/ppct")
    rows = page.eval_on_selector_all("#ppct tbody tr", "rows => rows.map(r => [Number(r.dataset.submissionId), "
                                     "r.dataset.fastTrack, r.dataset.testKind, r.innerText])")
    queue = seeded.parties["dcc"].ok("GET", "/governance/ppct/queue")["queue"]
    assert [r[0] for r in rows] == [i["submission"]["submission_id"] for i in queue]
    kinds = [(r[1], r[2]) for r in rows]
    assert kinds.index(("granted", "ordinary")) > kinds.index(("none", "health_and_safety"))  # never ahead of H&S
    assert kinds.index(("granted", "ordinary")) < kinds.index(("none", "ordinary"), 1)  # ahead of ordinary
    for (_, fast, kind, text), item in zip(rows, queue, strict=True):
        assert item["slot_start"] in text
        assert ("fast-tracked" in text) == (fast == "granted")
        assert ("health and safety" in text) == (kind == "health_and_safety")
        projected = item["submission"]["projected"]
        if projected is not None:
            assert projected["with_fast_track"] in text and projected["without_fast_track"] in text
        if item["submission"]["confirmation"] is not None:
            assert "SSC notified: yes" in text and "warrants fast track: yes" in text
    screenshot(page, "governance-ppct-queue")
    assert page.console_errors == []


def test_secas_confirms_a_fast_track_from_the_ppct_page(page: Any, seeded: Seeded, screenshot: Any) -> None:
    login(page, seeded, "secas")
    page.goto(f"{seeded.lab.base}/governance/pages/ppct")
    row = page.locator('tr[data-fast-track="projected"]')
    assert row.count() == 1
    sid = int(row.get_attribute("data-submission-id"))
    for name in ("ssc_notified", "material", "warrants_fast_track"):
        row.locator(f'input[name="{name}"]').check()
    with page.expect_navigation():
        row.locator("button", has_text="Confirm").click()
    assert page.locator(f'tr[data-submission-id="{sid}"]').get_attribute("data-fast-track") == "granted"
    assert seeded.parties["secas"].ok("GET", f"/governance/ppct/submissions/{sid}")["fast_track"] == "granted"
    screenshot(page, "governance-ppct-after-secas-confirmation")
    assert page.console_errors == []
