"""Firmware on the emulated devices: slots, image receipt, activation and CHF distribution (digest 5.6, 5.7, 7)."""

from smets_emu.emulator.firmware.codes import (
    ActivationCode,
    ImageCheck,
    TransferCode,
    file_reference,
    payload_of,
)
from smets_emu.emulator.firmware.distribution import FirmwareDistributor, HubFirmware, transfers
from smets_emu.emulator.firmware.slots import (
    DeviceIdentity,
    FirmwareSlot,
    FirmwareSlots,
    ImageStore,
    MemoryImageStore,
    held_image_slot,
)
from smets_emu.emulator.firmware.use_cases import FirmwareUseCases

__all__ = [
    "ActivationCode",
    "DeviceIdentity",
    "FirmwareDistributor",
    "FirmwareSlot",
    "FirmwareSlots",
    "FirmwareUseCases",
    "HubFirmware",
    "ImageCheck",
    "ImageStore",
    "MemoryImageStore",
    "TransferCode",
    "file_reference",
    "payload_of",
    "transfers",
    "held_image_slot",
]
