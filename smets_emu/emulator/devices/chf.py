"""Communications Hub Function (CHF) model."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from smets_emu.emulator.component import Component
from smets_emu.emulator.cosem import CHF_DLMS_CODES, CosemUseCases
from smets_emu.emulator.device import AlertSpec, CommandContext, Device, HandlerResult, Outcome, handles
from smets_emu.emulator.device_log import DeviceLogUseCases
from smets_emu.emulator.firmware.distribution import FirmwareDistributor, HubFirmware
from smets_emu.emulator.security_credentials import SecurityCredentials
from smets_emu.protocols.payloads.dlms import AccessRequest, AccessResponse, DataNotification, InvokeIdAndPriority
from smets_emu.protocols.payloads.dlms_data import (
    BitStringData,
    DataTag,
    IntegerData,
    OctetStringData,
    StructureData,
)
from smets_emu.protocols.timestamps import DlmsDateTime

SET_SUB_GHZ_CONFIGURATION = 0x010D  # DBCH04
SUB_GHZ_CONFIGURATION_OBIS = "0-0:94.44.10.0"
SUB_GHZ_CONFIGURATION_CHANGED = 0x8F2A
SUB_GHZ_CONFIGURATION_CHANGED_ALERT = 0x0113  # DBCH09


class ChfCosem(CosemUseCases):
    """The CHF's DLMS use cases: CCS01-CCS07, DBCH01-DBCH05, ECS26i/n, ECS35c/d and ECS52 (GBCS 5.11)."""

    @handles(*sorted(CHF_DLMS_CODES))
    def dlms_command(self, ctx: CommandContext) -> HandlerResult:
        """Any DLMS command: execute its access-request (GBCS 5.11).

        A successful change of the sub-GHz configuration (DBCH04) raises DBCH09, the Sub GHz
        Configuration Changed alert (0x0113, alert code 0x8F2A) carrying the new configuration.
        """
        result = self.execute_dlms(ctx)
        payload = ctx.payload
        response = result.payload
        if (
            isinstance(payload, AccessRequest)
            and isinstance(response, AccessResponse)
            and ctx.message_code == SET_SUB_GHZ_CONFIGURATION
        ):
            for spec, data, outcome in zip(payload.specifications, payload.data, response.results, strict=False):
                if str(spec.instance) == SUB_GHZ_CONFIGURATION_OBIS and int(outcome.result) == 0:
                    body = StructureData((
                        IntegerData(DataTag.LONG_UNSIGNED, SUB_GHZ_CONFIGURATION_CHANGED),
                        OctetStringData(DlmsDateTime.from_datetime(ctx.now).to_bytes()),
                        data,
                    ))
                    notification = DataNotification(InvokeIdAndPriority(0), body)
                    result.alerts.append(AlertSpec(SUB_GHZ_CONFIGURATION_CHANGED_ALERT, notification, False))
        return result


class CommsHubFunction(Device):
    """Communications Hub Function (CHF): answers GBCS commands from its state.

    Its DLMS side (CCS01-CCS07, DBCH01-DBCH05, ECS26i/n, ECS35c/d, ECS52) runs through the
    COSEM engine over the CHF profile; changes of the device log raise CS14 (0x0018). It
    receives its own images (signed by the WAN provider) and distributes images to its HAN
    devices (digest 5.7, 7.3).
    """

    device_type: ClassVar[str] = "CHF"
    payload_family: ClassVar[str] = "dlms"
    component_types: ClassVar[tuple[type[Component], ...]] = (
        SecurityCredentials, DeviceLogUseCases, ChfCosem, HubFirmware, FirmwareDistributor,
    )

    # -- sub-GHz events (DBCH06-DBCH11): MACed alerts to the ACB -----------------------------------

    def duty_cycle_limited(self, device: bytes, now: dt.datetime) -> Outcome:
        """DBCH06 (0x0110, 0x8F20): the CHF limited its duty cycle for traffic to *device*."""
        return self.event_alert(0x0110, 0x8F20, (OctetStringData(device),), now, critical=False)

    def sub_ghz_channel_changed(self, channel: bytes, reason: int, now: dt.datetime) -> Outcome:
        """DBCH07 (0x0111, 0x8F26): the CHF moved to sub-GHz *channel* (32-bit channel mask) for *reason*."""
        item = StructureData((BitStringData(32, channel), OctetStringData(bytes([reason]))))
        return self.event_alert(0x0111, 0x8F26, (item,), now, critical=False)

    def channel_scan_assessed(self, outcome: int, detail: int, now: dt.datetime) -> Outcome:
        """DBCH08 (0x0112, 0x8F28): the outcome of a requested sub-GHz channel scan."""
        item = StructureData((OctetStringData(bytes([outcome])), OctetStringData(bytes([detail]))))
        return self.event_alert(0x0112, 0x8F28, (item,), now, critical=False)

    def message_discarded(self, originator: bytes, target: bytes, cra_flag: int, counter: int,
                          now: dt.datetime) -> Outcome:
        """DBCH10 (0x0114, 0x8F2C): a remote party message was discarded by duty cycle management."""
        identity = originator + target + bytes([cra_flag]) + counter.to_bytes(8, "big")
        return self.event_alert(0x0114, 0x8F2C, (OctetStringData(identity),), now, critical=False)

    def no_sub_ghz_capacity(self, device: bytes, now: dt.datetime) -> Outcome:
        """DBCH11 (0x0115, 0x8F2D): no capacity left to add *device* to the sub-GHz network."""
        return self.event_alert(0x0115, 0x8F2D, (OctetStringData(device),), now, critical=False)
