"""Electricity Smart Metering Equipment (ESME) model."""

from __future__ import annotations

from typing import ClassVar

from smets_emu.emulator.device import Device
from smets_emu.emulator.device_log import DeviceLogUseCases
from smets_emu.emulator.security_credentials import SecurityCredentials


class ElectricityMeter(SecurityCredentials, DeviceLogUseCases, Device):
    """Electricity Smart Metering Equipment (ESME): answers GBCS commands from its state."""

    device_type: ClassVar[str] = "ESME"
    payload_family: ClassVar[str] = "dlms"
