"""How device states map to rows of the state store: one row per section, one per security log entry.

``device_sections`` holds each section of :mod:`smets_emu.emulator.state` as JSON text keyed by
(device, section), so a command rewrites only the sections it changed; ``security_log`` holds the
security log entries numbered per device, the newest :data:`SECURITY_LOG_LIMIT` kept. Stores from
before sections kept one JSON document per device in ``devices``; :func:`convert_documents`
rewrites them as sections.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator

from smets_emu.emulator.state import DeviceState, StateDelta

SCHEMA = """
CREATE TABLE IF NOT EXISTS device_sections (
    eui TEXT NOT NULL,
    section TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (eui, section)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS security_log (
    eui TEXT NOT NULL,
    seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (eui, seq)
) WITHOUT ROWID;
"""


def write_delta(db: sqlite3.Connection, eui: str, delta: StateDelta) -> int:
    """Inside a transaction: write a state delta for device *eui*; returns the bytes of the bodies written."""
    if delta.sections:
        db.executemany("INSERT OR REPLACE INTO device_sections (eui, section, body) VALUES (?, ?, ?)",
                       [(eui, section, body) for section, body in delta.sections.items()])
    if delta.full:
        db.execute("DELETE FROM security_log WHERE eui = ?", (eui,))
    if delta.security_rows:
        db.executemany("INSERT OR REPLACE INTO security_log (eui, seq, body) VALUES (?, ?, ?)",
                       [(eui, seq, body) for seq, body in delta.security_rows])
        if delta.security_floor > 0:
            db.execute("DELETE FROM security_log WHERE eui = ? AND seq <= ?", (eui, delta.security_floor))
    return sum(map(len, delta.sections.values())) + sum(len(body) for _, body in delta.security_rows)


def read_one(db: sqlite3.Connection, eui: bytes, home: int) -> DeviceState | None:
    """The stored state of one device, or None."""
    key = eui.hex().upper()
    rows = db.execute("SELECT section, body FROM device_sections WHERE eui = ?", (key,)).fetchall()
    if not rows:
        return None
    security = db.execute("SELECT seq, body FROM security_log WHERE eui = ? ORDER BY seq", (key,)).fetchall()
    return DeviceState.from_sections(eui, dict(rows), security, home=home)


def read_all(db: sqlite3.Connection, home: int) -> Iterator[DeviceState]:
    """Every stored device state, in EUI order (the rows are read at once)."""
    rows = db.execute("SELECT eui, section, body FROM device_sections ORDER BY eui").fetchall()
    logs: dict[str, list[tuple[int, str]]] = {}
    for eui, seq, body in db.execute("SELECT eui, seq, body FROM security_log ORDER BY eui, seq"):
        logs.setdefault(eui, []).append((seq, body))
    for eui, group in itertools.groupby(rows, key=lambda row: row[0]):
        bodies = {section: body for _, section, body in group}
        yield DeviceState.from_sections(bytes.fromhex(eui), bodies, logs.get(eui, []), home=home)


def convert_documents(db: sqlite3.Connection, home: int) -> int | None:
    """Inside a transaction: rewrite the one-document-per-device ``devices`` table as sections and drop it.

    Returns how many devices were converted, None when there is no such table.
    """
    columns = [row[1] for row in db.execute("PRAGMA table_info(devices)")]
    if "state" not in columns:
        return None
    count = 0
    for eui, text in db.execute("SELECT eui, state FROM devices ORDER BY eui").fetchall():
        write_delta(db, eui, DeviceState.loads(text).delta(home))
        count += 1
    db.execute("DROP TABLE devices")
    return count
