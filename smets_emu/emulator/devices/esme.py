"""Electricity Smart Metering Equipment (ESME) model."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from smets_emu.emulator.anchors import CellKeyUsage, Role
from smets_emu.emulator.cosem import ESME_DLMS_CODES, CosemDevice
from smets_emu.emulator.device import AlertSpec, CommandContext, Device, HandlerResult, Outcome, handles
from smets_emu.emulator.device_log import DeviceLogUseCases
from smets_emu.emulator.firmware.use_cases import FirmwareUseCases
from smets_emu.emulator.security_credentials import SecurityCredentials
from smets_emu.protocols.payloads.dlms import DataNotification, InvokeIdAndPriority
from smets_emu.protocols.payloads.dlms_data import DataTag, IntegerData, OctetStringData, StructureData
from smets_emu.protocols.timestamps import DlmsDateTime

METER_INTEGRITY_ISSUE = 0x81A0
METER_INTEGRITY_WARNING_DLMS = 0x00F0


class ElectricityMeter(FirmwareUseCases, CosemDevice, SecurityCredentials, DeviceLogUseCases, Device):
    """Electricity Smart Metering Equipment (ESME): answers GBCS commands from its state.

    Every DLMS use case (ECS*, CS01a) runs through the COSEM engine over the ESME profile.
    """

    device_type: ClassVar[str] = "ESME"
    payload_family: ClassVar[str] = "dlms"

    def meter_integrity_warning(self, code: int, now: dt.datetime) -> Outcome:
        """Raise the Meter Integrity Issue Warning alert (0x81A0) in its DLMS form (message code 0x00F0)."""
        body = StructureData((
            IntegerData(DataTag.LONG_UNSIGNED, METER_INTEGRITY_ISSUE),
            OctetStringData(DlmsDateTime.from_datetime(now).to_bytes()),
            OctetStringData(code.to_bytes(2, "big")),
        ))
        work = self.state.clone()
        work.log_security_event(METER_INTEGRITY_ISSUE, now.isoformat(), f"meter integrity issue {code}")
        alert = AlertSpec(METER_INTEGRITY_WARNING_DLMS, DataNotification(InvokeIdAndPriority(0), body), False)
        outbound = [self.build_alert(work, alert, now)]
        self.state = work
        return Outcome(work, outbound, accepted=True)

    def supply_restored(self, outage_start: dt.datetime, outage_end: dt.datetime, now: dt.datetime) -> Outcome:
        """ECS80 (0x0067, 0x8F36): supply restored after an outage of 3 minutes or more; signed, sent to the
        network operator."""
        operator = self.find_cell(self.state, Role.NETWORK_OPERATOR, CellKeyUsage.KEY_AGREEMENT)
        items = (
            OctetStringData(DlmsDateTime.from_datetime(outage_start).to_bytes()),
            OctetStringData(DlmsDateTime.from_datetime(outage_end).to_bytes()),
        )
        recipient = operator.subject_id if operator is not None else None
        return self.event_alert(0x0067, 0x8F36, items, now, critical=True, recipient=recipient)

    @handles(*sorted(ESME_DLMS_CODES))
    def dlms_command(self, ctx: CommandContext) -> HandlerResult:
        """Any DLMS command: execute its access-request (GBCS 5.11)."""
        return self.execute_dlms(ctx)
