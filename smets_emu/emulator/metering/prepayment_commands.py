"""Top-ups and emergency credit on the prepayment registers (SMETS2 prepayment; GBCS 14, Table 16.2 alerts).

Pure functions over :class:`~smets_emu.emulator.metering.prepayment.Credit`: the meter's handlers
(ESME CS01a and ECS09, GSME CS01b / PCS01 and GCS06 / PCS02) settle the registers to the command's
time first, apply one of these, then store the result and queue the alerts it names.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from smets_emu.emulator.metering.prepayment import (
    EMERGENCY_CREDIT_ACTIVATED,
    MAX_MONEY,
    PAYMENT_DEBT_COMPLETED,
    SUPPLY_ARMED,
    SUPPLY_DISABLED_THEN_ARMED_EC,
    Credit,
    Supply,
    Tariff,
)
from smets_emu.emulator.metering.utrn import CREDIT_EXCEEDS_MAX_BALANCE, UTRN_EXCEEDS_MAX_CREDIT, remember


@dataclass(frozen=True)
class TopUp:
    """The outcome of applying a top-up's credit: the new registers, what was taken for debts, any alerts."""

    credit: Credit
    credited: int
    debt_paid: int
    alerts: tuple[int, ...] = ()
    supply: Supply | None = None
    refused_alert: int | None = None


def apply_top_up(credit: Credit, tariff: Tariff, amount: int, now: dt.datetime, counter: int) -> TopUp:
    """Add a top-up of *amount* to settled *credit* (settle it to *now* first); refuses over the credit limits."""
    if tariff.max_credit and amount > tariff.max_credit:
        return TopUp(credit, 0, 0, refused_alert=UTRN_EXCEEDS_MAX_CREDIT)
    if tariff.max_balance and credit.balance + amount > tariff.max_balance:
        return TopUp(credit, 0, 0, refused_alert=CREDIT_EXCEEDS_MAX_BALANCE)
    left = amount
    accumulated = min(credit.accumulated_debt, left)
    left -= accumulated
    share = min(credit.payment_debt, left * tariff.payment_debt_share // 10_000)
    left -= share
    alerts: list[int] = []
    payment_debt = credit.payment_debt - share
    if share and payment_debt == 0:
        alerts.append(PAYMENT_DEBT_COMPLETED)
    balance = min(MAX_MONEY, credit.balance + left)
    ec_in_use = credit.ec_in_use and balance <= 0
    updated = replace(credit, balance=balance, ec_in_use=ec_in_use, payment_debt=payment_debt,
                      accumulated_debt=credit.accumulated_debt - accumulated,
                      used_utrns=remember(credit.used_utrns, counter) if counter else credit.used_utrns)
    updated = replace(updated, alerted=_cleared(updated, tariff))
    supply = None
    if credit.supply_seen == Supply.DISABLED.value and updated.combined(tariff) > tariff.disablement:
        supply = Supply.ARMED
        updated = replace(updated, supply_seen=Supply.ARMED.value)
        alerts.append(SUPPLY_ARMED)
    return TopUp(updated, left, accumulated + share, tuple(alerts), supply)


def _cleared(credit: Credit, tariff: Tariff) -> list[str]:
    """The reported levels the credit is above again (reported afresh next time it falls)."""
    combined = credit.combined(tariff)
    keep = []
    for name in credit.alerted:
        if name == "low" and combined > tariff.low_credit or name == "disabled" and combined > tariff.disablement:
            continue
        if name == "ec" and (credit.balance > tariff.ec_threshold or credit.ec_in_use):
            continue
        keep.append(name)
    return keep


def activate_emergency(credit: Credit, tariff: Tariff) -> tuple[Credit, tuple[int, ...], Supply | None] | None:
    """Activate emergency credit (ECS09, GCS06, PCS02); None when none is available (balance above the threshold).

    A supply disabled for lack of credit is armed again (0x8168); activating it twice is harmless.
    """
    if credit.ec_in_use:
        return credit, (), None
    if tariff.ec_limit <= 0 or credit.balance > tariff.ec_threshold:
        return None
    updated = replace(credit, ec_in_use=True)
    updated = replace(updated, alerted=_cleared(updated, tariff))
    alerts: list[int] = [EMERGENCY_CREDIT_ACTIVATED]
    supply = None
    if credit.supply_seen == Supply.DISABLED.value and updated.combined(tariff) > tariff.disablement:
        supply = Supply.ARMED
        updated = replace(updated, supply_seen=Supply.ARMED.value)
        alerts.append(SUPPLY_DISABLED_THEN_ARMED_EC)
    return updated, tuple(alerts), supply
