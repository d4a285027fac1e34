"""SQLite state of the governance services and the context every service shares.

One connection (``check_same_thread=False``) used under one re-entrant lock: every public
operation of :class:`~smets_emu.parties.governance.service.Governance` holds the lock and runs in
one transaction, so the control plane may call it from worker threads. The lab clock is injected.
Every access, allowed or refused, is written to ``audit`` (committed even when the operation is
refused: the refusal row is written outside the failed transaction).
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from smets_emu.parties.database import open_database, transaction
from smets_emu.parties.governance.access import Action, Owner, refusal
from smets_emu.parties.governance.errors import AccessRefused, GovernanceError, InvalidInput, UnknownObject
from smets_emu.parties.governance.model import Organisation, PartyRole

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS orgs (
    org_id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, manufacturer_id TEXT,
    signing_key BLOB, token_hash BLOB UNIQUE
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cpl (
    manufacturer_id TEXT NOT NULL, model_id TEXT NOT NULL, firmware_version TEXT NOT NULL, image_hash BLOB,
    generation TEXT NOT NULL, device_type TEXT NOT NULL, added_at TEXT NOT NULL,
    PRIMARY KEY (manufacturer_id, model_id, firmware_version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cpl_history (
    seq INTEGER PRIMARY KEY, at TEXT NOT NULL, party TEXT NOT NULL, change TEXT NOT NULL,
    subject TEXT NOT NULL, reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS dmc (dmc_id TEXT PRIMARY KEY, on_epcl INTEGER NOT NULL, added_at TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dmc_models (
    dmc_id TEXT NOT NULL, manufacturer_id TEXT NOT NULL, model_id TEXT NOT NULL, firmware_version TEXT NOT NULL,
    image_hash BLOB, generation TEXT NOT NULL, device_type TEXT NOT NULL,
    PRIMARY KEY (dmc_id, manufacturer_id, model_id, firmware_version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cfl (
    image_id INTEGER PRIMARY KEY, manufacturer_id TEXT NOT NULL, uploaded_by TEXT NOT NULL,
    version TEXT NOT NULL, image_hash BLOB NOT NULL UNIQUE, size INTEGER NOT NULL, commercial INTEGER NOT NULL,
    notes TEXT NOT NULL, signature TEXT NOT NULL, uploaded_at TEXT NOT NULL, data BLOB
);
CREATE TABLE IF NOT EXISTS cfl_models (
    image_id INTEGER NOT NULL, manufacturer_id TEXT NOT NULL, model_id TEXT NOT NULL,
    PRIMARY KEY (image_id, manufacturer_id, model_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS vulnerabilities (
    report_id INTEGER PRIMARY KEY, reporter TEXT NOT NULL, manufacturer_id TEXT NOT NULL, model_id TEXT NOT NULL,
    summary TEXT NOT NULL, mitigation TEXT NOT NULL, remediation_due TEXT, reported_at TEXT NOT NULL,
    device_type TEXT, generation TEXT, responsible TEXT
);
CREATE TABLE IF NOT EXISTS submissions (
    submission_id INTEGER PRIMARY KEY, supplier TEXT NOT NULL, dmc_id TEXT NOT NULL, test_kind TEXT NOT NULL,
    vulnerability_id INTEGER, description TEXT NOT NULL, status TEXT NOT NULL, fast_track TEXT NOT NULL,
    assessment TEXT NOT NULL DEFAULT '', queue_pos INTEGER, submitted_at TEXT NOT NULL,
    proj_without TEXT, proj_with TEXT, proj_sent_at TEXT,
    conf_ssc INTEGER, conf_material INTEGER, conf_warrants INTEGER, conf_by TEXT, conf_at TEXT,
    result_at TEXT, result_notes TEXT
);
CREATE TABLE IF NOT EXISTS notifications (
    notification_id INTEGER PRIMARY KEY, org_id TEXT NOT NULL, at TEXT NOT NULL, kind TEXT NOT NULL,
    subject TEXT NOT NULL, text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS notifications_org ON notifications (org_id);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY, at TEXT NOT NULL, party TEXT NOT NULL, role TEXT, action TEXT NOT NULL,
    object TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
"""

AUDIT_RETENTION = 200_000
"""Audit rows kept (the newest): a DUIS flood adds a ``cpl.check`` row per device checked, so the log is bounded."""
AUDIT_TRIM_EVERY = 256
"""Old audit rows are deleted in batches, every this many new rows."""

LAB_PARTY = "lab"
"""The party name of lab-owner administration (adding organisations, seeding) in the audit log."""
DSP_PARTY = "dsp"
"""The party name of the DSP's CPL checks (SRV 11.1/11.3) in the audit log."""


def object_id(value: object, id_name: str, what: str) -> int:
    """A caller's object id: InvalidInput unless it is an integer, UnknownObject ("no *what* N") outside 1..2**62."""
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{id_name} must be a number, not {value!r:.30}") from exc
    if not 0 < number < 2**62:
        raise UnknownObject(f"no {what} {number}")
    return number


def iso(when: dt.datetime | None) -> str | None:
    """A datetime as ISO text (UTC) for storage."""
    return None if when is None else when.astimezone(dt.UTC).isoformat()


def when(text: str | None) -> dt.datetime | None:
    """Stored ISO text back to an aware datetime."""
    return None if text is None else dt.datetime.fromisoformat(text)


def org_from_row(row: sqlite3.Row | tuple) -> Organisation:  # type: ignore[type-arg]
    """An organisation from ``SELECT org_id, name, role, manufacturer_id, signing_key``."""
    return Organisation(row[0], row[1], PartyRole(row[2]), row[3], row[4] is not None)


class Db:
    """The connection, its lock, the lab clock, and the audit and notification writers."""

    def __init__(self, path: str | Path, clock: Callable[[], dt.datetime]) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.audit_retention = AUDIT_RETENTION
        self.conn = open_database(path, SCHEMA, "governance state")
        self.path = str(path)

    def close(self) -> None:
        """Close the connection."""
        with self.lock:
            self.conn.close()

    def now(self) -> dt.datetime:
        """The lab clock (aware, UTC)."""
        value = self.clock()
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock; ``BEGIN IMMEDIATE`` ... ``COMMIT`` (rolled back if the body raises). Nested use
        joins the outer transaction."""
        with transaction(self.conn, self.lock) as conn:
            yield conn

    def execute(self, sql: str, params: tuple = ()) -> sqlite3.Cursor:  # type: ignore[type-arg]
        """One statement under the lock."""
        with self.lock:
            return self.conn.execute(sql, params)

    def meta(self, key: str) -> str | None:
        """A stored setting."""
        row = self.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Store a setting."""
        self.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def audit(self, party: str, role: PartyRole | None, action: str, obj: str, outcome: str, detail: str = "") -> None:
        """Append one audit record (lab clock time); the oldest go past :data:`AUDIT_RETENTION` rows."""
        cur = self.execute(
            "INSERT INTO audit (at, party, role, action, object, outcome, detail) VALUES (?,?,?,?,?,?,?)",
            (iso(self.now()), party[:100], None if role is None else role.value, action, obj[:200], outcome,
             detail[:500]),
        )
        seq = int(cur.lastrowid or 0)
        if seq % AUDIT_TRIM_EVERY == 0 and seq > self.audit_retention:
            self.execute("DELETE FROM audit WHERE seq <= ?", (seq - self.audit_retention,))

    def notify(self, org: str, kind: str, subject: str, text: str) -> None:
        """Record a notification to one organisation."""
        self.execute(
            "INSERT INTO notifications (org_id, at, kind, subject, text) VALUES (?,?,?,?,?)",
            (org, iso(self.now()), kind, subject, text),
        )
        log.info("notification to %s: %s %s", org, kind, subject)

    def orgs_with_role(self, role: PartyRole) -> list[str]:
        """Every organisation id in a role."""
        return [r[0] for r in self.execute("SELECT org_id FROM orgs WHERE role = ? ORDER BY org_id", (role.value,))]

    def organisation(self, org: str) -> Organisation | None:
        """An organisation, or None."""
        row = self.execute(
            "SELECT org_id, name, role, manufacturer_id, signing_key FROM orgs WHERE org_id = ?", (str(org),)
        ).fetchone()
        return None if row is None else org_from_row(row)

    @contextmanager
    def operation(self, actor: str, action: Action, obj: str) -> Iterator[Op]:
        """Authorise ``actor`` for ``action`` by role, then run the body in one transaction.

        Audited once, after the body: ``allowed``, ``refused`` (unknown organisation, role, or an
        :class:`AccessRefused` the body raised, e.g. :meth:`Op.require_own` or a commercial image) or
        ``failed`` (allowed, but the body raised another :class:`GovernanceError`: nothing was changed).
        """
        with self.lock:
            org = self.organisation(actor)
            if org is None:
                self.audit(str(actor)[:60], None, action.value, obj, "refused", "unknown organisation")
                raise AccessRefused(f"unknown organisation {str(actor)[:60]!r}")
            reason = refusal(org, action)
            if reason is not None:
                self.audit(org.org_id, org.role, action.value, obj, "refused", reason)
                raise AccessRefused(reason)
            op = Op(org, action, obj)
            try:
                with self.transaction():
                    yield op
            except AccessRefused as exc:
                self.audit(org.org_id, org.role, action.value, op.object, "refused", str(exc))
                raise
            except GovernanceError as exc:
                self.audit(org.org_id, org.role, action.value, op.object, "failed", str(exc))
                raise
            self.audit(org.org_id, org.role, action.value, op.object, "allowed", op.detail)


class Op:
    """One authorised operation in progress: the acting organisation and what the audit row will say."""

    def __init__(self, org: Organisation, action: Action, obj: str) -> None:
        self.org = org
        self.action = action
        self.object = obj
        self.detail = ""

    def require_own(self, owner: Owner) -> None:
        """Refuse (audited) when the role's scope for this action is OWN and the object is not its own."""
        reason = refusal(self.org, self.action, owner)
        if reason is not None:
            raise AccessRefused(reason)

    def may(self, owner: Owner) -> bool:
        """Whether the object is within the organisation's scope (for filtering listings)."""
        return refusal(self.org, self.action, owner) is None
