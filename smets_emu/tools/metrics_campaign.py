"""Metrics of the lab's stored firmware campaign (see :mod:`smets_emu.tools.metrics`).

Campaigns keep their record (status, stages, counts per stage, receipt alerts) in the state
store's ``meta`` table as they go (:mod:`smets_emu.parties.campaign`); a scrape reads it
from there, whether the campaign ran in this process or earlier with ``smets-emu firmware
campaign``. The state of each target (running, scheduled, held, transferring, waiting, failed, as
``firmware campaign --status`` reports it) is read from the devices, in chunks serialised with the
fleet's work, and reused for :data:`CAMPAIGN_STATES_TTL` seconds while the record is unchanged.
"""

from __future__ import annotations

import logging
import time
from collections import Counter as Tally
from collections.abc import Iterator
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric, StateSetMetricFamily

from smets_emu.errors import SmetsError
from smets_emu.hosting.fleet import Fleet
from smets_emu.hosting.runtime import Runtime
from smets_emu.parties.campaign import Campaign

log = logging.getLogger(__name__)

CAMPAIGN_STATES_TTL = 30.0
"""Seconds the per-device campaign states are reused before they are read from the devices again."""
MAX_CAMPAIGN_STATE_TARGETS = 200_000
"""Campaigns with more targets show their recorded counts only (no per-device states)."""
CAMPAIGN_STATES_CHUNK = 5_000
"""Targets whose state is read in one turn of the fleet's lock (about 50 ms)."""
CAMPAIGN_STATES = ("running", "scheduled", "held", "transferring", "waiting", "failed")
CAMPAIGN_STATUSES = ("running", "paused", "completed", "aborted")
MAX_CAMPAIGN_ALERT_KINDS = 64


class CampaignStates:
    """Targets of the stored campaign by state, read from the devices and cached for a while."""

    def __init__(self) -> None:
        self._cache: tuple[float, str, dict[str, int] | None] = (0.0, "", None)

    async def read(self, runtime: Runtime | None, fleet: Fleet, record: dict[str, Any]) -> dict[str, int] | None:
        """The counts by state; None without a runtime or for more than :data:`MAX_CAMPAIGN_STATE_TARGETS`."""
        stamp, key, states = self._cache
        ident = f"{record.get('id')}|{record.get('status')}|{record.get('clock')}|{record.get('stage')}"
        if key == ident and time.monotonic() - stamp < CAMPAIGN_STATES_TTL:
            return states
        if runtime is None or campaign_total(record) > MAX_CAMPAIGN_STATE_TARGETS:
            return None
        try:
            campaign = await runtime.call(lambda: Campaign.load(fleet))
            if campaign is None:
                return None
            tally: Tally[str] = Tally()
            for i in range(0, len(campaign.targets), CAMPAIGN_STATES_CHUNK):
                part = campaign.targets[i:i + CAMPAIGN_STATES_CHUNK]
                tally.update(await runtime.call(lambda part=part: [campaign.device_result(e)[0] for e in part]))
            states = dict(tally)
        except (SmetsError, ValueError, KeyError) as exc:
            log.warning("metrics: campaign states not read: %s", exc)
            states = None
        self._cache = (time.monotonic(), ident, states)
        return states


def campaign_total(record: dict[str, Any]) -> int:
    stages = record.get("stages") or []
    return int(stages[-1]["upto"]) if stages else 0


def campaign_metrics(record: dict[str, Any] | None, states: dict[str, int] | None) -> Iterator[Metric]:
    """The stored firmware campaign (the one ``smets-emu firmware campaign --status`` shows)."""
    if record is None:
        return
    try:
        total = campaign_total(record)
        results = record.get("stage_results") or []
        ok = sum(int(r["ok"]) for r in results) + int(record.get("stage_ok", 0))
        failed = sum(int(r["failed"]) for r in results) + int(record.get("stage_failed", 0))
        info = GaugeMetricFamily("smets_campaign_info", "The stored firmware campaign", labels=["campaign", "version"])
        info.add_metric([str(record["id"]), str(record["version"])], 1)
        yield info
        yield StateSetMetricFamily("smets_campaign_status", "Status of the stored firmware campaign",
                                   value={s: record.get("status") == s for s in CAMPAIGN_STATUSES})
        yield GaugeMetricFamily("smets_campaign_targets", "Target devices of the campaign", value=total)
        yield GaugeMetricFamily("smets_campaign_stages", "Stages of the campaign", value=len(record["stages"]))
        yield GaugeMetricFamily("smets_campaign_stages_done", "Stages the campaign finished", value=len(results))
        devices = GaugeMetricFamily("smets_campaign_devices", "Targets by recorded distribution outcome "
                                    "(ok, failed; remaining: not reached yet)", labels=["outcome"])
        devices.add_metric(["ok"], ok)
        devices.add_metric(["failed"], failed)
        devices.add_metric(["remaining"], max(0, total - ok - failed))
        yield devices
        alerts = GaugeMetricFamily("smets_campaign_alerts", "Receipt alerts and outcomes the campaign counted, "
                                   "by kind (fdra_8F72, fdra_8F1C, ccs08_..., cs06_...)", labels=["kind"])
        for kind, n in sorted((record.get("alerts") or {}).items())[:MAX_CAMPAIGN_ALERT_KINDS]:
            alerts.add_metric([str(kind)], int(n))
        yield alerts
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        log.warning("metrics: the stored campaign record is unreadable: %s", exc)
        return
    if states is not None:
        family = GaugeMetricFamily("smets_campaign_device_states", "Targets by state read from the devices "
                                   "(running, scheduled, held, transferring, waiting, failed)", labels=["state"])
        for state in CAMPAIGN_STATES:
            family.add_metric([state], states.get(state, 0))
        yield family
