"""Access control of the CPL, CFL, vulnerability and PPCT actions: every role on every action, allowed and
refused, against the declarative matrix (``access.ACCESS``); commercial images never downloadable; every
access in the audit log."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from governance_helpers import ESME_MODEL, Clock, image, model_for

from smets_emu.parties.governance import (
    ACCESS,
    AccessRefused,
    Action,
    DeviceModel,
    DeviceType,
    Generation,
    Governance,
    GovernanceError,
    PartyRole,
    Scope,
)

OWN_ACTOR = {PartyRole.MANUFACTURER: "mfr-ab01", PartyRole.SUPPLIER: "supplier-a",
             PartyRole.NETWORK_OPERATOR: "network-operator-a", PartyRole.DCC: "dcc", PartyRole.SECAS: "secas"}
FOREIGN_ACTOR = {**OWN_ACTOR, PartyRole.MANUFACTURER: "mfr-cd02", PartyRole.SUPPLIER: "supplier-b"}
LISTINGS = {Action.CFL_LIST, Action.NOTIFICATIONS_READ}  # OWN scope filters instead of refusing


@dataclass
class World:
    gov: Governance
    own_image: int
    commercial_image: int
    foreign_image: int
    report: int
    fix: int
    head: int


def build(clock: Clock) -> World:
    gov = Governance.open(":memory:", clock=clock)
    own = gov.cfl_upload("mfr-ab01", image(0x0A000001, b"own").encode(), notes="# Fix", commercial=False,
                         models=[("AB01", ESME_MODEL)])
    commercial = gov.cfl_upload("mfr-ab01", image(0x0A000002, b"paid").encode(), notes="premium", commercial=True,
                                models=[("AB01", ESME_MODEL)])
    foreign = gov.cfl_upload("mfr-cd02", image(0x01000000, b"cd", manufacturer_code=0xCD02).encode(), notes="cd",
                             commercial=False, models=[("CD02", "11111111")])
    head = gov.ppct_submit("supplier-b", models=[model_for(image(0x0A000010, b"head"))])
    report = gov.report_vulnerability("supplier-a", manufacturer_id="AB01", model_id=ESME_MODEL,
                                      summary="replayable command", mitigation="firmware fix in PPCT")
    fix = gov.ppct_submit("supplier-a", models=[model_for(image(0x0A000003, b"fix"))],
                          vulnerability_id=report.report_id)
    return World(gov, own.image_id, commercial.image_id, foreign.image_id, report.report_id, fix.submission_id,
                 head.submission_id)


def _request(world: World) -> None:
    world.gov.ppct_request_fast_track("supplier-a", world.fix, assessment="no S1SR or DMVES impact")


def _new_model(actor: str) -> list[DeviceModel]:
    return [model_for(image(0x0A0000F0, actor.encode()))]


PERFORM: dict[Action, Callable[[World, str, bool], Any]] = {  # objects owned by OWN_ACTOR's organisations
    Action.CPL_READ: lambda w, a, own: w.gov.cpl_models(a),
    Action.CPL_ADD: lambda w, a, own: w.gov.cpl_add(a, DeviceModel.create(
        "AB01", ESME_MODEL, "0C000000", bytes(32), Generation.SMETS1, DeviceType.ESME)),
    Action.CPL_WITHDRAW: lambda w, a, own: w.gov.cpl_withdraw(a, "AB01", "020A030B", "0002012F"),
    Action.CFL_LIST: lambda w, a, own: w.gov.cfl_list(a),
    Action.CFL_READ: lambda w, a, own: w.gov.cfl_image(a, w.own_image),
    Action.CFL_UPLOAD: lambda w, a, own: w.gov.cfl_upload(
        a, image(0x0A000009, b"new").encode(), notes="n", commercial=False,
        models=[("AB01", ESME_MODEL)]),
    Action.CFL_DOWNLOAD: lambda w, a, own: w.gov.cfl_download(a, w.own_image),
    Action.VULNERABILITY_REPORT: lambda w, a, own: w.gov.report_vulnerability(
        a, manufacturer_id="AB01", model_id=ESME_MODEL, summary="s", mitigation="m"),
    Action.VULNERABILITY_READ: lambda w, a, own: w.gov.vulnerability(a, w.report),
    Action.PPCT_READ: lambda w, a, own: w.gov.ppct_queue(a),
    Action.PPCT_SUBMIT: lambda w, a, own: w.gov.ppct_submit(a, models=_new_model(a)),
    Action.PPCT_REQUEST_FAST_TRACK: lambda w, a, own: w.gov.ppct_request_fast_track(a, w.fix, assessment="x"),
    Action.PPCT_PROJECT_DATES: lambda w, a, own: (_request(w), w.gov.ppct_project_dates(a, w.fix)),
    Action.PPCT_CONFIRM: lambda w, a, own: (_request(w), w.gov.ppct_project_dates("dcc", w.fix), w.gov.ppct_confirm(
        a, w.fix, ssc_notified=True, material=True, warrants_fast_track=True)),
    Action.PPCT_RECORD_RESULT: lambda w, a, own: w.gov.ppct_record_result(a, w.head, passed=True),
    Action.NOTIFICATIONS_READ: lambda w, a, own: w.gov.notifications(a),
    Action.AUDIT_READ: lambda w, a, own: w.gov.audit_log(a),
}


def test_every_action_has_a_check() -> None:
    assert set(PERFORM) == set(Action)


def _expected(action: Action, role: PartyRole, own: bool) -> bool:
    scope = ACCESS[action].get(role)
    if scope is None:
        return False
    return scope is Scope.ANY or own or action in LISTINGS


CASES = [(action, role, own) for action in Action for role in PartyRole for own in (True, False)
         if own or ACCESS[action].get(role) is Scope.OWN]


@pytest.mark.parametrize(("action", "role", "own"), CASES,
                         ids=[f"{a.value}-{r.value}-{'own' if o else 'foreign'}" for a, r, o in CASES])
def test_role_on_action(clock: Clock, action: Action, role: PartyRole, own: bool) -> None:
    world = build(clock)
    try:
        actor = (OWN_ACTOR if own else FOREIGN_ACTOR)[role]
        allowed = _expected(action, role, own)
        before = world.gov.db.execute("SELECT MAX(seq) FROM audit").fetchone()[0]
        if allowed:
            result = PERFORM[action](world, actor, own)
            assert result is not None or action is Action.CPL_WITHDRAW
        else:
            with pytest.raises(AccessRefused):
                PERFORM[action](world, actor, own)
        rows = world.gov.db.execute("SELECT party, action, outcome FROM audit WHERE seq > ? AND party = ?",
                                    (before, actor)).fetchall()
        assert (actor, action.value, "allowed" if allowed else "refused") in rows, rows
    finally:
        world.gov.close()


def test_listings_show_only_own_objects(clock: Clock) -> None:
    world = build(clock)
    gov = world.gov
    assert {i.manufacturer_id for i in gov.cfl_list("mfr-ab01")} == {"AB01"}
    assert {i.manufacturer_id for i in gov.cfl_list("mfr-cd02")} == {"CD02"}
    assert len(gov.cfl_list("supplier-b")) == 3  # free access for every supplier, commercial ones marked
    assert [i.commercial for i in gov.cfl_list("supplier-b") if i.image_id == world.commercial_image] == [True]
    assert {n.org_id for n in gov.notifications("secas")} == {"secas"}
    assert gov.vulnerabilities("supplier-b") == []
    assert len(gov.vulnerabilities("mfr-ab01")) == 1 and gov.vulnerabilities("mfr-cd02") == []


def test_commercial_images_are_never_downloadable(clock: Clock) -> None:
    world = build(clock)
    gov = world.gov
    for org in gov.organisations():
        with pytest.raises(AccessRefused):
            gov.cfl_download(org.org_id, world.commercial_image)
    stored = gov.db.execute("SELECT data FROM cfl WHERE image_id = ?", (world.commercial_image,)).fetchone()[0]
    assert stored is None  # the bytes are not even kept
    refused = gov.db.execute("SELECT COUNT(*) FROM audit WHERE action = 'cfl.download' AND outcome = 'refused'"
                             " AND object = ?", (f"image {world.commercial_image}",)).fetchone()[0]
    assert refused == len(gov.organisations())
    assert gov.cfl_download("supplier-b", world.own_image) == image(0x0A000001, b"own").encode()


def test_every_access_is_audited(clock: Clock) -> None:
    """Each party call adds exactly one audit record, whatever its outcome; unknown parties too."""
    world = build(clock)
    gov = world.gov
    calls: list[Callable[[], Any]] = [
        lambda: gov.cpl_models("network-operator-a"),
        lambda: gov.cfl_list("network-operator-a"),
        lambda: gov.cfl_download("supplier-b", world.own_image),
        lambda: gov.cfl_download("supplier-b", 999),
        lambda: gov.cfl_download("nobody", world.own_image),
        lambda: gov.cfl_image("supplier-b", "not a number"),
        lambda: gov.ppct_request_fast_track("supplier-b", world.fix, assessment="not mine"),
        lambda: gov.ppct_confirm("secas", world.fix, ssc_notified=True, material=True, warrants_fast_track=True),
        lambda: gov.epcl("dcc"),
        lambda: gov.cpl_history("secas"),
    ]
    for call in calls:
        before = gov.db.execute("SELECT COUNT(*) FROM audit").fetchone()[0]
        try:
            call()
        except GovernanceError:
            pass
        assert gov.db.execute("SELECT COUNT(*) FROM audit").fetchone()[0] == before + 1
    log = gov.audit_log("secas", limit=12)
    assert log[0].action == "audit.read" and log[0].party == "secas"
    outcomes = [(r.party, r.action, r.outcome) for r in log]
    assert ("nobody", "cfl.download", "refused") in outcomes
    assert ("supplier-b", "cfl.download", "failed") in outcomes  # image 999: allowed, unknown
    assert ("secas", "ppct.confirm", "failed") in outcomes  # no projected dates yet
    assert all(r.at == clock.now for r in log)  # the lab clock stamps the log


def test_tokens_identify_organisations(clock: Clock) -> None:
    gov = Governance.open(":memory:", clock=clock)
    token = gov.issue_token("supplier-b")
    assert gov.authenticate(token).org_id == "supplier-b"
    with pytest.raises(AccessRefused):
        gov.authenticate("guess")
    assert gov.authenticate(gov.issue_token("supplier-b")).org_id == "supplier-b"
    with pytest.raises(AccessRefused):
        gov.authenticate(token)  # replaced


def test_concurrent_callers(tmp_path: Path) -> None:
    """The control plane calls from worker threads: every call completes and is audited exactly once."""
    gov = Governance.open(tmp_path / "governance.sqlite")
    try:
        uploaded = gov.cfl_upload("mfr-ab01", image(0x0A000001).encode(), notes="n", commercial=False,
                                  models=[("AB01", ESME_MODEL)])
        before = gov.db.execute("SELECT COUNT(*) FROM audit").fetchone()[0]

        def work(n: int) -> int:
            party = ("supplier-a", "supplier-b")[n % 2]
            done = 0
            for i in range(15):
                assert gov.cfl_download(party, uploaded.image_id)
                gov.ppct_submit(party, models=[model_for(image(0x0C000000 + n * 100 + i, bytes([n, i])))])
                assert gov.cfl_list(party)
                done += 3
            return done

        with ThreadPoolExecutor(4) as pool:
            calls = sum(pool.map(work, range(4)))
        after = gov.db.execute("SELECT COUNT(*) FROM audit").fetchone()[0]
        assert after - before == calls == 180
        queue = gov.ppct_queue("dcc")
        assert len(queue) == 60 and len({i.slot_start for i in queue}) == 60
    finally:
        gov.close()
