"""Electricity Smart Metering Equipment (ESME) model."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from smets_emu.emulator.anchors import CellKeyUsage, Role
from smets_emu.emulator.component import Component
from smets_emu.emulator.cosem import ESME_DLMS_CODES, CosemUseCases
from smets_emu.emulator.device import AlertSpec, CommandContext, Device, HandlerResult, Outcome, handles
from smets_emu.emulator.device_log import DeviceLogUseCases
from smets_emu.emulator.firmware.use_cases import FirmwareUseCases
from smets_emu.emulator.metering.billing_alerts import EsmeBilling
from smets_emu.emulator.metering.events import DeviceEvents
from smets_emu.emulator.metering.prepayment_timers import PrepaymentTimers
from smets_emu.emulator.security_credentials import SecurityCredentials
from smets_emu.protocols.envelope import GroupingHeader
from smets_emu.protocols.payloads.dlms import DataNotification, InvokeIdAndPriority
from smets_emu.protocols.payloads.dlms_data import DataTag, IntegerData, OctetStringData, StructureData
from smets_emu.protocols.timestamps import DlmsDateTime

METER_INTEGRITY_ISSUE = 0x81A0
METER_INTEGRITY_WARNING_DLMS = 0x00F0
COMMAND_NOT_SUPPORTED = 0x8F85
COMMAND_NOT_SUPPORTED_ALERT = 0x0120  # ECS100


class EsmeCosem(CosemUseCases):
    """The ESME's DLMS use cases: every ECS use case, CS01a and ECS52 (GBCS 5.11)."""

    @handles(*sorted(ESME_DLMS_CODES))
    def dlms_command(self, ctx: CommandContext) -> HandlerResult:
        """Any DLMS command: execute its access-request against the ESME object model."""
        return self.execute_dlms(ctx)


class ElectricityMeter(Device):
    """Electricity Smart Metering Equipment (ESME): answers GBCS commands from its state.

    Every DLMS use case (ECS*, CS01a) runs through the COSEM engine over the ESME profile;
    firmware receipt and CS06 through :class:`FirmwareUseCases`. The event methods below return
    an :class:`Outcome` on a copy of the committed state; the caller adopts it.
    """

    device_type: ClassVar[str] = "ESME"
    payload_family: ClassVar[str] = "dlms"
    component_types: ClassVar[tuple[type[Component], ...]] = (
        SecurityCredentials, DeviceLogUseCases, EsmeCosem, FirmwareUseCases,
        EsmeBilling, PrepaymentTimers, DeviceEvents,
    )

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
        return Outcome(work, [self.build_alert(work, alert, now)], accepted=True)

    def unsupported_command_alert(self, header: GroupingHeader, now: dt.datetime) -> AlertSpec | None:
        """ECS100 (0x0120, 0x8F85, GBCS 7.2.9.1): the command's message code and originator counter, signed,
        back to its originator (via the ACB, naming the supplementary remote party, when it came that way)."""
        body = StructureData((
            IntegerData(DataTag.LONG_UNSIGNED, COMMAND_NOT_SUPPORTED),
            OctetStringData(DlmsDateTime.from_datetime(now).to_bytes()),
            OctetStringData(header.message_code.to_bytes(2, "big") + header.originator_counter.to_bytes(8, "big")),
        ))
        oi = header.other_information
        return AlertSpec(
            COMMAND_NOT_SUPPORTED_ALERT, DataNotification(InvokeIdAndPriority(0), body), True, header.originator,
            supplementary_id=oi.supplementary_remote_party_id,
            supplementary_counter=oi.supplementary_remote_party_counter,
        )

    def apc_level_limit_processed(self, apc: int, start: dt.datetime, end: dt.datetime, level: int,
                                  now: dt.datetime) -> Outcome:
        """ECS101 (0x0121, 0x8F86): a Limit APC Level command took effect for APC *apc* (signed, to the supplier)."""
        items = (IntegerData(DataTag.UNSIGNED, apc), OctetStringData(DlmsDateTime.from_datetime(start).to_bytes()),
                 OctetStringData(DlmsDateTime.from_datetime(end).to_bytes()), IntegerData(DataTag.UNSIGNED, level))
        return self.event_alert(0x0121, 0x8F86, items, now, critical=True)

    def apc_level_limit_ended(self, apc: int, level: int, now: dt.datetime) -> Outcome:
        """ECS102 (0x0122, 0x8F87): an APC level limit ended or was cancelled (signed, to the supplier)."""
        items = (IntegerData(DataTag.UNSIGNED, apc), IntegerData(DataTag.UNSIGNED, level))
        return self.event_alert(0x0122, 0x8F87, items, now, critical=True)

    def operational_update(self, text: str, now: dt.datetime) -> Outcome:
        """ECS200 (0x0123, 0x8F88): an operational update (UTF-8 JSON) for the load controller, sent to the
        supplier naming the load controller as supplementary remote party."""
        from smets_emu.protocols.payloads.dlms_data import StringData

        controller = self.find_cell(self.state, Role.LOAD_CONTROLLER, CellKeyUsage.DIGITAL_SIGNATURE)
        item = StringData(DataTag.UTF8_STRING, text.encode("utf-8"))
        return self.event_alert(0x0123, 0x8F88, (item,), now, critical=True,
                                supplementary_id=controller.subject_id if controller is not None else None)

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
