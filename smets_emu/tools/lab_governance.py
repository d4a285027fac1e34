"""The governance services (CPL, CFL, PPCT) of a lab: ``<lab>/governance.sqlite``.

The store is created owner-only (0600; SQLite gives its ``-wal`` and ``-shm`` files the same
mode) like every other file of a lab. The lab clock drives PPCT slots and stamps the audit log:
pass the runtime's clock when the lab is running, otherwise the lab's saved virtual clock (or the
wall clock for a lab that never ran) is used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from smets_emu.parties.governance import Governance
from smets_emu.secure_files import create_private_file
from smets_emu.tools.lab import Lab

GOVERNANCE_FILE = "governance.sqlite"


def lab_clock(lab: Lab) -> Callable[[], dt.datetime]:
    """The lab's saved virtual clock, or the wall clock when the lab has none."""

    def now() -> dt.datetime:
        return lab.saved_clock() or dt.datetime.now(dt.UTC)

    return now


def open_lab_governance(lab: Lab, *, clock: Callable[[], dt.datetime] | None = None) -> Governance:
    """The lab's governance services (seeded on first use); close with :meth:`Governance.close`."""
    path = lab.folder / GOVERNANCE_FILE
    create_private_file(path)
    return Governance.open(path, clock=clock or lab_clock(lab))
