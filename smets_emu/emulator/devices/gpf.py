"""Gas Proxy Function (GPF) model."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from smets_emu.emulator.device import CommandContext, Device, HandlerResult, Outcome, handles
from smets_emu.emulator.device_log import DeviceLogUseCases
from smets_emu.emulator.devices.gsme import GBZ_ALERT_CODES, GPF_ONLY_CODES
from smets_emu.emulator.security_credentials import SecurityCredentials
from smets_emu.emulator.state import DeviceState
from smets_emu.emulator.zcl import runtime
from smets_emu.emulator.zcl.profiles import apply_profile
from smets_emu.protocols.message_codes import lookup
from smets_emu.protocols.payloads.gbz import GBZ_MESSAGE_CODES


def _is_read(code: int) -> bool:
    info = lookup(code)
    return info is not None and info.name.startswith("Read")


GPF_GBZ_CODES: frozenset[int] = frozenset(
    code for code in GBZ_MESSAGE_CODES - GBZ_ALERT_CODES if _is_read(code)
) | GPF_ONLY_CODES
"""GBZ use cases a GPF answers: reads of its copy of the GSME data, and GCS09 change of tenancy."""


class GasProxyFunction(SecurityCredentials, DeviceLogUseCases, Device):
    """Gas Proxy Function (GPF): answers GBZ reads from its copy of the GSME's data (GBCS 7.5)."""

    device_type: ClassVar[str] = "GPF"
    payload_family: ClassVar[str] = "gbz"

    def __init__(self, state: DeviceState) -> None:
        super().__init__(state)
        apply_profile(self.state)

    @handles(*sorted(GPF_GBZ_CODES))
    def _gbz_command(self, ctx: CommandContext) -> HandlerResult:
        """Every GBZ use case the GPF supports, executed against its object model."""
        return runtime.handle_gbz(self, ctx)

    def due(self, now: dt.datetime) -> Outcome:
        """Run the credential timers, then future-dated GBZ commands whose start time has come (digest 5.9)."""
        base = super().due(now)
        work = self.state.clone()
        alerts = runtime.due_alerts(self, work, now)
        if not alerts:
            return base
        outbound = [*base.outbound, *(self.build_alert(work, alert, now) for alert in alerts)]
        self.state = work
        return Outcome(work, outbound, accepted=True)
