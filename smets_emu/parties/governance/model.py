"""Typed values of the firmware governance services: parties, device models, images, PPCT records.

Sources: SECMP0009 Initial Modification Report (the Centralised Firmware Library, sections 1.2,
3 and 3.1), DCC's SMETS1 PPCT Security Fast Track conclusions (sections 4.1.2 and 5: ETAD
clauses 9.2, 9.15 to 9.17) and SEC G3.18 to G3.20 (vulnerability notification to the SSC).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass

from smets_emu.parties.governance.errors import InvalidInput
from smets_emu.parties.smets1.devices import DeviceType, Generation

__all__ = [
    "CflImage",
    "CplChange",
    "DeviceModel",
    "DeviceType",
    "Dmc",
    "FastTrack",
    "Generation",
    "Notification",
    "AuditRecord",
    "Organisation",
    "ProjectedDates",
    "QueueItem",
    "PartyRole",
    "SecasConfirmation",
    "Submission",
    "SubmissionStatus",
    "TestKind",
    "VulnerabilityReport",
]


class PartyRole(enum.StrEnum):
    """The role an organisation acts in. Every action is authorised by organisation and role."""

    MANUFACTURER = "manufacturer"
    SUPPLIER = "supplier"
    NETWORK_OPERATOR = "network_operator"
    DCC = "dcc"
    SECAS = "secas"


class TestKind(enum.StrEnum):
    """What a PPCT test is for. Health-and-safety tests are never de-prioritised for a security
    fast track (PPCT conclusions 4.1.1 and 4.1.2, "Health and Safety")."""

    __test__ = False  # not a pytest class

    ORDINARY = "ordinary"
    HEALTH_AND_SAFETY = "health_and_safety"


class SubmissionStatus(enum.StrEnum):
    """Where a PPCT submission is: waiting, under test (its slot has started), or done."""

    QUEUED = "queued"
    IN_TEST = "in_test"
    PASSED = "passed"
    FAILED = "failed"


class FastTrack(enum.StrEnum):
    """The security fast track of one submission (ETAD 9.15 to 9.17 as amended)."""

    NONE = "none"
    REQUESTED = "requested"
    PROJECTED = "projected"  # DCC has sent SECAS both projected test dates
    GRANTED = "granted"  # SECAS confirmed all three questions: moved ahead of ordinary tests
    DECLINED = "declined"


_ORG = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")


def _hex_digits(text: str, digits: int, what: str) -> str:
    """*text* as *digits* upper-case hex digits; InvalidInput naming *what* otherwise."""
    value = str(text).strip().upper()
    if len(value) != digits or any(c not in "0123456789ABCDEF" for c in value):
        raise InvalidInput(f"{what} must be {digits} hex digits, not {text!r:.40}")
    return value


def manufacturer_id(text: str) -> str:
    """A manufacturer identifier: 4 hex digits (upper case), as the DSP inventory holds it."""
    return _hex_digits(text, 4, "manufacturer id")


def model_id(text: str) -> str:
    """A device model identifier: 8 hex digits (upper case)."""
    return _hex_digits(text, 8, "model id")


def firmware_version(text: str) -> str:
    """A firmware version: 8 hex digits (upper case), the OTA file version a device reports."""
    return _hex_digits(text, 8, "firmware version")


def org_id(text: str) -> str:
    """An organisation identifier: lower-case letters, digits and hyphens, at most 40."""
    value = str(text)
    if not _ORG.fullmatch(value):
        raise InvalidInput(f"organisation id must be 1-40 of a-z, 0-9 and '-', not {text!r:.50}")
    return value


def text_field(text: str, what: str, limit: int, *, required: bool = True) -> str:
    """A bounded free-text field (no NUL); empty only when not required."""
    value = str(text).strip()
    if required and not value:
        raise InvalidInput(f"{what} is required")
    if len(value) > limit:
        raise InvalidInput(f"{what} is longer than {limit} characters")
    if "\x00" in value:
        raise InvalidInput(f"{what} contains a NUL character")
    return value


@dataclass(frozen=True)
class Organisation:
    """A party of the lab: an organisation in one role (a manufacturer has a manufacturer id)."""

    org_id: str
    name: str
    role: PartyRole
    manufacturer_id: str | None = None
    has_signing_key: bool = False


@dataclass(frozen=True)
class DeviceModel:
    """A CPL Device Model: hardware model and firmware version (a new firmware version makes a new
    Device Model, PPCT conclusions 4.1.2), with the Manufacturer Image Hash SRV 11.3 is checked against."""

    manufacturer_id: str
    model_id: str
    firmware_version: str
    image_hash: bytes | None
    generation: Generation
    device_type: DeviceType

    @classmethod
    def create(cls, manufacturer: str, model: str, version: str, image_hash: bytes | str | None,
               generation: Generation | str, device_type: DeviceType | str) -> DeviceModel:
        """A validated Device Model (hex ids upper-cased; the hash as 32 bytes or 64 hex digits)."""
        if isinstance(image_hash, str):
            try:
                image_hash = bytes.fromhex(image_hash)
            except ValueError as exc:
                raise InvalidInput("image hash must be hex") from exc
        if image_hash is not None and len(image_hash) != 32:
            raise InvalidInput("image hash must be 32 bytes (SHA-256 of the Manufacturer Image)")
        try:
            gen, kind = Generation(generation), DeviceType(device_type)
        except ValueError as exc:
            raise InvalidInput(f"unknown generation or device type: {exc}") from exc
        return cls(manufacturer_id(manufacturer), model_id(model), firmware_version(version), image_hash, gen, kind)

    @property
    def key(self) -> tuple[str, str, str]:
        """(manufacturer id, model id, firmware version): one CPL entry."""
        return self.manufacturer_id, self.model_id, self.firmware_version

    @property
    def label(self) -> str:
        """``AB01/0F0A030B@0A000001``."""
        return f"{self.manufacturer_id}/{self.model_id}@{self.firmware_version}"


@dataclass(frozen=True)
class Dmc:
    """A Device Model Combination: device models that work together; on the EPCL once PPCT passes."""

    dmc_id: str
    models: tuple[DeviceModel, ...]
    on_epcl: bool
    added_at: dt.datetime | None


@dataclass(frozen=True)
class CplChange:
    """One change to the CPL or EPCL, kept forever."""

    seq: int
    at: dt.datetime
    party: str
    change: str  # "add" | "withdraw" | "epcl_add"
    subject: str
    reason: str


@dataclass(frozen=True)
class CflImage:
    """A firmware image in the Centralised Firmware Library (SECMP0009 section 3)."""

    image_id: int
    manufacturer_id: str
    uploaded_by: str
    version: str
    image_hash: bytes
    size: int
    commercial: bool
    models: tuple[tuple[str, str], ...]
    notes: str
    signature: str  # "verified" | "unverified" | "unsigned"
    uploaded_at: dt.datetime
    cpl_status: str  # "listed" | "pending_cpl"

    @property
    def downloadable(self) -> bool:
        """Commercially developed images are listed and marked, never distributed (SECMP0009 3)."""
        return not self.commercial


@dataclass(frozen=True)
class VulnerabilityReport:
    """A security vulnerability of a device model reported under SEC G3.18-G3.20: what is known, the
    steps taken to rectify or mitigate it and when they should be complete (G3.18(c))."""

    report_id: int
    reporter: str
    manufacturer_id: str
    model_id: str
    summary: str
    mitigation: str
    remediation_due: dt.date | None
    reported_at: dt.datetime
    device_type: DeviceType | None = None
    generation: Generation | None = None
    responsible: str | None = None  # SEC G3.20 (DP087): "ResponsibleSupplier" or "DCC"


@dataclass(frozen=True)
class ProjectedDates:
    """When the DMC would be tested without and with fast tracking, as DCC sends them to SECAS (ETAD 9.15)."""

    without_fast_track: dt.datetime
    with_fast_track: dt.datetime
    sent_at: dt.datetime


@dataclass(frozen=True)
class SecasConfirmation:
    """SECAS's answers for the SSC Chair (ETAD 9.16): SSC notified? material? warrants fast tracking?"""

    ssc_notified: bool
    material: bool
    warrants_fast_track: bool
    by: str
    at: dt.datetime

    @property
    def all_yes(self) -> bool:
        """Only three yeses move the DMC ahead."""
        return self.ssc_notified and self.material and self.warrants_fast_track


@dataclass(frozen=True)
class Submission:
    """A DMC submitted for Pending Product Combinations Tests."""

    submission_id: int
    supplier: str
    dmc: Dmc
    test_kind: TestKind
    vulnerability_id: int | None
    description: str
    status: SubmissionStatus
    fast_track: FastTrack
    assessment: str
    projected: ProjectedDates | None
    confirmation: SecasConfirmation | None
    submitted_at: dt.datetime
    slot_start: dt.datetime | None
    result_at: dt.datetime | None

    @property
    def security_fix(self) -> bool:
        """A fix to a reported security vulnerability: the only kind that may be fast tracked."""
        return self.vulnerability_id is not None


@dataclass(frozen=True)
class QueueItem:
    """One waiting or running test on the PPCT calendar."""

    position: int
    submission: Submission
    slot_start: dt.datetime
    in_test: bool


@dataclass(frozen=True)
class Notification:
    """A message to one organisation (SECAS, a supplier whose slot moved, ...)."""

    notification_id: int
    org_id: str
    at: dt.datetime
    kind: str
    subject: str
    text: str


@dataclass(frozen=True)
class AuditRecord:
    """One access, allowed or refused: when (lab clock), who, what, on which object, the outcome."""

    seq: int
    at: dt.datetime
    party: str
    role: PartyRole | None
    action: str
    object: str
    outcome: str  # "allowed" | "refused"
    detail: str
