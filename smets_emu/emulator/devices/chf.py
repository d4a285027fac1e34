"""Communications Hub Function (CHF) model."""

from __future__ import annotations

from typing import ClassVar

from smets_emu.emulator.cosem import CHF_DLMS_CODES, CosemDevice
from smets_emu.emulator.device import AlertSpec, CommandContext, Device, HandlerResult, handles
from smets_emu.emulator.device_log import DeviceLogUseCases
from smets_emu.emulator.firmware.use_cases import FirmwareDistributor
from smets_emu.emulator.security_credentials import SecurityCredentials
from smets_emu.protocols.payloads.dlms import AccessRequest, AccessResponse, DataNotification, InvokeIdAndPriority
from smets_emu.protocols.payloads.dlms_data import DataTag, IntegerData, OctetStringData, StructureData
from smets_emu.protocols.timestamps import DlmsDateTime

SET_SUB_GHZ_CONFIGURATION = 0x010D  # DBCH04
SUB_GHZ_CONFIGURATION_OBIS = "0-0:94.44.10.0"
SUB_GHZ_CONFIGURATION_CHANGED = 0x8F2A
SUB_GHZ_CONFIGURATION_CHANGED_ALERT = 0x0113  # DBCH09


class CommsHubFunction(FirmwareDistributor, CosemDevice, SecurityCredentials, DeviceLogUseCases, Device):
    """Communications Hub Function (CHF): answers GBCS commands from its state.

    Its DLMS side (CCS01-CCS07, DBCH01-DBCH05, ECS26i/n, ECS35c/d, ECS52) runs through the
    COSEM engine over the CHF profile; changes of the device log raise CS14 (0x0018).
    """

    device_type: ClassVar[str] = "CHF"
    payload_family: ClassVar[str] = "dlms"

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
