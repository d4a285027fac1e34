"""Firmware on the emulated devices: slots, HAN distribution, receipt alerts and activation (digest 7)."""

from smets_emu.emulator.firmware.slots import (
    DeviceIdentity,
    FirmwareSlot,
    FirmwareSlots,
    ImageStore,
    MemoryImageStore,
    held_image_slot,
)
from smets_emu.emulator.firmware.use_cases import (
    ActivationCode,
    FirmwareDistributor,
    FirmwareUseCases,
    ImageCheck,
    TransferCode,
    file_reference,
)

__all__ = [
    "ActivationCode",
    "DeviceIdentity",
    "FirmwareDistributor",
    "FirmwareSlot",
    "FirmwareSlots",
    "FirmwareUseCases",
    "ImageCheck",
    "ImageStore",
    "MemoryImageStore",
    "TransferCode",
    "file_reference",
    "held_image_slot",
]
