"""The prepayment timer of the ESME and GSME: credit levels, disablement and the alerts they raise.

A component with no message codes: :meth:`PrepaymentTimers.next_due` tells the host the instant
the credit next crosses a level (or an alert a command queued is waiting), so an idle meter is
woken exactly then and costs nothing otherwise; :meth:`PrepaymentTimers.due` settles the
registers to each event in turn, opens the load switch or closes the valve at disablement and
raises each alert stamped with the instant it happened: generic critical (0x1000) for the 0x8Fxx
codes, generic non-critical (0x1001) for 0x81xx (GBCS 7.2.9, Table 16.2).
"""

from __future__ import annotations

import datetime as dt

from smets_emu.emulator.component import ALWAYS, Component
from smets_emu.emulator.device import (
    GENERIC_CRITICAL_ALERT,
    GENERIC_NON_CRITICAL_ALERT,
    AlertSpec,
    Outcome,
    generic_alert_payload,
)
from smets_emu.emulator.metering import prepayment_ports as ports
from smets_emu.emulator.metering.config import device_model
from smets_emu.emulator.metering.prepayment import Supply, next_event, run_due
from smets_emu.emulator.state import DeviceState

QUEUE_LIMIT = 64
"""Alerts kept for the next timer tick at most (the oldest go first)."""


def is_critical(alert_code: int) -> bool:
    """GBCS: 0x8Fxx event codes are critical, 0x81xx non-critical (Table 16.2)."""
    return alert_code >> 8 == 0x8F


def alert_spec(family: str, alert_code: int, at: dt.datetime) -> AlertSpec:
    """A generic alert carrying a prepayment event code, time-stamped *at*."""
    critical = is_critical(alert_code)
    return AlertSpec(GENERIC_CRITICAL_ALERT if critical else GENERIC_NON_CRITICAL_ALERT,
                     generic_alert_payload(family, alert_code, at), critical)


def queue_alerts(credit: ports.Credit, codes: tuple[int, ...] | list[int], at: dt.datetime) -> None:
    """Queue alerts a command caused, for the timer to raise (stamped *at*)."""
    credit.queued.extend((at.isoformat(), code) for code in codes)
    del credit.queued[:-QUEUE_LIMIT]


class PrepaymentTimers(Component):
    """Runs the prepayment engine between commands (see module doc)."""

    def next_due(self, state: DeviceState) -> dt.datetime | None:
        credit = ports.stored_credit(state)
        if credit is None:
            return ALWAYS if ports.prepayment_mode(state) else None
        if credit.queued:
            return min(dt.datetime.fromisoformat(t) for t, _ in credit.queued)
        tariff = ports.tariff_of(state)
        if ports.changed(credit, state, tariff):
            return credit.settled_at  # a command changed the mode, switch or charges: take them on
        return next_event(credit, tariff, device_model(state))

    def due(self, state: DeviceState, now: dt.datetime) -> Outcome | None:
        when = self.next_due(state)
        if when is None or when > now:
            return None
        work = state.clone()
        tariff = ports.tariff_of(work)
        credit = ports.load(work, now, tariff)
        if ports.changed(credit, work, tariff) or credit.supply_seen != ports.supply_of(work).value:
            credit = ports.sync(work, now, tariff)  # a command changed the mode, switch or charges: as before until now
        credit, events = run_due(credit, tariff, device_model(work), now)
        sent = []
        for event in events:
            if event.supply is not None:
                ports.set_supply(work, event.supply)
            for code in event.alerts:
                sent.append(self.device.build_alert(work, alert_spec(self.device.payload_family, code, event.at), now))
        ports.store(work, credit, tariff)
        reason = ", ".join(f"0x{c:04X}" for e in events for c in e.alerts)
        return Outcome(work, sent, accepted=True, reason=f"prepayment {reason}" if reason else "")


__all__ = ["PrepaymentTimers", "Supply", "alert_spec", "is_critical", "queue_alerts"]
