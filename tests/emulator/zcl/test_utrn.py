"""UTRN: check digit, parsing, authentication (GBCS 14, digest 3.7)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from smets_emu.emulator.zcl import utrn
from smets_emu.protocols import crypto

SUPPLIER = bytes.fromhex("90B3D51F30010000")
DEVICE = bytes.fromhex("00DB1234567890A1")


@pytest.fixture(scope="module")
def secret() -> bytes:
    a, b = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    return crypto.ecdh_shared_secret(private_key=a, public_key=b.public_key())


def test_round_trip(secret: bytes) -> None:
    code = utrn.build(shared_secret=secret, supplier=SUPPLIER, device=DEVICE, counter=6 << 32, value=1250)
    assert len(code) == 20 and code.startswith("739")
    token = utrn.parse(code)
    assert (token.counter, token.value, token.value_class, token.amount) == (6 << 32, 1250, 0, 1_250_000)
    utrn.verify(token, shared_secret=secret, supplier=SUPPLIER, device=DEVICE)


def test_wrong_device_or_digit(secret: bytes) -> None:
    code = utrn.build(shared_secret=secret, supplier=SUPPLIER, device=DEVICE, counter=1 << 32, value=5,
                      value_class=1)
    with pytest.raises(utrn.UtrnError):
        utrn.verify(utrn.parse(code), shared_secret=secret, supplier=SUPPLIER, device=bytes(8))
    bad = code[:19] + str((int(code[19]) + 1) % 10)
    with pytest.raises(utrn.UtrnError):
        utrn.parse(bad)
    with pytest.raises(utrn.UtrnError):
        utrn.parse("1234")


def test_counter_bits_checked(secret: bytes) -> None:
    with pytest.raises(utrn.UtrnError):
        utrn.build(shared_secret=secret, supplier=SUPPLIER, device=DEVICE, counter=5, value=1)
