"""The part of a ZigBee device model (GSME, GPF) that is the same for both: profile seeding and timers."""

from __future__ import annotations

import datetime as dt

from smets_emu.emulator.device import Outcome
from smets_emu.emulator.state import DeviceState
from smets_emu.emulator.zcl import runtime
from smets_emu.emulator.zcl.profiles import apply_profile


class ZigbeeModelDevice:
    """Mixin for devices whose use cases run on the ZigBee object model (GBCS 7.5)."""

    def __init__(self, state: DeviceState) -> None:
        super().__init__(state)  # type: ignore[call-arg]
        apply_profile(self.state)  # type: ignore[attr-defined]

    def due(self, now: dt.datetime) -> Outcome:
        """Run the other timers first, then future-dated GBZ commands whose start time has come (digest 5.9)."""
        base: Outcome = super().due(now)  # type: ignore[misc]
        work = self.state.clone()  # type: ignore[attr-defined]
        alerts = runtime.due_alerts(self, work, now)  # type: ignore[arg-type]
        if not alerts:
            return base
        outbound = [*base.outbound, *(self.build_alert(work, alert, now) for alert in alerts)]  # type: ignore[attr-defined]
        self.state = work
        return Outcome(work, outbound, accepted=True)
