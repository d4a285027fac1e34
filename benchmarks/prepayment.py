"""The prepayment credit engine: what an idle meter costs, and what a meter in prepayment costs to read and to wake.

Usage: ``python benchmarks/prepayment.py [--json] [--repeat N]``

1. ``idle_next_due_us``: the prepayment timer's ``next_due`` on a fresh ESME and GSME in credit mode
   (the host asks it at every commit and at load): it must answer None without building anything.
2. ``credit_read_ms``: the credit of an ESME in prepayment, idle for a virtual year since its settled
   point, computed as a read does (``credit_now``); peer: ``ConsumptionModel.between`` over the same
   year (the consumption read it is built on), measured in the same run.
3. ``next_event_ms``: when the host must next wake that meter (the first level crossing, searched day
   by day with a standing charge and debt recovery; and with consumption only, one search).
4. ``year_of_wakes``: the meter with 400.00 of credit run through a year of daily ticks: the wakes
   (each an alert: low credit, disablement) and the wall time for the year.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from dataclasses import replace
from typing import Any

from fleet_tick import timed

from smets_emu.emulator.metering import prepayment as engine
from smets_emu.emulator.metering.config import model_for
from smets_emu.emulator.metering.prepayment import Credit, Tariff
from smets_emu.emulator.metering.prepayment_timers import PrepaymentTimers
from smets_emu.emulator.state import DeviceState

START = dt.datetime(2026, 1, 1, 6, 30, tzinfo=dt.UTC)
ESME = bytes.fromhex("00DB1234567890A0")


def run(repeat: int) -> dict[str, Any]:
    timers = PrepaymentTimers(None)  # type: ignore[arg-type]  # next_due reads the state only
    idle = {}
    for kind in ("ESME", "GSME"):
        state = DeviceState(bytes.fromhex("00DB000000000001"), kind)
        idle[kind] = timed(lambda s=state: [timers.next_due(s) for _ in range(1000)], repeat) * 1000  # type: ignore[misc]
    model = model_for(ESME, "ESME")
    assert model is not None
    year = START + dt.timedelta(days=365)
    daily = Tariff(prepayment=True, price=24_500, standing_charge=60_000, low_credit=500_000,
                   time_debt_rates=(5_000, 0))
    flat = Tariff(prepayment=True, price=24_500, low_credit=500_000)
    credit = Credit(settled_at=START, balance=1500 * engine.MONEY_SCALE, mode_seen=True, time_debts=[2_000_000, 0])
    read = timed(lambda: engine.settle(credit, daily, model, year), repeat) * 1000
    peer = timed(lambda: model.between(START, year), repeat) * 1000
    next_daily = timed(lambda: engine.next_event(credit, daily, model), repeat) * 1000
    next_flat = timed(lambda: engine.next_event(credit, flat, model), repeat) * 1000

    def through_the_year() -> tuple[int, list[str]]:
        """Daily ticks; like the host's next-due index, the engine is asked again only after it ran."""
        state, wakes, raised = replace(credit, balance=400 * engine.MONEY_SCALE), 0, []
        at = engine.next_event(state, daily, model)
        day = START
        while day < year:
            day += dt.timedelta(days=1)
            if at is not None and at <= day:
                state, events = engine.run_due(state, daily, model, day)
                raised.extend(f"0x{code:04X}@{event.at.isoformat()}" for event in events for code in event.alerts)
                wakes += 1
                at = engine.next_event(state, daily, model)
        return wakes, raised

    started = time.perf_counter()
    wakes, raised = through_the_year()
    year_ms = (time.perf_counter() - started) * 1000
    return {
        "idle_next_due_us": {kind: round(us, 3) for kind, us in idle.items()},
        "credit_read_ms": {"after_idle_year": round(read, 3), "peer_between_year": round(peer, 3)},
        "next_event_ms": {"daily_charges": round(next_daily, 3), "consumption_only": round(next_flat, 3)},
        "year_of_wakes": {"wakes": wakes, "ms": round(year_ms, 1), "alerts": raised},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    result = run(max(1, args.repeat))
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
