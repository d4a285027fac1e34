"""The PPCT security fast-track ordering rule, as one pure function.

DCC's PPCT Security Fast Track conclusions (section 4.1.2 and the ETAD changes of section 5):

- only a DMC that fixes a material security vulnerability may be prioritised (ETAD 9.2 as amended:
  "not to be used to address non-security related issues");
- where SECAS confirms for the SSC Chair that it warrants fast tracking, DCC "will give priority to
  the DMC in PPCT": it moves ahead of ordinary tests;
- health-and-safety tests "are not automatically de-prioritised in favour of a security related
  device test": a fast-tracked DMC never passes one;
- a test already under way is not interrupted, and an earlier fast-tracked DMC keeps its place;
- DCC "will notify any Suppliers whose agreed PPCT schedules are impacted": the entries it passes
  each move back one slot and are returned so they can be notified.

The queue is the order of the waiting tests; slot dates follow from the position.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from smets_emu.parties.governance.errors import Conflict, FastTrackRefused, UnknownObject
from smets_emu.parties.governance.model import TestKind


@dataclass(frozen=True)
class QueueEntry:
    """What the ordering rule needs to know of one queued test."""

    submission_id: int
    supplier: str
    test_kind: TestKind = TestKind.ORDINARY
    security_fix: bool = False
    fast_tracked: bool = False
    in_test: bool = False

    @property
    def barrier(self) -> bool:
        """A fast-tracked DMC may not pass this entry: a health-and-safety test, a test under way,
        or a DMC fast-tracked before it."""
        return self.in_test or self.fast_tracked or self.test_kind is TestKind.HEALTH_AND_SAFETY


@dataclass(frozen=True)
class Reordering:
    """The queue after a fast track, where the DMC was and is, and who it passed."""

    queue: tuple[QueueEntry, ...]
    old_position: int
    new_position: int
    moved: tuple[QueueEntry, ...]  # each one slot later than before, order kept


def check_fast_track(entry: QueueEntry) -> None:
    """Refuse a fast track the rule never allows (non-security fix, already fast-tracked, under way)."""
    if not entry.security_fix:
        raise FastTrackRefused(
            f"submission {entry.submission_id} is not a fix to a reported security vulnerability: "
            "non-security fixes never qualify for the PPCT fast track (ETAD 9.2)"
        )
    if entry.fast_tracked:
        raise Conflict(f"submission {entry.submission_id} is already fast-tracked")
    if entry.in_test:
        raise Conflict(f"submission {entry.submission_id} is already under test")


def fast_track_order(queue: Sequence[QueueEntry], submission_id: int) -> Reordering:
    """The queue with ``submission_id`` fast-tracked: placed right after the last barrier ahead of
    it (health-and-safety test, test under way, earlier fast track), ahead of every ordinary test
    after that barrier; everything else keeps its order."""
    entries = tuple(queue)
    index = next((i for i, e in enumerate(entries) if e.submission_id == submission_id), None)
    if index is None:
        raise UnknownObject(f"submission {submission_id} is not in the PPCT queue")
    entry = entries[index]
    check_fast_track(entry)
    target = 0
    for i in range(index):
        if entries[i].barrier:
            target = i + 1
    moved = entries[target:index]
    new_queue = (*entries[:target], replace(entry, fast_tracked=True), *moved, *entries[index + 1:])
    return Reordering(new_queue, index, target, moved)
