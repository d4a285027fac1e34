"""The PPCT queue as a service: calendar on the lab clock, fast-track steps in order, results (ETAD 9.15-9.17)."""

from __future__ import annotations

import datetime as dt

import pytest
from governance_helpers import ESME_MODEL, Clock, image, model_for

from smets_emu.parties.governance import (
    AccessRefused,
    Conflict,
    FastTrack,
    FastTrackRefused,
    Governance,
    InvalidInput,
    SubmissionStatus,
    TestKind,
    UnknownObject,
)

WEEK = dt.timedelta(days=7)


def _fix(gov: Governance, version: int = 0x0B000000) -> int:
    report = gov.report_vulnerability("supplier-a", manufacturer_id="AB01", model_id=ESME_MODEL,
                                      summary="leak", mitigation="fix")
    return gov.ppct_submit("supplier-a", models=[model_for(image(version, b"fix"))],
                           vulnerability_id=report.report_id).submission_id


def test_calendar_follows_the_lab_clock(gov: Governance, clock: Clock) -> None:
    first = gov.ppct_submit("supplier-b", models=[model_for(image(0x01, b"1"))])
    second = gov.ppct_submit("supplier-b", models=[model_for(image(0x02, b"2"))], test_kind="health_and_safety")
    queue = gov.ppct_queue("mfr-ab01")
    assert [(i.slot_start, i.in_test) for i in queue] == [(clock.now, True), (clock.now + WEEK, False)]
    assert queue[1].submission.test_kind is TestKind.HEALTH_AND_SAFETY
    with pytest.raises(Conflict, match="not the test under way"):
        gov.ppct_record_result("dcc", second.submission_id, passed=True)
    clock.advance(days=2)  # finished early: the next test keeps its agreed slot
    failed = gov.ppct_record_result("dcc", first.submission_id, passed=False, notes="regression")
    assert failed.status is SubmissionStatus.FAILED and not failed.dmc.on_epcl
    assert image(0x01, b"1").version not in {m.firmware_version for m in gov.cpl_models("dcc", model_id=ESME_MODEL)}
    with pytest.raises(Conflict, match="starts"):
        gov.ppct_record_result("dcc", second.submission_id, passed=True)
    clock.advance(days=5)
    assert gov.ppct_record_result("dcc", second.submission_id, passed=True).status is SubmissionStatus.PASSED
    assert gov.ppct_queue("dcc") == []


def test_fast_track_steps_in_order(gov: Governance, clock: Clock) -> None:
    gov.ppct_submit("supplier-b", models=[model_for(image(0x01, b"1"))])
    ordinary = gov.ppct_submit("supplier-b", models=[model_for(image(0x02, b"2"))])
    fix = _fix(gov)
    with pytest.raises(Conflict, match="no fast track request"):
        gov.ppct_project_dates("dcc", fix)
    with pytest.raises(AccessRefused):
        gov.ppct_request_fast_track("supplier-b", fix, assessment="not mine")
    with pytest.raises(InvalidInput):
        gov.ppct_request_fast_track("supplier-a", fix, assessment="  ")
    gov.ppct_request_fast_track("supplier-a", fix, assessment="no S1SR/DMVES impact")
    with pytest.raises(Conflict):
        gov.ppct_request_fast_track("supplier-a", fix, assessment="again")
    with pytest.raises(Conflict, match="has not sent SECAS"):
        gov.ppct_confirm("secas", fix, ssc_notified=True, material=True, warrants_fast_track=True)
    dates = gov.ppct_project_dates("dcc", fix)
    assert (dates.without_fast_track - clock.now, dates.with_fast_track - clock.now) == (2 * WEEK, WEEK)
    with pytest.raises(InvalidInput):
        gov.ppct_confirm("secas", fix, ssc_notified="yes", material=True, warrants_fast_track=True)  # type: ignore[arg-type]
    decided = gov.ppct_confirm("secas", fix, ssc_notified=True, material=True, warrants_fast_track=True)
    assert decided.fast_track is FastTrack.GRANTED and decided.slot_start == clock.now + WEEK
    assert decided.confirmation is not None and decided.confirmation.all_yes and decided.confirmation.by == "secas"
    assert gov.ppct_submission("supplier-b", ordinary.submission_id).slot_start == clock.now + 2 * WEEK
    kinds = {n.kind for n in gov.notifications("supplier-a")}
    assert "fast_track_decision" in kinds
    assert "fast_track_requested" in {n.kind for n in gov.notifications("dcc")}


@pytest.mark.parametrize("answers", [(False, True, True), (True, False, True), (True, True, False)])
def test_any_no_declines(gov: Governance, answers: tuple[bool, bool, bool]) -> None:
    gov.ppct_submit("supplier-b", models=[model_for(image(0x01, b"1"))])
    ordinary = gov.ppct_submit("supplier-b", models=[model_for(image(0x02, b"2"))])
    fix = _fix(gov)
    gov.ppct_request_fast_track("supplier-a", fix, assessment="a")
    gov.ppct_project_dates("dcc", fix)
    ssc, material, warrants = answers
    declined = gov.ppct_confirm("secas", fix, ssc_notified=ssc, material=material, warrants_fast_track=warrants)
    assert declined.fast_track is FastTrack.DECLINED
    assert [i.submission.submission_id for i in gov.ppct_queue("dcc")][1:] == [ordinary.submission_id, fix]
    assert not [n for n in gov.notifications("supplier-b") if n.kind == "ppct_slot_moved"]


def test_non_security_fixes_are_refused_and_audited(gov: Governance) -> None:
    plain = gov.ppct_submit("supplier-a", models=[model_for(image(0x01, b"1"))])
    with pytest.raises(FastTrackRefused, match="non-security fixes never qualify"):
        gov.ppct_request_fast_track("supplier-a", plain.submission_id, assessment="urgent feature")
    last = gov.audit_log("dcc", limit=2)[1]
    assert (last.party, last.action, last.outcome) == ("supplier-a", "ppct.request_fast_track", "failed")
    assert gov.ppct_submission("dcc", plain.submission_id).fast_track is FastTrack.NONE


def test_submission_checks(gov: Governance) -> None:
    img = image(0x01, b"1")
    with pytest.raises(InvalidInput):
        gov.ppct_submit("supplier-a", models=[])
    with pytest.raises(InvalidInput):
        gov.ppct_submit("supplier-a", models=[model_for(img), model_for(img)])
    with pytest.raises(InvalidInput):
        gov.ppct_submit("supplier-a", models=[model_for(img)], test_kind="urgent")
    with pytest.raises(UnknownObject):
        gov.ppct_submit("supplier-a", models=[model_for(img)], vulnerability_id=42)
    report = gov.report_vulnerability("supplier-a", manufacturer_id="AB01", model_id="020A030B", summary="s",
                                      mitigation="m")
    with pytest.raises(InvalidInput, match="not a device model of this DMC"):
        gov.ppct_submit("supplier-a", models=[model_for(img)], vulnerability_id=report.report_id)
    listed = model_for(image(0x0002012F, b"x"))  # the scenario's listed version, another hash
    with pytest.raises(Conflict, match="another image hash"):
        gov.ppct_submit("supplier-a", models=[listed])
    with pytest.raises(UnknownObject):
        gov.ppct_submission("dcc", 99)
    assert gov.ppct_queue("dcc") == []


def test_report_rules(gov: Governance) -> None:
    with pytest.raises(AccessRefused):
        gov.report_vulnerability("mfr-cd02", manufacturer_id="AB01", model_id=ESME_MODEL, summary="s", mitigation="m")
    with pytest.raises(InvalidInput):
        gov.report_vulnerability("supplier-a", manufacturer_id="AB01", model_id=ESME_MODEL, summary="s",
                                 mitigation="m", remediation_due="soon")
    report = gov.report_vulnerability("mfr-ab01", manufacturer_id="AB01", model_id=ESME_MODEL, summary="s",
                                      mitigation="m", remediation_due="2026-06-30")
    assert report.remediation_due == dt.date(2026, 6, 30)
    assert [r.report_id for r in gov.vulnerabilities("secas")] == [report.report_id]
    assert gov.vulnerability("mfr-ab01", report.report_id) == report
    with pytest.raises(AccessRefused):
        gov.vulnerability("supplier-a", report.report_id)


def test_g320_responsibility_is_recorded(gov: Governance) -> None:
    """SEC G3.20 as corrected by DP087: the DCC for a SMETS2+ CHF or GPF, the Responsible Supplier otherwise."""
    hub = gov.report_vulnerability("supplier-a", manufacturer_id="AB01", model_id="030A030B", summary="s",
                                   mitigation="m", device_type="CHF", generation="SMETS2")
    meter = gov.report_vulnerability("supplier-a", manufacturer_id="AB01", model_id="030A030B", summary="s",
                                     mitigation="m", device_type="CHF", generation="SMETS1")
    assert (hub.responsible, meter.responsible) == ("DCC", "ResponsibleSupplier")
    told = [n.subject for n in gov.notifications("dcc") if n.kind == "vulnerability_reported"]
    assert told == [f"vulnerability {hub.report_id}"]
    with pytest.raises(InvalidInput):
        gov.report_vulnerability("supplier-a", manufacturer_id="AB01", model_id="030A030B", summary="s",
                                 mitigation="m", device_type="KETTLE", generation="SMETS2")
