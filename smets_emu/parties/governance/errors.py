"""Errors of the governance services; each maps to one HTTP status at the web edge."""

from __future__ import annotations

from smets_emu.errors import SmetsError


class GovernanceError(SmetsError):
    """Base of every CPL, CFL and PPCT error."""


class AccessRefused(GovernanceError):
    """The organisation, in its role, may not do this (HTTP 403). Already in the audit log."""


class UnknownObject(GovernanceError):
    """No such organisation, device model, image, submission or report (HTTP 404)."""


class Conflict(GovernanceError):
    """The request is well formed but conflicts with the current state (HTTP 409)."""


class InvalidInput(GovernanceError):
    """A malformed value: identifiers, versions, image bytes, signature, text too long (HTTP 400)."""


class FastTrackRefused(Conflict):
    """A PPCT fast track asked for a DMC that does not fix a reported security vulnerability
    (ETAD clause 9.2 as amended: non-security fixes never qualify) (HTTP 409)."""
