"""The :class:`DeviceState` of one device: typed sections, working copies, and the state's JSON forms.

The stored sections (:data:`SECTION_FIELDS`) and the fields each holds; a commit writes the
sections a working copy changed (:meth:`DeviceState.delta`) and the new security log entries.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from smets_emu.emulator.anchors import AnchorCell, CellId
from smets_emu.emulator.state import copy_on_write
from smets_emu.emulator.state.copy_on_write import MutableField, ObjectsField, ScalarField, copy_tree
from smets_emu.emulator.state.key_pair import KeyPair, copy_keys

SECTION_FIELDS: dict[str, tuple[str, ...]] = {
    "identity": ("profile", "keys"),
    "anchors": ("anchors",),
    "counters": ("counters", "specialist_counters", "alert_counter", "lifecycle"),
    "firmware": ("firmware",),
    "logs": ("device_log", "historic_log"),
    "pending": ("pending",),
    "objects": ("objects",),
}
"""The stored sections and the :class:`DeviceState` fields each one holds."""
SECTIONS = frozenset(SECTION_FIELDS)
FIELD_SECTION = {name: section for section, names in SECTION_FIELDS.items() for name in names}
SECURITY_LOG_LIMIT = 200
"""Security log entries kept (the newest)."""
AGREED_LIMIT = 16
"""ECDH secrets kept per key pair (anchor cells and joined HAN devices the device talks to)."""
POINT_BYTES = 65
"""An uncompressed P-256 point, as an anchor cell holds it (GBCS 13.3.2); a HAN peer is keyed by its certificate."""

MUTABLE_FIELDS = ("keys", "anchors", "counters", "specialist_counters", "pending", "device_log", "historic_log",
                  "firmware", "objects")


@dataclass(frozen=True)
class StateDelta:
    """What a commit of a state writes: section bodies (JSON text) and new security log rows."""

    sections: dict[str, str]
    security_rows: list[tuple[int, str]]  # (sequence number, JSON entry)
    full: bool  # every section, and the security log replaced (first commit of this device to a store)
    security_floor: int  # rows numbered up to this are past the log's bound


class DeviceState:
    """The persistent state of one emulated SMETS2 device."""

    __slots__ = ("eui", "device_type", "security_log", "security_seq", "_values", "_shared", "_origin", "_dirty",
                 "_home", "_security_saved")

    profile: ScalarField[str] = ScalarField()
    keys: MutableField[dict[str, KeyPair]] = MutableField(copy_keys)  # "ds" / "ka"
    anchors: MutableField[dict[CellId, AnchorCell]] = MutableField(dict)  # cells are immutable
    counters: MutableField[dict[int, int]] = MutableField(dict)  # role -> last accepted originator counter
    specialist_counters: MutableField[dict[int, int]] = MutableField(dict)  # seqNumberUsage -> floor
    alert_counter: ScalarField[int] = ScalarField()
    lifecycle: ScalarField[str] = ScalarField()
    pending: MutableField[list[dict[str, Any]]] = MutableField(copy_tree)  # future-dated commands
    device_log: MutableField[list[dict[str, Any]]] = MutableField(copy_tree)
    historic_log: MutableField[list[dict[str, Any]]] = MutableField(copy_tree)
    firmware: MutableField[dict[str, Any]] = MutableField(copy_tree)
    objects: ObjectsField = ObjectsField()  # generic object model data

    def __init__(
        self,
        eui: bytes,
        device_type: str,  # ESME, GSME, CHF or GPF
        profile: str = "default",
        keys: dict[str, KeyPair] | None = None,
        anchors: dict[CellId, AnchorCell] | None = None,
        counters: dict[int, int] | None = None,
        specialist_counters: dict[int, int] | None = None,
        alert_counter: int = 0x7D0,
        lifecycle: str = "commissioned",
        pending: list[dict[str, Any]] | None = None,
        device_log: list[dict[str, Any]] | None = None,
        historic_log: list[dict[str, Any]] | None = None,
        firmware: dict[str, Any] | None = None,
        objects: dict[str, Any] | None = None,
        security_log: list[dict[str, Any]] | None = None,
    ) -> None:
        self.eui = eui
        self.device_type = device_type
        self._values: dict[str, Any] = {
            "profile": profile, "keys": {} if keys is None else keys, "anchors": {} if anchors is None else anchors,
            "counters": {} if counters is None else counters,
            "specialist_counters": {} if specialist_counters is None else specialist_counters,
            "alert_counter": alert_counter, "lifecycle": lifecycle, "pending": [] if pending is None else pending,
            "device_log": [] if device_log is None else device_log,
            "historic_log": [] if historic_log is None else historic_log,
            "firmware": {} if firmware is None else firmware, "objects": {} if objects is None else objects,
        }
        self.security_log: list[dict[str, Any]] = [] if security_log is None else security_log
        self.security_seq = len(self.security_log)  # entries ever appended (the newest entry's number)
        self._shared: dict[str, Any] = {}  # fields still the parent's objects
        self._origin: dict[str, Any] = {}  # fields copied or set: the value they had
        self._dirty: set[str] = set(SECTIONS)  # sections known to differ from the store
        self._home: tuple[int, bytes] | None = None  # (store, eui) the sections were last saved to or loaded from
        self._security_saved = 0  # security_seq when last saved

    # -- working copies --------------------------------------------------------------------

    def clone(self) -> DeviceState:
        """A working copy; a handled command commits it or throws it away.

        The copy shares this state's objects until it first uses a field, then copies it: a
        state must not change in place once it has been cloned or committed (handlers change
        only their working copy; a committed state is changed by committing a copy).
        """
        child = DeviceState.__new__(DeviceState)
        child.eui = self.eui
        child.device_type = self.device_type
        values = child._values = dict(self._values)
        child._shared = {name: values[name] for name in MUTABLE_FIELDS}
        child._origin = {}
        child._dirty = self._changed()
        child._home = self._home
        child.security_log = list(self.security_log)
        child.security_seq = self.security_seq
        child._security_saved = self._security_saved
        return child

    def _changed(self) -> set[str]:
        """Sections that differ from what the store holds (those copied or set are compared)."""
        changed = set(self._dirty)
        values = self._values
        for name, before in self._origin.items():
            section = FIELD_SECTION[name]
            if section not in changed and values[name] != before:
                changed.add(section)
        return changed

    def delta(self, home: int) -> StateDelta:
        """What committing this state to store *home* writes."""
        floor = self.security_seq - SECURITY_LOG_LIMIT
        if self._home != (home, self.eui):
            entries = self.security_log[-SECURITY_LOG_LIMIT:]
            first = self.security_seq - len(entries) + 1
            rows = [(first + i, json.dumps(e, separators=(",", ":"))) for i, e in enumerate(entries)]
            return StateDelta({s: self.section_body(s) for s in SECTION_FIELDS}, rows, True, floor)
        new = min(self.security_seq - self._security_saved, len(self.security_log))
        entries = self.security_log[-new:] if new > 0 else []
        first = self.security_seq - len(entries) + 1
        rows = [(first + i, json.dumps(e, separators=(",", ":"))) for i, e in enumerate(entries)]
        changed = self._changed()
        return StateDelta({s: self.section_body(s) for s in SECTION_FIELDS if s in changed}, rows, False, floor)

    def saved(self, home: int) -> None:
        """Note that store *home* now holds this state: later changes are measured from here."""
        self._shared = {}
        self._origin = {}
        self._dirty = set()
        self._home = (home, self.eui)
        self._security_saved = self.security_seq

    # -- behaviour -------------------------------------------------------------------------

    def anchor(self, cell: CellId) -> AnchorCell | None:
        """The cell, populated or not; None if the device has no such cell."""
        return self._values["anchors"].get(cell)

    # read-only views for the security checks: they never make a working copy's own copy of a field

    def anchor_cells(self) -> Iterable[AnchorCell]:
        """Every trust anchor cell, for reading only."""
        return cast("dict[CellId, AnchorCell]", self._values["anchors"]).values()

    def key_pair(self, usage: str) -> KeyPair | None:
        """The device's own key pair for *usage* ("ds" or "ka"), for reading only."""
        return cast("dict[str, KeyPair]", self._values["keys"]).get(usage)

    def last_counter(self, role: int) -> int:
        """The last originator counter accepted from *role*, -1 if none (GBCS 4.3.1.5); reads without copying."""
        return cast("dict[int, int]", self._values["counters"]).get(role, -1)

    def log_entries(self) -> Sequence[dict[str, Any]]:
        """The device log, for reading only."""
        return cast("list[dict[str, Any]]", self._values["device_log"])

    def pending_entries(self) -> Sequence[dict[str, Any]]:
        """The future-dated commands (GBCS 5.9), for reading only: never copies, never change the result."""
        return cast("list[dict[str, Any]]", self._values["pending"])

    def objects_view(self) -> dict[str, Any]:
        """The object model data for reading only: never copies, never change the result."""
        return cast("dict[str, Any]", self._values["objects"])

    def object_for_write(self, group: str, key: str) -> dict[str, Any] | None:
        """``objects[group][key]`` as this working copy's own, to change in place; None if absent.

        Copies that one object (not the whole object model) the first time a working copy
        changes it: a COSEM SET or ACTION copies the object it changes.
        """
        return copy_on_write.object_for_write(self, group, key)

    def put_object(self, group: str, key: str, value: dict[str, Any]) -> None:
        """Set ``objects[group][key]`` (creating the group) without copying the other objects."""
        copy_on_write.put_object(self, group, key, value)

    def keep_agreed(self, usage: str, secrets: dict[bytes, bytes]) -> None:
        """Keep ECDH secrets Z (by peer key bytes) with the *usage* key pair (GBCS 6.3.1); written at commit.

        Secrets with a public point no anchor cell holds any more (a key replaced by CS02b) are
        dropped, and at most :data:`AGREED_LIMIT` are kept (the oldest go first).
        """
        keys = copy_keys(self._values["keys"])
        pair = keys.get(usage)
        if pair is None:
            return
        points = {cell.public_point for cell in self.anchor_cells()}
        agreed = {raw: z for raw, z in pair.agreed.items() if len(raw) != POINT_BYTES or raw in points}
        agreed.update(secrets)
        for raw in list(agreed)[:-AGREED_LIMIT]:
            del agreed[raw]
        pair.agreed = agreed
        self.keys = keys

    def next_alert_counter(self) -> int:
        """Advance and return the device's own originator counter for alerts."""
        self.alert_counter += 1
        return self.alert_counter

    def log_security_event(self, code: int, when: str, detail: str) -> None:
        """Append to the security log (bounded, newest kept)."""
        self.security_log.append({"code": code, "time": when, "detail": detail})
        del self.security_log[:-SECURITY_LOG_LIMIT]
        self.security_seq += 1

    # -- JSON forms --------------------------------------------------------------------------

    def _section_json(self, section: str) -> Any:
        v = self._values
        if section == "identity":
            return {"device_type": self.device_type, "profile": v["profile"],
                    "keys": {k: p.to_json() for k, p in v["keys"].items()}}
        if section == "anchors":
            return [a.to_json() for a in sorted(v["anchors"].values(), key=lambda a: a.cell.sort_key())]
        if section == "counters":
            return {"counters": {str(k): n for k, n in v["counters"].items()},
                    "specialist_counters": {str(k): n for k, n in v["specialist_counters"].items()},
                    "alert_counter": v["alert_counter"], "lifecycle": v["lifecycle"]}
        if section == "logs":
            return {"device_log": v["device_log"], "historic_log": v["historic_log"]}
        return v[section]  # firmware, pending, objects

    def section_body(self, section: str) -> str:
        """The stored JSON text of one section."""
        return json.dumps(self._section_json(section), separators=(",", ":"))

    @classmethod
    def from_sections(
        cls, eui: bytes, bodies: dict[str, str], security: list[tuple[int, str]], *, home: int | None = None
    ) -> DeviceState:
        """Inverse of :meth:`section_body` over every section, with the security log rows ``(seq, entry)``."""
        identity = json.loads(bodies["identity"])
        obj: dict[str, Any] = {"eui": eui.hex(), "device_type": identity["device_type"],
                               "profile": identity.get("profile", "default"), "keys": identity.get("keys", {})}
        if "anchors" in bodies:
            obj["anchors"] = json.loads(bodies["anchors"])
        if "counters" in bodies:
            obj.update(json.loads(bodies["counters"]))
        if "logs" in bodies:
            obj.update(json.loads(bodies["logs"]))
        for name in ("firmware", "pending", "objects"):
            if name in bodies:
                obj[name] = json.loads(bodies[name])
        obj["security_log"] = [json.loads(entry) for _, entry in security]
        state = cls.from_json(obj)
        state.security_seq = security[-1][0] if security else 0
        if home is not None:
            state.saved(home)
        return state

    def to_json(self) -> dict[str, Any]:
        """The whole state as one JSON object (export, views; the store keeps sections)."""
        obj: dict[str, Any] = {"eui": self.eui.hex().upper()}
        identity = self._section_json("identity")
        obj.update(identity)
        obj["anchors"] = self._section_json("anchors")
        obj.update(self._section_json("counters"))
        v = self._values
        for name in ("pending", "device_log", "historic_log", "firmware", "objects"):
            obj[name] = v[name]
        obj["security_log"] = self.security_log
        return obj

    def dumps(self) -> str:
        """Compact JSON text of the whole state."""
        return json.dumps(self.to_json(), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> DeviceState:
        """Inverse of :meth:`to_json`."""
        anchors = [AnchorCell.from_json(a) for a in obj.get("anchors", [])]
        return cls(
            eui=bytes.fromhex(obj["eui"]),
            device_type=obj["device_type"],
            profile=obj.get("profile", "default"),
            keys={k: KeyPair.from_json(v) for k, v in obj.get("keys", {}).items()},
            anchors={a.cell: a for a in anchors},
            counters={int(k): v for k, v in obj.get("counters", {}).items()},
            specialist_counters={int(k): v for k, v in obj.get("specialist_counters", {}).items()},
            alert_counter=obj.get("alert_counter", 0x7D0),
            lifecycle=obj.get("lifecycle", "commissioned"),
            pending=list(obj.get("pending", [])),
            device_log=list(obj.get("device_log", [])),
            historic_log=list(obj.get("historic_log", [])),
            firmware=dict(obj.get("firmware", {})),
            objects=dict(obj.get("objects", {})),
            security_log=list(obj.get("security_log", [])),
        )

    @classmethod
    def loads(cls, text: str) -> DeviceState:
        """Inverse of :meth:`dumps`."""
        return cls.from_json(json.loads(text))

    # __eq__ without __hash__: a state is unhashable (it changes)
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DeviceState):
            return NotImplemented
        return (self.eui, self.device_type, self._values, self.security_log) == (
            other.eui, other.device_type, other._values, other.security_log)

    def __repr__(self) -> str:
        v = self._values
        return (f"DeviceState(eui={self.eui.hex().upper()}, device_type={self.device_type}, "
                f"lifecycle={v['lifecycle']}, counters={v['counters']}, alert_counter={v['alert_counter']})")
