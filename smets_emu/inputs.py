"""Bounded reading of the files, streams and lines the command line is given.

Every input has a size cap: a regular file larger than its cap is refused from its size
alone, and anything else (a pipe, a device such as ``/dev/zero``, a ``/proc`` file) is read
with at most ``cap + 1`` bytes and refused when that much arrives. Line-oriented inputs are
read one line at a time with the same kind of cap per line. Errors say what was wrong: the
file name, its size and the cap, or the line number of an odd number of hex digits.

The caps (documented in the README):

- :data:`MAX_MESSAGE_FILE_BYTES`: one GBCS message file (hex text or binary), or one hex line of
  ``decode -``: 10 MiB, the hex text of the largest message the WAN front carries (4 MiB) with
  line breaks;
- :data:`MAX_JSON_BYTES`: one JSON document or JSON line (``encode``, ``send --payload-json``);
- :data:`MAX_FIRMWARE_IMAGE_BYTES`: one firmware Upgrade Image, the largest image the OTA path
  takes (DUIS ``UpdateFirmware/FirmwareImage``, ``xs:base64Binary maxLength 10240000``, DUIS
  schema 5.4; SRV 11.1);
- :data:`MAX_KEY_FILE_BYTES`: one key file.

Pure standard library, usable from every layer.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from smets_emu.errors import InputError
from smets_emu.protocols.lengths import MAX_MESSAGE

MiB = 1024 * 1024

MAX_MESSAGE_FILE_BYTES = 2 * MAX_MESSAGE + 4 * MiB
"""One GBCS message file or one hex line on standard input: the hex text of the largest GBCS message
(:data:`smets_emu.protocols.lengths.MAX_MESSAGE`) with room for line breaks and spacing."""

MAX_JSON_BYTES = 64 * MiB
"""One JSON document or one JSON line (what ``decode`` prints, for ``encode``; ``send --payload-json``)."""

MAX_FIRMWARE_IMAGE_BYTES = 10_240_000
"""The largest Upgrade Image the OTA path takes: DUIS ``UpdateFirmware/FirmwareImage`` maxLength (SRV 11.1)."""

MAX_KEY_FILE_BYTES = 1 * MiB
"""One PEM or DER key file."""

_WHITESPACE = b" \t\r\n\v\f"
_HEX_DIGITS = b"0123456789abcdefABCDEF"


def describe_size(size: int) -> str:
    """A size for people, e.g. ``10485760 bytes (10.0 MiB)``."""
    return f"{size} bytes" if size < MiB else f"{size} bytes ({size / MiB:.1f} MiB)"


def _too_large(name: str, size: int | None, cap: int, what: str) -> InputError:
    got = f"more than {describe_size(cap)}" if size is None else describe_size(size)
    return InputError(f"{name}: {got}; {what} is at most {describe_size(cap)}")


def read_stream(stream: BinaryIO, cap: int, *, name: str, what: str) -> bytes:
    """At most *cap* bytes from *stream*; InputError when more arrive (never reads more than ``cap + 1``)."""
    data = stream.read(cap + 1)
    if len(data) > cap:
        raise _too_large(name, None, cap, what)
    return data


def read_file(path: str | Path, cap: int, *, what: str) -> bytes:
    """The content of *path*, at most *cap* bytes.

    A regular file larger than *cap* is refused from its size without reading it; a pipe or
    a device is read up to ``cap + 1`` bytes and refused when longer. Raises InputError
    (naming the file, its size and the cap) for too-large, missing or unreadable inputs.
    """
    name = str(path)
    try:
        with open(path, "rb") as stream:
            info = os.fstat(stream.fileno())
            if stat.S_ISREG(info.st_mode) and info.st_size > cap:
                raise _too_large(name, info.st_size, cap, what)
            return read_stream(stream, cap, name=name, what=what)
    except FileNotFoundError as exc:
        raise InputError(f"{name}: no such file") from exc
    except IsADirectoryError as exc:
        raise InputError(f"{name}: is a folder, not a file") from exc
    except OSError as exc:
        raise InputError(f"{name}: {exc.strerror or exc}") from exc


def iter_lines(stream: BinaryIO, cap: int, *, name: str, what: str) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line number, line)`` one at a time, each at most *cap* bytes (line break excluded).

    A longer line raises InputError and ends the iteration: the rest of the stream is not read
    (it may never end, as ``/dev/zero`` does not).
    """
    for number in range(1, 1 << 62):
        line = stream.readline(cap + 2)
        if not line:
            return
        body = line.rstrip(b"\r\n")
        if len(body) > cap:
            raise InputError(f"{name}: line {number} is longer than {describe_size(cap)}; {what} is at most that")
        yield number, body


def is_hex_text(data: bytes) -> bool:
    """True when *data* holds only hex digits and ASCII whitespace, and at least one digit."""
    compact = data.translate(None, _WHITESPACE)
    return bool(compact) and not compact.translate(None, _HEX_DIGITS)


def parse_hex_text(data: bytes, *, name: str, first_line: int = 1) -> bytes:
    """The bytes spelt by hex text (whitespace and line breaks ignored).

    Raises InputError naming the line: the first line holding something other than hex digits,
    or, when the total number of digits is odd (a digit lost or added), the first line holding
    an odd number of them. Lines are numbered from *first_line*.
    """
    compact = data.translate(None, _WHITESPACE)
    if not compact:
        raise InputError(f"{name}: no hex digits at line {first_line}")
    if compact.translate(None, _HEX_DIGITS):
        line = _first_line(data, lambda text: bool(text.translate(None, _WHITESPACE + _HEX_DIGITS)))
        raise InputError(f"{name}: not hex digits at line {first_line + line - 1}")
    if len(compact) % 2:
        line = _first_line(data, lambda text: len(text.translate(None, _WHITESPACE)) % 2 == 1)
        raise InputError(f"{name}: odd number of hex digits ({len(compact)}) at line {first_line + line - 1}")
    return bytes.fromhex(compact.decode("ascii"))


def _first_line(data: bytes, wrong: Callable[[bytes], bool]) -> int:
    return next((n for n, text in enumerate(data.split(b"\n"), 1) if wrong(text)), 1)
