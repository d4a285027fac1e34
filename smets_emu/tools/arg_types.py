"""Bounded argparse value types shared by the commands (a number out of range is a usage error, exit 2)."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def int_in(low: int, high: int) -> Callable[[str], int]:
    """An integer (decimal or ``0x`` hex) in ``low..high``."""

    def parse(text: str) -> int:
        try:
            value = int(text, 0)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is outside {low}..{high}")
        return value

    parse.__name__ = "integer"
    return parse


def seconds_up_to(maximum: float) -> Callable[[str], float]:
    """A finite number of seconds in ``(0, maximum]``."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
        if not math.isfinite(value) or not 0 < value <= maximum:
            raise argparse.ArgumentTypeError(f"{text} is outside (0, {maximum:g}] seconds")
        return value

    parse.__name__ = "seconds"
    return parse
