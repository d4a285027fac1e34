"""The plan of a firmware campaign: cumulative stages over the targets and the stored record (digest 7.3).

A campaign record is the JSON kept in the state store's ``meta`` table: the image (file
reference, version, hash), the stages (name and how many targets they reach, cumulatively),
where the campaign stands (stage, CHF group, phase, counters) and its options (error
threshold, stage timeout, activation). The targets and the version each ran before the
campaign are stored beside it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from smets_emu.errors import SmetsError
from smets_emu.protocols.firmware import UpgradeImage

META_KEY = "firmware_campaign"
TARGETS_KEY = "firmware_campaign_targets"
BEFORE_KEY = "firmware_campaign_before"  # the version each target ran when the campaign was created
MAX_STARTS = 1000
"""Distribution starts kept in a campaign record (one per stage, run and resume)."""
DEFAULT_STAGES = (0.01, 0.10, 1.0)
RUNNING, PAUSED, COMPLETED, ABORTED = "running", "paused", "completed", "aborted"


class CampaignError(SmetsError):
    """A campaign cannot be started, resumed or read."""


@dataclass(frozen=True)
class CampaignProgress:
    """Where a campaign stands, for progress bars."""

    stage: int
    stages: int
    stage_name: str
    done: int  # targets of the whole campaign with a final outcome
    total: int
    ok: int
    failed: int
    clock: dt.datetime
    phase: str  # distribute or activate


ProgressListener = Callable[[CampaignProgress], None]


def parse_stages(text: str) -> tuple[float, ...]:
    """``"1,10,100"`` (cumulative percentages) as fractions; the last stage always reaches 100 %."""
    try:
        values = [float(v) / 100 for v in text.split(",") if v.strip()]
    except ValueError as exc:
        raise CampaignError(f"stages must be percentages, e.g. 1,10,100: {exc}") from exc
    if not values or any(not 0 < v <= 1 for v in values) or values != sorted(values):
        raise CampaignError("stages must be increasing percentages in (0, 100]")
    if values[-1] < 1:
        values.append(1.0)
    return tuple(values)


def stage_name(fraction: float) -> str:
    """A stage's name: the share of the targets it reaches, e.g. ``10%``."""
    return f"{fraction * 100:g}%"


def stage_bounds(count: int, stages: Sequence[float]) -> list[int]:
    """How many of *count* targets each stage reaches (cumulative, increasing, the last reaching all)."""
    bounds: list[int] = []
    for fraction in stages:
        upto = min(count, max(1, math.ceil(fraction * count)))
        if not bounds or upto > bounds[-1]:
            bounds.append(upto)
    if bounds[-1] != count:
        bounds.append(count)
    return bounds


def new_record(ref: str, size: int, image: UpgradeImage, count: int, now: dt.datetime, *,
               stages: Sequence[float], error_threshold: float, activate: str | dt.datetime | None,
               stage_timeout: dt.timedelta) -> dict[str, Any]:
    """The record of a new campaign of image *ref* to *count* targets, at its first stage."""
    bounds = stage_bounds(count, stages)
    return {
        "id": f"{ref[:12]}-{now.strftime('%Y%m%dT%H%M%SZ')}",
        "file": ref, "version": image.version, "image_hash": image.image_hash.hex().upper(), "size": size,
        "created": now.isoformat(), "clock": now.isoformat(), "status": RUNNING, "reason": "",
        "error_threshold": error_threshold, "stage_timeout": stage_timeout.total_seconds(),
        "activate": activate.isoformat() if isinstance(activate, dt.datetime) else activate,
        "stages": [{"name": "rest" if 0 < i == len(bounds) - 1 else stage_name(b / count),
                    "upto": b} for i, b in enumerate(bounds)],
        "stage": 0, "chf_index": 0, "phase": "distribute", "accepted_failures": 0,
        "stage_ok": 0, "stage_failed": 0, "alerts": {},
        "stage_results": [],
    }
