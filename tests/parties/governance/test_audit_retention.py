"""The audit log is bounded: a flood of audited calls keeps only the newest rows."""

from __future__ import annotations

from smets_emu.parties.governance import Governance
from smets_emu.parties.governance.store import AUDIT_TRIM_EVERY


def _rows(gov: Governance) -> tuple[int, int, int]:
    count, low, high = gov.db.execute("SELECT COUNT(*), MIN(seq), MAX(seq) FROM audit").fetchone()
    return int(count), int(low), int(high)


def test_old_audit_rows_go_once_past_the_bound(gov: Governance) -> None:
    gov.db.audit_retention = 1000
    before = _rows(gov)[2]
    for n in range(5 * 1000):
        gov.db.audit("flooder", None, "cpl.check", f"device-{n}", "allowed")
    count, low, high = _rows(gov)
    assert high == before + 5000
    assert count <= 1000 + AUDIT_TRIM_EVERY
    assert low > high - 1000 - AUDIT_TRIM_EVERY  # the newest rows are the ones kept
    newest = gov.db.execute("SELECT object FROM audit ORDER BY seq DESC LIMIT 1").fetchone()[0]
    assert newest == "device-4999"


def test_audit_fields_are_bounded(gov: Governance) -> None:
    gov.db.audit("p" * 10_000, None, "x", "o" * 10_000, "refused", "d" * 10_000)
    party, obj, detail = gov.db.execute("SELECT party, object, detail FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    assert (len(party), len(obj), len(detail)) == (100, 200, 500)
