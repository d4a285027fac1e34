"""The Central Products List: Device Models, EPCL entries (DMCs) and the history of every change.

PPCT conclusions 4.1.2: "A Device Model only gets added to the CPL once it forms part of an entry
on the Eligible Product Combinations List (EPCL) and it will not form part of an EPCL entry until
testing of it in PPCT has successfully completed", and the DSP "validates SRV 11.1 & 11.3 to check
that firmware version matches an existing CPL entry ... If the firmware version is not already on
the CPL, the SRVs 11.1 & 11.3 receive an error E110101". :meth:`CplService.cpl_entries` is what the
DSP's check reads (``smets_emu.parties.smets1.validation.CplReader``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from smets_emu.parties.governance.access import Action
from smets_emu.parties.governance.errors import Conflict, UnknownObject
from smets_emu.parties.governance.model import (
    CplChange,
    DeviceModel,
    DeviceType,
    Dmc,
    Generation,
    firmware_version,
    manufacturer_id,
    model_id,
    text_field,
)
from smets_emu.parties.governance.store import DSP_PARTY, Db, iso, when
from smets_emu.parties.smets1.store import CplEntry

MODEL_COLUMNS = "manufacturer_id, model_id, firmware_version, image_hash, generation, device_type"


def model_from_row(row: tuple) -> DeviceModel:  # type: ignore[type-arg]
    """A DeviceModel from the :data:`MODEL_COLUMNS`."""
    return DeviceModel(row[0], row[1], row[2], row[3], Generation(row[4]), DeviceType(row[5]))


class CplService:
    """Reads and changes of the CPL and EPCL."""

    def __init__(self, db: Db) -> None:
        self.db = db

    # -- party actions -----------------------------------------------------------------------

    def cpl_models(self, actor: str, *, manufacturer_id: str | None = None, model_id: str | None = None
                   ) -> list[DeviceModel]:
        """CPL entries, optionally for one manufacturer and model (every role)."""
        with self.db.operation(actor, Action.CPL_READ, _filter_label(manufacturer_id, model_id)) as op:
            rows = self._select(manufacturer_id, model_id)
            op.detail = f"{len(rows)} entries"
            return rows

    def cpl_add(self, actor: str, model: DeviceModel, *, reason: str = "") -> DeviceModel:
        """Add a Device Model to the CPL (SECAS maintains the CPL)."""
        with self.db.operation(actor, Action.CPL_ADD, model.label) as op:
            self.insert(model, op.org.org_id, text_field(reason, "reason", 500, required=False) or "added by SECAS")
            return model

    def cpl_withdraw(self, actor: str, manufacturer: str, model: str, version: str, *, reason: str = "") -> None:
        """Remove a Device Model from the CPL: SRV 11.1/11.3 to it are refused (E110101) from now on."""
        key = (manufacturer_id(manufacturer), model_id(model), firmware_version(version))
        label = f"{key[0]}/{key[1]}@{key[2]}"
        with self.db.operation(actor, Action.CPL_WITHDRAW, label) as op:
            if self.lookup(key) is None:
                raise UnknownObject(f"{label} is not on the CPL")
            self.db.execute("DELETE FROM cpl WHERE manufacturer_id = ? AND model_id = ? AND firmware_version = ?", key)
            self._history(op.org.org_id, "withdraw", label, text_field(reason, "reason", 500, required=False))

    def epcl(self, actor: str) -> list[Dmc]:
        """The Eligible Product Combinations List: DMCs that passed PPCT."""
        with self.db.operation(actor, Action.CPL_READ, "EPCL") as op:
            ids = [r[0] for r in self.db.execute("SELECT dmc_id FROM dmc WHERE on_epcl = 1 ORDER BY added_at, dmc_id")]
            op.detail = f"{len(ids)} DMCs"
            return [self.dmc(i) for i in ids]

    def cpl_history(self, actor: str, *, limit: int = 200) -> list[CplChange]:
        """Every change to the CPL and EPCL, newest first."""
        with self.db.operation(actor, Action.CPL_READ, "history"):
            rows = self.db.execute(
                "SELECT seq, at, party, change, subject, reason FROM cpl_history ORDER BY seq DESC LIMIT ?",
                (max(1, min(int(limit), 10_000)),),
            ).fetchall()
            return [CplChange(r[0], when(r[1]), r[2], r[3], r[4], r[5]) for r in rows]  # type: ignore[arg-type]

    # -- the DSP's reader --------------------------------------------------------------------

    def cpl_entries(self, manufacturer: str, model: str) -> list[CplEntry]:
        """Every CPL entry of a device model, for the DSP's E110101 check (audited as party ``dsp``)."""
        with self.db.lock:
            rows = self.db.execute(
                "SELECT manufacturer_id, model_id, firmware_version, image_hash FROM cpl"
                " WHERE manufacturer_id = ? AND model_id = ?", (str(manufacturer).upper(), str(model).upper()),
            ).fetchall()
            self.db.audit(DSP_PARTY, None, "cpl.check", f"{manufacturer}/{model}", "allowed",
                          f"{len(rows)} entries (SRV 11.1/11.3 check)")
            return [CplEntry(*r) for r in rows]

    # -- internal ----------------------------------------------------------------------------

    def lookup(self, key: tuple[str, str, str]) -> DeviceModel | None:
        """The CPL entry for (manufacturer, model, version), or None."""
        row = self.db.execute(
            f"SELECT {MODEL_COLUMNS} FROM cpl WHERE manufacturer_id = ? AND model_id = ? AND firmware_version = ?",
            key,
        ).fetchone()
        return None if row is None else model_from_row(row)

    def insert(self, model: DeviceModel, party: str, reason: str) -> None:
        """Add an entry and its history row; Conflict when the key is already listed."""
        try:
            self.db.execute(
                f"INSERT INTO cpl ({MODEL_COLUMNS}, added_at) VALUES (?,?,?,?,?,?,?)",
                (*model.key, model.image_hash, model.generation.value, model.device_type.value, iso(self.db.now())),
            )
        except sqlite3.IntegrityError as exc:
            raise Conflict(f"{model.label} is already on the CPL") from exc
        self._history(party, "add", model.label, reason)

    def seed(self, models: Iterable[DeviceModel], party: str, reason: str) -> int:
        """Add the entries not yet listed (first open of a lab); returns how many were added."""
        added = 0
        with self.db.transaction():
            for model in models:
                if self.lookup(model.key) is None:
                    self.insert(model, party, reason)
                    added += 1
        return added

    def new_dmc(self, models: Iterable[DeviceModel]) -> Dmc:
        """Record a DMC (not yet on the EPCL)."""
        number = self.db.execute("SELECT COUNT(*) FROM dmc").fetchone()[0] + 1
        dmc_id = f"DMC-{number:04d}"
        self.db.execute("INSERT INTO dmc VALUES (?, 0, NULL)", (dmc_id,))
        for m in models:
            self.db.execute(
                f"INSERT INTO dmc_models (dmc_id, {MODEL_COLUMNS}) VALUES (?,?,?,?,?,?,?)",
                (dmc_id, *m.key, m.image_hash, m.generation.value, m.device_type.value),
            )
        return self.dmc(dmc_id)

    def dmc(self, dmc_id: str) -> Dmc:
        """One DMC with its device models."""
        row = self.db.execute("SELECT on_epcl, added_at FROM dmc WHERE dmc_id = ?", (dmc_id,)).fetchone()
        if row is None:
            raise UnknownObject(f"no DMC {dmc_id}")
        models = self.db.execute(
            f"SELECT {MODEL_COLUMNS} FROM dmc_models WHERE dmc_id = ? ORDER BY device_type, model_id", (dmc_id,)
        ).fetchall()
        return Dmc(dmc_id, tuple(model_from_row(m) for m in models), bool(row[0]), when(row[1]))

    def add_to_epcl(self, dmc: Dmc, party: str, reason: str) -> None:
        """A DMC that passed PPCT: on the EPCL, and every Device Model of it on the CPL."""
        self.db.execute("UPDATE dmc SET on_epcl = 1, added_at = ? WHERE dmc_id = ?", (iso(self.db.now()), dmc.dmc_id))
        self._history(party, "epcl_add", dmc.dmc_id, reason)
        for model in dmc.models:
            if self.lookup(model.key) is None:
                self.insert(model, party, reason)

    def _select(self, manufacturer: str | None, model: str | None) -> list[DeviceModel]:
        sql, params = f"SELECT {MODEL_COLUMNS} FROM cpl WHERE 1=1", []
        if manufacturer:
            sql += " AND manufacturer_id = ?"
            params.append(manufacturer_id(manufacturer))
        if model:
            sql += " AND model_id = ?"
            params.append(model_id(model))
        sql += " ORDER BY manufacturer_id, model_id, firmware_version"
        return [model_from_row(r) for r in self.db.execute(sql, tuple(params))]

    def _history(self, party: str, change: str, subject: str, reason: str) -> None:
        self.db.execute(
            "INSERT INTO cpl_history (at, party, change, subject, reason) VALUES (?,?,?,?,?)",
            (iso(self.db.now()), party, change, subject, reason),
        )


def _filter_label(manufacturer: str | None, model: str | None) -> str:
    return f"{manufacturer or '*'}/{model or '*'}"
