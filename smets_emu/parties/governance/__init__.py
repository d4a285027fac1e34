"""Firmware governance as the DCC runs it: the CPL, the Centralised Firmware Library and PPCT.

Sans-IO services over one SQLite store (:class:`Governance`); the web layer and the CLI are in
``smets_emu.tools``. Sources: SECMP0009 (CFL), DCC's SMETS1 PPCT Security Fast Track conclusions
(ETAD 9.2, 9.15-9.17) and SEC G3.18-G3.20 (vulnerability reports).
"""

from smets_emu.parties.governance.access import ACCESS, Action, Scope
from smets_emu.parties.governance.errors import (
    AccessRefused,
    Conflict,
    FastTrackRefused,
    GovernanceError,
    InvalidInput,
    UnknownObject,
)
from smets_emu.parties.governance.model import (
    AuditRecord,
    CflImage,
    CplChange,
    DeviceModel,
    DeviceType,
    Dmc,
    FastTrack,
    Generation,
    Notification,
    Organisation,
    PartyRole,
    ProjectedDates,
    QueueItem,
    SecasConfirmation,
    Submission,
    SubmissionStatus,
    TestKind,
    VulnerabilityReport,
)
from smets_emu.parties.governance.notes import render_notes
from smets_emu.parties.governance.ordering import QueueEntry, Reordering, fast_track_order
from smets_emu.parties.governance.service import Governance

__all__ = [
    "ACCESS",
    "AccessRefused",
    "Action",
    "AuditRecord",
    "CflImage",
    "Conflict",
    "CplChange",
    "DeviceModel",
    "DeviceType",
    "Dmc",
    "FastTrack",
    "FastTrackRefused",
    "Generation",
    "Governance",
    "GovernanceError",
    "InvalidInput",
    "Notification",
    "Organisation",
    "ProjectedDates",
    "QueueEntry",
    "QueueItem",
    "Reordering",
    "PartyRole",
    "Scope",
    "SecasConfirmation",
    "Submission",
    "SubmissionStatus",
    "TestKind",
    "UnknownObject",
    "VulnerabilityReport",
    "fast_track_order",
    "render_notes",
]
