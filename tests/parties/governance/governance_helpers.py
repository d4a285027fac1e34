"""Helpers of the governance tests: a controllable lab clock, device models, images, keys."""

from __future__ import annotations

import datetime as dt

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from smets_emu.parties.governance import DeviceModel, DeviceType, Generation
from smets_emu.protocols.firmware import UpgradeImage, sign_image

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
ESME_MODEL = "010A030B"  # the scenario's SMETS1 ESME model, on the CPL at 0002012F


class Clock:
    """A lab clock that moves only when told."""

    def __init__(self, start: dt.datetime = START) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def image(version: int, payload: bytes = b"fix", *, key: ec.EllipticCurvePrivateKey | None = None,
          manufacturer_code: int = 0xAB01) -> UpgradeImage:
    """An Upgrade Image of ``version`` whose Manufacturer Image is ``payload``."""
    built = UpgradeImage(manufacturer_code=manufacturer_code, image_type=1, file_version=version,
                         manufacturer_image=payload * 16, header_string="governance test")
    return sign_image(built, key) if key is not None else built


def model_for(img: UpgradeImage, model: str = ESME_MODEL, manufacturer: str = "AB01",
              device_type: DeviceType = DeviceType.ESME, generation: Generation = Generation.SMETS1) -> DeviceModel:
    """The Device Model an image makes (its version and Manufacturer Image Hash)."""
    return DeviceModel.create(manufacturer, model, img.version, img.image_hash, generation, device_type)


def public_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
