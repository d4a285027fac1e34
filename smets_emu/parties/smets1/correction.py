"""SECMP0107 Requirement 2: the one-off correction of wrong network-operator certificates.

Finds every SMETS1 device whose network-operator virtual anchor slot holds a certificate of a
network operator that is not the registered one for the device's MPAN/MPRN (FIA 4.2.2), and
replaces it with the registered network operator's published certificate (ERM31). Each device
is one transaction that re-checks the slot, writes it and appends an audit row, so a run can be
interrupted and repeated: a second run finds nothing left to do.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from smets_emu.parties.smets1.store import AnchorSlot, Store
from smets_emu.protocols.duis import RemotePartyRole, format_eui

log = logging.getLogger(__name__)

_NO_ROLE = RemotePartyRole.NETWORK_OPERATOR.duis_name

_FIND = """
SELECT d.device_id, d.device_type, d.mpxn, a.entity_id, r.network_operator_id
FROM anchors a
JOIN devices d ON d.device_id = a.device_id
JOIN registration r ON r.mpxn = d.mpxn
WHERE a.role = ? AND d.generation = 'SMETS1' AND a.entity_id != r.network_operator_id
ORDER BY d.device_id
"""


@dataclass(frozen=True)
class Finding:
    """A device whose network-operator slot holds the wrong network operator's certificate."""

    device_id: bytes
    device_type: str
    mpxn: str
    current_entity_id: bytes
    registered_entity_id: bytes


@dataclass(frozen=True)
class CorrectionReport:
    """The outcome of one run."""

    run_id: str
    found: Counter[str] = field(default_factory=Counter)
    corrected: Counter[str] = field(default_factory=Counter)
    skipped: tuple[tuple[str, str], ...] = ()
    seconds: float = 0.0
    dry_run: bool = False

    @property
    def found_total(self) -> int:
        """Devices found with a wrong certificate."""
        return sum(self.found.values())

    @property
    def corrected_total(self) -> int:
        """Devices corrected."""
        return sum(self.corrected.values())

    def to_json(self) -> dict[str, object]:
        """JSON-safe summary."""
        return {
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "found": dict(sorted(self.found.items())),
            "found_total": self.found_total,
            "corrected": dict(sorted(self.corrected.items())),
            "corrected_total": self.corrected_total,
            "skipped": [{"device_id": d, "reason": r} for d, r in self.skipped],
            "seconds": round(self.seconds, 3),
            "devices_per_second": round(self.corrected_total / self.seconds, 1) if self.seconds else None,
        }


def find_wrong_network_operator_certificates(store: Store) -> list[Finding]:
    """Every SMETS1 device whose network-operator slot is not the registered network operator's."""
    return [Finding(*row) for row in store.query(_FIND, (_NO_ROLE,))]


def correct_network_operator_certificates(
    store: Store, *, dry_run: bool = False, run_id: str | None = None, now: datetime | None = None
) -> CorrectionReport:
    """Find and fix, one transaction per device, with an audit row per fix (SECMP0107 Requirement 2)."""
    started = time.perf_counter()
    run_id = run_id or uuid.uuid4().hex
    stamp = (now or datetime.now(UTC)).isoformat()
    findings = find_wrong_network_operator_certificates(store)
    found = Counter(f.device_type for f in findings)
    corrected: Counter[str] = Counter()
    skipped: list[tuple[str, str]] = []
    log.info("correction run %s: %d devices with a wrong network-operator certificate", run_id, len(findings))
    if not dry_run:
        for finding in findings:
            reason = _correct_one(store, finding, run_id, stamp)
            if reason is None:
                corrected[finding.device_type] += 1
            else:
                skipped.append((format_eui(finding.device_id), reason))
    return CorrectionReport(run_id, found, corrected, tuple(skipped), time.perf_counter() - started, dry_run)


def _correct_one(store: Store, finding: Finding, run_id: str, stamp: str) -> str | None:
    with store.transaction() as db:
        slot = store.anchor(finding.device_id, _NO_ROLE)
        registration = store.registration(finding.mpxn)
        if slot is None or registration is None:
            return "slot or Registration Data no longer present"
        if slot.entity_id == registration.network_operator_id:
            return "already correct"
        published = store.party_certificate(registration.network_operator_id, _NO_ROLE)
        if published is None:
            return f"no published certificate for {format_eui(registration.network_operator_id)}"
        serial, ski = published
        store.put_anchors([AnchorSlot(finding.device_id, _NO_ROLE, registration.network_operator_id, serial, ski)])
        db.execute(
            "INSERT INTO correction_audit (run_id, device_id, device_type, mpxn, old_entity_id, new_entity_id,"
            " new_certificate_serial, corrected_at) VALUES (?,?,?,?,?,?,?,?)",
            (
                run_id,
                finding.device_id,
                finding.device_type,
                finding.mpxn,
                slot.entity_id,
                registration.network_operator_id,
                serial,
                stamp,
            ),
        )
    return None


def audit_rows(store: Store, run_id: str | None = None) -> int:
    """Number of audit rows (of one run, or of all runs)."""
    if run_id is None:
        return int(store.query("SELECT COUNT(*) FROM correction_audit")[0][0])
    return int(store.query("SELECT COUNT(*) FROM correction_audit WHERE run_id = ?", (run_id,))[0][0])
