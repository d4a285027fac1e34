"""Work done on large byte strings, found again by content: one decode and one check per image, not per device.

A firmware campaign hands the same Upgrade Image to thousands of devices (digest 7.3: the devices
of a fleet share a content-addressed image store). Each device decodes the file it received, hashes
its Manufacturer Image and checks the supplier signature over it (digest 7.1, 7.2); all of these
are pure functions of the bytes, so their results are kept by content. A :class:`ContentMemo`
finds an entry by a cheap fingerprint (length, first and last bytes) and then compares the whole
byte string, so a hit is exactly the same content, never a guess; it holds at most *budget*
bytes of keys (the least recently used go first).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

T = TypeVar("T")

PROBE = 32
"""Bytes from each end of a byte string in its fingerprint."""

Bytes = bytes | bytearray | memoryview


def fingerprint(data: Bytes) -> tuple[int, bytes, bytes]:
    """(length, head, tail): picks the one held entry to compare *data* with."""
    return len(data), bytes(data[:PROBE]), bytes(data[-PROBE:])


class ContentMemo(Generic[T]):
    """Values computed from byte strings, by content (compared byte for byte), bounded to *budget* bytes."""

    def __init__(self, budget: int) -> None:
        self._budget = budget
        self._held = 0
        self._entries: OrderedDict[tuple[int, bytes, bytes], tuple[bytes, T]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, data: Bytes) -> T | None:
        """The value kept for exactly this content, or None."""
        found = self.find(data)
        return None if found is None else found[1]

    def find(self, data: Bytes) -> tuple[bytes, T] | None:
        """(the held bytes object of this content, its value), or None.

        A caller holding a mutable or private copy of the content can go on with the held object:
        later look-ups with it are found by identity, without comparing the bytes again.
        """
        key = fingerprint(data)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            held = entry[0]
            if held is not data and held != data:
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, data: bytes, value: T) -> T:
        """Keep *value* for the content *data* (immutable bytes, held as the key); returns *value*."""
        if len(data) > self._budget:
            return value
        key = fingerprint(data)
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._held -= len(old[0])
            self._entries[key] = (data, value)
            self._held += len(data)
            while self._held > self._budget:
                _, (dropped, _) = self._entries.popitem(last=False)
                self._held -= len(dropped)
        return value
