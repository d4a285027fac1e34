"""Communications Hub Function (CHF) model."""

from __future__ import annotations

from typing import ClassVar

from smets_emu.emulator.device import Device
from smets_emu.emulator.device_log import DeviceLogUseCases
from smets_emu.emulator.security_credentials import SecurityCredentials


class CommsHubFunction(SecurityCredentials, DeviceLogUseCases, Device):
    """Communications Hub Function (CHF): answers GBCS commands from its state."""

    device_type: ClassVar[str] = "CHF"
    payload_family: ClassVar[str] = "dlms"
