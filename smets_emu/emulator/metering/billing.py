"""Billing period ends: the billing data log and its alerts ECS68 (ESME) and GCS53 (GSME).

At the end of each billing period (the billing calendar, SMETS2 5.6.4.6 / 5.7.4.4) a meter
captures its registers in the Billing Data Log and pushes the new entry to the supplier as a
critical, signed alert whose content is encrypted for the supplier (GBCS 7.2.9, alert code 0x8F0A
"Billing Data Log Updated"; GBCS 3.6 / 7.3.3 payload encryption, KDF mode 04 with the alert's own
originator counter):

- ESME, ECS68 (message code 0x0061): a DLMS data-notification of alert code, the period end,
  the protection parameters and the encrypted billing data log entry (the compact array an
  ECS20c read of 0-0:98.1.0.255 returns for the period);
- GSME, GCS53 (message code 0x008B): a GBZ alert ``01 09 01 8F 0A <ts>`` with one encrypted
  Metering Publish Snapshot component (the snapshot GCS15c reads, cause "end of billing period").

:class:`BillingPeriods` is the component: ``next_due`` is the next period end after the last
one handled, so an idle meter costs nothing between period ends; ``due`` handles every end that
has come (a lab advanced by months at once logs at most :data:`LOG_CAPACITY` of them) and pushes
the entry of the latest. The billing data logs themselves are computed from the consumption model
when read (the ESME's COSEM profiles, the GSME's snapshots), so the pushed entry and a later read
agree. Billing periods count from the meter's metering origin (the fleet file's
``metering.origin``): a meter without one keeps none. What the component keeps lives in
``state.objects["metering"]["billing"]``: ``{"last": ISO, "log": [...]}`` (and the GSME's
``"calendar"``; the ESME's calendar is its COSEM billing schedule, set by ECS30).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from smets_emu.emulator.component import Component
from smets_emu.emulator.device import AlertSpec, Device, Outcome
from smets_emu.emulator.metering.config import METERING_KEY, billing_calendar_of, device_model, metering_config
from smets_emu.emulator.metering.consumption import BillingCalendar
from smets_emu.emulator.state import DeviceState
from smets_emu.errors import InputError, SmetsError
from smets_emu.protocols import crypto

log = logging.getLogger(__name__)

BILLING_KEY = "billing"
LOG_CAPACITY = 12
"""Billing data log entries a meter keeps (SMETS2 5.6.4.6 / 5.7.4.4: at least the last 12 periods)."""
BILLING_DATA_LOG_UPDATED = 0x8F0A
ESME_BILLING_ALERT = 0x0061  # ECS68
GSME_BILLING_ALERT = 0x008B  # GCS53


@dataclass(frozen=True, slots=True)
class BillingEntry:
    """One billing data log entry: the registers captured at a period end (units of the meter's model)."""

    end: dt.datetime
    import_total: int
    export_total: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"end": self.end.isoformat(), "import": self.import_total}
        if self.export_total is not None:
            out["export"] = self.export_total
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BillingEntry:
        return cls(dt.datetime.fromisoformat(data["end"]), int(data["import"]),
                   None if data.get("export") is None else int(data["export"]))


calendar_of = billing_calendar_of
"""The device's billing calendar (``billing.calendar``: day_of_month, hour); monthly on the 1st at 00:00."""


def last_handled(state: DeviceState) -> dt.datetime | None:
    """The last period end the device handled; before any, the origin of its consumption model.

    None when the device has neither: a meter without a configured origin (the fleet file's
    ``metering.origin``, the start of its registers) keeps no billing periods.
    """
    group = (state.objects_view().get(METERING_KEY) or {}).get(BILLING_KEY) or {}
    stored = group.get("last")
    if stored:
        return dt.datetime.fromisoformat(stored)
    return metering_config(state).origin


def billing_log(state: DeviceState) -> list[BillingEntry]:
    """The billing data log entries the device wrote, oldest first."""
    group = (state.objects_view().get(METERING_KEY) or {}).get(BILLING_KEY) or {}
    return [BillingEntry.from_json(e) for e in group.get("log", [])]


def snapshot(state: DeviceState, end: dt.datetime) -> BillingEntry | None:
    """The registers at *end* from the device's consumption model (None for a device that does not meter)."""
    model = device_model(state)
    if model is None:
        return None
    export = model.export.reading(end) if model.export is not None else None
    return BillingEntry(end, model.reading(end), export)


def supplier_encryptor(device: Device, state: DeviceState, counter: int) -> tuple[bytes, Callable[[bytes], bytes]]:
    """The supplier's EUI and an encryptor for it (GBCS 7.3.3, KDF mode 04 with the alert counter)."""
    supplier = device.alert_recipient(state)
    secret = device.party_secret(state, supplier)
    if secret is None:
        raise SmetsError(f"no key agreement anchor for the supplier {supplier.hex().upper()}")
    key = crypto.derive_key(shared_secret=secret, mode=crypto.KdfMode.PAYLOAD_ENCRYPTION,
                            originator=device.eui, counter=counter, recipient=supplier)

    def encrypt(plaintext: bytes) -> bytes:
        return crypto.encrypt_protected(key=key, originator=device.eui, plaintext=plaintext)

    return supplier, encrypt


class BillingPeriods(Component):
    """Billing period ends on the lab clock: write the billing data log, push it as ECS68 / GCS53.

    A device model subclasses it with its billing calendar, clock, registers and alert body
    (:meth:`calendar`, :meth:`device_time`, :meth:`lab_time`, :meth:`snapshot`, :meth:`alert`);
    the timing and the kept state are shared. Period ends are device times.
    """

    def calendar(self, state: DeviceState) -> BillingCalendar:
        """The billing calendar the device holds."""
        return calendar_of(state)

    def device_time(self, state: DeviceState, now: dt.datetime) -> dt.datetime:
        """The device clock at lab time *now*."""
        return now

    def lab_time(self, state: DeviceState, when: dt.datetime) -> dt.datetime:
        """The lab time at which the device clock shows *when*."""
        return when

    def snapshot(self, state: DeviceState, end: dt.datetime) -> BillingEntry | None:
        """The registers at period end *end* (None for a device that does not meter)."""
        return snapshot(state, end)

    def next_due(self, state: DeviceState) -> dt.datetime | None:
        """The lab time of the first billing period end after the last one handled (GBCS 5.9 timers)."""
        last = last_handled(state) if state.device_type in ("ESME", "GSME") else None
        if last is None:
            return None
        try:
            return self.lab_time(state, self.calendar(state).next_end(last))
        except InputError:
            return None

    def due(self, state: DeviceState, now: dt.datetime) -> Outcome | None:
        """Write the entries of the period ends that have come; push the latest as the billing alert.

        A lab moved on by several periods at once logs each end (at most :data:`LOG_CAPACITY`)
        and pushes the billing data log entry of the latest one.
        """
        when, last = self.next_due(state), last_handled(state)
        if when is None or last is None or when > now:
            return None
        calendar = self.calendar(state)
        clock = self.device_time(state, now)
        ends = calendar.period_ends(last, clock, limit=LOG_CAPACITY)
        work = state.clone()
        group = work.object_for_write(METERING_KEY, BILLING_KEY)
        if group is None:
            group = {}
            work.put_object(METERING_KEY, BILLING_KEY, group)
        group["last"] = calendar.previous_end(clock).isoformat()
        try:
            entries = [e for e in (self.snapshot(work, end) for end in ends) if e is not None]
        except InputError as exc:
            log.info("device %s: no billing data log: %s", state.eui.hex().upper(), exc)
            entries = []
        if not entries:
            return Outcome(work, accepted=True, reason="billing period end: nothing metered")
        kept = [*group.get("log", []), *(e.to_json() for e in entries)]
        group["log"] = kept[-LOG_CAPACITY:]
        latest = entries[-1]
        sent = []
        try:
            spec = self.alert(work, latest, work.alert_counter + 1)  # build_alert takes the next counter
            sent.append(self.device.build_alert(work, spec, self.lab_time(work, latest.end)))
        except (InputError, SmetsError) as exc:
            log.info("device %s: billing data log alert not sent: %s", state.eui.hex().upper(), exc)
        return Outcome(work, sent, accepted=True,
                       reason=f"billing period end {latest.end.isoformat()} ({len(entries)} logged)")

    def alert(self, state: DeviceState, entry: BillingEntry, counter: int) -> AlertSpec:
        """The billing data log alert for the period ending at ``entry.end`` (device model specific)."""
        raise SmetsError(f"a {state.device_type} raises no billing data log alert")

