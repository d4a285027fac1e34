"""The SQLite files of the remote-party side (SMETS1 Service Provider, firmware governance)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from smets_emu.errors import StateError


def open_database(path: str | Path, schema: str, what: str) -> sqlite3.Connection:
    """*path* opened in autocommit mode for use from several threads (each store holds its own lock),
    write-ahead journal with ``synchronous=NORMAL``, *schema* applied; StateError naming *what* when it cannot be.
    """
    try:
        db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=5.0)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(schema)
    except sqlite3.Error as exc:
        raise StateError(f"cannot open {what} {path}: {exc}") from exc
    return db


@contextmanager
def transaction(db: sqlite3.Connection, lock: threading.RLock) -> Iterator[sqlite3.Connection]:
    """Hold *lock*; ``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back if the body raises. Nested use joins the
    outer transaction."""
    with lock:
        if db.in_transaction:
            yield db
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
