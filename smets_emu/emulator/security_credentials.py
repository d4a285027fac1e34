"""Security credential use cases common to every SMETS2 device type (GBCS 13.3.5, CS02a-CS02g).

:class:`SecurityCredentials` is the device component that registers them; each use case lives in
:mod:`smets_emu.emulator.credentials`:

- CS02a/CS02f (0x0008, 0x011B) Provide Security Credential Details (:mod:`~.credentials.details`);
- CS02b (0x0100-0x0109) and CS02g (0x0125, 0x0126) Update Security Credentials, immediately or at a
  future date (:mod:`~.credentials.update`);
- CS02c (0x000A) Issue Security Credentials, CS02d (0x000B) Update Device Certificate and CS02e
  (0x000C) Provide Device Certificate (:mod:`~.credentials.issue`);
- injected device-internal failures (:mod:`~.credentials.faults`).
"""

from __future__ import annotations

import datetime as dt

from smets_emu.emulator.component import Component, handles
from smets_emu.emulator.credentials import details, issue, update
from smets_emu.emulator.credentials.common import guarded
from smets_emu.emulator.credentials.faults import (
    CREDENTIAL_FAULTS,
    FAULT_OPERATIONS,
    FAULTS_KEY,
    clear_credential_faults,
    credential_fault,
    inject_credential_fault,
)
from smets_emu.emulator.credentials.update import CS02B_CODES, CS02G_CODES, MODE_BY_CODE, PENDING_KIND, TARGET_ROLES
from smets_emu.emulator.device import CommandContext, HandlerResult, Outcome
from smets_emu.emulator.state import DeviceState

__all__ = [
    "CREDENTIAL_FAULTS", "CS02B_CODES", "CS02G_CODES", "FAULTS_KEY", "FAULT_OPERATIONS", "MODE_BY_CODE",
    "PENDING_KIND", "TARGET_ROLES", "SecurityCredentials", "clear_credential_faults", "credential_fault",
    "inject_credential_fault",
]


class SecurityCredentials(Component):
    """The CS02 family of a device model (GBCS 13.3.5): its handlers and the future-dated update timer."""

    @handles(details.CS02A, details.CS02F)
    @guarded
    def provide_security_credential_details(self, ctx: CommandContext) -> HandlerResult:
        """CS02a/CS02f Provide Security Credential Details (GBCS 13.3.5)."""
        return details.provide_security_credential_details(ctx)

    @handles(*CS02B_CODES, *CS02G_CODES)
    @guarded
    def update_security_credentials(self, ctx: CommandContext) -> HandlerResult:
        """CS02b/CS02g Update Security Credentials (GBCS 13.3.5)."""
        return update.update_security_credentials(ctx)

    @handles(0x000A)
    @guarded
    def issue_security_credentials(self, ctx: CommandContext) -> HandlerResult:
        """CS02c Issue Security Credentials (GBCS 13.3.5)."""
        return issue.issue_security_credentials(ctx)

    @handles(0x000B)
    @guarded
    def update_device_certificate(self, ctx: CommandContext) -> HandlerResult:
        """CS02d Update Device Certificate (GBCS 13.3.5)."""
        return issue.update_device_certificate(ctx)

    @handles(0x000C)
    @guarded
    def provide_device_certificate(self, ctx: CommandContext) -> HandlerResult:
        """CS02e Provide Device Certificate (GBCS 13.3.5)."""
        return issue.provide_device_certificate(ctx)

    def due(self, state: DeviceState, now: dt.datetime) -> Outcome | None:
        """Future-dated CS02b/CS02g updates whose time has come, on *state* (alerts 0x00CB / 0x0124)."""
        return update.due_updates(self.device, state, now)

    def next_due(self, state: DeviceState) -> dt.datetime | None:
        """When the earliest future-dated CS02b/CS02g update of *state* comes due."""
        return update.next_update(state)
