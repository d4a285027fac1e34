"""Checked readers of the JSON forms of payloads (the edge where CLI and corpus objects come in).

Every payload family's ``from_json`` reads its fields through these, so a wrong type is one
:class:`~smets_emu.errors.EncodeError` with the same wording whichever payload it is in.
"""

from __future__ import annotations

from typing import Any

from smets_emu.errors import EncodeError

_ABSENT: Any = object()


def json_int(obj: dict[str, Any], key: str, default: Any = _ABSENT) -> int:
    """``obj[key]`` as an integer (never a bool); *default* when absent, if given."""
    value = obj.get(key) if default is _ABSENT else obj.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise EncodeError(f"{key!r} must be an integer, got {value!r}")
    return value


def json_bool(obj: dict[str, Any], key: str, default: Any = _ABSENT) -> bool:
    """``obj[key]`` as true or false; *default* when absent, if given."""
    value = obj.get(key) if default is _ABSENT else obj.get(key, default)
    if not isinstance(value, bool):
        raise EncodeError(f"{key!r} must be true or false, got {value!r}")
    return value


def json_list(obj: dict[str, Any], key: str) -> list[Any]:
    """``obj[key]`` as a list."""
    value = obj.get(key)
    if not isinstance(value, list):
        raise EncodeError(f"{key!r} must be a list, got {value!r}")
    return value


def json_hex(obj: dict[str, Any], key: str, default: Any = _ABSENT) -> bytes:
    """``obj[key]``, a hex string, as bytes; *default* (a hex string) when absent, if given."""
    value = obj.get(key) if default is _ABSENT else obj.get(key, default)
    if not isinstance(value, str):
        raise EncodeError(f"{key!r} must be a hex string, got {value!r}")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise EncodeError(f"{key!r} is not hex: {value!r}") from None
