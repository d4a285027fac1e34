"""Who may do what: one declarative table, action -> role -> scope.

``ANY``: every object of that kind; ``OWN``: only objects the organisation owns (a manufacturer's
own manufacturer id for device models, images and vulnerability reports on its models; a
supplier's own PPCT submissions and reports; everyone's own notifications). A role missing from
an action's row is refused. Reasons, from the seeds:

- The CPL is published: every role reads it. SECAS maintains it; PPCT passes recorded by DCC add
  the DMC's device models (PPCT conclusions 4.1.2: "A Device Model only gets added to the CPL once
  it forms part of an entry on the EPCL").
- The CFL (SECMP0009 section 3): manufacturers upload images of their own device models; every
  supplier party that could become a Responsible Supplier has free access (list, notes, download)
  without a commercial relationship with the manufacturer; a manufacturer sees its own images
  only (the library holds commercially sensitive information, section 3.1); DCC may download for
  PPCT; SECAS sees the list for governance. Commercially developed images are listed and marked
  but never downloadable by anyone (:data:`NEVER_DOWNLOADABLE`): the CFL does not store their bytes.
- PPCT (ETAD 9.15-9.17): PPCT is supplier driven (suppliers submit and ask for the fast track of
  their own submissions); DCC projects the dates and records results; SECAS confirms for the SSC
  Chair. Network operators have no part in it.
- Vulnerability reports (SEC G3.18-G3.20): suppliers report for any device model, manufacturers for
  their own; SECAS (for the SSC) and DCC read all; reporters and the model's manufacturer their own.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from smets_emu.parties.governance.model import Organisation, PartyRole


class Action(enum.StrEnum):
    """Everything a party can ask the governance services to do."""

    CPL_READ = "cpl.read"
    CPL_ADD = "cpl.add"
    CPL_WITHDRAW = "cpl.withdraw"
    CFL_LIST = "cfl.list"
    CFL_READ = "cfl.read"
    CFL_UPLOAD = "cfl.upload"
    CFL_DOWNLOAD = "cfl.download"
    VULNERABILITY_REPORT = "vulnerability.report"
    VULNERABILITY_READ = "vulnerability.read"
    PPCT_READ = "ppct.read"
    PPCT_SUBMIT = "ppct.submit"
    PPCT_REQUEST_FAST_TRACK = "ppct.request_fast_track"
    PPCT_PROJECT_DATES = "ppct.project_dates"
    PPCT_CONFIRM = "ppct.confirm"
    PPCT_RECORD_RESULT = "ppct.record_result"
    NOTIFICATIONS_READ = "notifications.read"
    AUDIT_READ = "audit.read"


class Scope(enum.Enum):
    """How far an allowed role reaches."""

    ANY = "any"
    OWN = "own"


ANY, OWN = Scope.ANY, Scope.OWN
M, S, N, D, SE = PartyRole.MANUFACTURER, PartyRole.SUPPLIER, PartyRole.NETWORK_OPERATOR, PartyRole.DCC, PartyRole.SECAS

ACCESS: dict[Action, dict[PartyRole, Scope]] = {
    Action.CPL_READ: {M: ANY, S: ANY, N: ANY, D: ANY, SE: ANY},
    Action.CPL_ADD: {SE: ANY},
    Action.CPL_WITHDRAW: {SE: ANY},
    Action.CFL_LIST: {M: OWN, S: ANY, D: ANY, SE: ANY},
    Action.CFL_READ: {M: OWN, S: ANY, D: ANY, SE: ANY},
    Action.CFL_UPLOAD: {M: OWN},
    Action.CFL_DOWNLOAD: {M: OWN, S: ANY, D: ANY},
    Action.VULNERABILITY_REPORT: {M: OWN, S: ANY},
    Action.VULNERABILITY_READ: {M: OWN, S: OWN, D: ANY, SE: ANY},
    Action.PPCT_READ: {M: ANY, S: ANY, D: ANY, SE: ANY},
    Action.PPCT_SUBMIT: {S: ANY},
    Action.PPCT_REQUEST_FAST_TRACK: {S: OWN},
    Action.PPCT_PROJECT_DATES: {D: ANY},
    Action.PPCT_CONFIRM: {SE: ANY},
    Action.PPCT_RECORD_RESULT: {D: ANY},
    Action.NOTIFICATIONS_READ: {M: OWN, S: OWN, N: OWN, D: OWN, SE: OWN},
    Action.AUDIT_READ: {D: ANY, SE: ANY},
}
"""The access matrix. Tests walk it: every role on every action, allowed and refused."""

NEVER_DOWNLOADABLE = "commercially developed image: listed in the CFL but never distributed (SECMP0009 section 3)"


@dataclass(frozen=True)
class Owner:
    """Who owns an object: organisations (submitter, reporter, addressee) and manufacturer ids."""

    org_ids: frozenset[str] = frozenset()
    manufacturer_ids: frozenset[str] = frozenset()

    @classmethod
    def of(cls, *, orgs: tuple[str, ...] = (), manufacturers: tuple[str, ...] = ()) -> Owner:
        """An owner from plain tuples."""
        return cls(frozenset(orgs), frozenset(manufacturers))


def owns(org: Organisation, owner: Owner | None) -> bool:
    """True when the organisation owns the object: it is one of its organisations, or the object
    names manufacturer ids and every one is the organisation's own."""
    if owner is None:
        return False
    if org.org_id in owner.org_ids:
        return True
    return bool(owner.manufacturer_ids) and org.manufacturer_id is not None and owner.manufacturer_ids == {
        org.manufacturer_id
    }


def refusal(org: Organisation, action: Action, owner: Owner | None = None) -> str | None:
    """Why ``org`` may not do ``action`` on the object ``owner`` owns, or None when it may.

    With ``owner`` None (a listing) an ``OWN`` scope is allowed: the caller filters to own objects.
    """
    scope = ACCESS[action].get(org.role)
    if scope is None:
        return f"a {org.role.value} may not {action.value}"
    if scope is Scope.OWN and owner is not None and not owns(org, owner):
        return f"a {org.role.value} may {action.value} only for its own objects"
    return None


def allowed_roles(action: Action) -> frozenset[PartyRole]:
    """The roles with any access to ``action``."""
    return frozenset(ACCESS[action])
