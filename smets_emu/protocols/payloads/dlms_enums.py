"""DLMS result and kind enumerations of the GBCS APDUs (GBCS 5.11; DLMS Green Book 9.3, 9.5).

Each enumeration's JSON form is the lower-case, hyphenated member name.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from smets_emu.errors import EncodeError


class _Named(IntEnum):
    """An IntEnum whose JSON form is the lower-case, hyphenated member name."""

    @property
    def json_name(self) -> str:
        return self.name.lower().replace("_", "-")

    @classmethod
    def from_json_value(cls, value: Any) -> Any:
        """A member from its JSON name, or a plain int for a code without a name."""
        if isinstance(value, str):
            try:
                return cls[value.upper().replace("-", "_")]
            except KeyError:
                raise EncodeError(f"unknown {cls.__name__} {value!r}") from None
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                return cls(value)
            except ValueError:
                return value
        raise EncodeError(f"{cls.__name__} must be a name or an integer, got {value!r}")


def enum_json(value: int) -> str | int:
    return value.json_name if isinstance(value, _Named) else int(value)


class AccessRequestKind(_Named):
    """Access-Request-Specification CHOICE (Green Book 9.3 ACCESS service)."""

    GET = 1
    SET = 2
    ACTION = 3
    GET_WITH_SELECTION = 4
    SET_WITH_SELECTION = 5


class AccessResponseKind(_Named):
    """Access-Response-Specification CHOICE (Green Book 9.3 ACCESS service)."""

    GET = 1
    SET = 2
    ACTION = 3


class DataAccessResult(_Named):
    """Data-Access-Result (Green Book 9.5; GBCS 5.11)."""

    SUCCESS = 0
    HARDWARE_FAULT = 1
    TEMPORARY_FAILURE = 2
    READ_WRITE_DENIED = 3
    OBJECT_UNDEFINED = 4
    OBJECT_CLASS_INCONSISTENT = 9
    OBJECT_UNAVAILABLE = 11
    TYPE_UNMATCHED = 12
    SCOPE_OF_ACCESS_VIOLATED = 13
    DATA_BLOCK_UNAVAILABLE = 14
    LONG_GET_ABORTED = 15
    NO_LONG_GET_IN_PROGRESS = 16
    LONG_SET_ABORTED = 17
    NO_LONG_SET_IN_PROGRESS = 18
    DATA_BLOCK_NUMBER_INVALID = 19
    OTHER_REASON = 250


class ActionResult(_Named):
    """Action-Result (Green Book 9.5; GBCS 5.11)."""

    SUCCESS = 0
    HARDWARE_FAULT = 1
    TEMPORARY_FAILURE = 2
    READ_WRITE_DENIED = 3
    OBJECT_UNDEFINED = 4
    OBJECT_CLASS_INCONSISTENT = 9
    OBJECT_UNAVAILABLE = 11
    TYPE_UNMATCHED = 12
    SCOPE_OF_ACCESS_VIOLATED = 13
    DATA_BLOCK_UNAVAILABLE = 14
    LONG_ACTION_ABORTED = 15
    NO_LONG_ACTION_IN_PROGRESS = 16
    OTHER_REASON = 250
