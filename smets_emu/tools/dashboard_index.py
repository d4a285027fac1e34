"""The fleet index behind the dashboard: one row per device, kept up to date incrementally.

A device's state object is replaced whenever a command, timer or power cycle commits (handlers
work on a copy), so :meth:`FleetIndex.refresh` recomputes a row only for devices whose state object
is no longer the one it saw: a pass over a 100,000-device fleet costs an identity check per device
and the counts by type, lifecycle and firmware version are adjusted, not recounted.

Searches (:class:`Query`, the ``q`` parameter of ``GET /devices`` and of the fleet page) are
whitespace-separated terms, all of which a device must match:

- ``eui:00DB12`` an EUI prefix (dashes and colons ignored);
- ``type:ESME``, ``lifecycle:commissioned``, ``premises:home``, ``firmware:01000000`` (also
  ``fw:``, ``version:``, ``state:``): equal, ignoring case; a value ending in ``*`` is a prefix;
- a bare term matches any of these: an EUI prefix, a type, a lifecycle, a premises name or a
  firmware version.
"""

from __future__ import annotations

import string
from collections import Counter, OrderedDict
from dataclasses import dataclass
from typing import Any

from smets_emu.emulator.state import DeviceState
from smets_emu.errors import SmetsError
from smets_emu.hosting.fleet import Fleet
from smets_emu.tools.control_views import firmware_version

MAX_QUERY = 200
"""The longest search text, in characters."""
MAX_TERMS = 8
"""The most terms in one search."""
CACHED_SEARCHES = 16
"""Search results remembered (per fleet generation) so paging through one search does not rescan."""
FIELDS = {"eui": "eui", "type": "type", "lifecycle": "lifecycle", "state": "lifecycle", "premises": "premises",
          "firmware": "firmware", "fw": "firmware", "version": "firmware"}
HEX = frozenset(string.hexdigits)


class SearchError(SmetsError, ValueError):
    """A search text the index cannot use (too long, an unknown field, an empty value)."""


class Row:
    """What the index knows of one device (the state object it was computed from, to notice changes)."""

    __slots__ = ("eui", "eui_hex", "firmware", "lifecycle", "premises", "state", "type")

    def __init__(self, eui: bytes, state: DeviceState, premises: str) -> None:
        self.eui, self.eui_hex, self.premises = eui, eui.hex().upper(), premises
        self.state = state
        self.type, self.lifecycle, self.firmware = state.device_type, state.lifecycle, firmware_version(state)

    def key(self) -> tuple[str, str, str]:
        return self.type, self.lifecycle, self.firmware


@dataclass(frozen=True)
class Term:
    """One search term: a field (None: any) and a value (upper case), a prefix when *prefix*."""

    field: str | None
    value: str
    prefix: bool

    def _eq(self, text: str) -> bool:
        text = text.upper()
        return text.startswith(self.value) if self.prefix else text == self.value

    def matches(self, row: Row) -> bool:
        f = self.field
        if f == "eui":
            return row.eui_hex.startswith(self.value)
        if f is not None:
            return self._eq(getattr(row, f))
        return (row.eui_hex.startswith(self.value) or self._eq(row.type) or self._eq(row.lifecycle)
                or self._eq(row.premises) or self._eq(row.firmware))


@dataclass(frozen=True)
class Query:
    """A parsed search (module docstring); the empty query matches every device."""

    terms: tuple[Term, ...] = ()

    @classmethod
    def parse(cls, text: str | None) -> Query:
        text = (text or "").strip()
        if len(text) > MAX_QUERY:
            raise SearchError(f"a search is at most {MAX_QUERY} characters")
        words = text.split()
        if len(words) > MAX_TERMS:
            raise SearchError(f"a search has at most {MAX_TERMS} terms")
        terms = []
        for word in words:
            name, sep, value = word.partition(":")
            if not sep:
                name, value = "", word
            elif name.lower() not in FIELDS:
                raise SearchError(f"unknown search field {name[:20]!r}; use {', '.join(sorted(FIELDS))}")
            field = FIELDS.get(name.lower())
            prefix = value.endswith("*")
            value = value.rstrip("*").upper()
            if field == "eui" or field is None:
                eui = value.replace("-", "").replace(":", "")
                if field == "eui":
                    if not eui or not set(eui) <= HEX:
                        raise SearchError(f"eui: takes hex digits, not {value[:20]!r}")
                    value, prefix = eui, True
                elif eui and set(eui) <= HEX:
                    value = eui  # a bare EUI prefix may be written with dashes
            if not value:
                raise SearchError(f"empty search term {word[:20]!r}")
            terms.append(Term(field, value, prefix))
        return cls(tuple(terms))

    @property
    def text(self) -> str:
        return " ".join(("" if t.field is None else t.field + ":") + t.value + ("*" if t.prefix and t.field != "eui"
                                                                                  else "") for t in self.terms)

    def matches(self, row: Row) -> bool:
        return all(t.matches(row) for t in self.terms)


@dataclass(frozen=True)
class Overview:
    """Counts of the fleet's devices by type, lifecycle state and running firmware version."""

    total: int
    by_type: dict[str, int]
    by_lifecycle: dict[str, int]
    by_firmware: dict[str, dict[str, int]]  # device type -> version -> count

    def to_json(self) -> dict[str, Any]:
        versions: Counter[str] = Counter()
        for counts in self.by_firmware.values():
            versions.update(counts)
        return {"total": self.total, "by_type": self.by_type, "by_lifecycle": self.by_lifecycle,
                "by_firmware_version": dict(sorted(versions.items())), "by_type_and_firmware": self.by_firmware}


class FleetIndex:
    """Rows of a fleet's devices in the fleet's order, with counts; see the module docstring."""

    def __init__(self, fleet: Fleet, premises: dict[bytes, str]) -> None:
        self.fleet, self.premises = fleet, premises
        self._rows: list[Row] = []
        self._by_eui: dict[bytes, Row] = {}
        self._counts: Counter[tuple[str, str, str]] = Counter()
        self.generation = 0  # bumped whenever a row changes
        self._searches: OrderedDict[tuple[Query, int], list[Row]] = OrderedDict()

    def refresh(self) -> None:
        """Bring the rows and counts up to date with the fleet (only changed devices are recomputed)."""
        devices = self.fleet.devices
        if len(devices) != len(self._rows):
            self._rebuild()
            return
        changed = False
        try:
            # no copy of 100,000 entries per request: the fleet only ever adds devices (a size change
            # during the pass raises and the index is rebuilt); states are swapped whole, never edited
            for row, device in zip(self._rows, devices.values(), strict=True):
                state = device.state
                if state is not row.state:
                    if state.eui != row.eui:
                        raise RuntimeError("the fleet's devices moved")
                    self._counts[row.key()] -= 1
                    row.state, row.type, row.lifecycle = state, state.device_type, state.lifecycle
                    row.firmware = firmware_version(state)
                    self._counts[row.key()] += 1
                    changed = True
        except (RuntimeError, ValueError):
            self._rebuild()
            return
        if changed:
            self._counts = +self._counts  # drop zero counts
            self.generation += 1

    def _rebuild(self) -> None:
        items = list(self.fleet.devices.items())
        old = self._by_eui
        rows = []
        for eui, device in items:
            row = old.get(eui)
            if row is None or row.state is not device.state:
                row = Row(eui, device.state, self.premises.get(eui, ""))
            rows.append(row)
        self._rows, self._by_eui = rows, {r.eui: r for r in rows}
        self._counts = Counter(r.key() for r in rows)
        self.generation += 1

    def overview(self) -> Overview:
        self.refresh()
        by_type: Counter[str] = Counter()
        by_lifecycle: Counter[str] = Counter()
        by_firmware: dict[str, Counter[str]] = {}
        for (kind, lifecycle, version), n in self._counts.items():
            by_type[kind] += n
            by_lifecycle[lifecycle] += n
            by_firmware.setdefault(kind, Counter())[version] += n
        return Overview(len(self._rows), dict(sorted(by_type.items())), dict(sorted(by_lifecycle.items())),
                        {k: dict(sorted(v.items())) for k, v in sorted(by_firmware.items())})

    def search(self, query: Query, offset: int, limit: int) -> tuple[int, list[Row]]:
        """The number of matching devices and the rows of ``[offset, offset + limit)`` among them."""
        self.refresh()
        if not query.terms:
            return len(self._rows), self._rows[offset:offset + limit]
        key = (query, self.generation)
        found = self._searches.get(key)
        if found is None:
            found = [r for r in self._rows if query.matches(r)]
            self._searches[key] = found
            while len(self._searches) > CACHED_SEARCHES:
                self._searches.popitem(last=False)
        else:
            self._searches.move_to_end(key)
        return len(found), found[offset:offset + limit]
