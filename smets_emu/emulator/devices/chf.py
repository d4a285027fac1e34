"""Communications Hub Function (CHF) model."""

from __future__ import annotations

from typing import ClassVar

from smets_emu.emulator.cosem import CHF_DLMS_CODES, CosemDevice
from smets_emu.emulator.device import CommandContext, Device, HandlerResult, handles
from smets_emu.emulator.device_log import DeviceLogUseCases
from smets_emu.emulator.firmware.use_cases import FirmwareDistributor
from smets_emu.emulator.security_credentials import SecurityCredentials


class CommsHubFunction(FirmwareDistributor, CosemDevice, SecurityCredentials, DeviceLogUseCases, Device):
    """Communications Hub Function (CHF): answers GBCS commands from its state.

    Its DLMS side (CCS01-CCS07, DBCH01-DBCH05, ECS26i/n, ECS35c/d, ECS52) runs through the
    COSEM engine over the CHF profile; changes of the device log raise CS14 (0x0018).
    """

    device_type: ClassVar[str] = "CHF"
    payload_family: ClassVar[str] = "dlms"

    @handles(*sorted(CHF_DLMS_CODES))
    def dlms_command(self, ctx: CommandContext) -> HandlerResult:
        """Any DLMS command: execute its access-request (GBCS 5.11)."""
        return self.execute_dlms(ctx)
