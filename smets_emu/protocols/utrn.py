"""Unique Transaction Reference Numbers (UTRN): the prepayment top-up token (GBCS 14, digest 3.7); pure.

Both sides use this module: a supplier (or a test rig) mints UTRNs with :func:`build`, an ESME
(CS01a) or GSME (CS01b, PCS01) checks them with :func:`parse` and :func:`verify` (the device's
counter cache and credit rules are in :mod:`smets_emu.emulator.metering.utrn`).

A UTRN is 20 decimal digits: the 19-digit PPTD (7 394 156 990 786 306 048 + PTUT) and a check
digit. The 64-bit PTUT carries, in its high 32 bits, 10 bits of the top-up counter (bits 32-41),
a 2-bit value class (pennies or pounds) and a 13-bit value; its low 32 bits are the last four
bytes of an AES-GCM tag keyed by the supplier's prepayment key agreement key and the device's
key agreement key (KDF mode 01).
"""

from __future__ import annotations

from dataclasses import dataclass

from smets_emu.errors import SmetsError
from smets_emu.protocols import crypto

PPTD_OFFSET = 7_394_156_990_786_306_048
"""PPTD = offset + PTUT (GBCS 14.8)."""

VALUE_CLASS_UNITS = {0: 1_000, 1: 100_000}
"""Credit per value unit, in 1/100000 of the currency unit: pennies and pounds."""

_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 2, 3, 4, 0, 6, 7, 8, 9, 5), (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7), (4, 0, 1, 2, 3, 9, 5, 6, 7, 8), (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2), (7, 6, 5, 9, 8, 2, 1, 0, 4, 3), (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 5, 7, 6, 2, 8, 3, 0, 9, 4), (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7), (9, 4, 5, 3, 1, 2, 6, 8, 7, 0), (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5), (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
_CHECK = (1, 2, 6, 7, 5, 8, 3, 0, 9, 4)


class UtrnError(SmetsError):
    """A UTRN is malformed or does not authenticate."""


@dataclass(frozen=True)
class Utrn:
    """The parts of a decoded UTRN."""

    ptut: int

    @property
    def high(self) -> int:
        return self.ptut >> 32

    @property
    def counter(self) -> int:
        """The 64-bit top-up counter (its bits 32-41; low 32 bits zero)."""
        return ((self.high >> 15) & 0x3FF) << 32

    @property
    def value_class(self) -> int:
        return (self.high >> 13) & 0x03

    @property
    def value(self) -> int:
        return self.high & 0x1FFF

    @property
    def amount(self) -> int:
        """Credit in 1/100000 of the currency unit."""
        return self.value * VALUE_CLASS_UNITS.get(self.value_class, 0)

    @property
    def tag(self) -> int:
        return self.ptut & 0xFFFFFFFF


def check_digit(digits: str) -> int:
    """The GBCS 14.8 check digit of a 19-digit PPTD."""
    c, k = 0, 4
    for ch in digits:
        c = _D[c][_P[k][int(ch)]]
        k = (k + 1) % 8
    return _CHECK[c]


def parse(text: str) -> Utrn:
    """Decode and check the form of a 20-digit UTRN."""
    if len(text) != 20 or not (text.isascii() and text.isdigit()):
        raise UtrnError("a UTRN is 20 decimal digits")
    if check_digit(text[:19]) != int(text[19]):
        raise UtrnError("UTRN check digit is wrong")
    ptut = int(text[:19]) - PPTD_OFFSET
    if not 0 <= ptut < 1 << 64 or ptut >> 57:
        raise UtrnError("UTRN is out of range")
    return Utrn(ptut)


def tag(*, shared_secret: bytes, supplier: bytes, device: bytes, counter: int, high: int) -> int:
    """The low 32 bits of the PTUT: the last four bytes of the GCM tag over the token (GBCS 14, digest 3.7)."""
    key = crypto.derive_key(shared_secret=shared_secret, mode=crypto.KdfMode.COMMAND, originator=supplier,
                            counter=counter, recipient=device)
    data = supplier + device + b"\x01" + counter.to_bytes(8, "big") + high.to_bytes(4, "big")
    return int.from_bytes(crypto.gmac_tag(key=key, originator=supplier, data=data)[-4:], "big")


def verify(utrn: Utrn, *, shared_secret: bytes, supplier: bytes, device: bytes) -> None:
    """Raise :class:`UtrnError` unless the UTRN's tag was made for this device by this supplier."""
    expected = tag(shared_secret=shared_secret, supplier=supplier, device=device, counter=utrn.counter,
                    high=utrn.high)
    if expected != utrn.tag:
        raise UtrnError("UTRN does not authenticate")


def build(*, shared_secret: bytes, supplier: bytes, device: bytes, counter: int, value: int,
          value_class: int = 0) -> str:
    """Mint a UTRN (supplier side; used by test rigs)."""
    if counter & 0xFFFFFFFF or counter >> 42:
        raise UtrnError("the UTRN counter uses bits 32-41 only")
    if not 0 <= value < 1 << 13 or value_class not in (0, 1):
        raise UtrnError("UTRN value out of range")
    high = ((counter >> 32) << 15) | (value_class << 13) | value
    ptut = (high << 32) | tag(shared_secret=shared_secret, supplier=supplier, device=device, counter=counter,
                               high=high)
    digits = f"{PPTD_OFFSET + ptut:019d}"
    return digits + str(check_digit(digits))
