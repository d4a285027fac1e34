"""The governance services behind one object: organisations, CPL, CFL, vulnerabilities, PPCT.

Every party method takes the acting organisation's id first, is authorised by organisation and role
(:mod:`.access`), audited, and runs as one transaction under one lock, so the control plane may
call it from worker threads. Errors: :mod:`.errors` (403 refused, 404 unknown, 409 conflict, 400
invalid at the web edge).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from smets_emu.parties.governance.access import Action
from smets_emu.parties.governance.cfl import CflService, signing_key
from smets_emu.parties.governance.cpl import CplService
from smets_emu.parties.governance.errors import AccessRefused, Conflict, InvalidInput, UnknownObject
from smets_emu.parties.governance.model import (
    AuditRecord,
    CflImage,
    CplChange,
    DeviceModel,
    DeviceType,
    Dmc,
    Generation,
    Notification,
    Organisation,
    PartyRole,
    ProjectedDates,
    QueueItem,
    Submission,
    TestKind,
    VulnerabilityReport,
    manufacturer_id,
    org_id,
    text_field,
)
from smets_emu.parties.governance.ppct import PpctService
from smets_emu.parties.governance.seed import DEFAULT_ORGANISATIONS, scenario_cpl
from smets_emu.parties.governance.store import LAB_PARTY, Db, org_from_row, when
from smets_emu.parties.governance.vulnerabilities import VulnerabilityService
from smets_emu.parties.smets1.store import CplEntry

SEEDED_KEY = "seeded"


def _wall_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Governance:
    """CPL, CFL, G3.20 vulnerability reports and the PPCT queue over one SQLite store."""

    def __init__(self, db: Db, *, slot: dt.timedelta = dt.timedelta(days=7)) -> None:
        self.db = db
        self.cpl = CplService(db)
        self.cfl = CflService(db, self.cpl)
        self.vulns = VulnerabilityService(db)
        self.ppct = PpctService(db, self.cpl, self.vulns, slot)

    @classmethod
    def open(cls, path: str | Path = ":memory:", *, clock: Callable[[], dt.datetime] | None = None,
             slot: dt.timedelta = dt.timedelta(days=7), seed: bool = True) -> Governance:
        """Open (creating) the store at ``path``; a new store gets the default organisations and the
        scenario CPL (:mod:`.seed`) unless ``seed`` is False."""
        governance = cls(Db(path, clock or _wall_clock), slot=slot)
        if seed and governance.db.meta(SEEDED_KEY) is None:
            governance.seed()
        return governance

    def close(self) -> None:
        """Close the store."""
        self.db.close()

    def seed(self) -> None:
        """Add the default organisations and scenario CPL entries that are missing."""
        with self.db.transaction():
            for oid, name, role, mid in DEFAULT_ORGANISATIONS:
                if self.db.organisation(oid) is None:
                    self.add_organisation(oid, name, role, manufacturer_id=mid)
            self.cpl.seed(scenario_cpl(), LAB_PARTY, "listed by the lab's DSP scenario")
            self.db.set_meta(SEEDED_KEY, "1")

    # -- organisations (lab-owner administration) ----------------------------------------------

    def add_organisation(self, org: str, name: str, role: PartyRole | str, *, manufacturer_id: str | None = None,
                         signing_key_pem: bytes | None = None) -> Organisation:
        """Register an organisation (audited as party ``lab``)."""
        with self.db.lock:
            try:
                oid, kind = org_id(org), PartyRole(role)
                label = text_field(name, "name", 120)
                mid = None if manufacturer_id is None else _manufacturer(manufacturer_id)
                if (kind is PartyRole.MANUFACTURER) != (mid is not None):
                    raise InvalidInput("a manufacturer needs a manufacturer id; other roles have none")
                if signing_key_pem is not None:
                    if kind is not PartyRole.MANUFACTURER:
                        raise InvalidInput("only a manufacturer registers an image-signing key")
                    signing_key(signing_key_pem)
                self.db.execute("INSERT INTO orgs (org_id, name, role, manufacturer_id, signing_key)"
                                " VALUES (?,?,?,?,?)", (oid, label, kind.value, mid, signing_key_pem))
            except ValueError as exc:
                self.db.audit(LAB_PARTY, None, "org.add", str(org)[:60], "failed", str(exc))
                raise InvalidInput(f"unknown role: {exc}") from exc
            except sqlite3.IntegrityError as exc:
                self.db.audit(LAB_PARTY, None, "org.add", oid, "failed", "exists")
                raise Conflict(f"organisation {oid} exists") from exc
            except InvalidInput as exc:
                self.db.audit(LAB_PARTY, None, "org.add", str(org)[:60], "failed", str(exc))
                raise
            self.db.audit(LAB_PARTY, None, "org.add", oid, "allowed", kind.value)
            return self.organisation(oid)

    def set_signing_key(self, org: str, signing_key_pem: bytes | None) -> Organisation:
        """Register (or with None remove) a manufacturer's image-signing public key (PEM, P-256): CFL uploads
        by it must then carry a valid signature by that key (audited as party ``lab``)."""
        with self.db.lock:
            found = self.organisation(org)
            try:
                if signing_key_pem is not None:
                    if found.role is not PartyRole.MANUFACTURER:
                        raise InvalidInput("only a manufacturer registers an image-signing key")
                    signing_key(signing_key_pem)
            except InvalidInput as exc:
                self.db.audit(LAB_PARTY, None, "org.signing_key", found.org_id, "failed", str(exc))
                raise
            self.db.execute("UPDATE orgs SET signing_key = ? WHERE org_id = ?", (signing_key_pem, found.org_id))
            self.db.audit(LAB_PARTY, None, "org.signing_key", found.org_id, "allowed",
                          "set" if signing_key_pem else "removed")
            return self.organisation(found.org_id)

    def organisations(self) -> list[Organisation]:
        """Every organisation."""
        rows = self.db.execute("SELECT org_id, name, role, manufacturer_id, signing_key FROM orgs ORDER BY org_id")
        return [org_from_row(r) for r in rows]

    def organisation(self, org: str) -> Organisation:
        """One organisation; :class:`UnknownObject` when there is none."""
        found = self.db.organisation(org)
        if found is None:
            raise UnknownObject(f"no organisation {str(org)[:60]!r}")
        return found

    def issue_token(self, org: str) -> str:
        """A new secret token for the organisation (replaces its previous one; only a hash is kept)."""
        with self.db.lock:
            found = self.organisation(org)
            token = secrets.token_urlsafe(32)
            self.db.execute("UPDATE orgs SET token_hash = ? WHERE org_id = ?", (_hash(token), found.org_id))
            self.db.audit(LAB_PARTY, None, "org.token", found.org_id, "allowed")
            return token

    def authenticate(self, token: str) -> Organisation:
        """The organisation holding ``token``; :class:`AccessRefused` (audited) otherwise."""
        with self.db.lock:
            row = None
            if isinstance(token, str) and 0 < len(token) <= 200:
                row = self.db.execute("SELECT org_id, name, role, manufacturer_id, signing_key FROM orgs"
                                      " WHERE token_hash = ?", (_hash(token),)).fetchone()
            if row is None:
                self.db.audit("unknown", None, "org.authenticate", "token", "refused", "unknown token")
                raise AccessRefused("unknown organisation token")
            return org_from_row(row)

    # -- CPL -----------------------------------------------------------------------------------

    def cpl_models(self, actor: str, *, manufacturer_id: str | None = None, model_id: str | None = None
                   ) -> list[DeviceModel]:
        """CPL entries (every role)."""
        return self.cpl.cpl_models(actor, manufacturer_id=manufacturer_id, model_id=model_id)

    def cpl_add(self, actor: str, model: DeviceModel, *, reason: str = "") -> DeviceModel:
        """Add a CPL entry (SECAS)."""
        return self.cpl.cpl_add(actor, model, reason=reason)

    def cpl_withdraw(self, actor: str, manufacturer: str, model: str, version: str, *, reason: str = "") -> None:
        """Withdraw a CPL entry (SECAS)."""
        self.cpl.cpl_withdraw(actor, manufacturer, model, version, reason=reason)

    def epcl(self, actor: str) -> list[Dmc]:
        """The EPCL (every role)."""
        return self.cpl.epcl(actor)

    def cpl_history(self, actor: str, *, limit: int = 200) -> list[CplChange]:
        """CPL and EPCL changes, newest first (every role)."""
        return self.cpl.cpl_history(actor, limit=limit)

    def cpl_entries(self, manufacturer: str, model: str) -> list[CplEntry]:
        """The DSP's reader for its E110101 check."""
        return self.cpl.cpl_entries(manufacturer, model)

    # -- CFL -----------------------------------------------------------------------------------

    def cfl_upload(self, actor: str, data: bytes, *, notes: str, commercial: bool,
                   models: Sequence[tuple[str, str]]) -> CflImage:
        """Upload an image for own device models (manufacturer)."""
        return self.cfl.cfl_upload(actor, data, notes=notes, commercial=commercial, models=models)

    def cfl_list(self, actor: str) -> list[CflImage]:
        """Images visible to the organisation."""
        return self.cfl.cfl_list(actor)

    def cfl_image(self, actor: str, image_id: int) -> CflImage:
        """One image with its release notes."""
        return self.cfl.cfl_image(actor, image_id)

    def cfl_find(self, actor: str, model: str, version: str) -> CflImage:
        """The image for ``MODEL@VERSION``."""
        return self.cfl.cfl_find(actor, model, version)

    def cfl_download(self, actor: str, image_id: int) -> bytes:
        """The image file (never a commercial one)."""
        return self.cfl.cfl_download(actor, image_id)

    # -- vulnerabilities -------------------------------------------------------------------------

    def report_vulnerability(self, actor: str, *, manufacturer_id: str, model_id: str, summary: str,
                             mitigation: str, remediation_due: dt.date | str | None = None,
                             device_type: DeviceType | str | None = None,
                             generation: Generation | str | None = None) -> VulnerabilityReport:
        """A G3.20 vulnerability report (supplier, or manufacturer for its own models)."""
        return self.vulns.report_vulnerability(actor, manufacturer_id=manufacturer_id, model_id=model_id,
                                               summary=summary, mitigation=mitigation,
                                               remediation_due=remediation_due, device_type=device_type,
                                               generation=generation)

    def vulnerabilities(self, actor: str) -> list[VulnerabilityReport]:
        """Reports the organisation may read."""
        return self.vulns.vulnerabilities(actor)

    def vulnerability(self, actor: str, report_id: int) -> VulnerabilityReport:
        """One report."""
        return self.vulns.vulnerability(actor, report_id)

    # -- PPCT ------------------------------------------------------------------------------------

    def ppct_submit(self, actor: str, *, models: Sequence[DeviceModel], test_kind: TestKind | str = TestKind.ORDINARY,
                    vulnerability_id: int | None = None, description: str = "") -> Submission:
        """Submit a DMC for PPCT (supplier)."""
        return self.ppct.ppct_submit(actor, models=models, test_kind=test_kind, vulnerability_id=vulnerability_id,
                                     description=description)

    def ppct_queue(self, actor: str) -> list[QueueItem]:
        """The PPCT queue with slot dates."""
        return self.ppct.ppct_queue(actor)

    def ppct_submission(self, actor: str, submission_id: int) -> Submission:
        """One submission."""
        return self.ppct.ppct_submission(actor, submission_id)

    def ppct_request_fast_track(self, actor: str, submission_id: int, *, assessment: str) -> Submission:
        """Ask for the security fast track of an own submission (supplier)."""
        return self.ppct.ppct_request_fast_track(actor, submission_id, assessment=assessment)

    def ppct_project_dates(self, actor: str, submission_id: int) -> ProjectedDates:
        """Both projected test dates to SECAS (DCC)."""
        return self.ppct.ppct_project_dates(actor, submission_id)

    def ppct_confirm(self, actor: str, submission_id: int, *, ssc_notified: bool, material: bool,
                     warrants_fast_track: bool) -> Submission:
        """SECAS's three confirmations (SECAS)."""
        return self.ppct.ppct_confirm(actor, submission_id, ssc_notified=ssc_notified, material=material,
                                      warrants_fast_track=warrants_fast_track)

    def ppct_record_result(self, actor: str, submission_id: int, *, passed: bool, notes: str = "") -> Submission:
        """The result of the test under way (DCC)."""
        return self.ppct.ppct_record_result(actor, submission_id, passed=passed, notes=notes)

    # -- notifications and audit -----------------------------------------------------------------

    def notifications(self, actor: str, *, limit: int = 200) -> list[Notification]:
        """The organisation's own notifications, newest first."""
        with self.db.operation(actor, Action.NOTIFICATIONS_READ, "notifications") as op:
            rows = self.db.execute(
                "SELECT notification_id, org_id, at, kind, subject, text FROM notifications WHERE org_id = ?"
                " ORDER BY notification_id DESC LIMIT ?", (op.org.org_id, _limit(limit))).fetchall()
            op.detail = f"{len(rows)} notifications"
            return [Notification(r[0], r[1], when(r[2]), r[3], r[4], r[5]) for r in rows]  # type: ignore[arg-type]

    def audit_log(self, actor: str, *, limit: int = 200) -> list[AuditRecord]:
        """The newest audit records (DCC, SECAS); this read is itself audited first."""
        with self.db.operation(actor, Action.AUDIT_READ, "audit log"):
            pass
        rows = self.db.execute("SELECT seq, at, party, role, action, object, outcome, detail FROM audit"
                               " ORDER BY seq DESC LIMIT ?", (_limit(limit),)).fetchall()
        return [AuditRecord(r[0], when(r[1]), r[2], None if r[3] is None else PartyRole(r[3]),  # type: ignore[arg-type]
                            r[4], r[5], r[6], r[7]) for r in rows]


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _limit(limit: int) -> int:
    return max(1, min(int(limit), 10_000))


def _manufacturer(text: str) -> str:
    return manufacturer_id(text)
