"""Upgrade Image codec: the DUIS 11.1 sample, build/decode tables, signatures and malformed input."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given
from hypothesis import strategies as st

from smets_emu.errors import FrameError
from smets_emu.protocols.firmware import UpgradeImage, decode_image, sign_image, verify_image

DUIS_11_1 = Path(__file__).resolve().parents[3].parent / "shared" / "duis" / "templates" / \
    "11.1_UPDATE_FIRMWARE_REQUEST_DUIS.XML"
KEY = ec.derive_private_key(0x1234567, ec.SECP256R1())

CASES = [
    UpgradeImage(0x121D, 0x0000, 0xACDCACDC, b"x" * 10, "I am a GFI ESME[] firmware image", (0x1111, 0x1211)),
    UpgradeImage(0x121D, 0x0084, 0x00000001, b"", ""),
    UpgradeImage(0x1234, 0x0001, 0x0123ABCE, bytes(300), "gas", None, security_credential_version=2,
                 upgrade_file_destination=bytes.fromhex("00DB1234567890A1")),
]


@pytest.mark.parametrize("image", CASES)
@pytest.mark.parametrize("signed", [False, True])
def test_round_trip_both_directions(image: UpgradeImage, signed: bool) -> None:
    if signed:
        image = sign_image(image, KEY)
    data = image.encode()
    assert len(data) == image.total_size
    assert data[:4] == bytes.fromhex("1EF1EE0B")
    decoded = decode_image(data)
    assert decoded == image
    assert decoded.encode() == data
    assert decoded.image_hash == hashlib.sha256(image.manufacturer_image).digest()


def test_changing_a_field_changes_the_bytes() -> None:
    image = CASES[0]
    assert replace(image, file_version=1).encode() != image.encode()
    longer = replace(image, manufacturer_image=b"y" * 20).encode()
    assert int.from_bytes(longer[52:56], "little") == image.total_size + 10


def test_sample_image_of_the_duis_template() -> None:
    if not DUIS_11_1.is_file():
        pytest.skip("DUIS templates not present")
    from smets_emu.protocols.duis import UpdateFirmware, parse_request

    body = parse_request(DUIS_11_1.read_bytes()).body
    assert isinstance(body, UpdateFirmware)
    image = decode_image(body.firmware_image)
    assert (image.manufacturer_code, image.image_type, image.file_version) == (0x121D, 0x0000, 0xACDCACDC)
    assert image.header_length == 60 and image.total_size == 361 == len(body.firmware_image)
    assert image.hardware_versions == (0x1111, 0x1211)
    assert image.header_string == "I am a GFI ESME[] firmware image"
    assert len(image.manufacturer_image) == 235 and image.signature is not None
    assert image.encode() == body.firmware_image
    assert image.image_hash.hex().upper() == "7542F475E3F12EAE887D81E32C46D313741D67076B13CAEC2F82E00BA5E1BB36"


def test_signature_verification() -> None:
    image = sign_image(CASES[0], KEY)
    assert verify_image(image, KEY.public_key())
    assert not verify_image(replace(image, manufacturer_image=b"z" * 10), KEY.public_key())
    assert not verify_image(CASES[0], KEY.public_key())
    other = ec.derive_private_key(99, ec.SECP256R1())
    assert not verify_image(image, other.public_key())


@pytest.mark.parametrize("mutate", [
    lambda d: d[:-1],  # truncated
    lambda d: d + b"\x00",  # trailing data
    lambda d: b"\x00" + d[1:],  # bad identifier
    lambda d: d[:30],  # header cut
    lambda d: b"",
])
def test_malformed_images_raise_frame_error(mutate) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FrameError):
        decode_image(mutate(sign_image(CASES[0], KEY).encode()))


@given(st.binary(max_size=200))
def test_decoder_never_raises_anything_else(data: bytes) -> None:
    try:
        decode_image(bytes.fromhex("1EF1EE0B") + data)
    except FrameError:
        pass


@given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF), st.integers(0, 0xFFFFFFFF), st.binary(max_size=300),
       st.text(alphabet="abcdefXYZ 0123", max_size=32))
def test_property_round_trip(manufacturer: int, image_type: int, version: int, body: bytes, text: str) -> None:
    image = UpgradeImage(manufacturer, image_type, version, body, text.rstrip("\x00"), (1, 2))
    assert decode_image(image.encode()) == image


def test_header_fields_are_read_through_the_construct_even_when_the_file_does_not_decode() -> None:
    from smets_emu.protocols.firmware.image import announced_file_version, received_image_hash

    image = UpgradeImage(manufacturer_code=0x1234, image_type=1, file_version=0x0A0B0C0D,
                         manufacturer_image=b"firmware body", hardware_versions=(1, 2))
    data = image.encode()
    assert announced_file_version(data) == "0A0B0C0D"
    assert received_image_hash(data) == image.image_hash
    truncated = data[:-3]
    assert announced_file_version(truncated) == "0A0B0C0D"
    assert received_image_hash(truncated) == hashlib.sha256(truncated[60:]).digest()
    assert announced_file_version(data[:17]) == "00000000"
    assert received_image_hash(b"") == hashlib.sha256(b"").digest()
