"""SQLite state of the DSP and the SMETS1 Service Provider.

Tables: the Smart Metering Inventory (``devices``), the S1SP virtual anchor slots (``anchors``:
one row per device and remote party role, holding the certificate's entity ID, serial and
subject key identifier), Registration Data (``registration``: MPAN/MPRN to registered supplier
and network operator), the SEC parties and their published organisation certificates
(``parties``, ``party_certificates``), the Central Products List (``cpl``), feature switches and
the SECMP0107 Requirement 2 audit trail, and the last DUIS RequestID counter accepted per
sender and target (``request_counters``). One request is one transaction (:meth:`transaction`).

A store may be used from any thread (the lab's control plane runs DSP work in worker threads):
one connection opened with ``check_same_thread=False`` and every use of it under one lock,
:meth:`transaction` holding that lock until it commits.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smets_emu.parties.database import open_database, transaction
from smets_emu.parties.smets1.devices import DeviceState, DeviceType, Generation

SCHEMA = """
CREATE TABLE IF NOT EXISTS devices (
    device_id BLOB PRIMARY KEY, device_type TEXT NOT NULL, generation TEXT NOT NULL,
    manufacturer TEXT NOT NULL, model TEXT NOT NULL, firmware_version TEXT NOT NULL, mpxn TEXT,
    pending_firmware_version TEXT, pending_firmware_hash BLOB
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS anchors (
    device_id BLOB NOT NULL, role TEXT NOT NULL, entity_id BLOB NOT NULL,
    certificate_serial TEXT NOT NULL, subject_key_identifier BLOB,
    PRIMARY KEY (device_id, role)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS registration (
    mpxn TEXT PRIMARY KEY, supplier_id BLOB NOT NULL, network_operator_id BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS parties (
    entity_id BLOB PRIMARY KEY, name TEXT NOT NULL, user_roles TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS party_certificates (
    entity_id BLOB NOT NULL, role TEXT NOT NULL, certificate_serial TEXT NOT NULL, subject_key_identifier BLOB,
    PRIMARY KEY (entity_id, role)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cpl (
    manufacturer TEXT NOT NULL, model TEXT NOT NULL, firmware_version TEXT NOT NULL, firmware_hash BLOB,
    PRIMARY KEY (manufacturer, model, firmware_version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS switches (name TEXT PRIMARY KEY, enabled INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS request_counters (
    originator BLOB NOT NULL, target BLOB NOT NULL, counter INTEGER NOT NULL,
    PRIMARY KEY (originator, target)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS correction_audit (
    id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, device_id BLOB NOT NULL, device_type TEXT NOT NULL,
    mpxn TEXT, old_entity_id BLOB NOT NULL, new_entity_id BLOB NOT NULL, new_certificate_serial TEXT NOT NULL,
    corrected_at TEXT NOT NULL
);
"""

SWITCH_SECMP0107_DSP = "secmp0107.dsp"
"""DSP feature switch for SECMP0107 Requirement 1 (FIA 4.1: one switch covering all S1SPs)."""
SWITCH_SECMP0107_S1SP = "secmp0107.s1sp"
"""S1SP side of SECMP0107 Requirement 1 (FIA 4.2.1); off models an S1SP that has not deployed it."""


@dataclass(frozen=True)
class AnchorSlot:
    """A virtual anchor slot: which organisation certificate the S1SP holds for a device and role."""

    device_id: bytes
    role: str
    entity_id: bytes
    certificate_serial: str
    subject_key_identifier: bytes | None


@dataclass(frozen=True)
class Registration:
    """Registration Data for one MPAN or MPRN."""

    mpxn: str
    supplier_id: bytes
    network_operator_id: bytes


@dataclass(frozen=True)
class Party:
    """A SEC party: its EUI, name and the DUIS user roles it may act in (e.g. ``IS``, ``ED``)."""

    entity_id: bytes
    name: str
    user_roles: frozenset[str]


@dataclass(frozen=True)
class CplEntry:
    """A Central Products List entry for a device model combination (firmware version and image hash)."""

    manufacturer: str
    model: str
    firmware_version: str
    firmware_hash: bytes | None


class Store:
    """The SQLite-backed state; ``path`` ``":memory:"`` for a throw-away store.

    Safe to share between threads: use the methods, :meth:`query` or :meth:`transaction` (which
    hold the store's lock), not ``db`` directly.
    """

    def __init__(self, path: str | Path = ":memory:") -> None:
        self._lock = threading.RLock()
        self.db = open_database(path, SCHEMA, "state")
        self.path = str(path)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``, holding the store's lock; rolled back if the body raises."""
        with transaction(self.db, self._lock) as db:
            yield db

    def query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Every row of one read-only statement, under the store's lock."""
        with self._lock:
            return self.db.execute(sql, args).fetchall()

    def is_empty(self) -> bool:
        """Whether the inventory holds no device."""
        with self._lock:
            return self.db.execute("SELECT 1 FROM devices LIMIT 1").fetchone() is None

    # --- DUIS RequestID counters -------------------------------------------------------------------------

    def last_request_counter(self, originator: bytes, target: bytes) -> int | None:
        """The last RequestID counter accepted from *originator* for *target*, or None."""
        with self._lock:
            row = self.db.execute(
                "SELECT counter FROM request_counters WHERE originator = ? AND target = ?", (originator, target)
            ).fetchone()
        return None if row is None else int(row[0])

    def accept_request_counter(self, originator: bytes, target: bytes, counter: int) -> bool:
        """Record *counter* as the last accepted for (originator, target) if it is above the last one.

        One statement, so two requests can never both pass with the same counter; False (and nothing
        written) when the counter is not strictly greater. Counters must fit SQLite's signed 64 bits.
        """
        with self._lock:
            cursor = self.db.execute(
                "INSERT INTO request_counters (originator, target, counter) VALUES (?, ?, ?) "
                "ON CONFLICT (originator, target) DO UPDATE SET counter = excluded.counter "
                "WHERE excluded.counter > request_counters.counter",
                (originator, target, counter),
            )
            return cursor.rowcount == 1

    # --- inventory ---------------------------------------------------------------------------------------

    def put_devices(self, devices: Iterable[DeviceState]) -> None:
        """Insert or replace inventory entries."""
        with self._lock:
            self.db.executemany(
                "INSERT OR REPLACE INTO devices VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    (
                        d.device_id,
                        d.device_type.value,
                        d.generation.value,
                        d.manufacturer,
                        d.model,
                        d.firmware_version,
                        d.mpxn,
                        d.pending_firmware_version,
                        d.pending_firmware_hash,
                    )
                    for d in devices
                ),
            )

    def device(self, device_id: bytes) -> DeviceState | None:
        """The inventory entry for a device, or None."""
        with self._lock:
            row = self.db.execute("SELECT * FROM devices WHERE device_id = ?", (device_id,)).fetchone()
            if row is None:
                return None
            return DeviceState(
                device_id=row[0],
                device_type=DeviceType(row[1]),
                generation=Generation(row[2]),
                manufacturer=row[3],
                model=row[4],
                firmware_version=row[5],
                mpxn=row[6],
                pending_firmware_version=row[7],
                pending_firmware_hash=row[8],
            )

    # --- anchors -----------------------------------------------------------------------------------------

    def put_anchors(self, slots: Iterable[AnchorSlot]) -> None:
        """Insert or replace virtual anchor slots."""
        with self._lock:
            self.db.executemany(
                "INSERT OR REPLACE INTO anchors VALUES (?,?,?,?,?)",
                ((s.device_id, s.role, s.entity_id, s.certificate_serial, s.subject_key_identifier) for s in slots),
            )

    def anchor(self, device_id: bytes, role: str) -> AnchorSlot | None:
        """The slot of ``role`` on a device, or None when empty."""
        with self._lock:
            row = self.db.execute(
                "SELECT * FROM anchors WHERE device_id = ? AND role = ?", (device_id, role)
            ).fetchone()
            return AnchorSlot(*row) if row is not None else None

    # --- registration, parties, CPL, switches ------------------------------------------------------------

    def put_registrations(self, rows: Iterable[Registration]) -> None:
        """Insert or replace Registration Data."""
        with self._lock:
            self.db.executemany(
                "INSERT OR REPLACE INTO registration VALUES (?,?,?)",
                ((r.mpxn, r.supplier_id, r.network_operator_id) for r in rows),
            )

    def registration(self, mpxn: str | None) -> Registration | None:
        """Registration Data for an MPAN/MPRN, or None."""
        with self._lock:
            if mpxn is None:
                return None
            row = self.db.execute("SELECT * FROM registration WHERE mpxn = ?", (mpxn,)).fetchone()
            return Registration(*row) if row is not None else None

    def put_party(self, party: Party) -> None:
        """Insert or replace a SEC party."""
        with self._lock:
            self.db.execute(
                "INSERT OR REPLACE INTO parties VALUES (?,?,?)",
                (party.entity_id, party.name, ",".join(sorted(party.user_roles))),
            )

    def party(self, entity_id: bytes) -> Party | None:
        """A SEC party by EUI, or None."""
        with self._lock:
            row = self.db.execute("SELECT * FROM parties WHERE entity_id = ?", (entity_id,)).fetchone()
            if row is None:
                return None
            return Party(row[0], row[1], frozenset(r for r in row[2].split(",") if r))

    def put_party_certificate(self, slot_role: str, entity_id: bytes, serial: str, ski: bytes | None) -> None:
        """Record a party's published organisation certificate for a role (the ERM31 list for network operators)."""
        with self._lock:
            self.db.execute(
                "INSERT OR REPLACE INTO party_certificates VALUES (?,?,?,?)", (entity_id, slot_role, serial, ski)
            )

    def party_certificate(self, entity_id: bytes, slot_role: str) -> tuple[str, bytes | None] | None:
        """(serial, SKI) of a party's published certificate for a role, or None."""
        with self._lock:
            row = self.db.execute(
                "SELECT certificate_serial, subject_key_identifier FROM party_certificates"
                " WHERE entity_id = ? AND role = ?",
                (entity_id, slot_role),
            ).fetchone()
            return (row[0], row[1]) if row is not None else None

    def put_cpl_entries(self, entries: Iterable[CplEntry]) -> None:
        """Add Central Products List entries."""
        with self._lock:
            self.db.executemany(
                "INSERT OR REPLACE INTO cpl VALUES (?,?,?,?)",
                ((e.manufacturer, e.model, e.firmware_version.upper(), e.firmware_hash) for e in entries),
            )

    def cpl_entries(self, manufacturer: str, model: str) -> list[CplEntry]:
        """Every CPL entry for a device model."""
        with self._lock:
            rows = self.db.execute("SELECT * FROM cpl WHERE manufacturer = ? AND model = ?", (manufacturer, model))
            return [CplEntry(*row) for row in rows]

    def set_switch(self, name: str, enabled: bool) -> None:
        """Turn a feature switch on or off."""
        with self._lock:
            self.db.execute("INSERT OR REPLACE INTO switches VALUES (?, ?)", (name, int(enabled)))

    def switch(self, name: str, default: bool = False) -> bool:
        """Whether a feature switch is on."""
        with self._lock:
            row = self.db.execute("SELECT enabled FROM switches WHERE name = ?", (name,)).fetchone()
            return bool(row[0]) if row is not None else default
