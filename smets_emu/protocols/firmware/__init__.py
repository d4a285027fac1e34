"""GBCS firmware Upgrade Images: OTA header, Manufacturer Image, supplier signature and hash (digest 7)."""

from smets_emu.protocols.firmware.image import (
    OTA_FILE_IDENTIFIER,
    FieldControl,
    OtaHeaderStruct,
    UpgradeImage,
    UpgradeImageStruct,
    decode_image,
    decode_image_file,
    manufacturer_image_hash,
    sign_image,
    verify_image,
)

__all__ = [
    "OTA_FILE_IDENTIFIER",
    "FieldControl",
    "OtaHeaderStruct",
    "UpgradeImage",
    "UpgradeImageStruct",
    "decode_image",
    "decode_image_file",
    "manufacturer_image_hash",
    "sign_image",
    "verify_image",
]
