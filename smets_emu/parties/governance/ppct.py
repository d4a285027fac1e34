"""The PPCT queue with the security fast track (DCC's PPCT Security Fast Track conclusions).

- Suppliers submit DMCs for Pending Product Combinations Tests ("PPCT is an enduring User driven
  service", 4.1.2); tests run one at a time in slots of ``slot`` length on the lab clock, the head
  of the queue from its slot start. A test that overruns moves the later slots when DCC records it.
- A supplier asks for the fast track of its own submission, with its assessment that the fix does
  not affect the S1SR and DMVES requirements and any interoperability impact (ETAD 9.17). Only a
  fix to a reported security vulnerability qualifies (ETAD 9.2).
- DCC tells SECAS when the DMC would be tested without and with fast tracking (ETAD 9.15).
- SECAS, for the SSC Chair, confirms whether the SSC was notified, whether the vulnerability is
  material and whether it warrants fast tracking (ETAD 9.16). Three yeses move the DMC ahead of
  ordinary tests, never ahead of a health-and-safety test (:mod:`.ordering`); every supplier whose
  agreed slot moves is notified (4.1.2, "Notification of Parties").
- DCC records the result; a pass puts the DMC on the EPCL and its Device Models on the CPL, which
  lifts E110101 for SRV 11.1/11.3 (4.1.2).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from smets_emu.parties.governance.access import Action, Owner
from smets_emu.parties.governance.cpl import CplService
from smets_emu.parties.governance.errors import Conflict, InvalidInput, UnknownObject
from smets_emu.parties.governance.model import (
    DeviceModel,
    FastTrack,
    PartyRole,
    ProjectedDates,
    QueueItem,
    SecasConfirmation,
    Submission,
    SubmissionStatus,
    TestKind,
    text_field,
)
from smets_emu.parties.governance.ordering import QueueEntry, check_fast_track, fast_track_order
from smets_emu.parties.governance.store import Db, iso, object_id, when
from smets_emu.parties.governance.vulnerabilities import VulnerabilityService

BASE_KEY = "ppct_base"
MAX_MODELS_PER_DMC = 8
COLUMNS = ("submission_id, supplier, dmc_id, test_kind, vulnerability_id, description, status, fast_track,"
           " assessment, queue_pos, submitted_at, proj_without, proj_with, proj_sent_at,"
           " conf_ssc, conf_material, conf_warrants, conf_by, conf_at, result_at")


class PpctService:
    """The PPCT queue, calendar and fast track."""

    def __init__(self, db: Db, cpl: CplService, vulnerabilities: VulnerabilityService,
                 slot: dt.timedelta = dt.timedelta(days=7)) -> None:
        if slot <= dt.timedelta(0):
            raise InvalidInput("the PPCT slot length must be positive")
        self.db = db
        self.cpl = cpl
        self.vulnerabilities = vulnerabilities
        self.slot = slot

    # -- party actions -----------------------------------------------------------------------

    def ppct_submit(self, actor: str, *, models: Sequence[DeviceModel], test_kind: TestKind | str = TestKind.ORDINARY,
                    vulnerability_id: int | None = None, description: str = "") -> Submission:
        """A supplier submits a DMC for PPCT; it takes the next slot after the queue."""
        with self.db.operation(actor, Action.PPCT_SUBMIT, "new submission") as op:
            dmc_models = _dmc_models(models)
            try:
                kind = TestKind(test_kind)
            except ValueError as exc:
                raise InvalidInput(f"test kind must be one of {[k.value for k in TestKind]}") from exc
            for model in dmc_models:
                listed = self.cpl.lookup(model.key)
                if listed is not None and listed.image_hash not in (None, model.image_hash):
                    raise Conflict(f"{model.label} is on the CPL with another image hash")
            if vulnerability_id is not None:
                report = self.vulnerabilities.get(vulnerability_id)
                hardware = {(m.manufacturer_id, m.model_id) for m in dmc_models}
                if (report.manufacturer_id, report.model_id) not in hardware:
                    raise InvalidInput(f"vulnerability {report.report_id} is for {report.manufacturer_id}/"
                                       f"{report.model_id}, which is not a device model of this DMC")
                vulnerability_id = report.report_id
            dmc = self.cpl.new_dmc(dmc_models)
            last = self.db.execute("SELECT MAX(queue_pos) FROM submissions WHERE status = 'queued'").fetchone()[0]
            if last is None:
                self.db.set_meta(BASE_KEY, iso(self.db.now()) or "")
            cursor = self.db.execute(
                "INSERT INTO submissions (supplier, dmc_id, test_kind, vulnerability_id, description, status,"
                " fast_track, queue_pos, submitted_at) VALUES (?,?,?,?,?,?,?,?,?)",
                (op.org.org_id, dmc.dmc_id, kind.value, vulnerability_id,
                 text_field(description, "description", 2000, required=False), SubmissionStatus.QUEUED.value,
                 FastTrack.NONE.value, (last or 0) + 1, iso(self.db.now())),
            )
            submission = self.get(int(cursor.lastrowid or 0))
            op.object = f"submission {submission.submission_id} ({dmc.dmc_id})"
            return submission

    def ppct_queue(self, actor: str) -> list[QueueItem]:
        """The waiting and running tests in order, with their slot dates."""
        with self.db.operation(actor, Action.PPCT_READ, "PPCT queue") as op:
            items = self._queue()
            op.detail = f"{len(items)} queued"
            return items

    def ppct_submission(self, actor: str, submission_id: int) -> Submission:
        """One submission."""
        with self.db.operation(actor, Action.PPCT_READ, f"submission {submission_id}"):
            return self.get(submission_id)

    def ppct_request_fast_track(self, actor: str, submission_id: int, *, assessment: str) -> Submission:
        """The submitting supplier asks for the security fast track (DCC is notified)."""
        with self.db.operation(actor, Action.PPCT_REQUEST_FAST_TRACK, f"submission {submission_id}") as op:
            submission = self.get(submission_id)
            op.require_own(Owner.of(orgs=(submission.supplier,)))
            check_fast_track(self._entry(submission))
            if submission.status is not SubmissionStatus.QUEUED or submission.fast_track is not FastTrack.NONE:
                raise Conflict(f"submission {submission.submission_id} is {submission.status.value}, "
                               f"fast track {submission.fast_track.value}")
            self.db.execute("UPDATE submissions SET fast_track = ?, assessment = ? WHERE submission_id = ?",
                            (FastTrack.REQUESTED.value, text_field(assessment, "assessment (S1SR/DMVES impact)", 4000),
                             submission.submission_id))
            for org in self.db.orgs_with_role(PartyRole.DCC):
                self.db.notify(org, "fast_track_requested", f"submission {submission.submission_id}",
                               f"{op.org.name} asks for the PPCT security fast track of {submission.dmc.dmc_id} "
                               f"(vulnerability {submission.vulnerability_id}).")
            return self.get(submission.submission_id)

    def ppct_project_dates(self, actor: str, submission_id: int) -> ProjectedDates:
        """DCC computes when the DMC would be tested without and with fast tracking and sends both to SECAS."""
        with self.db.operation(actor, Action.PPCT_PROJECT_DATES, f"submission {submission_id}"):
            submission = self.get(submission_id)
            if submission.fast_track not in (FastTrack.REQUESTED, FastTrack.PROJECTED):
                raise Conflict(f"no fast track request pending for submission {submission.submission_id}")
            queue = self._queue()
            reordering = fast_track_order([self._entry(i.submission, i.in_test) for i in queue],
                                          submission.submission_id)
            now = self.db.now()
            dates = ProjectedDates(self._slot_start(reordering.old_position), self._slot_start(reordering.new_position),
                                   now)
            self.db.execute(
                "UPDATE submissions SET fast_track = ?, proj_without = ?, proj_with = ?, proj_sent_at = ?"
                " WHERE submission_id = ?",
                (FastTrack.PROJECTED.value, iso(dates.without_fast_track), iso(dates.with_fast_track), iso(now),
                 submission.submission_id),
            )
            report = self.vulnerabilities.get(submission.vulnerability_id or 0)
            text = (f"Fast track requested for {submission.dmc.dmc_id} (submission {submission.submission_id}) to fix "
                    f"vulnerability {report.report_id} of {report.manufacturer_id}/{report.model_id}, reported by "
                    f"{report.reporter} on {report.reported_at:%Y-%m-%d %H:%M}Z. Without fast tracking: test from "
                    f"{dates.without_fast_track:%Y-%m-%d %H:%M}Z; with fast tracking: "
                    f"{dates.with_fast_track:%Y-%m-%d %H:%M}Z. Please confirm for the SSC Chair whether the SSC "
                    "was notified, whether the vulnerability is material and whether it warrants fast tracking.")
            for org in self.db.orgs_with_role(PartyRole.SECAS):
                self.db.notify(org, "fast_track_projection", f"submission {submission.submission_id}", text)
            return dates

    def ppct_confirm(self, actor: str, submission_id: int, *, ssc_notified: bool, material: bool,
                     warrants_fast_track: bool) -> Submission:
        """SECAS's three answers; three yeses re-order the queue and notify every supplier moved."""
        with self.db.operation(actor, Action.PPCT_CONFIRM, f"submission {submission_id}") as op:
            answers = (ssc_notified, material, warrants_fast_track)
            if not all(isinstance(a, bool) for a in answers):
                raise InvalidInput("the three confirmations are yes/no (booleans)")
            submission = self.get(submission_id)
            if submission.fast_track is not FastTrack.PROJECTED:
                raise Conflict(f"DCC has not sent SECAS the projected dates of submission {submission.submission_id}")
            now = self.db.now()
            confirmation = SecasConfirmation(*answers, by=op.org.org_id, at=now)
            decision = FastTrack.GRANTED if confirmation.all_yes else FastTrack.DECLINED
            if decision is FastTrack.GRANTED:
                self._fast_track(submission)
            self.db.execute(
                "UPDATE submissions SET fast_track = ?, conf_ssc = ?, conf_material = ?, conf_warrants = ?,"
                " conf_by = ?, conf_at = ? WHERE submission_id = ?",
                (decision.value, *map(int, answers), op.org.org_id, iso(now), submission.submission_id),
            )
            op.detail = decision.value
            result = self.get(submission.submission_id)
            text = (f"SECAS for the SSC Chair: SSC notified {_yn(ssc_notified)}, material {_yn(material)}, "
                    f"warrants fast tracking {_yn(warrants_fast_track)}: fast track {decision.value}"
                    + (f"; test from {result.slot_start:%Y-%m-%d %H:%M}Z." if result.slot_start else "."))
            for org in {submission.supplier, *self.db.orgs_with_role(PartyRole.DCC)}:
                self.db.notify(org, "fast_track_decision", f"submission {submission.submission_id}", text)
            return result

    def ppct_record_result(self, actor: str, submission_id: int, *, passed: bool, notes: str = "") -> Submission:
        """DCC records the result of the test under way; a pass adds the DMC to the EPCL and the CPL."""
        with self.db.operation(actor, Action.PPCT_RECORD_RESULT, f"submission {submission_id}") as op:
            if not isinstance(passed, bool):
                raise InvalidInput("passed is yes/no (a boolean)")
            submission = self.get(submission_id)
            queue = self._queue()
            if not queue or queue[0].submission.submission_id != submission.submission_id:
                raise Conflict(f"submission {submission.submission_id} is not the test under way")
            if not queue[0].in_test:
                raise Conflict(f"the PPCT slot of submission {submission.submission_id} starts "
                               f"{queue[0].slot_start:%Y-%m-%d %H:%M}Z")
            now = self.db.now()
            status = SubmissionStatus.PASSED if passed else SubmissionStatus.FAILED
            self.db.execute(
                "UPDATE submissions SET status = ?, queue_pos = NULL, result_at = ?, result_notes = ?"
                " WHERE submission_id = ?",
                (status.value, iso(now), text_field(notes, "notes", 2000, required=False), submission.submission_id),
            )
            if len(queue) > 1:
                self.db.set_meta(BASE_KEY, iso(max(queue[0].slot_start + self.slot, now)) or "")
            dmc = submission.dmc
            reason = f"PPCT {status.value}: submission {submission.submission_id}"
            if passed:
                self.cpl.add_to_epcl(dmc, op.org.org_id, reason)
            op.object, op.detail = f"submission {submission.submission_id} ({dmc.dmc_id})", status.value
            labels = ", ".join(m.label for m in dmc.models)
            text = f"PPCT {status.value} for {dmc.dmc_id} ({labels})" + (
                ": on the EPCL; its Device Models are on the CPL." if passed else ".")
            targets = {submission.supplier}
            manufacturers = {m.manufacturer_id for m in dmc.models}
            targets |= {r[0] for r in self.db.execute("SELECT org_id, manufacturer_id FROM orgs WHERE role = ?",
                                                      (PartyRole.MANUFACTURER.value,)) if r[1] in manufacturers}
            if passed:  # the CPL stays the source of release notifications (SECMP0009 3.1)
                targets |= set(self.db.orgs_with_role(PartyRole.SUPPLIER))
            for org in sorted(targets):
                self.db.notify(org, "ppct_result", f"submission {submission.submission_id}", text)
            return self.get(submission.submission_id)

    # -- internal ----------------------------------------------------------------------------

    def get(self, submission_id: int) -> Submission:
        """A submission by id, its status and slot as of the lab clock (no access check)."""
        number = object_id(submission_id, "submission id", "PPCT submission")
        row = self.db.execute(f"SELECT {COLUMNS} FROM submissions WHERE submission_id = ?", (number,)).fetchone()
        if row is None:
            raise UnknownObject(f"no PPCT submission {number}")
        position = None
        if row[9] is not None:
            position = self.db.execute("SELECT COUNT(*) FROM submissions WHERE status = 'queued' AND queue_pos < ?",
                                       (row[9],)).fetchone()[0]
        return self._from_row(row, position)

    def _queue(self) -> list[QueueItem]:
        rows = self.db.execute(
            f"SELECT {COLUMNS} FROM submissions WHERE status = 'queued' ORDER BY queue_pos").fetchall()
        items = []
        for position, row in enumerate(rows):
            submission = self._from_row(row, position)
            assert submission.slot_start is not None
            items.append(QueueItem(position, submission, submission.slot_start,
                                   submission.status is SubmissionStatus.IN_TEST))
        return items

    def _base(self) -> dt.datetime:
        text = self.db.meta(BASE_KEY)
        return when(text) if text else self.db.now()  # type: ignore[return-value]

    def _slot_start(self, position: int) -> dt.datetime:
        return self._base() + position * self.slot

    def _from_row(self, row: tuple, position: int | None) -> Submission:  # type: ignore[type-arg]
        status = SubmissionStatus(row[6])
        slot_start = None if position is None else self._slot_start(position)
        if status is SubmissionStatus.QUEUED and position == 0 and slot_start is not None \
                and self.db.now() >= slot_start:
            status = SubmissionStatus.IN_TEST
        projected = None if row[11] is None else ProjectedDates(when(row[11]), when(row[12]), when(row[13]))  # type: ignore[arg-type]
        confirmation = None if row[14] is None else SecasConfirmation(
            bool(row[14]), bool(row[15]), bool(row[16]), row[17], when(row[18]))  # type: ignore[arg-type]
        return Submission(
            submission_id=row[0], supplier=row[1], dmc=self.cpl.dmc(row[2]), test_kind=TestKind(row[3]),
            vulnerability_id=row[4], description=row[5], status=status, fast_track=FastTrack(row[7]),
            assessment=row[8], projected=projected, confirmation=confirmation,
            submitted_at=when(row[10]), slot_start=slot_start, result_at=when(row[19]),  # type: ignore[arg-type]
        )

    @staticmethod
    def _entry(submission: Submission, in_test: bool | None = None) -> QueueEntry:
        return QueueEntry(
            submission.submission_id, submission.supplier, submission.test_kind, submission.security_fix,
            submission.fast_track is FastTrack.GRANTED,
            submission.status is SubmissionStatus.IN_TEST if in_test is None else in_test,
        )

    def _fast_track(self, submission: Submission) -> None:
        """Re-order the queue (before the decision is stored) and notify every supplier moved back."""
        queue = self._queue()
        reordering = fast_track_order([self._entry(i.submission, i.in_test) for i in queue], submission.submission_id)
        before = {i.submission.submission_id: i.slot_start for i in queue}
        for position, entry in enumerate(reordering.queue, start=1):
            self.db.execute("UPDATE submissions SET queue_pos = ? WHERE submission_id = ?",
                            (position, entry.submission_id))
        for entry in reordering.moved:
            old, new = before[entry.submission_id], before[entry.submission_id] + self.slot
            self.db.notify(entry.supplier, "ppct_slot_moved", f"submission {entry.submission_id}",
                           f"Your PPCT test of submission {entry.submission_id} moves from "
                           f"{old:%Y-%m-%d %H:%M}Z to {new:%Y-%m-%d %H:%M}Z: a DMC fixing a material security "
                           "vulnerability is fast-tracked at the SSC Chair's request.")


def _dmc_models(models: Sequence[DeviceModel]) -> list[DeviceModel]:
    if isinstance(models, str | bytes) or not models:
        raise InvalidInput("a DMC has at least one device model")
    if len(models) > MAX_MODELS_PER_DMC:
        raise InvalidInput(f"a DMC has at most {MAX_MODELS_PER_DMC} device models")
    result: list[DeviceModel] = []
    for model in models:
        if not isinstance(model, DeviceModel):
            raise InvalidInput("each device model must be a DeviceModel")
        if model.image_hash is None:
            raise InvalidInput(f"{model.label}: the image hash is needed for the CPL (SRV 11.3 checks it)")
        if any(m.key == model.key for m in result):
            raise InvalidInput(f"{model.label} is named twice")
        result.append(model)
    return result


def _yn(value: bool) -> str:
    return "yes" if value else "no"
