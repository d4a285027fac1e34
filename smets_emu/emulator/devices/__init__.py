"""The SMETS2 device models and the factory that picks one for a stored state."""

from __future__ import annotations

from smets_emu.emulator.device import Device
from smets_emu.emulator.devices.chf import CommsHubFunction
from smets_emu.emulator.devices.esme import ElectricityMeter
from smets_emu.emulator.devices.gpf import GasProxyFunction
from smets_emu.emulator.devices.gsme import GasMeter
from smets_emu.emulator.devices.type1 import HanConnectedLoadSwitch, PrepaymentInterfaceDevice
from smets_emu.emulator.state import DeviceState
from smets_emu.errors import SmetsError

DEVICE_CLASSES: dict[str, type[Device]] = {
    "ESME": ElectricityMeter,
    "GSME": GasMeter,
    "CHF": CommsHubFunction,
    "GPF": GasProxyFunction,
    "PPMID": PrepaymentInterfaceDevice,
    "HCALCS": HanConnectedLoadSwitch,
}


def device_for(state: DeviceState) -> Device:
    """The device model for a stored state."""
    cls = DEVICE_CLASSES.get(state.device_type)
    if cls is None:
        raise SmetsError(f"unknown device type {state.device_type!r}")
    return cls(state)


__all__ = [
    "DEVICE_CLASSES",
    "CommsHubFunction",
    "ElectricityMeter",
    "GasMeter",
    "GasProxyFunction",
    "HanConnectedLoadSwitch",
    "PrepaymentInterfaceDevice",
    "device_for",
]
