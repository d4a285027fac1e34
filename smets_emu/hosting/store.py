"""SQLite state store: one handled command is one transaction.

A device's new state and the messages it sends commit together or not at all, so a restart
(even after SIGKILL) finds every device in the state reached by a prefix of its committed
commands, and never forgets an accepted originator counter (GBCS 4.3.1.5).

A device is stored as sections (``device_sections``: identity and keys, anchors, counters,
firmware, logs, pending commands, object model; see :mod:`smets_emu.emulator.state`) plus
its security log as rows; a commit writes only the sections the command changed and the new
security log entries. A store written with one JSON document per device (the ``devices``
table) is converted when it is opened, in one transaction.

The outbox is a bounded delivery log (see :class:`OutboxRetention`): the newest alerts and
responses of every device are kept, older rows are deleted in the commit that pushes a device
past its bound (batched every few commits), so the file stops growing once the bound is
reached (freed pages are reused; new files use incremental auto-vacuum). Two indexes serve its
readers: by device and kind (a device's messages and alerts, retention) and, partial, the alerts
alone (the newest alerts of the whole fleet); a response adds a row to one index. The database
file and its ``-wal``/``-shm`` files are owner-only (0600): they hold device private keys.
"""

from __future__ import annotations

import itertools
import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from smets_emu.emulator.state import DeviceState
from smets_emu.errors import SmetsError
from smets_emu.hosting import device_rows
from smets_emu.hosting.store_records import OutboxRetention, StoredMessage, StoreError, StoreStats, message_from_row
from smets_emu.secure_files import create_private_file, tighten

log = logging.getLogger(__name__)

__all__ = ["OutboxRetention", "StateStore", "StoreError", "StoreStats", "StoredMessage"]

SCHEMA = device_rows.SCHEMA + """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    eui TEXT NOT NULL,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    message BLOB NOT NULL,
    created TEXT NOT NULL,
    delivered INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS outbox_device ON outbox (eui, kind, seq);
CREATE INDEX IF NOT EXISTS outbox_alerts ON outbox (seq) WHERE kind = 'alert';
DROP INDEX IF EXISTS outbox_pending;
DROP INDEX IF EXISTS outbox_kind;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
RETENTION_META = "outbox_retention"  # the bounds the outbox was last trimmed to
IMAGE_TABLE = "CREATE TABLE IF NOT EXISTS firmware_images (ref TEXT PRIMARY KEY, data BLOB NOT NULL)"


_HOMES = itertools.count(1)
"""Numbers telling store instances apart: a state knows which one holds its sections."""


class StateStore:
    """Device states and outboxes in one SQLite file (or ``:memory:``)."""

    def __init__(
        self,
        path: str | Path = ":memory:",
        *,
        synchronous: str = "NORMAL",
        retention: OutboxRetention | None = None,
    ) -> None:
        self.path = str(path)
        self.retention = retention or OutboxRetention()
        self._lock = threading.RLock()
        self._added: dict[tuple[str, str], int] = {}  # (eui, kind) -> rows added since its last trim
        self._added_total = 0
        self.home = next(_HOMES)
        self.stats = StoreStats()
        try:
            if self.path != ":memory:":
                create_private_file(self.path)  # -wal and -shm take the database file's mode
                for suffix in ("-wal", "-shm", "-journal"):
                    tighten(self.path + suffix)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            new_file = self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
            if new_file:
                self._db.execute("PRAGMA auto_vacuum=INCREMENTAL")  # only effective before the first table
            if self.path != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={synchronous}")
            self._db.executescript(SCHEMA)
            self._migrate()
            self._trim_all()
        except StoreError:
            self._db.close()
            raise
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open state store {self.path}: {exc}") from exc

    def _migrate(self) -> None:
        """Convert a store holding one JSON document per device (``devices``) to sections, in one transaction."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            count = device_rows.convert_documents(self._db, self.home)
            self._db.execute("COMMIT")
        except (sqlite3.Error, SmetsError, ValueError, KeyError, TypeError) as exc:
            self._db.execute("ROLLBACK")
            raise StoreError(f"cannot convert state store {self.path}: {exc}") from exc
        if count is not None:
            log.info("state store %s: %d devices converted to sections", self.path, count)

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
            try:
                return device_rows.read_one(self._db, eui, self.home)
            except (ValueError, KeyError, TypeError, SmetsError) as exc:
                raise StoreError(f"stored state of {eui.hex().upper()} is unreadable: {exc}") from exc

    def euis(self) -> list[bytes]:
        """Every stored device."""
        with self._lock:
            rows = self._db.execute(
                "SELECT eui FROM device_sections WHERE section = 'identity' ORDER BY eui").fetchall()
        return [bytes.fromhex(r[0]) for r in rows]

    def load_all(self) -> Iterator[DeviceState]:
        """Every committed device state."""
        with self._lock:
            try:
                yield from list(device_rows.read_all(self._db, self.home))
            except (ValueError, KeyError, TypeError, SmetsError) as exc:
                raise StoreError(f"stored device state is unreadable: {exc}") from exc

    def commit(
        self,
        state: DeviceState,
        outbound: Iterable[tuple[str, bytes, bytes]] = (),
        *,
        created: str = "",
    ) -> list[int]:
        """Atomically store what changed in *state* and append *outbound* ``(kind, recipient, message)`` rows.

        Only the sections that differ from what this store holds for the device are written
        (all of them the first time), with the security log entries added since; with nothing
        to write there is no transaction.
        """
        eui = state.eui.hex().upper()
        messages = list(outbound)
        with self._lock:
            delta = state.delta(self.home)
            if not (delta.sections or delta.security_rows or messages):
                state.saved(self.home)
                return []
            try:
                self._db.execute("BEGIN IMMEDIATE")
                written = device_rows.write_delta(self._db, eui, delta)
                seqs = []
                added: dict[tuple[str, str], int] = {}
                sent = 0
                for kind, recipient, message in messages:
                    cur = self._db.execute(
                        "INSERT INTO outbox (eui, kind, recipient, message, created) VALUES (?, ?, ?, ?, ?)",
                        (eui, kind, recipient.hex().upper(), message, created),
                    )
                    seqs.append(int(cur.lastrowid or 0))
                    added[(eui, kind)] = added.get((eui, kind), 0) + 1
                    sent += len(message)
                trimmed = self._trim_after(added)
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise StoreError(f"commit failed for {eui}: {exc}") from exc
            state.saved(self.home)
            stats = self.stats
            stats.commits += 1
            stats.state_bytes += written
            stats.sections += len(delta.sections)
            stats.outbox_bytes += sent
            for key in trimmed:
                if key is None:
                    self._added_total = 0
                else:
                    self._added[key] = 0
            return seqs

    def add_all(self, states: Iterable[DeviceState]) -> int:
        """Store new devices' whole states in one transaction (bulk provisioning); returns how many."""
        batch = list(states)
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                for state in batch:
                    device_rows.write_delta(self._db, state.eui.hex().upper(), state.delta(self.home))
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise StoreError(f"provisioning {len(batch)} devices failed: {exc}") from exc
            for state in batch:
                state.saved(self.home)
        return len(batch)

    # --- outbox retention ------------------------------------------------------------------------------

    def _trim_after(self, added: dict[tuple[str, str], int]) -> set[tuple[str, str] | None]:
        """Inside a commit: trim every (device, kind) that reached ``trim_every`` new rows.

        Returns the keys trimmed (None for the store-wide bound); their counters reset only
        once the transaction commits.
        """
        if not added:
            return set()
        policy = self.retention
        done: set[tuple[str, str] | None] = set()
        for key, count in added.items():
            pending = self._added.get(key, 0) + count
            self._added[key] = pending
            if pending >= policy.trim_every:
                self._trim_device(*key, keep=policy.keep(key[1]))
                done.add(key)
        self._added_total += sum(added.values())
        if self._added_total >= policy.trim_every:
            self._trim_total(policy.max_rows)
            done.add(None)
        return done

    def _trim_device(self, eui: str, kind: str, *, keep: int) -> None:
        self._db.execute(
            "DELETE FROM outbox WHERE eui = ? AND kind = ? AND seq <= "
            "(SELECT seq FROM outbox WHERE eui = ? AND kind = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)",
            (eui, kind, eui, kind, keep),
        )

    def _trim_total(self, keep: int, *, exact: bool = False) -> None:
        """Keep at most *keep* rows overall (the oldest go first, whatever their device).

        The cheap form keeps the rows among the last *keep* sequence numbers (at most *keep*
        rows, fewer where per-device trims left gaps); *exact* counts rows instead.
        """
        if exact:
            self._db.execute(
                "DELETE FROM outbox WHERE seq <= (SELECT seq FROM outbox ORDER BY seq DESC LIMIT 1 OFFSET ?)", (keep,)
            )
        else:
            self._db.execute("DELETE FROM outbox WHERE seq <= (SELECT max(seq) FROM outbox) - ?", (keep,))

    def _trim_all(self) -> None:
        """At open: bring a store written with other bounds (or none) within the current ones.

        Skipped (it reads the whole outbox) when the store was last written with the same bounds.
        """
        policy = self.retention
        applied = f"{policy.alerts_per_device},{policy.responses_per_device},{policy.max_rows}"
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (RETENTION_META,)).fetchone()
        if row is not None and row[0] == applied:
            return
        cur = self._db.execute(
            "DELETE FROM outbox WHERE seq IN (SELECT seq FROM (SELECT seq, kind, row_number() OVER "
            "(PARTITION BY eui, kind ORDER BY seq DESC) AS n FROM outbox) "
            "WHERE n > CASE kind WHEN 'alert' THEN ? ELSE ? END)",
            (policy.alerts_per_device, policy.responses_per_device),
        )
        removed = max(cur.rowcount, 0)
        before = self._db.total_changes
        self._trim_total(policy.max_rows, exact=True)
        removed += self._db.total_changes - before
        if removed:
            log.info("state store %s: %d old outbox rows removed (retention)", self.path, removed)
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (RETENTION_META, applied))
        pages = self._db.execute("PRAGMA page_count").fetchone()[0]
        free = self._db.execute("PRAGMA freelist_count").fetchone()[0]
        if free > 1024 and free * 4 > pages:
            mode = self._db.execute("PRAGMA auto_vacuum").fetchone()[0]
            if mode == 2:
                self._db.execute("PRAGMA incremental_vacuum")
            else:  # a file from before retention: switch it to incremental auto-vacuum once
                log.info("state store %s: compacting (%d of %d pages free)", self.path, free, pages)
                self._db.execute("PRAGMA auto_vacuum=INCREMENTAL")
                self._db.execute("VACUUM")

    def outbox_rows(self) -> int:
        """How many rows the outbox holds."""
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def recent_alerts(self, limit: int, device: bytes | None = None) -> list[StoredMessage]:
        """The newest *limit* alerts devices sent (or *device* sent), newest last; they survive restarts."""
        if limit <= 0:
            return []
        query = "SELECT seq, eui, kind, recipient, message, created FROM outbox WHERE kind = 'alert'"
        args: list[object] = []
        if device is not None:
            query += " AND eui = ?"
            args.append(device.hex().upper())
        args.append(int(limit))
        with self._lock:
            rows = self._db.execute(query + " ORDER BY seq DESC LIMIT ?", args).fetchall()
        return [message_from_row(r) for r in reversed(rows)]

    def outbox(self, eui: bytes | None = None, *, undelivered_only: bool = False) -> list[StoredMessage]:
        """Messages devices sent that retention kept (:class:`OutboxRetention`), oldest first."""
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
        return [message_from_row(r) for r in rows]

    def mark_delivered(self, seqs: Iterable[int]) -> None:
        """Flag outbox rows as delivered."""
        with self._lock:
            self._db.executemany("UPDATE outbox SET delivered = 1 WHERE seq = ?", [(s,) for s in seqs])

    def put_image(self, ref: str, data: bytes) -> None:
        """Keep a content-addressed firmware image file (see :class:`~smets_emu.hosting.images.StateStoreImages`)."""
        with self._lock:
            self._db.execute(IMAGE_TABLE)
            self._db.execute("INSERT OR IGNORE INTO firmware_images (ref, data) VALUES (?, ?)", (ref, data))

    def has_image(self, ref: str) -> bool:
        """True when the firmware image file *ref* is kept (without reading it)."""
        with self._lock:
            try:
                row = self._db.execute("SELECT 1 FROM firmware_images WHERE ref = ?", (ref,)).fetchone()
            except sqlite3.OperationalError:  # no image table yet
                return False
        return row is not None

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
