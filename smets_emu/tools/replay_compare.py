"""Comparing a device's answers from a capture with the answers of a replay (``smets-emu replay``).

Responses and alerts are compared after decoding (:func:`smets_emu.protocols.message.message_to_json`),
field by field. What legitimately differs between two labs, or between two runs of one, is left out
(:data:`IGNORED_KEYS`, :data:`IGNORED_KEY_PATTERN`):

- originator counters and the counters payloads repeat: ``originator_counter``,
  ``supplementary_originator_counter``, ``supplementary_remote_party_counter``, and any key ending
  in ``counter`` or ``SeqNumber`` (``originatorCounter``, ``authorisingRemotePartySeqNumber``);
  a replayed command carries a fresh counter and the device echoes it;
- date-time values: ``date_time`` keys (message headers, DLMS notification date-times), keys ending
  in ``DateTime``, ``date_time`` or ``timestamp``, and the ``value`` of a COSEM octet-string shown
  as a date-time (an element with a ``date_time`` label); the ``time`` and ``date`` readings shown
  beside a 4 or 5-byte octet-string are not compared either (its ``value`` is);
- protections: ``mac`` and ``signature`` (each lab has its own keys);
- DLMS invoke ids (``invoke_id``, the low bits of the command's counter, GBCS 7.2.9).

Everything else must match: the message code, originator and recipient, the payload (results,
values, alert codes, ZCL records) and the number and order of the alerts a command raised.
More fields can be left out with glob patterns over the field paths (``--ignore``).
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from smets_emu.errors import SmetsError
from smets_emu.protocols.envelope import decode_envelope
from smets_emu.protocols.message import decode_message, message_to_json
from smets_emu.protocols.security import GbcsKeys

IGNORED_KEYS = frozenset({
    "originator_counter", "supplementary_originator_counter", "supplementary_remote_party_counter",
    "date_time", "mac", "signature", "invoke_id",
})
"""Keys whose values are left out wherever they appear."""

IGNORED_KEY_PATTERN = re.compile(r"(?i)(counter|seqnumber|datetime|date_time|timestamp)$")
"""Keys left out by their ending (ASN.1 ``originatorCounter``, ``executionDateTime``...)."""

DERIVED_LABELS = frozenset({"time", "date"})
"""Readings of a COSEM element's value shown beside it (the value itself is compared)."""

MAX_DIFFERENCES = 100
"""Differences kept per command (the rest are counted)."""
MAX_VALUE_TEXT = 160


@dataclass(frozen=True)
class Difference:
    """One field that differs: its path and the captured and replayed values (as text)."""

    path: str
    captured: str
    replayed: str

    def __str__(self) -> str:
        return f"{self.path}: {self.captured} != {self.replayed}"

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "captured": self.captured, "replayed": self.replayed}


def _text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, separators=(",", ":"), sort_keys=True)
    return text if len(text) <= MAX_VALUE_TEXT else text[:MAX_VALUE_TEXT - 3] + "..."


def _ignored_key(key: str) -> bool:
    return key in IGNORED_KEYS or IGNORED_KEY_PATTERN.search(key) is not None


class Comparer:
    """Field-by-field comparison with the ignore rules and extra *ignore* glob patterns over paths."""

    def __init__(self, ignore: Iterable[str] = ()) -> None:
        self.ignore = tuple(ignore)

    def _skip(self, path: str, key: str) -> bool:
        return _ignored_key(key) or any(fnmatch.fnmatchcase(path, pattern) for pattern in self.ignore)

    def diff(self, captured: Any, replayed: Any, path: str, out: list[Difference]) -> None:
        """Append the differences between two decoded trees to *out* (at most :data:`MAX_DIFFERENCES`)."""
        if len(out) >= MAX_DIFFERENCES:
            return
        if isinstance(captured, dict) and isinstance(replayed, dict):
            element = "type" in captured and "value" in captured  # a COSEM data element
            dated = element and ("date_time" in captured or "date_time" in replayed)
            for key in list(dict.fromkeys([*captured, *replayed])):
                sub = f"{path}.{key}" if path else str(key)
                if self._skip(sub, str(key)) or (dated and key in ("value", "hex")) or (
                        element and key in DERIVED_LABELS):
                    continue
                if key not in captured or key not in replayed:
                    out.append(Difference(sub, _text(captured.get(key, "<absent>")),
                                          _text(replayed.get(key, "<absent>"))))
                else:
                    self.diff(captured[key], replayed[key], sub, out)
            return
        if isinstance(captured, list) and isinstance(replayed, list):
            if len(captured) != len(replayed):
                out.append(Difference(f"{path}.length" if path else "length", str(len(captured)),
                                      str(len(replayed))))
            for i, (a, b) in enumerate(zip(captured, replayed, strict=False)):
                self.diff(a, b, f"{path}[{i}]", out)
            return
        if captured != replayed and not any(fnmatch.fnmatchcase(path, p) for p in self.ignore):
            out.append(Difference(path or "value", _text(captured), _text(replayed)))

    def compare(self, captured: Answer, replayed: Answer) -> list[Difference]:
        """The differences between what a command got in the capture and in the replay."""
        out: list[Difference] = []
        if (captured.response is None) != (replayed.response is None):
            out.append(Difference("response", "present" if captured.response is not None else "none",
                                  "present" if replayed.response is not None else "none"))
        elif captured.response is not None and replayed.response is not None:
            self.diff(captured.response, replayed.response, "", out)
        if len(captured.alerts) != len(replayed.alerts):
            out.append(Difference("alerts.length", str(len(captured.alerts)), str(len(replayed.alerts))))
        for i, (a, b) in enumerate(zip(captured.alerts, replayed.alerts, strict=False)):
            self.diff(a, b, f"alerts[{i}]", out)
        return out


@dataclass
class Answer:
    """What came back for one command, decoded: the response tree (None: no response) and the alert trees."""

    response: Any
    alerts: list[Any]


def decoded(data: bytes, keys: GbcsKeys | None = None) -> Any:
    """A device message as a JSON tree (encrypted parts decrypted where *keys* allow); one that does not
    decode is compared as its hex."""
    try:
        decrypt = keys.decryptor(decode_envelope(data).header) if keys is not None else None
        return message_to_json(decode_message(data, decrypt=decrypt))
    except SmetsError as exc:
        return {"undecodable": type(exc).__name__, "hex": data.hex().upper()}


def answer(response: bytes | None, alerts: Iterable[bytes], keys: GbcsKeys | None = None) -> Answer:
    """The decoded :class:`Answer` for a response (None or empty: none) and alerts."""
    return Answer(decoded(response, keys) if response else None, [decoded(a, keys) for a in alerts])
