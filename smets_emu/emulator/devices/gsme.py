"""Gas Smart Metering Equipment (GSME) model."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from smets_emu.emulator.component import Component
from smets_emu.emulator.device import CommandContext, CommandRejected, Device, HandlerResult, Outcome, handles
from smets_emu.emulator.device_log import DeviceLogUseCases
from smets_emu.emulator.firmware.use_cases import FirmwareUseCases
from smets_emu.emulator.metering.billing_alerts import GsmeBilling
from smets_emu.emulator.metering.events import DeviceEvents
from smets_emu.emulator.metering.prepayment_timers import PrepaymentTimers
from smets_emu.emulator.security_credentials import SecurityCredentials
from smets_emu.emulator.zcl import runtime
from smets_emu.emulator.zcl.device import ZigbeeModel
from smets_emu.emulator.zcl.model import ZclModel
from smets_emu.errors import FrameError
from smets_emu.protocols import usecases
from smets_emu.protocols.payloads.asn1_enums import DeviceTimeStatus
from smets_emu.protocols.payloads.asn1_firmware_models import SetTimeCommand, SetTimeResponse
from smets_emu.protocols.payloads.asn1_models import read, to_payload

GSME_GBZ_CODES: frozenset[int] = usecases.accepted_codes("GSME") & usecases.codes(family="gbz")
"""Every GBZ command use case a GSME answers (the use-case table: GCS*, CS01b, CS10a/b, CS11, PCS01/PCS02)."""

SET_CLOCK = 0x007F
TIME_FORMAT = "%Y%m%d%H%M%SZ"


class GsmeZigbee(ZigbeeModel):
    """The GSME's GBZ use cases and GCS28 Set Clock, on its ZigBee object model (GBCS 7.5)."""

    @handles(*sorted(GSME_GBZ_CODES))
    def gbz_command(self, ctx: CommandContext) -> HandlerResult:
        """Every GBZ use case: executed component by component against the object model (GBCS 7.5)."""
        return self.execute_gbz(ctx)

    @handles(SET_CLOCK)
    def set_clock(self, ctx: CommandContext) -> HandlerResult:
        """GCS28 Set Clock (digest 5.8): the clock is reliable when now lies in the validity interval."""
        try:
            command = read(ctx.payload, SetTimeCommand)
        except FrameError as exc:
            raise CommandRejected(runtime.ALERT_INTEGRITY_FAILURE, f"unusable Set Clock command: {exc}") from exc
        clock = ZclModel(ctx.state).clock
        if command.covers(ctx.now):
            clock["status"] = "reliable"
            clock["set_at"] = ctx.now.strftime(TIME_FORMAT)
            status = DeviceTimeStatus.RELIABLE
        else:
            status = DeviceTimeStatus.UNRELIABLE if clock.get("status") != "invalid" else DeviceTimeStatus.INVALID
        return HandlerResult(to_payload(SetTimeResponse(ctx.now, status), SET_CLOCK, 2))


class GasMeter(Device):
    """Gas Smart Metering Equipment (GSME): answers GBZ use cases from its ZigBee object model.

    Event methods return an :class:`Outcome` on a copy of the committed state; the caller adopts it.
    """

    device_type: ClassVar[str] = "GSME"
    payload_family: ClassVar[str] = "gbz"
    component_types: ClassVar[tuple[type[Component], ...]] = (
        SecurityCredentials, DeviceLogUseCases, FirmwareUseCases, GsmeZigbee,
        GsmeBilling, PrepaymentTimers, DeviceEvents,
    )

    def meter_integrity_warning(self, code: int, now: dt.datetime) -> Outcome:
        """Raise the Meter Integrity Issue Warning alert (0x81A0, GBZ form 0x00F2; digest 5.13)."""
        work = self.state.clone()
        work.log_security_event(0x81A0, now.isoformat(), f"meter integrity issue {code}")
        return Outcome(work, [self.build_alert(work, runtime.meter_integrity_alert(code, now), now)], accepted=True)
