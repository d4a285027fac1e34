"""The meter's UTRN checks, shared by the ESME (CS01a) and the GSME (CS01b, PCS01) (GBCS 14, digest 3.7).

A top-up is accepted only when, in this order:

1. the token is 20 digits with the right check digit (GBCS 14.8): else *not authentic*;
2. the device holds a supplier prepayment key agreement anchor cell (GBCS 4.3.2: the cell with
   cell usage ``prepaymentTopUp``): else *error*;
3. its tag authenticates under that cell and the device's own KA key, for this device's EUI
   (KDF mode 01, digest 3.7): else *not authentic* (alert 0x8F63);
4. its counter is above the prepayment top-up floor a CS02b update set (``SpecialistSeqNumber``
   usage 0, GBCS 6.2.4) and is not one the device already accepted: the device keeps the counters
   of its last :data:`UTRN_HISTORY` accepted UTRNs and, once that cache is full, refuses any
   counter not above the lowest one kept (so an old token can never come back): else *duplicate*
   (alert 0x8F51, "Duplicate UTRN entered").

The credit rules (maximum credit per top-up, maximum meter balance) come after, in
:mod:`smets_emu.emulator.metering.prepayment`, because they need the balance at that instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING

from smets_emu.emulator.anchors import CellKeyUsage, Role
from smets_emu.errors import SmetsError
from smets_emu.protocols import utrn as codec

if TYPE_CHECKING:
    from smets_emu.emulator.device import Device
    from smets_emu.emulator.state import DeviceState

UTRN_HISTORY = 50
"""How many accepted UTRN counters a meter remembers for replay refusal."""

PREPAYMENT_SEQ_USAGE = 0
"""``SpecialistSeqNumber.seqNumberUsage`` of the prepayment top-up counter (GBCS 6.2.4)."""

UTRN_NOT_AUTHENTIC = 0x8F63
UTRN_NOT_FOR_DEVICE = 0x8F64
DUPLICATE_UTRN = 0x8F51
UTRN_EXCEEDS_MAX_CREDIT = 0x8F5B
CREDIT_EXCEEDS_MAX_BALANCE = 0x8F47
"""GBCS alert codes of a refused top-up (GBCS Table 16.2; all critical)."""


class UtrnResult(IntEnum):
    """Outcome of a UTRN check: the values are the ZCL Consumer Top Up result types (SE 1.4 D.7.2.4.3)."""

    ACCEPTED = 0
    NOT_AUTHENTIC = 1
    DUPLICATE = 2
    ERROR = 3


@dataclass(frozen=True)
class UtrnCheck:
    """A checked UTRN: the result, and for an authentic one its credit and counter."""

    result: UtrnResult
    amount: int = 0  # credit in 1/100000 of the currency unit
    counter: int = 0
    alert_code: int | None = None  # the GBCS alert a refusal raises
    reason: str = ""

    @property
    def accepted(self) -> bool:
        return self.result is UtrnResult.ACCEPTED


def counter_refused(counter: int, used: list[int], floor: int | None) -> bool:
    """True when *counter* was used already, is at or below the CS02b floor, or is older than a full cache."""
    if floor is not None and counter <= floor:
        return True
    if counter in used:
        return True
    return len(used) >= UTRN_HISTORY and counter <= min(used)


def remember(used: list[int], counter: int) -> list[int]:
    """The cache after accepting *counter*: the :data:`UTRN_HISTORY` highest counters, ascending."""
    return sorted({*used, counter})[-UTRN_HISTORY:]


def check_utrn(device: Device, state: DeviceState, code: str, used: list[int]) -> UtrnCheck:
    """Check a UTRN for *device* against its prepayment anchor cell and the counters in *used* (see module doc).

    Reads *state* only: the caller records the counter (:func:`remember`) once the credit is applied.
    """
    try:
        token = codec.parse(code)
    except codec.UtrnError as exc:
        return UtrnCheck(UtrnResult.NOT_AUTHENTIC, alert_code=UTRN_NOT_AUTHENTIC, reason=str(exc))
    cell = device.find_cell(state, Role.SUPPLIER, CellKeyUsage.KEY_AGREEMENT, prepayment=True)
    if cell is None or cell.subject_id is None:
        return UtrnCheck(UtrnResult.ERROR, reason="no supplier prepayment key agreement anchor")
    try:
        codec.verify(token, shared_secret=device.shared_secret(state, cell), supplier=cell.subject_id,
                     device=device.eui)
    except codec.UtrnError as exc:
        return UtrnCheck(UtrnResult.NOT_AUTHENTIC, counter=token.counter, alert_code=UTRN_NOT_AUTHENTIC,
                         reason=str(exc))
    except SmetsError as exc:  # the cell's key cannot be used
        return UtrnCheck(UtrnResult.ERROR, reason=str(exc))
    if counter_refused(token.counter, used, state.specialist_counters.get(PREPAYMENT_SEQ_USAGE)):
        return UtrnCheck(UtrnResult.DUPLICATE, token.amount, token.counter, DUPLICATE_UTRN,
                         f"UTRN counter {token.counter >> 32} already used or too old")
    return UtrnCheck(UtrnResult.ACCEPTED, token.amount, token.counter)
