"""Strict comparison of an emulated reply with the RTDS one: every field of the envelope and the payload.

The non-strict comparison (:mod:`smets_emu.tools.rtds_compare`) checks the message code, the CRA
flag, the protection form and the payload's shape. This one walks both decoded messages (their
JSON forms, :func:`smets_emu.protocols.message.message_to_json`) field by field and reports every
difference with its path, except the fields listed in :data:`LEGITIMATE`: values a conforming
device cannot reproduce because they come from the moment, the device's own keys or its own
counters. For those the field's presence is still compared (a header date-time present where
RTDS has none is a difference; its value is not).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from smets_emu.protocols.message import Message, message_to_json

LEGITIMATE: tuple[tuple[str, str], ...] = (
    (r"mac", "a MAC depends on the device's keys and the counter"),
    (r"signature", "a signature depends on the device's key (and ECDSA is randomised)"),
    (r"header\.date_time", "the date-time a device stamps is its clock's (GBCS 4.3.1.4: presence is compared)"),
    (r"payload\.date_time", "the APDU date-time is the device clock's (presence is compared)"),
    (r"alert:header\.originator_counter", "an alert's counter is the device's own alert counter (GBCS 4.3.1.5)"),
    (r"alert:payload\.invoke\.invoke_id", "an alert's invoke id is its counter's low bits (GBCS 5.11)"),
    (r".*[Ee]phemeral.*", "an ephemeral key is fresh for each message"),
    (r".*\.(certificate|public_key|publicKey|subjectPublicKey)",
     "the emulated device has its own keys and certificates"),
    (r"payload\.value\.currentSeqNumber",
     "CS02a/CS02f currentSeqNumber is the device's anti-replay counter for the role (GBCS 13.3.5): it counts "
     "the commands that party sent before the scenario"),
    (r"payload\.value\.deviceTime", "a device time is its clock's"),
    (r"payload\.timestamp(_iso)?", "a GBZ message's timestamp is the device clock's (GBCS 7.2.4)"),
    (r".*(DateTime|dateTime)", "an ASN.1 GeneralizedTime the device stamps (execution, backup) is its clock's"),
    (r".*certificationRequest.*", "a certification request holds the device's freshly generated public key"),
)
"""Field paths (regular expressions over the dotted path without list indices, matching the field or an enclosing
one; ``alert:`` limits a rule to alerts) whose values may differ."""

STRUCTURAL: tuple[str, ...] = (
    "a protected value (one with a 'decrypted' form): only the plaintext is compared, not the ciphertext",
    "a ZCL UTCTime ({'utc', 'iso'}) on both sides: a date-time value from the device clock",
    "a COSEM date-time or date octet string (12 or 5 bytes) on both sides: a value from the device clock",
)
"""Values recognised by their form whose contents may differ (their presence and type are compared)."""

INJECTED_KINDS: dict[str, str] = {
    "outcome:credential-fault": "an ERROR outcome: a security-credentials fault injected into the device",
    "outcome:dlms-fault": "an ERROR outcome: a COSEM data-access/action result injected into the device",
    "outcome:zcl-fault": "an ERROR outcome: a ZCL status injected into the device",
    "outcome:device-log-fault": "an ERROR outcome: a device-log fault injected into the device",
    "empty-tables": "the device's ZCL data tables emptied (a NOT_FOUND scenario)",
    "utrn-reminted": "the scenario's UTRN minted again for the emulated device's key",
    "rtds-certificate": "the device holds its RTDS certificate (the emulated device has fresh keys)",
    "presumed-image": "the device holds the firmware image the activation presumes",
    "han-join": "HAN devices the scenario presumes joined first",
    "alert-event": "a device event raised to make a command-less folder's alert",
}
"""The closed list of preconditions a replay may set up; ``outcome:`` ones decide the reply's outcome."""

_RULES = [(re.compile(f"(?:{pattern})(?:\\..*)?"), reason) for pattern, reason in LEGITIMATE]
_MISSING = object()


@dataclass(frozen=True)
class FieldDifference:
    """One field that differs: its path, the RTDS value and the emulator's (``_MISSING`` shows as absent)."""

    path: str
    expected: Any
    actual: Any

    def __str__(self) -> str:
        return f"{self.path}: RTDS {_show(self.expected)}, emulator {_show(self.actual)}"


def _show(value: Any) -> str:
    if _absent(value):
        return "absent"
    text = json.dumps(value, default=str, separators=(",", ":"))
    return text if len(text) <= 80 else text[:77] + "..."


def _absent(value: Any) -> bool:
    return value is _MISSING or value is None


def legitimate_reason(path: str, kind: str) -> str | None:
    """Why a difference at *path* is allowed in a message of *kind* (response, alert); None if it is not."""
    for rule, reason in _RULES:
        if rule.fullmatch(path) or rule.fullmatch(f"{kind}:{path}"):
            return reason
    return None


_CLOCK_FORMS = ("date_time", "date")


def _walk(expected: Any, actual: Any, path: str) -> Iterator[FieldDifference]:
    if isinstance(expected, dict) and isinstance(actual, dict):
        keys = list(expected) + [k for k in actual if k not in expected]
        if "decrypted" in expected and "decrypted" in actual:
            keys = [k for k in keys if k not in ("value", "hex", "ciphered_information")]
        elif "utc" in expected and "utc" in actual:
            return
        elif expected.get("type") == actual.get("type") == "octet-string" and any(
                form in expected and form in actual for form in _CLOCK_FORMS):
            keys = [k for k in keys if k not in ("value", "hex", *_CLOCK_FORMS)]
        for key in keys:
            yield from _walk(expected.get(key, _MISSING), actual.get(key, _MISSING), f"{path}.{key}" if path else key)
        return
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            yield FieldDifference(f"{path}.length", len(expected), len(actual))
        for i, (e, a) in enumerate(zip(expected, actual, strict=False)):
            yield from _walk(e, a, f"{path}[{i}]")
        return
    if expected != actual:
        yield FieldDifference(path, expected, actual)


def _general(path: str) -> str:
    """The path with list indices removed (``results[2].data`` -> ``results.data``), for the rules."""
    return re.sub(r"\[\d+\]", "", path)


def strict_differences(expected: Message, actual: Message) -> list[FieldDifference]:
    """Every field of *actual* that differs from *expected*, but for the :data:`LEGITIMATE` ones."""
    kind = expected.header.cra_flag.name.lower()
    found = []
    for diff in _walk(message_to_json(expected), message_to_json(actual), ""):
        general = _general(diff.path)
        if general.endswith(".length") or _absent(diff.expected) != _absent(diff.actual):
            found.append(diff)  # presence and counts always count
            continue
        if legitimate_reason(general, kind) is None:
            found.append(diff)
    return found


def side_by_side(expected: Message, actual: Message, width: int = 60) -> str:
    """The two decoded messages as indented JSON, RTDS on the left, the emulator's on the right, lines aligned
    where they agree; ``!`` marks the lines that differ or have no counterpart."""
    left = json.dumps(message_to_json(expected), indent=1, default=str).splitlines()
    right = json.dumps(message_to_json(actual), indent=1, default=str).splitlines()
    rows = [f"{'RTDS':<{width}} | emulator"]
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        mark = " " if tag == "equal" else "!"
        ours, theirs = left[i1:i2], right[j1:j2]
        for k in range(max(len(ours), len(theirs))):
            a = ours[k] if k < len(ours) else ""
            b = theirs[k] if k < len(theirs) else ""
            rows.append(f"{a[:width]:<{width}}{mark}| {b}")
    return "\n".join(rows)
