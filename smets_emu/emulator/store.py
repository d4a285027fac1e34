"""SQLite state store: one handled command is one transaction.

A device's new state and the messages it sends commit together or not at all, so a restart
(even after SIGKILL) finds every device in the state reached by a prefix of its committed
commands, and never forgets an accepted originator counter.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from smets_emu.emulator.state import DeviceState
from smets_emu.errors import SmetsError

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS devices (
    eui TEXT PRIMARY KEY,
    device_type TEXT NOT NULL,
    state TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    eui TEXT NOT NULL,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    message BLOB NOT NULL,
    created TEXT NOT NULL,
    delivered INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (delivered, seq);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
IMAGE_TABLE = "CREATE TABLE IF NOT EXISTS firmware_images (ref TEXT PRIMARY KEY, data BLOB NOT NULL)"


class StoreError(SmetsError):
    """The state store could not be read or written."""


@dataclass(frozen=True)
class StoredMessage:
    """A message a device sent, as kept in the outbox."""

    seq: int
    eui: bytes
    kind: str  # response or alert
    recipient: bytes
    message: bytes
    created: str


class StateStore:
    """Device states and outboxes in one SQLite file (or ``:memory:``)."""

    def __init__(self, path: str | Path = ":memory:", *, synchronous: str = "NORMAL") -> None:
        self.path = str(path)
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            if self.path != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={synchronous}")
            self._db.executescript(SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open state store {self.path}: {exc}") from exc

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def load(self, eui: bytes) -> DeviceState | None:
        """The committed state of one device, or None."""
        with self._lock:
            row = self._db.execute("SELECT state FROM devices WHERE eui = ?", (eui.hex().upper(),)).fetchone()
        return None if row is None else DeviceState.loads(row[0])

    def euis(self) -> list[bytes]:
        """Every stored device."""
        with self._lock:
            rows = self._db.execute("SELECT eui FROM devices ORDER BY eui").fetchall()
        return [bytes.fromhex(r[0]) for r in rows]

    def load_all(self) -> Iterator[DeviceState]:
        """Every committed device state."""
        with self._lock:
            rows = self._db.execute("SELECT state FROM devices ORDER BY eui").fetchall()
        for (text,) in rows:
            yield DeviceState.loads(text)

    def commit(
        self,
        state: DeviceState,
        outbound: Iterable[tuple[str, bytes, bytes]] = (),
        *,
        created: str = "",
    ) -> list[int]:
        """Atomically store *state* and append *outbound* ``(kind, recipient, message)`` rows."""
        eui = state.eui.hex().upper()
        text = state.dumps()
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute(
                    "INSERT INTO devices (eui, device_type, state, version) VALUES (?, ?, ?, 1) "
                    "ON CONFLICT(eui) DO UPDATE SET state = excluded.state, version = devices.version + 1",
                    (eui, state.device_type, text),
                )
                seqs = []
                for kind, recipient, message in outbound:
                    cur = self._db.execute(
                        "INSERT INTO outbox (eui, kind, recipient, message, created) VALUES (?, ?, ?, ?, ?)",
                        (eui, kind, recipient.hex().upper(), message, created),
                    )
                    seqs.append(int(cur.lastrowid or 0))
                self._db.execute("COMMIT")
                return seqs
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise StoreError(f"commit failed for {eui}: {exc}") from exc

    def outbox(self, eui: bytes | None = None, *, undelivered_only: bool = False) -> list[StoredMessage]:
        """Messages devices sent, oldest first."""
        query = "SELECT seq, eui, kind, recipient, message, created FROM outbox"
        clauses, args = [], []
        if eui is not None:
            clauses.append("eui = ?")
            args.append(eui.hex().upper())
        if undelivered_only:
            clauses.append("delivered = 0")
        if clauses:
            query += " WHERE " + " AND ".join(clauses)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY seq", args).fetchall()
        return [StoredMessage(r[0], bytes.fromhex(r[1]), r[2], bytes.fromhex(r[3]), bytes(r[4]), r[5]) for r in rows]

    def mark_delivered(self, seqs: Iterable[int]) -> None:
        """Flag outbox rows as delivered."""
        with self._lock:
            self._db.executemany("UPDATE outbox SET delivered = 1 WHERE seq = ?", [(s,) for s in seqs])

    def put_image(self, ref: str, data: bytes) -> None:
        """Keep a content-addressed firmware image file (see :class:`~.firmware.slots.StateStoreImages`)."""
        with self._lock:
            self._db.execute(IMAGE_TABLE)
            self._db.execute("INSERT OR IGNORE INTO firmware_images (ref, data) VALUES (?, ?)", (ref, data))

    def get_image(self, ref: str) -> bytes | None:
        """A firmware image file kept with :meth:`put_image`, or None."""
        with self._lock:
            try:
                row = self._db.execute("SELECT data FROM firmware_images WHERE ref = ?", (ref,)).fetchone()
            except sqlite3.OperationalError:  # no image table yet
                return None
        return None if row is None else bytes(row[0])

    def get_meta(self, key: str) -> str | None:
        """A store-wide setting."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str) -> None:
        """Set a store-wide setting."""
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
