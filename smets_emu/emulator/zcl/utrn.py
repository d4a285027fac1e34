"""UTRN token codec for the GSME's Consumer Top Up: re-exported from :mod:`smets_emu.protocols.utrn` (GBCS 14).

The codec is pure and shared by both meters and by the supplier side; the device's checks
(anchor cell, counter cache, credit rules) are in :mod:`smets_emu.emulator.metering.utrn`.
"""

from __future__ import annotations

from smets_emu.protocols.utrn import (
    PPTD_OFFSET,
    VALUE_CLASS_UNITS,
    Utrn,
    UtrnError,
    build,
    check_digit,
    parse,
    tag,
    verify,
)

__all__ = ["PPTD_OFFSET", "VALUE_CLASS_UNITS", "Utrn", "UtrnError", "build", "check_digit", "parse", "tag", "verify"]
