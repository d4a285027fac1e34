"""Load shapes: how a premises' consumption spreads over the day and the year.

A shape gives 48 relative weights for the UTC half-hours of a day (mean 1), the ratio of a
January day's consumption to a July day's (the seasonal swing: above 1 for heating and lighting
loads, below 1 for solar export), a weekend factor and the relative spread of the seeded noise
each half-hour gets. The figures are typical of GB domestic and small non-domestic sites (the
Elexon profile classes 1 and 3 for electricity, the Xoserve domestic end-user category for gas)
in their overall form, not their published coefficients.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from smets_emu.errors import InputError

HALF_HOURS_PER_DAY = 48


def _daily(hourly: Sequence[float]) -> tuple[float, ...]:
    """48 half-hour weights with mean 1 from 24 hourly levels (each hour's level for both its halves)."""
    if len(hourly) != 24 or min(hourly) < 0 or sum(hourly) <= 0:
        raise InputError("a load shape needs 24 non-negative hourly levels, not all zero")
    halves = [float(level) for level in hourly for _ in range(2)]
    mean = sum(halves) / len(halves)
    return tuple(h / mean for h in halves)


@dataclass(frozen=True, slots=True)
class LoadShape:
    """The daily and seasonal pattern of a consumption model (weights only; the scale is the annual figure)."""

    name: str
    daily: tuple[float, ...]  # 48 weights, UTC half-hours from midnight, mean 1
    winter_ratio: float  # a January day's consumption over a July day's
    noise: float  # each half-hour varies by up to +/- this fraction (seeded)
    weekend: float = 1.0  # Saturday and Sunday consumption relative to a weekday

    def __post_init__(self) -> None:
        if len(self.daily) != HALF_HOURS_PER_DAY or min(self.daily) < 0:
            raise InputError(f"load shape {self.name!r}: 48 non-negative half-hour weights are needed")
        if not 0 < self.winter_ratio <= 100:
            raise InputError(f"load shape {self.name!r}: winter_ratio must be in (0, 100]")
        if not 0 <= self.noise < 1:
            raise InputError(f"load shape {self.name!r}: noise must be in [0, 1)")
        if not 0 <= self.weekend <= 10:
            raise InputError(f"load shape {self.name!r}: weekend must be in [0, 10]")


SHAPES: dict[str, LoadShape] = {
    shape.name: shape
    for shape in (
        # overnight base load, a morning rise, the evening peak (cooking, lighting) and a late tail
        LoadShape("domestic-electricity",
                  _daily([3, 2.6, 2.4, 2.3, 2.3, 2.5, 3.4, 5.2, 5.6, 4.8, 4.4, 4.4,
                          4.6, 4.4, 4.2, 4.4, 5.4, 7.4, 8.2, 7.6, 6.6, 5.8, 4.8, 3.8]),
                  winter_ratio=1.6, noise=0.35),
        # heating: a morning and an evening burst, little at night, mostly in winter
        LoadShape("domestic-gas",
                  _daily([0.6, 0.4, 0.4, 0.4, 0.6, 3.5, 7.5, 8.0, 5.0, 2.5, 2.0, 2.0,
                          2.0, 1.8, 1.8, 2.2, 4.0, 6.5, 7.0, 6.0, 4.5, 3.0, 1.8, 0.9]),
                  winter_ratio=4.5, noise=0.3),
        # opening hours 08:00-18:00, a low base outside them and at weekends
        LoadShape("small-business",
                  _daily([1, 1, 1, 1, 1, 1, 1.2, 2.5, 6, 7, 7, 7,
                          7, 7, 7, 7, 7, 6, 3, 1.5, 1.2, 1, 1, 1]),
                  winter_ratio=1.3, noise=0.2, weekend=0.35),
        # a daylight bell (export from rooftop solar), strong in summer
        LoadShape("solar",
                  _daily([0, 0, 0, 0, 0, 0.2, 1, 2.5, 4.5, 6.5, 8, 9,
                          9.2, 9, 8, 6.5, 4.5, 2.5, 1, 0.2, 0, 0, 0, 0]),
                  winter_ratio=0.2, noise=0.45),
        # the same every half-hour (a test fixture's friend: register = intervals x time)
        LoadShape("flat", _daily([1] * 24), winter_ratio=1.0, noise=0.0),
    )
}
"""The load shapes a fleet file may name."""


def shape_named(name: str) -> LoadShape:
    """The shape called *name*; :class:`~smets_emu.errors.InputError` naming the choices otherwise."""
    try:
        return SHAPES[name]
    except (KeyError, TypeError):
        raise InputError(f"unknown load shape {name!r}; choose one of {', '.join(sorted(SHAPES))}") from None
