"""Content-addressed image stores backed by SQLite (digest 7.3): a file of its own, or the state store's.

Images are written before any state that names them is committed; an image no state names
after a crash is harmless, so the two need not share a transaction.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path

from smets_emu.hosting.store import StateStore


class SqliteImageStore:
    """An :class:`ImageStore` in a SQLite file (may be the state store's file).

    Images are written before any state that names them is committed; an image no state names
    after a crash is harmless, so the two need not share a transaction.
    """

    def __init__(self, path: str | Path) -> None:
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS firmware_images (ref TEXT PRIMARY KEY, data BLOB NOT NULL)")

    def put(self, data: bytes) -> str:
        ref = hashlib.sha256(data).hexdigest().upper()
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO firmware_images (ref, data) VALUES (?, ?)", (ref, bytes(data)))
        return ref

    def get(self, ref: str) -> bytes | None:
        with self._lock:
            row = self._db.execute("SELECT data FROM firmware_images WHERE ref = ?", (ref,)).fetchone()
        return None if row is None else bytes(row[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


class StateStoreImages:
    """An :class:`ImageStore` in the state store's own file and connection (one store per fleet).

    Images are written before any state that names them is committed; an image no state names
    after a crash is harmless.
    """

    def __init__(self, store: StateStore) -> None:
        self._store = store

    def put(self, data: bytes) -> str:
        ref = hashlib.sha256(data).hexdigest().upper()
        self._store.put_image(ref, bytes(data))
        return ref

    def get(self, ref: str) -> bytes | None:
        return self._store.get_image(ref)
