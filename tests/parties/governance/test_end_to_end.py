"""From a vulnerability to a fixed fleet, through the governance services and the lab's DSP.

G3.20 vulnerability report for the lab's ESME model -> the manufacturer uploads a signed fix to the
CFL (pending CPL) -> Supplier A submits the DMC to PPCT and asks for the security fast track -> DCC
sends SECAS both projected dates -> SECAS confirms for the SSC Chair -> the DMC passes ahead of
Supplier B's ordinary test (Supplier B is notified), never ahead of the health-and-safety test ->
PPCT pass: EPCL and CPL entries -> Supplier A, which has no relationship with the manufacturer,
downloads the image, signs it as the supplier and upgrades the lab's ESMEs with SRV 11.1/11.3,
which the DSP refused with E110101 before the CPL entry.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec
from governance_helpers import Clock, public_pem

from smets_emu.emulator.firmware.slots import FirmwareSlots
from smets_emu.parties.governance import (
    DeviceModel,
    DeviceType,
    FastTrack,
    Generation,
    SubmissionStatus,
    TestKind,
    render_notes,
)
from smets_emu.parties.smets1.dsp import Dsp
from smets_emu.parties.smets1.request_ids import time_counter
from smets_emu.protocols.duis import DuisResponse, ResponseCode, parse_response
from smets_emu.protocols.firmware import UpgradeImage, decode_image, sign_image
from smets_emu.protocols.keystore import KeyUsage
from smets_emu.tools.fleet_file import default_fleet
from smets_emu.tools.lab import open_lab
from smets_emu.tools.lab_dsp import LAB_MODEL, open_lab_dsp
from smets_emu.tools.lab_governance import open_lab_governance

SUPPLIER_A_EUI = "90-B3-D5-1F-30-01-00-00"  # the lab's registered supplier; org "supplier-a"
DCC_ACB = "90-B3-D5-1F-30-00-00-02"
_SEQ = itertools.count(1)

UPDATE = """<?xml version="1.0" encoding="UTF-8"?>
<sr:Request xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway" schemaVersion="5.4">
  <sr:Header>
    <sr:RequestID>{sender}:{acb}:{counter}</sr:RequestID>
    <sr:CommandVariant>8</sr:CommandVariant>
    <sr:ServiceReference>11.1</sr:ServiceReference>
    <sr:ServiceReferenceVariant>11.1</sr:ServiceReferenceVariant>
  </sr:Header>
  <sr:Body><sr:UpdateFirmware>
    <sr:FirmwareImage>{image}</sr:FirmwareImage>
    <sr:FirmwareVersion>{version}</sr:FirmwareVersion>
    {devices}
  </sr:UpdateFirmware></sr:Body>
</sr:Request>"""

ACTIVATE = """<?xml version="1.0" encoding="UTF-8"?>
<sr:Request xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway" schemaVersion="5.4">
  <sr:Header>
    <sr:RequestID>{sender}:{device}:{counter}</sr:RequestID>
    <sr:CommandVariant>4</sr:CommandVariant>
    <sr:ServiceReference>11.3</sr:ServiceReference>
    <sr:ServiceReferenceVariant>11.3</sr:ServiceReferenceVariant>
  </sr:Header>
  <sr:Body><sr:ActivateFirmware><sr:FirmwareHash>{hash}</sr:FirmwareHash></sr:ActivateFirmware></sr:Body>
</sr:Request>"""


def _counter() -> int:
    """A time-based RequestID counter (wall clock), above every earlier one of this run."""
    return time_counter(dt.datetime.now(dt.UTC)) + next(_SEQ)


def _eui(eui: bytes) -> str:
    return "-".join(f"{b:02X}" for b in eui)


def _update(dsp: Dsp, data: bytes, version: str, esmes: list[bytes], now: dt.datetime) -> DuisResponse:
    devices = "".join(f"<sr:DeviceIDList>{_eui(e)}</sr:DeviceIDList>" for e in esmes)
    xml = UPDATE.format(sender=SUPPLIER_A_EUI, acb=DCC_ACB, counter=_counter(),
                        image=base64.b64encode(data).decode(), version=version, devices=devices)
    return parse_response(dsp.submit_xml(xml.encode(), now=now))


def _activate(dsp: Dsp, image_hash: bytes, esme: bytes, now: dt.datetime) -> DuisResponse:
    xml = ACTIVATE.format(sender=SUPPLIER_A_EUI, device=_eui(esme), counter=_counter(), hash=image_hash.hex().upper())
    return parse_response(dsp.submit_xml(xml.encode(), now=now))


def _device_codes(response: DuisResponse) -> list[str]:
    return [c.text for r in response.body for c in r.children if c.name == "ResponseCode"]  # type: ignore[union-attr]


def test_vulnerability_to_fixed_fleet(tmp_path: Path) -> None:
    lab = open_lab(tmp_path / "lab", default_fleet(12), synchronous="OFF")
    clock = Clock(dt.datetime.now(dt.UTC).replace(microsecond=0))
    gov = open_lab_governance(lab, clock=clock)
    dsp = open_lab_dsp(lab, governance=gov)
    try:
        esmes = sorted(e for e, d in lab.fleet.devices.items() if d.device_type == "ESME")
        assert len(esmes) == 3
        # other suppliers' tests already in the PPCT queue: one under way, a health-and-safety test, an ordinary one
        for n, kind in enumerate((TestKind.ORDINARY, TestKind.HEALTH_AND_SAFETY, TestKind.ORDINARY)):
            other = DeviceModel.create("AB01", "020A030B", f"0300000{n}", bytes([n + 1]) * 32, "SMETS1", "GSME")
            gov.ppct_submit("supplier-b", models=[other], test_kind=kind)
        ordinary = gov.ppct_queue("supplier-b")[2].submission

        # 1. G3.20 report: SECAS (for the SSC) and the manufacturer are told
        report = gov.report_vulnerability("supplier-a", manufacturer_id="AB01", model_id=LAB_MODEL,
                                          summary="the ESME accepts a replayed tariff command",
                                          mitigation="firmware 0A010000 rejects it", remediation_due="2026-12-31",
                                          device_type="ESME", generation="SMETS2")
        assert report.responsible == "ResponsibleSupplier"  # SEC G3.20 as corrected by DP087
        assert any(n.kind == "vulnerability_reported" for n in gov.notifications("secas"))
        assert any(n.kind == "vulnerability_reported" for n in gov.notifications("mfr-ab01"))

        # 2. the manufacturer uploads the fix (signed with its registered key): pending CPL
        maker_key = ec.generate_private_key(ec.SECP256R1())
        gov.set_signing_key("mfr-ab01", public_pem(maker_key))
        ident = FirmwareSlots(lab.fleet.devices[esmes[0]].state).identity
        fix = sign_image(UpgradeImage(manufacturer_code=ident.manufacturer, image_type=ident.image_type,
                                      file_version=0x0A010000,
                                      manufacturer_image=b"ESME firmware 0A010000: replay fix " * 40,
                                      header_string="ESME 0A010000"), maker_key)
        listed = gov.cfl_upload("mfr-ab01", fix.encode(), commercial=False, models=[("AB01", LAB_MODEL)],
                                notes="# 0A010000\n\nRejects replayed tariff commands (vulnerability 1).\n"
                                      "<script>alert(1)</script>")
        assert (listed.signature, listed.cpl_status, listed.version) == ("verified", "pending_cpl", "0A010000")
        assert "<script>" not in render_notes(listed.notes) and "&lt;script&gt;" in render_notes(listed.notes)

        # before the CPL entry the DSP refuses SRV 11.1 and 11.3 with E110101
        supplier_key = lab.keystore.private_key("90B3D51F30010000", KeyUsage.DS)
        assert isinstance(supplier_key, ec.EllipticCurvePrivateKey)
        early = sign_image(decode_image(gov.cfl_download("supplier-a", listed.image_id)), supplier_key).encode()
        refused = _update(dsp, early, fix.version, esmes, clock.now)
        assert _device_codes(refused) == ["E110101"] * 3, refused
        activation = _activate(dsp, fix.image_hash, esmes[0], clock.now)
        assert activation.response_code is ResponseCode.FIRMWARE_VERSION_NOT_ON_CPL
        assert all(FirmwareSlots(lab.fleet.devices[e].state).pending is None for e in esmes)

        # 3. PPCT submission of the new DMC and the fast-track request
        new_model = DeviceModel.create("AB01", LAB_MODEL, fix.version, fix.image_hash, Generation.SMETS2,
                                       DeviceType.ESME)
        submission = gov.ppct_submit("supplier-a", models=[new_model], vulnerability_id=report.report_id,
                                     description="security fix for vulnerability 1")
        assert submission.slot_start == clock.now + dt.timedelta(days=21)
        gov.ppct_request_fast_track("supplier-a", submission.submission_id,
                                    assessment="no change to S1SR or DMVES behaviour; no interoperability impact")

        # 4. DCC -> SECAS: when it would be tested without and with fast tracking
        dates = gov.ppct_project_dates("dcc", submission.submission_id)
        assert (dates.without_fast_track, dates.with_fast_track) == (clock.now + dt.timedelta(days=21),
                                                                    clock.now + dt.timedelta(days=14))
        projection = [n for n in gov.notifications("secas") if n.kind == "fast_track_projection"]
        assert len(projection) == 1 and f"{dates.with_fast_track:%Y-%m-%d}" in projection[0].text

        # 5. SECAS confirms for the SSC Chair: ahead of the ordinary test, behind the health-and-safety one
        granted = gov.ppct_confirm("secas", submission.submission_id, ssc_notified=True, material=True,
                                   warrants_fast_track=True)
        assert granted.fast_track is FastTrack.GRANTED and granted.slot_start == dates.with_fast_track
        order = [(i.submission.supplier, i.submission.test_kind) for i in gov.ppct_queue("dcc")]
        assert order == [("supplier-b", TestKind.ORDINARY), ("supplier-b", TestKind.HEALTH_AND_SAFETY),
                         ("supplier-a", TestKind.ORDINARY), ("supplier-b", TestKind.ORDINARY)]
        moved = [n for n in gov.notifications("supplier-b") if n.kind == "ppct_slot_moved"]
        assert [n.subject for n in moved] == [f"submission {ordinary.submission_id}"]

        # 6. DCC runs the tests in slot order on the lab clock; the fix passes
        for queued in gov.ppct_queue("dcc")[:2]:
            gov.ppct_record_result("dcc", queued.submission.submission_id, passed=True)
            clock.advance(days=7)
        passed = gov.ppct_record_result("dcc", submission.submission_id, passed=True)
        assert passed.status is SubmissionStatus.PASSED and passed.dmc.on_epcl

        # 7. EPCL and CPL entries; the CFL image is now listed
        assert passed.dmc.dmc_id in {d.dmc_id for d in gov.epcl("network-operator-a")}
        assert new_model in gov.cpl_models("supplier-a", model_id=LAB_MODEL)
        assert gov.cfl_find("supplier-a", LAB_MODEL, "0A010000").cpl_status == "listed"
        assert any(n.kind == "ppct_result" for n in gov.notifications("supplier-b"))  # the CPL notifies releases

        # 8. Supplier A downloads it, signs it as the supplier, and upgrades the fleet with 11.1 then 11.3
        data = gov.cfl_download("supplier-a", listed.image_id)
        signed = sign_image(decode_image(data), supplier_key).encode()
        accepted = _update(dsp, signed, fix.version, esmes, clock.now)
        assert _device_codes(accepted) == ["I0"] * 3, accepted
        for esme in esmes:
            answer = _activate(dsp, fix.image_hash, esme, clock.now)
            assert answer.response_code is ResponseCode.SUCCESS, answer
            assert FirmwareSlots(lab.fleet.devices[esme].state).version == "0A010000"

        audit = {(r.party, r.action, r.outcome) for r in gov.audit_log("secas", limit=1000)}
        assert ("supplier-a", "cfl.download", "allowed") in audit and ("dsp", "cpl.check", "allowed") in audit
    finally:
        dsp.store.close()
        gov.close()
        lab.close()
