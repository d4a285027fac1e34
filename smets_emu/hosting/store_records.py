"""What the state store hands out and is configured with: outbox rows, retention bounds, commit counters."""

from __future__ import annotations

from dataclasses import dataclass

from smets_emu.errors import SmetsError


class StoreError(SmetsError):
    """The state store could not be read or written."""


@dataclass(frozen=True)
class OutboxRetention:
    """How much of the outbox (the log of what devices sent) is kept.

    Per device, the newest ``alerts_per_device`` alerts and ``responses_per_device`` responses
    are kept (undelivered or not: responses go to the connection that asked as soon as they are
    committed, alerts to the subscribers); over the whole store at most ``max_rows`` rows.
    Trimming runs in the commit transaction once a device has added ``trim_every`` rows of a
    kind, so a bound may be exceeded by up to ``trim_every - 1`` rows between trims.
    """

    alerts_per_device: int = 1000
    responses_per_device: int = 20
    max_rows: int = 250_000
    trim_every: int = 32

    def __post_init__(self) -> None:
        if min(self.alerts_per_device, self.responses_per_device, self.max_rows) < 0 or self.trim_every < 1:
            raise StoreError("outbox retention bounds must be >= 0 and trim_every >= 1")

    def keep(self, kind: str) -> int:
        """Rows of *kind* kept per device."""
        return self.alerts_per_device if kind == "alert" else self.responses_per_device


@dataclass(frozen=True)
class StoredMessage:
    """A message a device sent, as kept in the outbox."""

    seq: int
    eui: bytes
    kind: str  # response or alert
    recipient: bytes
    message: bytes
    created: str


def message_from_row(row: tuple[int, str, str, str, bytes, str]) -> StoredMessage:
    """An outbox row (seq, eui, kind, recipient, message, created) as a message."""
    return StoredMessage(row[0], bytes.fromhex(row[1]), row[2], bytes.fromhex(row[3]), bytes(row[4]), row[5])


@dataclass
class StoreStats:
    """What commits wrote since the store was opened (bytes of section bodies, log entries, messages)."""

    commits: int = 0
    state_bytes: int = 0
    sections: int = 0
    outbox_bytes: int = 0
