"""Faults the control plane injects at the WAN front, per device.

- ``drop``: the next *count* commands to the device vanish (no answer, as on a lost WAN link);
- ``delay``: the next *count* commands reach the device *seconds* late;
- ``corrupt``: one byte of the next *count* commands (``direction="command"``, the device
  rejects it on the GBCS MAC) or of the next *count* responses and alerts it sends
  (``direction="reply"``, the head-end's check must catch it) is flipped;
- ``power-cycle`` is immediate and kept by no table: the device reloads its committed state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from smets_emu.errors import SmetsError

FAULT_KINDS = ("drop", "delay", "corrupt", "power-cycle")


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
        """Parse ``{"kind": ..., "count": 1, "seconds": 0.0, "direction": "command"}``."""
        if not isinstance(obj, dict) or obj.get("kind") not in FAULT_KINDS:
            raise FaultError(f"kind is one of {', '.join(FAULT_KINDS)}")
        try:
            count = int(obj.get("count", 1))
            seconds = float(obj.get("seconds", 0.0))
        except (TypeError, ValueError) as exc:
            raise FaultError("count is an integer and seconds a number") from exc
        direction = obj.get("direction", "command")
        if count < 1 or seconds < 0 or direction not in ("command", "reply"):
            raise FaultError("count >= 1, seconds >= 0, direction command or reply")
        return cls(obj["kind"], count, seconds, direction)


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
