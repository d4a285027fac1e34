"""Gas Smart Metering Equipment (GSME) model."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from smets_emu.emulator.device import CommandContext, CommandRejected, Device, HandlerResult, Outcome, handles
from smets_emu.emulator.device_log import DeviceLogUseCases
from smets_emu.emulator.firmware.use_cases import FirmwareUseCases
from smets_emu.emulator.security_credentials import SecurityCredentials
from smets_emu.emulator.zcl import runtime
from smets_emu.emulator.zcl.device import ZigbeeModelDevice
from smets_emu.emulator.zcl.model import ZclModel
from smets_emu.protocols.payloads.asn1 import Asn1Payload
from smets_emu.protocols.payloads.gbz import GBZ_MESSAGE_CODES

GBZ_ALERT_CODES = frozenset({0x008B, 0x00CD, 0x00CF, 0x00F2, 0x1000, 0x1001})
"""GBZ message codes that are alerts, not commands."""

GPF_ONLY_CODES = frozenset({0x0072})
"""GBZ use cases addressed to the GPF only (GCS09)."""

GSME_GBZ_CODES: frozenset[int] = frozenset(GBZ_MESSAGE_CODES - GBZ_ALERT_CODES - GPF_ONLY_CODES)
"""Every GBZ command use case a GSME answers (GCS*, CS01b, CS10a/b, CS11, PCS01/PCS02)."""

SET_CLOCK = 0x007F
TIME_FORMAT = "%Y%m%d%H%M%SZ"


def _generalized_time(text: str) -> dt.datetime:
    return dt.datetime.strptime(str(text), TIME_FORMAT).replace(tzinfo=dt.UTC)


class GasMeter(ZigbeeModelDevice, FirmwareUseCases, SecurityCredentials, DeviceLogUseCases, Device):
    """Gas Smart Metering Equipment (GSME): answers GBZ use cases from its ZigBee object model."""

    device_type: ClassVar[str] = "GSME"
    payload_family: ClassVar[str] = "gbz"

    @handles(*sorted(GSME_GBZ_CODES))
    def _gbz_command(self, ctx: CommandContext) -> HandlerResult:
        """Every GBZ use case: executed component by component against the object model (GBCS 7.5)."""
        return runtime.handle_gbz(self, ctx)

    @handles(SET_CLOCK)
    def _set_clock(self, ctx: CommandContext) -> HandlerResult:
        """GCS28 Set Clock (digest 5.8): the clock is reliable when now lies in the validity interval."""
        payload = ctx.payload
        if not isinstance(payload, Asn1Payload) or not isinstance(payload.value, dict):
            raise CommandRejected(runtime.ALERT_INTEGRITY_FAILURE, "GCS28 payload is not a Set Clock command")
        try:
            start = _generalized_time(payload.value["validityIntervalStart"])
            end = _generalized_time(payload.value["validityIntervalEnd"])
        except (KeyError, ValueError) as exc:
            raise CommandRejected(runtime.ALERT_INTEGRITY_FAILURE, f"bad validity interval: {exc}") from exc
        clock = ZclModel(ctx.state).clock
        if start <= ctx.now <= end:
            clock["status"] = "reliable"
            clock["set_at"] = ctx.now.strftime(TIME_FORMAT)
            status = "reliable"
        else:
            status = "unreliable" if clock.get("status") != "invalid" else "invalid"
        response = Asn1Payload(
            schema="GCS28Response",
            value={"deviceTime": ctx.now.astimezone(dt.UTC).strftime(TIME_FORMAT), "deviceTimeStatus": status},
            message_code=SET_CLOCK,
            cra_flag=2,
        )
        return HandlerResult(response)

    def meter_integrity_warning(self, code: int, now: dt.datetime) -> Outcome:
        """Raise the Meter Integrity Issue Warning alert (0x81A0, GBZ form 0x00F2)."""
        work = self.state.clone()
        work.log_security_event(0x81A0, now.isoformat(), f"meter integrity issue {code}")
        outbound = [self.build_alert(work, runtime.meter_integrity_alert(code, now), now)]
        self.state = work
        return Outcome(work, outbound, accepted=True)

    def generic_alert(self, alert_code: int, now: dt.datetime) -> Outcome:
        """Raise a generic GBZ alert (0x1000 critical / 0x1001 non-critical) carrying *alert_code*."""
        work = self.state.clone()
        outbound = [self.build_alert(work, self.security_alert(alert_code, now), now)]
        self.state = work
        return Outcome(work, outbound, accepted=True)

