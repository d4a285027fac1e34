"""The governance HTTP API: party tokens and sessions, every route, role refusals and error statuses."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from governance_http_support import Client, ThreadedLab, fix_image_bytes, party_clients

from smets_emu.protocols.firmware import decode_image
from smets_emu.tools.governance_views import UPLOAD_BODY_LIMIT

MODEL = "010A030B"  # the scenario ESME model on the seeded CPL (manufacturer AB01)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ThreadedLab, dict[str, Client]]]:
    with ThreadedLab(tmp_path_factory.mktemp("gov") / "lab") as lab:
        yield lab, party_clients(lab)


def _upload(client: Client, data: bytes, *, commercial: bool = False, models: Any = None,
            notes: str = "notes") -> Any:
    return client.post("/governance/cfl", {"image": base64.b64encode(data).decode(), "notes": notes,
                                           "commercial": commercial, "models": models or [f"AB01/{MODEL}"]})


def test_the_operator_registers_parties_whose_tokens_are_kept_hashed(served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lab, parties = served
    made = lab.operator.ok("POST", "/governance/parties", {"org_id": "supplier-z", "name": "Zed Energy",
                                                          "role": "supplier"}, status=201)
    token = made["token"]
    assert made["party"]["role"] == "supplier" and made["login"] == f"/governance/login?token={token}"
    assert lab.client(token).ok("GET", "/governance/me")["party"]["org_id"] == "supplier-z"
    stored = (lab.folder / "governance.sqlite").read_bytes() + (lab.folder / "governance.sqlite-wal").read_bytes()
    assert token.encode() not in stored and hashlib.sha256(token.encode()).digest() in stored
    assert lab.operator.post("/governance/parties", {"org_id": "supplier-z", "name": "again",
                                                     "role": "supplier"}).status == 409
    for bad in ({"org_id": "Bad Id", "name": "x", "role": "supplier"}, {"org_id": "x", "name": "x", "role": "king"},
                {"org_id": "m", "name": "x", "role": "manufacturer"}, {"org_id": "x", "name": "x", "role": "dcc",
                                                                       "extra": 1}):
        assert lab.operator.post("/governance/parties", bad).status == 400, bad
    assert parties["dcc"].post("/governance/parties", {"org_id": "q", "name": "q", "role": "dcc"}).status == 403
    assert parties["secas"].get("/governance/parties").status == 403
    assert "supplier-z" in {p["org_id"] for p in lab.operator.ok("GET", "/governance/parties")["parties"]}
    again = lab.operator.ok("POST", "/governance/parties/supplier-z/token")["token"]
    assert lab.client(token).get("/governance/me").status == 401  # the old token stopped working
    assert lab.client(again).get("/governance/me").status == 200
    assert lab.operator.post("/governance/parties/nobody/token").status == 404


def test_who_may_call_governance_routes(served) -> None:  # type: ignore[no-untyped-def]
    lab, parties = served
    assert lab.client(None).get("/governance/cpl").status == 401
    assert lab.client("not-a-token").get("/governance/cpl").status == 401
    refused = lab.operator.get("/governance/cpl")
    assert refused.status == 403 and "no governance party" in refused.json()["error"]
    assert lab.operator.ok("GET", "/governance/me") == {"operator": True, "party": None}
    supplier = parties["supplier-a"]
    assert supplier.get("/devices").status == 401  # a party token opens governance paths only
    assert supplier.get("/governance/cpl", headers={"Origin": "http://evil.example"}).status == 403
    assert supplier.post("/governance/vulnerabilities", data=b"a=1",
                         content_type="application/x-www-form-urlencoded").status == 415
    assert supplier.get("/governance/cpl", headers={"Host": "rebound.example"}).status == 421


def test_browser_session_cookie_and_csrf_token(served) -> None:  # type: ignore[no-untyped-def]
    lab, parties = served
    token = lab.operator.ok("POST", "/governance/parties/supplier-b/token")["token"]
    parties["supplier-b"] = lab.client(token)
    anonymous = lab.client(None)
    assert anonymous.get("/governance/login?token=wrong").status == 401
    import http.client

    host, port = lab.base[len("http://"):].rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request("GET", f"/governance/login?token={token}")
    answer = conn.getresponse()
    answer.read()
    conn.close()
    cookie = answer.getheader("Set-Cookie") or ""
    assert answer.status == 303 and answer.getheader("Location") == "/governance/"
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/governance" in cookie
    session = cookie.split(";", 1)[0]
    page = anonymous.get("/governance/pages/cfl", headers={"Cookie": session})
    assert page.status == 200 and "Supplier B" in page.text
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    csrf = re.search(r'name="csrf-token" content="([0-9a-f]{64})"', page.text).group(1)  # type: ignore[union-attr]
    body = {"manufacturer_id": "AB01", "model_id": MODEL, "summary": "s", "mitigation": "m"}
    assert anonymous.post("/governance/vulnerabilities", body, headers={"Cookie": session}).status == 403
    assert anonymous.post("/governance/vulnerabilities", body, headers={"Cookie": session,
                                                                        "X-CSRF-Token": "0" * 64}).status == 403
    assert anonymous.post("/governance/vulnerabilities", body, headers={"Cookie": session,
                                                                        "X-CSRF-Token": csrf}).status == 201
    out = anonymous.get("/governance/logout", headers={"Cookie": session})
    assert "Max-Age=0" in out.headers.get("Set-Cookie", "") or out.status in (200, 303)


def test_cpl_routes_by_role(served) -> None:  # type: ignore[no-untyped-def]
    _, parties = served
    for org, client in parties.items():  # every role reads the CPL
        assert client.get("/governance/cpl").status == 200, org
    models = parties["supplier-a"].ok("GET", f"/governance/cpl?manufacturer_id=AB01&model_id={MODEL}")["models"]
    assert models and all(m["model_id"] == MODEL for m in models)
    assert parties["supplier-a"].ok("GET", f"/governance/cpl/AB01/{MODEL}")["versions"] == models
    assert parties["supplier-a"].get("/governance/cpl/AB01/0BADBEEF").status == 404
    assert parties["supplier-a"].get("/governance/cpl?model_id=xyz").status == 400
    entry = {"manufacturer_id": "CD02", "model_id": "0C0C0C0C", "firmware_version": "00000009",
             "image_hash": "AB" * 32, "generation": "SMETS2", "device_type": "GSME", "reason": "certified"}
    for org in ("mfr-cd02", "supplier-a", "dcc", "network-operator-a"):
        assert parties[org].post("/governance/cpl", entry).status == 403, org
    assert parties["secas"].ok("POST", "/governance/cpl", entry, status=201)["model"]["label"] == \
        "CD02/0C0C0C0C@00000009"
    assert parties["secas"].post("/governance/cpl", entry).status == 409
    assert parties["secas"].post("/governance/cpl", {**entry, "device_type": "TOASTER"}).status == 400
    assert parties["supplier-a"].post("/governance/cpl/CD02/0C0C0C0C/00000009/withdraw").status == 403
    parties["secas"].ok("POST", "/governance/cpl/CD02/0C0C0C0C/00000009/withdraw", {"reason": "recalled"})
    changes = parties["dcc"].ok("GET", "/governance/cpl-history")["changes"]
    assert [c["change"] for c in changes if c["subject"].startswith("CD02/0C0C0C0C")][-2:] in (
        ["add", "withdraw"], ["withdraw", "add"])
    assert isinstance(parties["supplier-b"].ok("GET", "/governance/epcl")["dmcs"], list)


def test_cfl_upload_list_detail_download_by_role(served) -> None:  # type: ignore[no-untyped-def]
    lab, parties = served
    mfr = parties["mfr-ab01"]
    data = fix_image_bytes(0x0B000001)
    image = mfr.ok("POST", "/governance/cfl", {"image": base64.b64encode(data).decode(), "commercial": False,
                                               "notes": "# Fix\n<script>alert(1)</script> [x](javascript:alert(1))",
                                               "models": [{"manufacturer_id": "AB01", "model_id": MODEL}]},
                   status=201)
    assert image["download"] == f"/governance/cfl/{image['image_id']}/image" and "notes" not in image
    commercial = _upload(mfr, fix_image_bytes(0x0B000002, payload=b"paid"), commercial=True).json()
    assert commercial["commercial"] is True and commercial["download"] is None
    for org in ("supplier-a", "supplier-b", "mfr-cd02", "dcc", "secas", "network-operator-a"):
        assert _upload(parties[org], fix_image_bytes(0x0B000003)).status == 403, org
    assert _upload(mfr, fix_image_bytes(0x0B000004), models=["CD02/0C0C0C0C"]).status == 403  # not its model
    assert _upload(mfr, b"not an image").status == 400
    assert mfr.post("/governance/cfl", {"image": "!!notbase64", "notes": "", "commercial": False,
                                        "models": [f"AB01/{MODEL}"]}).status == 400
    assert mfr.post("/governance/cfl", {"image": "AAAA", "notes": "", "commercial": "no",
                                        "models": [f"AB01/{MODEL}"]}).status == 400
    huge = mfr.post("/governance/cfl", data=b" " * (UPLOAD_BODY_LIMIT + 1), content_type="application/json")
    assert huge.status == 413

    ids = {image["image_id"], commercial["image_id"]}
    for org in ("supplier-a", "supplier-b", "dcc", "secas", "mfr-ab01"):
        listed = {i["image_id"] for i in parties[org].ok("GET", "/governance/cfl")["images"]}
        assert ids <= listed, org
    assert not ids & {i["image_id"] for i in parties["mfr-cd02"].ok("GET", "/governance/cfl")["images"]}
    assert parties["network-operator-a"].get("/governance/cfl").status == 403
    assert parties["mfr-cd02"].get(f"/governance/cfl/{image['image_id']}").status == 403

    detail = parties["supplier-b"].ok("GET", f"/governance/cfl/{image['image_id']}")
    assert "<script>" not in detail["notes_html"] and "&lt;script&gt;" in detail["notes_html"]
    assert "href=\"javascript:" not in detail["notes_html"] and "<h1>Fix</h1>" in detail["notes_html"]
    for org in ("supplier-a", "supplier-b", "dcc", "mfr-ab01"):
        got = parties[org].get(f"/governance/cfl/{image['image_id']}/image")
        assert got.status == 200 and got.body == data, org
        assert got.headers["Content-Type"] == "application/octet-stream"
        assert f'filename="cfl-{image["image_id"]}-AB01-0B000001.ota"' in got.headers["Content-Disposition"]
    for org in ("secas", "mfr-cd02", "network-operator-a"):
        assert parties[org].get(f"/governance/cfl/{image['image_id']}/image").status == 403, org
    for org in ("supplier-a", "supplier-b", "dcc", "mfr-ab01", "secas"):  # commercial: never, for anyone
        assert parties[org].get(f"/governance/cfl/{commercial['image_id']}/image").status == 403, org
    found = parties["supplier-a"].ok("GET", f"/governance/cfl/find?model={MODEL}&version=0B000001")
    assert found["image_id"] == image["image_id"]
    assert parties["supplier-a"].get(f"/governance/cfl/find?model={MODEL}&version=0B0000FF").status == 404
    assert parties["supplier-a"].get("/governance/cfl/find?model=zz&version=1").status == 400
    assert parties["supplier-a"].get("/governance/cfl/999999").status == 404
    assert parties["supplier-a"].get("/governance/cfl/abc").status == 404
    assert parties["supplier-a"].get("/governance/cfl/999999/image").status == 404


def test_a_registered_signing_key_must_sign_the_upload(served) -> None:  # type: ignore[no-untyped-def]
    lab, _ = served
    key, other = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    pem = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    made = lab.operator.ok("POST", "/governance/parties", {"org_id": "mfr-ee03", "name": "EE03 Meters",
                                                          "role": "manufacturer", "manufacturer_id": "EE03",
                                                          "signing_key_pem": pem}, status=201)
    assert made["party"]["has_signing_key"] is True
    mfr = lab.client(made["token"])
    models, kw = ["EE03/0E0E0E0E"], {"manufacturer_code": 0xEE03, "payload": b"signed"}
    assert _upload(mfr, fix_image_bytes(1, key=other, **kw), models=models).status == 400
    assert _upload(mfr, fix_image_bytes(1, **kw), models=models).status == 400  # unsigned
    good = _upload(mfr, fix_image_bytes(1, key=key, **kw), models=models)
    assert good.status == 201 and good.json()["signature"] == "verified"


def test_vulnerability_reports(served) -> None:  # type: ignore[no-untyped-def]
    _, parties = served
    body = {"manufacturer_id": "AB01", "model_id": MODEL, "summary": "weak HAN key", "mitigation": "fix coming",
            "remediation_due": "2026-06-30"}
    report = parties["supplier-a"].ok("POST", "/governance/vulnerabilities", body, status=201)
    for org in ("dcc", "secas", "network-operator-a", "mfr-cd02"):
        assert parties[org].post("/governance/vulnerabilities", body).status == 403, org
    assert parties["supplier-a"].post("/governance/vulnerabilities", {**body, "remediation_due": "2026-02-30"}
                                      ).status == 400
    rid = report["report_id"]
    for org in ("supplier-a", "mfr-ab01", "dcc", "secas"):
        assert parties[org].ok("GET", f"/governance/vulnerabilities/{rid}")["summary"] == "weak HAN key", org
    for org in ("supplier-b", "mfr-cd02"):
        assert parties[org].get(f"/governance/vulnerabilities/{rid}").status == 403, org
    assert rid in {r["report_id"] for r in parties["secas"].ok("GET", "/governance/vulnerabilities")["reports"]}
    assert parties["secas"].get("/governance/vulnerabilities/424242").status == 404


def test_ppct_routes_by_role(served) -> None:  # type: ignore[no-untyped-def]
    _, parties = served
    image = decode_image(fix_image_bytes(0x0C000001, payload=b"ppct"))
    model = {"manufacturer_id": "AB01", "model_id": MODEL, "firmware_version": image.version,
             "image_hash": image.image_hash.hex(), "generation": "SMETS1", "device_type": "ESME"}
    report = parties["supplier-b"].ok("POST", "/governance/vulnerabilities", {
        "manufacturer_id": "AB01", "model_id": MODEL, "summary": "s", "mitigation": "m"}, status=201)
    for org in ("mfr-ab01", "dcc", "secas", "network-operator-a"):
        assert parties[org].post("/governance/ppct/submissions", {"models": [model]}).status == 403, org
    plain = parties["supplier-a"].ok("POST", "/governance/ppct/submissions", {"models": [{
        **model, "firmware_version": "0C000002", "image_hash": "CD" * 32}]}, status=201)
    refused = parties["supplier-a"].post(f"/governance/ppct/submissions/{plain['submission_id']}/fast-track",
                                         {"assessment": "please"})
    assert refused.status == 409  # not a security fix: never fast tracked
    fix = parties["supplier-b"].ok("POST", "/governance/ppct/submissions", {
        "models": [model], "vulnerability_id": report["report_id"], "test_kind": "ordinary"}, status=201)
    sid = fix["submission_id"]
    base = f"/governance/ppct/submissions/{sid}"
    assert parties["supplier-a"].post(f"{base}/fast-track", {"assessment": "x"}).status == 403  # not its own
    parties["supplier-b"].ok("POST", f"{base}/fast-track", {"assessment": "no S1SR/DMVES impact"})
    for org in ("supplier-b", "secas", "mfr-ab01"):
        assert parties[org].post(f"{base}/projection").status == 403, org
    parties["dcc"].ok("POST", f"{base}/projection")
    answers = {"ssc_notified": True, "material": True, "warrants_fast_track": False}
    assert parties["dcc"].post(f"{base}/confirmation", answers).status == 403
    assert parties["secas"].post(f"{base}/confirmation", {"ssc_notified": True}).status == 400
    assert parties["secas"].ok("POST", f"{base}/confirmation", answers)["fast_track"] == "declined"
    assert parties["secas"].post(f"{base}/confirmation", answers).status == 409
    for org in ("mfr-ab01", "supplier-a", "dcc", "secas"):
        queue = parties[org].ok("GET", "/governance/ppct/queue")["queue"]
        assert sid in {i["submission"]["submission_id"] for i in queue}, org
    assert parties["network-operator-a"].get("/governance/ppct/queue").status == 403
    assert parties["supplier-a"].ok("GET", base)["fast_track"] == "declined"
    assert parties["supplier-a"].post(f"{base}/result", {"passed": True}).status == 403
    assert parties["dcc"].post("/governance/ppct/submissions/999999/result", {"passed": True}).status == 404
    assert parties["dcc"].get("/governance/ppct/submissions/999999").status == 404


def test_notifications_and_audit(served) -> None:  # type: ignore[no-untyped-def]
    _, parties = served
    parties["supplier-a"].ok("POST", "/governance/vulnerabilities", {
        "manufacturer_id": "AB01", "model_id": MODEL, "summary": "audit me", "mitigation": "m"}, status=201)
    kinds = {n["kind"] for n in parties["secas"].ok("GET", "/governance/notifications")["notifications"]}
    assert "vulnerability_reported" in kinds
    assert parties["network-operator-a"].ok("GET", "/governance/notifications")["notifications"] == []
    parties["supplier-b"].get("/governance/audit")  # refused, and audited
    for org in ("supplier-a", "mfr-ab01", "network-operator-a"):
        assert parties[org].get("/governance/audit").status == 403, org
    records = parties["dcc"].ok("GET", "/governance/audit?limit=1000")["records"]
    assert any(r["party"] == "supplier-b" and r["action"] == "audit.read" and r["outcome"] == "refused"
               for r in records)
    assert any(r["party"] == "supplier-a" and r["action"] == "vulnerability.report" and r["outcome"] == "allowed"
               for r in records)
    assert parties["secas"].get("/governance/audit?limit=0").status == 400


def test_pages_and_script_without_a_browser(served) -> None:  # type: ignore[no-untyped-def]
    lab, parties = served
    landing = lab.operator.get("/governance/")
    assert landing.status == 200 and 'id="parties"' in landing.text and "mfr-ab01" in landing.text
    assert lab.operator.get("/governance/pages/cfl").status == 403  # the operator is no party
    for path in ("/governance/pages/cpl", "/governance/pages/cfl", "/governance/pages/ppct"):
        page = parties["supplier-a"].get(path)
        assert page.status == 200, path
        assert page.headers["Content-Security-Policy"].startswith("default-src 'none'; script-src 'self'")
        assert "<script>" not in page.text and "onclick" not in page.text  # no inline script
    assert parties["supplier-a"].get("/governance/pages/upload").status == 403
    assert 'id="upload"' in parties["mfr-ab01"].ok_text("/governance/pages/upload")
    assert parties["supplier-a"].get("/governance/pages/cfl/999999").status == 404
    script = parties["supplier-a"].get("/governance/static/governance.js")
    assert script.status == 200 and script.headers["Content-Type"].startswith("text/javascript")
    assert "X-CSRF-Token" in script.text
    assert lab.client(None).get("/governance/static/governance.js").status == 401
