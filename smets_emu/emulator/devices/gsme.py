"""Gas Smart Metering Equipment (GSME) model."""

from __future__ import annotations

from typing import ClassVar

from smets_emu.emulator.device import Device
from smets_emu.emulator.device_log import DeviceLogUseCases
from smets_emu.emulator.security_credentials import SecurityCredentials


class GasMeter(SecurityCredentials, DeviceLogUseCases, Device):
    """Gas Smart Metering Equipment (GSME): answers GBCS commands from its state."""

    device_type: ClassVar[str] = "GSME"
    payload_family: ClassVar[str] = "gbz"
