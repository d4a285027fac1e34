"""Content-addressed image stores backed by SQLite (digest 7.3): a file of its own, or the state store's.

Images are written before any state that names them is committed; an image no state names
after a crash is harmless, so the two need not share a transaction.

A campaign hands the same image (and the same download chunks) to thousands of devices: each
store keeps the files it last wrote or read in memory (:class:`RecentImages`, bounded in bytes),
so content it already holds is recognised by comparison instead of being hashed and written again,
and every device reading an image gets the same bytes object instead of a copy of its own.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path

from smets_emu.hosting.store import StateStore
from smets_emu.protocols.firmware.recent import ContentMemo

RECENT_BYTES = 64 * 1024 * 1024
"""Bytes of image files a store keeps in memory (the least recently used go first)."""


def image_ref(data: bytes | bytearray | memoryview) -> str:
    """The content address of an image file: upper-case hex SHA-256 of its bytes (digest 7.3)."""
    return hashlib.sha256(data).hexdigest().upper()


class RecentImages:
    """The image files a store last wrote or read: by reference, and by content (compared byte for byte)."""

    def __init__(self, budget: int = RECENT_BYTES) -> None:
        self._refs: ContentMemo[str] = ContentMemo(budget)
        self._files: OrderedDict[str, bytes] = OrderedDict()
        self._held = 0
        self._budget = budget
        self._lock = threading.Lock()

    def ref_of(self, data: bytes | bytearray | memoryview) -> str | None:
        """The reference of *data* when the same content is held, else None."""
        return self._refs.get(data)

    def get(self, ref: str) -> bytes | None:
        with self._lock:
            held = self._files.get(ref)
            if held is not None:
                self._files.move_to_end(ref)
            return held

    def remember(self, ref: str, data: bytes) -> bytes:
        """Hold *data* (immutable bytes) under *ref*; returns the held object (the same for every caller)."""
        if len(data) > self._budget:
            return data
        with self._lock:
            held = self._files.get(ref)
            if held is not None:
                return held
            self._files[ref] = data
            self._held += len(data)
            while self._held > self._budget:
                _, dropped = self._files.popitem(last=False)
                self._held -= len(dropped)
        self._refs.put(data, ref)
        return data


class SqliteImageStore:
    """An :class:`ImageStore` in a SQLite file (may be the state store's file).

    Images are written before any state that names them is committed; an image no state names
    after a crash is harmless, so the two need not share a transaction.
    """

    def __init__(self, path: str | Path) -> None:
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS firmware_images (ref TEXT PRIMARY KEY, data BLOB NOT NULL)")
        self._recent = RecentImages()

    def _stored(self, ref: str) -> bool:
        return self._db.execute("SELECT 1 FROM firmware_images WHERE ref = ?", (ref,)).fetchone() is not None

    def put(self, data: bytes | bytearray) -> str:
        ref = self._recent.ref_of(data)
        with self._lock:
            if ref is not None and self._stored(ref):
                return ref
            ref = image_ref(data)
            held = self._recent.remember(ref, bytes(data))
            self._db.execute("INSERT OR IGNORE INTO firmware_images (ref, data) VALUES (?, ?)", (ref, held))
        return ref

    def get(self, ref: str) -> bytes | None:
        held = self._recent.get(ref)
        if held is not None:
            return held
        with self._lock:
            row = self._db.execute("SELECT data FROM firmware_images WHERE ref = ?", (ref,)).fetchone()
        return None if row is None else self._recent.remember(ref, bytes(row[0]))

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
        self._recent = RecentImages()

    def put(self, data: bytes | bytearray) -> str:
        ref = self._recent.ref_of(data)
        if ref is not None and self._store.has_image(ref):
            return ref
        ref = image_ref(data)
        self._store.put_image(ref, self._recent.remember(ref, bytes(data)))
        return ref

    def get(self, ref: str) -> bytes | None:
        held = self._recent.get(ref)
        if held is not None:
            return held
        data = self._store.get_image(ref)
        return None if data is None else self._recent.remember(ref, data)
