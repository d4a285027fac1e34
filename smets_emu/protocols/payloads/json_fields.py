"""Checked readers of the JSON forms of payloads (the edge where CLI and corpus objects come in).

Every payload family's ``from_json`` reads its fields through these, so a wrong type is one
:class:`~smets_emu.errors.EncodeError` with the same wording whichever payload it is in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from smets_emu.errors import EncodeError

_ABSENT: Any = object()


def _checked(obj: dict[str, Any], key: str, default: Any, fits: Callable[[Any], bool], kind: str) -> Any:
    value = obj.get(key) if default is _ABSENT else obj.get(key, default)
    if not fits(value):
        raise EncodeError(f"{key!r} must be {kind}, got {value!r}")
    return value


def json_int(obj: dict[str, Any], key: str, default: Any = _ABSENT) -> int:
    """``obj[key]`` as an integer (never a bool); *default* when absent, if given."""
    return _checked(obj, key, default, lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer")


def json_bool(obj: dict[str, Any], key: str, default: Any = _ABSENT) -> bool:
    """``obj[key]`` as true or false; *default* when absent, if given."""
    return _checked(obj, key, default, lambda v: isinstance(v, bool), "true or false")


def json_list(obj: dict[str, Any], key: str) -> list[Any]:
    """``obj[key]`` as a list."""
    return _checked(obj, key, _ABSENT, lambda v: isinstance(v, list), "a list")


def json_hex(obj: dict[str, Any], key: str, default: Any = _ABSENT) -> bytes:
    """``obj[key]``, a hex string, as bytes; *default* (a hex string) when absent, if given."""
    value = _checked(obj, key, default, lambda v: isinstance(v, str), "a hex string")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise EncodeError(f"{key!r} is not hex: {value!r}") from None
