"""Gas Proxy Function (GPF) model."""

from __future__ import annotations

from typing import ClassVar

from smets_emu.emulator.device import Device
from smets_emu.emulator.device_log import DeviceLogUseCases
from smets_emu.emulator.security_credentials import SecurityCredentials


class GasProxyFunction(SecurityCredentials, DeviceLogUseCases, Device):
    """Gas Proxy Function (GPF): answers GBCS commands from its state."""

    device_type: ClassVar[str] = "GPF"
    payload_family: ClassVar[str] = "gbz"
