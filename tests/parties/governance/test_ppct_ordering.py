"""PPCT fast-track ordering over random queues (PPCT Security Fast Track conclusions 4.1.2; ETAD 9.2, 9.16).

The pure rule (:func:`fast_track_order`) and the same rule through the PPCT service, where the
suppliers whose agreed slots move must each be notified.
"""

from __future__ import annotations

import pytest
from governance_helpers import ESME_MODEL, Clock, image, model_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smets_emu.parties.governance import (
    Conflict,
    FastTrackRefused,
    Governance,
    QueueEntry,
    TestKind,
    fast_track_order,
)

SUPPLIERS = ("supplier-a", "supplier-b", "supplier-c", "supplier-d")


@st.composite
def queues(draw: st.DrawFn) -> tuple[list[QueueEntry], int]:
    size = draw(st.integers(1, 14))
    entries = []
    for i in range(size):
        entries.append(QueueEntry(
            submission_id=i + 1,
            supplier=draw(st.sampled_from(SUPPLIERS)),
            test_kind=draw(st.sampled_from(list(TestKind))),
            security_fix=draw(st.booleans()),
            fast_tracked=draw(st.booleans()) if draw(st.integers(0, 4)) == 0 else False,
            in_test=i == 0 and draw(st.booleans()),
        ))
    target = draw(st.integers(0, size - 1))
    return entries, entries[target].submission_id


def _eligible(entry: QueueEntry) -> bool:
    return entry.security_fix and not entry.fast_tracked and not entry.in_test


@given(queues())
def test_non_security_fixes_are_refused(case: tuple[list[QueueEntry], int]) -> None:
    queue, target = case
    entry = next(e for e in queue if e.submission_id == target)
    if entry.security_fix:
        return
    with pytest.raises(FastTrackRefused, match="non-security fixes never qualify"):
        fast_track_order(queue, target)


@given(queues())
def test_fast_track_ordering_rules(case: tuple[list[QueueEntry], int]) -> None:
    queue, target = case
    entry = next(e for e in queue if e.submission_id == target)
    if not _eligible(entry):
        with pytest.raises(Conflict):
            fast_track_order(queue, target)
        return
    result = fast_track_order(queue, target)
    new_ids = [e.submission_id for e in result.queue]
    old_ids = [e.submission_id for e in queue]
    assert sorted(new_ids) == sorted(old_ids)
    position = new_ids.index(target)
    assert position == result.new_position <= result.old_position == old_ids.index(target)
    assert result.queue[position].fast_tracked
    # never behind an ordinary test it was allowed to pass: what is directly ahead is a barrier
    assert position == 0 or result.queue[position - 1].barrier
    last_barrier = max((i for i, e in enumerate(queue[:result.old_position]) if e.barrier), default=-1)
    for passable in queue[last_barrier + 1:result.old_position]:
        assert new_ids.index(passable.submission_id) > position  # every ordinary test it may pass is passed
    # never ahead of a health-and-safety test (nor a test under way, nor an earlier fast track) that was ahead
    for ahead in queue[:result.old_position]:
        if ahead.barrier:
            assert new_ids.index(ahead.submission_id) < position
    # barriers keep their slot
    for i, e in enumerate(queue):
        if e.barrier and e.submission_id != target:
            assert new_ids[i] == e.submission_id
    # the others keep their relative order; each moved entry is one slot later
    assert [i for i in new_ids if i != target] == [i for i in old_ids if i != target]
    moved_ids = {e.submission_id for e in result.moved}
    for e in queue:
        if e.submission_id == target:
            continue
        shift = new_ids.index(e.submission_id) - old_ids.index(e.submission_id)
        assert shift == (1 if e.submission_id in moved_ids else 0)
        if e.submission_id in moved_ids:
            assert not e.barrier


def test_worked_example() -> None:
    """A health-and-safety test keeps its slot; the fix passes the ordinary tests behind it."""
    queue = [
        QueueEntry(1, "supplier-a", in_test=True),
        QueueEntry(2, "supplier-b"),
        QueueEntry(3, "supplier-c", TestKind.HEALTH_AND_SAFETY),
        QueueEntry(4, "supplier-b"),
        QueueEntry(5, "supplier-d"),
        QueueEntry(6, "supplier-a", security_fix=True),
    ]
    result = fast_track_order(queue, 6)
    assert [e.submission_id for e in result.queue] == [1, 2, 3, 6, 4, 5]
    assert [e.supplier for e in result.moved] == ["supplier-b", "supplier-d"]


kinds = st.lists(st.tuples(st.sampled_from(SUPPLIERS[1:]), st.sampled_from(list(TestKind))), min_size=1, max_size=7)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kinds, st.integers(0, 2))
def test_the_service_notifies_every_moved_supplier(others: list[tuple[str, TestKind]], days_on: int) -> None:
    clock = Clock()
    gov = Governance.open(":memory:", clock=clock)
    try:
        for name in ("supplier-c", "supplier-d"):
            gov.add_organisation(name, name.title(), "supplier")
        ids = []
        for n, (supplier, kind) in enumerate(others):
            img = image(0x0A000100 + n, bytes([n]))
            ids.append(gov.ppct_submit(supplier, models=[model_for(img)], test_kind=kind).submission_id)
        clock.advance(days=days_on)
        report = gov.report_vulnerability("supplier-a", manufacturer_id="AB01", model_id=ESME_MODEL,
                                          summary="key leak", mitigation="firmware fix")
        fix = gov.ppct_submit("supplier-a", models=[model_for(image(0x0B000000, b"fix"))],
                              vulnerability_id=report.report_id)
        before = gov.ppct_queue("dcc")
        expected = fast_track_order([QueueEntry(i.submission.submission_id, i.submission.supplier,
                                                i.submission.test_kind, i.submission.security_fix, False, i.in_test)
                                     for i in before], fix.submission_id)
        gov.ppct_request_fast_track("supplier-a", fix.submission_id, assessment="no S1SR/DMVES impact")
        dates = gov.ppct_project_dates("dcc", fix.submission_id)
        assert dates.with_fast_track <= dates.without_fast_track
        gov.ppct_confirm("secas", fix.submission_id, ssc_notified=True, material=True, warrants_fast_track=True)
        after = gov.ppct_queue("dcc")
        assert [i.submission.submission_id for i in after] == [e.submission_id for e in expected.queue]
        assert after[expected.new_position].slot_start == dates.with_fast_track
        slots_before = {i.submission.submission_id: i.slot_start for i in before}
        for item in after:
            sid = item.submission.submission_id
            if sid == fix.submission_id:
                continue
            moved = item.slot_start != slots_before[sid]
            assert moved == (sid in {e.submission_id for e in expected.moved})
            notes = [n for n in gov.notifications(item.submission.supplier)
                     if n.kind == "ppct_slot_moved" and n.subject == f"submission {sid}"]
            assert len(notes) == (1 if moved else 0)
            if item.submission.test_kind is TestKind.HEALTH_AND_SAFETY:
                assert not moved
    finally:
        gov.close()
