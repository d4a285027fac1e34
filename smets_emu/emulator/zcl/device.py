"""The part of a ZigBee device model (GSME, GPF) that is the same for both: profile seeding and timers (GBCS 7.5)."""

from __future__ import annotations

import datetime as dt

from smets_emu.emulator.component import Component
from smets_emu.emulator.device import CommandContext, Device, HandlerResult, Outcome
from smets_emu.emulator.state import DeviceState
from smets_emu.emulator.zcl import runtime
from smets_emu.emulator.zcl.profiles import apply_profile


class ZigbeeModel(Component):
    """Component of devices whose use cases run on the ZigBee object model (GBCS 7.5).

    Device models register the GBZ message codes they answer on a subclass, with
    :meth:`execute_gbz` as the handler body.
    """

    def __init__(self, device: Device) -> None:
        super().__init__(device)
        apply_profile(device.state)  # the object model of a new device comes from its profile

    def execute_gbz(self, ctx: CommandContext) -> HandlerResult:
        """A GBZ use case executed component by component against the object model (GBCS 7.5)."""
        return runtime.handle_gbz(self.device, ctx)

    def due(self, state: DeviceState, now: dt.datetime) -> Outcome | None:
        """Future-dated GBZ commands whose start time has come, one signed 0x00CD alert each (digest 5.9)."""
        work = state.clone()
        alerts = runtime.due_alerts(self.device, work, now)
        if not alerts:
            return None
        outbound = [self.device.build_alert(work, alert, now) for alert in alerts]
        return Outcome(work, outbound, accepted=True)

    def next_due(self, state: DeviceState) -> dt.datetime | None:
        """When the earliest future-dated GBZ command of *state* starts."""
        return runtime.next_command(state)
