"""Faults the control plane injects at the WAN front, per device.

- ``drop``: the next *count* commands to the device vanish (no answer, as on a lost WAN link);
- ``delay``: the next *count* commands reach the device *seconds* late;
- ``corrupt``: one byte of the next *count* commands (``direction="command"``, the device
  rejects it on the GBCS MAC) or of the next *count* responses and alerts it sends
  (``direction="reply"``, the head-end's check must catch it) is flipped;
- ``power-cycle`` is immediate and kept by no table: the device reloads its committed state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from smets_emu.errors import SmetsError

FAULT_KINDS = ("drop", "delay", "corrupt", "power-cycle")
DIRECTIONS = ("command", "reply")
MAX_COUNT = 10_000
"""The most commands (or replies) one fault request affects."""
MAX_SECONDS = 300.0
"""The longest delay one fault request injects."""


class FaultError(SmetsError):
    """A fault request names an unknown kind or bad parameters."""


@dataclass
class Fault:
    """One pending fault on one device."""

    kind: str
    count: int = 1
    seconds: float = 0.0
    direction: str = "command"  # corrupt: "command" or "reply"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "count": self.count, "seconds": self.seconds, "direction": self.direction}

    @classmethod
    def from_json(cls, obj: Any) -> Fault:
        """Parse ``{"kind": ..., "count": 1, "seconds": 0.0, "direction": "command"}``.

        ``count`` is an integer in 1..:data:`MAX_COUNT`, ``seconds`` a finite number in
        0..:data:`MAX_SECONDS`, ``direction`` one of :data:`DIRECTIONS`; other keys are refused.
        """
        if not isinstance(obj, dict):
            raise FaultError("a fault is a JSON object")
        if obj.get("kind") not in FAULT_KINDS:
            raise FaultError(f"kind is one of {', '.join(FAULT_KINDS)}")
        unknown = sorted(set(obj) - {"kind", "count", "seconds", "direction"})
        if unknown:
            raise FaultError(f"unknown key(s) {', '.join(map(str, unknown))}: a fault has kind, count, seconds and "
                             "direction")
        count = obj.get("count", 1)
        if isinstance(count, float) and math.isfinite(count) and count.is_integer():
            count = int(count)
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
            raise FaultError(f"count is an integer from 1 to {MAX_COUNT}")
        seconds = obj.get("seconds", 0.0)
        if (isinstance(seconds, bool) or not isinstance(seconds, int | float) or not math.isfinite(seconds)
                or not 0 <= seconds <= MAX_SECONDS):
            raise FaultError(f"seconds is a number from 0 to {MAX_SECONDS}")
        direction = obj.get("direction", "command")
        if direction not in DIRECTIONS:
            raise FaultError(f"direction is one of {', '.join(DIRECTIONS)}")
        return cls(obj["kind"], count, float(seconds), direction)


def corrupt(message: bytes) -> bytes:
    """The message with one bit flipped in its last byte (inside the MAC or signature)."""
    if not message:
        return message
    return message[:-1] + bytes([message[-1] ^ 0x01])


@dataclass
class FaultTable:
    """Pending faults by device EUI, consumed as commands and replies pass."""

    faults: dict[bytes, list[Fault]] = field(default_factory=dict)

    def add(self, eui: bytes, fault: Fault) -> None:
        self.faults.setdefault(eui, []).append(fault)

    def pending(self, eui: bytes) -> list[Fault]:
        return list(self.faults.get(eui, []))

    def take(self, eui: bytes, kind: str, direction: str = "command") -> Fault | None:
        """Consume one occurrence of a pending fault of this kind, if any."""
        for fault in self.faults.get(eui, []):
            if fault.kind == kind and (kind != "corrupt" or fault.direction == direction):
                fault.count -= 1
                if fault.count <= 0:
                    self.faults[eui].remove(fault)
                    if not self.faults[eui]:
                        del self.faults[eui]
                return fault
        return None

    def clear(self, eui: bytes | None = None) -> None:
        if eui is None:
            self.faults.clear()
        else:
            self.faults.pop(eui, None)
