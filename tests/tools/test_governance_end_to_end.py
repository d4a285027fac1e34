"""From a vulnerability to a fixed device, through the lab's HTTP API only.

A G3.20 vulnerability report for the lab ESME's device model -> the manufacturer uploads the fix
to the CFL -> the supplier submits the fix's DMC to PPCT and asks for the security fast track ->
DCC sends SECAS the projected dates -> SECAS confirms all three questions and the fix moves ahead
of an ordinary test -> the PPCT slot starts on the lab clock and DCC records a pass -> the fix's
device model is on the EPCL and the CPL -> a supplier with no relationship to the manufacturer
finds the image in the CFL, downloads it and upgrades the lab ESME with SRV 11.1 and 11.3 through
``POST /duis`` (three ESMEs of a twelve-device lab fleet), which the DSP refused with E110101 before the CPL entry.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec
from governance_http_support import Client, ThreadedLab

from smets_emu.parties.smets1.request_ids import time_counter
from smets_emu.protocols.firmware import UpgradeImage, sign_image
from smets_emu.protocols.keystore import KeyUsage

SUPPLIER_EUI = "90-B3-D5-1F-30-01-00-00"  # the lab devices' Responsible Supplier on the DSP
DCC_ACCESS = "90-B3-D5-1F-30-00-00-02"
MANUFACTURER, MODEL = "AB01", "0F0A030B"  # the lab devices' device model in the DSP inventory
FIX_VERSION = 0x0A000001

UPDATE = f"""<?xml version="1.0" encoding="UTF-8"?>
<sr:Request xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway" schemaVersion="5.4">
  <sr:Header>
    <sr:RequestID>{SUPPLIER_EUI}:{DCC_ACCESS}:{{counter}}</sr:RequestID>
    <sr:CommandVariant>8</sr:CommandVariant>
    <sr:ServiceReference>11.1</sr:ServiceReference>
    <sr:ServiceReferenceVariant>11.1</sr:ServiceReferenceVariant>
  </sr:Header>
  <sr:Body>
    <sr:UpdateFirmware>
      <sr:FirmwareImage>{{image}}</sr:FirmwareImage>
      <sr:FirmwareVersion>{{version}}</sr:FirmwareVersion>
      {{devices}}
    </sr:UpdateFirmware>
  </sr:Body>
</sr:Request>"""
ACTIVATE = f"""<?xml version="1.0" encoding="UTF-8"?>
<sr:Request xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway" schemaVersion="5.4">
  <sr:Header>
    <sr:RequestID>{SUPPLIER_EUI}:{{esme}}:{{counter}}</sr:RequestID>
    <sr:CommandVariant>4</sr:CommandVariant>
    <sr:ServiceReference>11.3</sr:ServiceReference>
    <sr:ServiceReferenceVariant>11.3</sr:ServiceReferenceVariant>
  </sr:Header>
  <sr:Body><sr:ActivateFirmware><sr:FirmwareHash>{{hash}}</sr:FirmwareHash></sr:ActivateFirmware></sr:Body>
</sr:Request>"""

_SEQ = itertools.count(1)


def counter(lab_operator: Client) -> int:
    """A DUIS RequestID counter: milliseconds since 1970 on the lab clock, strictly increasing in this test."""
    now = dt.datetime.fromisoformat(lab_operator.ok("GET", "/clock")["time"])
    return time_counter(now) + next(_SEQ)


def duis(lab_operator: Client, xml: str) -> str:
    reply = lab_operator.post("/duis", data=xml.encode(), content_type="application/xml")
    assert reply.status == 200, reply
    return reply.text


def response_code(answer: str) -> str:
    start = answer.index("<sr:ResponseCode>") + len("<sr:ResponseCode>")
    return answer[start:answer.index("</sr:ResponseCode>")]


def dashed(eui: str) -> str:
    return "-".join(eui[i:i + 2] for i in range(0, 16, 2))


def fix_image(key: ec.EllipticCurvePrivateKey) -> UpgradeImage:
    """The manufacturer's fix for the lab ESME (manufacturer code, image type and hardware it accepts)."""
    body = bytes((i * 13 + 7) & 0xFF for i in range(4096))
    image = UpgradeImage(0x121D, 0x0000, FIX_VERSION, body, "AB01 security fix", (0x1100, 0x1300))
    return sign_image(image, key)  # the lab's image-signing key (the devices' supplier DS anchor)


def test_vulnerability_to_fixed_device_through_the_http_api(tmp_path: Path) -> None:
    with ThreadedLab(tmp_path / "lab", devices=12) as lab:
        operator = lab.operator
        esmes = sorted(d["eui"] for d in operator.ok("GET", "/devices")["devices"] if d["type"] == "ESME")
        assert len(esmes) == 3
        device_list = "".join(f"<sr:DeviceIDList>{dashed(e)}</sr:DeviceIDList>" for e in esmes)
        tokens = {org: operator.ok("POST", f"/governance/parties/{org}/token", {})["token"]
                  for org in ("mfr-ab01", "supplier-a", "supplier-b", "dcc", "secas")}
        new = operator.ok("POST", "/governance/parties", {"org_id": "supplier-new", "name": "New Energy Ltd",
                                                          "role": "supplier"}, status=201)
        tokens["supplier-new"] = new["token"]
        manufacturer, supplier, other, dcc, secas, gaining = (lab.client(tokens[o]) for o in (
            "mfr-ab01", "supplier-a", "supplier-b", "dcc", "secas", "supplier-new"))
        assert lab.lab is not None
        key = lab.lab.keystore.private_key(SUPPLIER_EUI.replace("-", ""), KeyUsage.DS)
        image = fix_image(key)  # type: ignore[arg-type]
        data, version, image_hash = image.encode(), image.version, image.image_hash.hex().upper()

        # 0. The lab ESME's device model as installed (its running firmware) is on the CPL: SECAS lists it.
        running = operator.ok("GET", f"/devices/{esmes[0]}")["firmware"]["running"]["version"]
        secas.ok("POST", "/governance/cpl", {"manufacturer_id": MANUFACTURER, "model_id": MODEL,
                                             "firmware_version": running, "generation": "SMETS2",
                                             "device_type": "ESME", "reason": "installed lab ESME"}, status=201)

        # 1. SEC G3.20: the supplier reports the vulnerability; SECAS is notified.
        report = supplier.ok("POST", "/governance/vulnerabilities", {
            "manufacturer_id": MANUFACTURER, "model_id": MODEL, "summary": "HAN key exposure on ESME 0F0A030B",
            "mitigation": "manufacturer fix in preparation", "remediation_due": "2026-03-01"}, status=201)
        assert any(n["kind"] == "vulnerability_reported" for n in secas.ok("GET", "/governance/notifications")[
            "notifications"])

        # Before any CPL entry the DSP refuses both 11.1 and 11.3 for the fix with E110101.
        encoded = base64.b64encode(data).decode()
        refused = duis(operator, UPDATE.format(counter=counter(operator), image=encoded, version=version,
                                               devices=device_list))
        assert response_code(refused) == "E110101", refused  # the request and each of the three devices
        assert refused.count("<sr:ResponseCode>E110101<") == 4, refused
        assert "<sr:ResponseCode>I0<" not in refused
        refused = duis(operator, ACTIVATE.format(counter=counter(operator), hash=image_hash, esme=dashed(esmes[0])))
        assert response_code(refused) == "E110101", refused

        # 2. The manufacturer uploads the fix to the CFL: pending CPL until PPCT passes.
        uploaded = manufacturer.ok("POST", "/governance/cfl", {
            "image": encoded, "notes": "# Security fix\n\nCloses the HAN key exposure (report "
                                       f"{report['report_id']}).", "commercial": False,
            "models": [f"{MANUFACTURER}/{MODEL}"]}, status=201)
        assert uploaded["cpl_status"] == "pending_cpl" and uploaded["image_hash"] == image_hash

        # 3. Two ordinary tests are queued (the first one's slot has started); the supplier submits the
        #    fix and asks for the fast track.
        running_test, ordinary = (other.ok("POST", "/governance/ppct/submissions", {"models": [{
            "manufacturer_id": "CD02", "model_id": "11223344", "firmware_version": f"0000000{n}",
            "image_hash": f"{n}{n}" * 32, "generation": "SMETS2", "device_type": "GSME"}],
            "description": "ordinary release"}, status=201) for n in (1, 2))
        model = {"manufacturer_id": MANUFACTURER, "model_id": MODEL, "firmware_version": version,
                 "image_hash": image_hash, "generation": "SMETS2", "device_type": "ESME"}
        fix = supplier.ok("POST", "/governance/ppct/submissions", {
            "models": [model], "vulnerability_id": report["report_id"], "description": "security fix"}, status=201)
        sid = fix["submission_id"]
        queue = [i["submission"]["submission_id"] for i in dcc.ok("GET", "/governance/ppct/queue")["queue"]]
        assert queue == [running_test["submission_id"], ordinary["submission_id"], sid]
        supplier.ok("POST", f"/governance/ppct/submissions/{sid}/fast-track",
                    {"assessment": "no S1SR or DMVES impact; no interoperability impact"})

        # 4. DCC tells SECAS both projected dates; SECAS confirms all three; the fix moves ahead.
        dates = dcc.ok("POST", f"/governance/ppct/submissions/{sid}/projection")
        assert dates["with_fast_track"] < dates["without_fast_track"]
        granted = secas.ok("POST", f"/governance/ppct/submissions/{sid}/confirmation",
                           {"ssc_notified": True, "material": True, "warrants_fast_track": True})
        assert granted["fast_track"] == "granted"
        queue = dcc.ok("GET", "/governance/ppct/queue")["queue"]
        assert [i["submission"]["submission_id"] for i in queue] == [running_test["submission_id"], sid,
                                                                     ordinary["submission_id"]]
        assert any(n["kind"] == "ppct_slot_moved" for n in other.ok("GET", "/governance/notifications")[
            "notifications"])

        # 5. The running test ends; the fix's slot starts on the lab clock; DCC records the pass: EPCL and CPL.
        dcc.ok("POST", f"/governance/ppct/submissions/{running_test['submission_id']}/result", {"passed": True})
        queue = dcc.ok("GET", "/governance/ppct/queue")["queue"]
        assert queue[0]["submission"]["submission_id"] == sid
        early = dcc.post(f"/governance/ppct/submissions/{sid}/result", {"passed": True})
        now = dt.datetime.fromisoformat(operator.ok("GET", "/clock")["time"])
        wait = (dt.datetime.fromisoformat(queue[0]["slot_start"]) - now).total_seconds()
        assert early.status == (409 if wait > 0 else 200), early
        if wait > 0:
            operator.ok("POST", "/clock/advance", {"seconds": wait + 60})
        passed = dcc.ok("POST", f"/governance/ppct/submissions/{sid}/result", {"passed": True})
        assert passed["status"] == "passed"
        labels = [m["label"] for m in gaining.ok("GET", f"/governance/cpl?model_id={MODEL}")["models"]]
        assert f"{MANUFACTURER}/{MODEL}@{version}" in labels
        assert any(m["firmware_version"] == version for d in gaining.ok("GET", "/governance/epcl")["dmcs"]
                   for m in d["models"])

        # 6. A supplier with no relationship to the manufacturer finds and downloads the fix.
        found = gaining.ok("GET", f"/governance/cfl/find?model={MODEL}&version={version}")
        assert found["image_id"] == uploaded["image_id"] and found["cpl_status"] == "listed"
        download = gaining.get(found["download"])
        assert download.status == 200 and download.body == data
        assert download.headers["Content-Type"] == "application/octet-stream"
        assert download.headers["Content-Disposition"].startswith("attachment;")

        # 7. ... and upgrades the lab fleet's ESMEs: 11.1 then 11.3 now succeed.
        encoded = base64.b64encode(download.body).decode()
        answer = duis(operator, UPDATE.format(counter=counter(operator), image=encoded, version=version,
                                              devices=device_list))
        assert response_code(answer) == "I99", answer  # the DSP's answer to an 11.1 for several devices
        assert answer.count("<sr:DeviceResult>") == 3 and answer.count("<sr:ResponseCode>I0<") == 3, answer
        assert "E110101" not in answer
        for esme in esmes:
            answer = duis(operator, ACTIVATE.format(counter=counter(operator), hash=image_hash, esme=dashed(esme)))
            assert response_code(answer) == "I0", answer
            assert operator.ok("GET", f"/devices/{esme}")["firmware"]["running"]["version"] == version

        # Every access is in the audit log, the download included.
        records = secas.ok("GET", "/governance/audit?limit=1000")["records"]
        assert any(r["party"] == "supplier-new" and r["action"] == "cfl.download" and r["outcome"] == "allowed"
                   for r in records)
