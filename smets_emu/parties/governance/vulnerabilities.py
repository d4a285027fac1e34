"""Security vulnerability reports for device models (SEC G3.18 to G3.20).

A supplier (for any device model) or a manufacturer (for its own) reports a vulnerability: what
it is, the steps being taken to rectify or mitigate it and when they should be complete, which
G3.18(c) requires the Security Sub-Committee to be told promptly. The report is notified to SECAS
(which answers for the SSC Chair, PPCT conclusions 4.1.2) and to the model's manufacturer. A PPCT
submission that names a report is a security fix: the only kind the fast track takes.

When the report names the device type and generation, it records who SEC G3.20 (as corrected by
DP087/MP087, :func:`smets_emu.parties.smets1.notify.vulnerability_notification_party`) makes
responsible for the notification arrangements: the DCC for a SMETS2+ CHF or GPF (and the DCC is
notified), the Responsible Supplier otherwise.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from smets_emu.parties.governance.access import Action, Owner
from smets_emu.parties.governance.errors import InvalidInput, UnknownObject
from smets_emu.parties.governance.model import (
    DeviceType,
    Generation,
    PartyRole,
    VulnerabilityReport,
    manufacturer_id,
    model_id,
    text_field,
)
from smets_emu.parties.governance.store import Db, iso, object_id, when
from smets_emu.parties.smets1.notify import NotifyParty, vulnerability_notification_party

COLUMNS = ("report_id, reporter, manufacturer_id, model_id, summary, mitigation, remediation_due, reported_at,"
           " device_type, generation, responsible")


def report_from_row(row: sqlite3.Row | tuple) -> VulnerabilityReport:  # type: ignore[type-arg]
    """A report from the :data:`COLUMNS`."""
    due = None if row[6] is None else dt.date.fromisoformat(row[6])
    return VulnerabilityReport(
        row[0], row[1], row[2], row[3], row[4], row[5], due, when(row[7]),  # type: ignore[arg-type]
        None if row[8] is None else DeviceType(row[8]), None if row[9] is None else Generation(row[9]), row[10])


class VulnerabilityService:
    """Reports and reads of G3.20 vulnerability reports."""

    def __init__(self, db: Db) -> None:
        self.db = db

    def report_vulnerability(self, actor: str, *, manufacturer_id: str, model_id: str, summary: str,
                             mitigation: str, remediation_due: dt.date | str | None = None,
                             device_type: DeviceType | str | None = None,
                             generation: Generation | str | None = None) -> VulnerabilityReport:
        """Record a report and notify SECAS (for the SSC), the manufacturer, and the DCC when G3.20 makes it
        responsible (a SMETS2+ CHF or GPF)."""
        with self.db.operation(actor, Action.VULNERABILITY_REPORT, f"{manufacturer_id}/{model_id}") as op:
            mid, model = _manufacturer(manufacturer_id), _model(model_id)
            op.object = f"{mid}/{model}"
            op.require_own(Owner.of(manufacturers=(mid,)))
            due = _date(remediation_due)
            kind, gen, responsible = _responsible(device_type, generation)
            cursor = self.db.execute(
                "INSERT INTO vulnerabilities (reporter, manufacturer_id, model_id, summary, mitigation,"
                " remediation_due, reported_at, device_type, generation, responsible) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (op.org.org_id, mid, model, text_field(summary, "summary", 4000),
                 text_field(mitigation, "mitigation", 4000), None if due is None else due.isoformat(),
                 iso(self.db.now()), kind, gen, responsible),
            )
            report = self.get(int(cursor.lastrowid or 0))
            op.object = f"vulnerability {report.report_id} ({mid}/{model})"
            text = (f"{op.org.name} reports a security vulnerability of device model {mid}/{model}: {report.summary}"
                    f" Steps: {report.mitigation}" + (f" Due: {due.isoformat()}." if due else ""))
            for org in self.db.orgs_with_role(PartyRole.SECAS):
                self.db.notify(org, "vulnerability_reported", f"vulnerability {report.report_id}", text)
            also = self.db.orgs_with_role(PartyRole.DCC) if responsible == NotifyParty.DCC.value else []
            for org in [*self._manufacturer_orgs(mid), *also]:
                if org != op.org.org_id:
                    self.db.notify(org, "vulnerability_reported", f"vulnerability {report.report_id}", text)
            return report

    def vulnerabilities(self, actor: str) -> list[VulnerabilityReport]:
        """The reports the organisation may read (SECAS, DCC: all; others: their own or their models')."""
        with self.db.operation(actor, Action.VULNERABILITY_READ, "vulnerabilities") as op:
            rows = self.db.execute(f"SELECT {COLUMNS} FROM vulnerabilities ORDER BY report_id DESC").fetchall()
            reports = [report_from_row(r) for r in rows]
            visible = [r for r in reports if op.may(_owner(r))]
            op.detail = f"{len(visible)} reports"
            return visible

    def vulnerability(self, actor: str, report_id: int) -> VulnerabilityReport:
        """One report."""
        with self.db.operation(actor, Action.VULNERABILITY_READ, f"vulnerability {report_id}") as op:
            report = self.get(report_id)
            op.require_own(_owner(report))
            return report

    def get(self, report_id: int) -> VulnerabilityReport:
        """A report by id (no access check: callers have done it)."""
        number = object_id(report_id, "report id", "vulnerability report")
        row = self.db.execute(f"SELECT {COLUMNS} FROM vulnerabilities WHERE report_id = ?", (number,)).fetchone()
        if row is None:
            raise UnknownObject(f"no vulnerability report {number}")
        return report_from_row(row)

    def _manufacturer_orgs(self, mid: str) -> list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT org_id FROM orgs WHERE role = ? AND manufacturer_id = ?", (PartyRole.MANUFACTURER.value, mid))]


def _owner(report: VulnerabilityReport) -> Owner:
    return Owner.of(orgs=(report.reporter,), manufacturers=(report.manufacturer_id,))


def _manufacturer(text: str) -> str:
    return manufacturer_id(text)


def _model(text: str) -> str:
    return model_id(text)


def _responsible(device_type: DeviceType | str | None, generation: Generation | str | None
                 ) -> tuple[str | None, str | None, str | None]:
    """(device type, generation, G3.20 responsible party) as stored; all None when either is not given."""
    if device_type is None or generation is None or device_type == "" or generation == "":
        return None, None, None
    try:
        kind, gen = DeviceType(device_type), Generation(generation)
    except ValueError as exc:
        raise InvalidInput(f"unknown device type or generation: {exc}") from exc
    return kind.value, gen.value, vulnerability_notification_party(kind, gen).value


def _date(value: dt.date | str | None) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise InvalidInput(f"remediation date must be YYYY-MM-DD, not {value!r:.30}") from exc
