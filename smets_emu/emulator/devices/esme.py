"""Electricity Smart Metering Equipment (ESME) model."""

from __future__ import annotations

from typing import ClassVar

from smets_emu.emulator.cosem import ESME_DLMS_CODES, CosemDevice
from smets_emu.emulator.device import CommandContext, Device, HandlerResult, handles
from smets_emu.emulator.device_log import DeviceLogUseCases
from smets_emu.emulator.firmware.use_cases import FirmwareUseCases
from smets_emu.emulator.security_credentials import SecurityCredentials


class ElectricityMeter(FirmwareUseCases, CosemDevice, SecurityCredentials, DeviceLogUseCases, Device):
    """Electricity Smart Metering Equipment (ESME): answers GBCS commands from its state.

    Every DLMS use case (ECS*, CS01a) runs through the COSEM engine over the ESME profile.
    """

    device_type: ClassVar[str] = "ESME"
    payload_family: ClassVar[str] = "dlms"

    @handles(*sorted(ESME_DLMS_CODES))
    def dlms_command(self, ctx: CommandContext) -> HandlerResult:
        """Any DLMS command: execute its access-request (GBCS 5.11)."""
        return self.execute_dlms(ctx)
