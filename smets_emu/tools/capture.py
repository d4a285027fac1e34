"""WAN captures: every frame the front receives or sends, as JSON lines (``smets-emu run --capture FILE``).

Format ``smets-emu-capture`` version 1, UTF-8, one JSON object per line:

- line 1, the header::

    {"format": "smets-emu-capture", "version": 1, "lab": "/path/to/lab", "started": "2026-01-01T00:00:00+00:00",
     "endpoints": {"gfi": "127.0.0.1:4059", "binary": "127.0.0.1:4060"}}

- then one line per frame, in the order the front handled them::

    {"t": "2026-01-01T00:00:01.250000+00:00", "vt": "2026-01-01T00:00:01+00:00", "dir": "in", "conn": 1,
     "peer": "127.0.0.1:50312", "framing": "gfi", "seq": 3, "kind": "command", "hex": "DF0900..."}

  ``t`` is the wall-clock time and ``vt`` the lab's virtual time (ISO 8601, UTC); ``dir`` is ``in``
  (received from a client) or ``out`` (sent to it); ``conn`` numbers the connection (from 1, the
  same for its whole life); ``peer`` is the client's ``host:port``; ``framing`` is ``gfi`` or
  ``binary``; ``seq`` is the frame number (an outbound frame carries its command's number, 0 for
  an alert not caused by that connection); ``kind`` is ``command`` (an inbound message, GBCS or
  not), ``response``, ``alert`` or ``empty`` (a keep-alive, or an exchange closed without a
  response); ``hex`` is the message in upper-case hex (empty for an empty frame). Inbound frames
  are recorded as received (before fault injection), outbound ones as sent (after it). Frames
  that fail the framing checks never reach the front's handler and are not recorded.

- when the capture ends, a last line::

    {"end": "2026-01-01T00:10:00+00:00", "reason": "stopped", "frames": 1234, "dropped": 0}

  ``reason`` is ``stopped`` (the lab stopped), ``size cap`` (the file reached ``--capture-max-bytes``;
  the lab kept serving without capturing) or ``write error``; ``dropped`` counts frames lost
  because the disk did not keep up (more than :data:`MAX_PENDING` bytes waited to be written).

Readers skip keys they do not know. The file is created owner-only (0600, it holds the lab's
traffic) and never overwrites an existing file. Lines are written in batches (at least every
:data:`FLUSH_INTERVAL` seconds) by a thread, so the front never waits for the disk.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smets_emu.errors import InputError, SmetsError
from smets_emu.hosting.runtime import cancel_and_wait
from smets_emu.inputs import describe_size
from smets_emu.protocols.lengths import MAX_MESSAGE
from smets_emu.secure_files import FILE_MODE
from smets_emu.tools.wire_events import ObserverHandle, WireEvent

log = logging.getLogger(__name__)

FORMAT = "smets-emu-capture"
VERSION = 1
DEFAULT_MAX_BYTES = 1 << 30
"""Default size cap of a capture file (1 GiB); ``--capture-max-bytes`` changes it."""
MIN_MAX_BYTES = 4096
FLUSH_INTERVAL = 1.0
"""Seconds between writes of the waiting lines (sooner when :data:`FLUSH_BYTES` wait)."""
FLUSH_BYTES = 256 * 1024
MAX_PENDING = 32 * 1024 * 1024
"""Bytes of lines that may wait for the disk; frames beyond are dropped and counted."""
TRAILER_RESERVE = 512
"""Bytes kept free below the cap for the closing line, so the file never exceeds the cap."""
MAX_LINE = 2 * MAX_MESSAGE + 4096
"""The longest line a reader accepts: the hex of the largest WAN message and its fields."""
KINDS = frozenset({"command", "response", "alert", "empty"})


class CaptureError(InputError):
    """A capture file cannot be created, or one being read is not a valid capture."""


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat()


def event_record(event: WireEvent) -> dict[str, Any]:
    """The JSON object of one frame."""
    return {"t": _iso(event.time), "vt": _iso(event.virtual_time), "dir": event.direction,
            "conn": event.connection, "peer": event.peer, "framing": event.framing, "seq": event.seq,
            "kind": event.kind, "hex": event.message.hex().upper()}


class CaptureWriter:
    """Writes a capture file from a front's observer; bounded by *max_bytes* and :data:`MAX_PENDING`."""

    def __init__(self, path: str | Path, *, lab: str, max_bytes: int = DEFAULT_MAX_BYTES,
                 flush_interval: float = FLUSH_INTERVAL) -> None:
        if max_bytes < MIN_MAX_BYTES:
            raise CaptureError(f"the capture size cap is at least {MIN_MAX_BYTES} bytes, not {max_bytes}")
        self.path = Path(path)
        self.lab = lab
        self.max_bytes = max_bytes
        self.flush_interval = flush_interval
        try:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
        except FileExistsError as exc:
            raise CaptureError(f"capture file {self.path} exists; remove it or give another name") from exc
        except OSError as exc:
            raise CaptureError(f"cannot create the capture file {self.path}: {exc.strerror or exc}") from exc
        os.fchmod(self._fd, FILE_MODE)  # whatever the umask
        self.frames = 0
        self.dropped = 0
        self.reason: str | None = None  # why capturing stopped
        self._size = 0  # bytes written or waiting
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._wake = asyncio.Event()
        self._handle: ObserverHandle | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def started(self) -> bool:
        return self._handle is not None

    def abandon(self) -> None:
        """Close a capture that never started and remove its (empty) file."""
        if self.started or self._closed:
            return
        self._closed = True
        os.close(self._fd)
        self.path.unlink(missing_ok=True)

    @property
    def size(self) -> int:
        """Bytes of the file, written or waiting to be."""
        return self._size

    async def start(self, front: Any, endpoints: dict[str, str] | None = None) -> None:
        """Write the header and record every frame of *front* (a :class:`WanFront`) from now on."""
        header = {"format": FORMAT, "version": VERSION, "lab": self.lab, "started": _iso(dt.datetime.now(dt.UTC))}
        if endpoints:
            header["endpoints"] = endpoints
        self._queue(json.dumps(header).encode() + b"\n")
        self._handle = front.observe(self.on_event)
        self._task = asyncio.create_task(self._flush_loop())

    def on_event(self, event: WireEvent) -> None:
        """The observer: queue the frame's line (never waits)."""
        if self.reason is not None:
            return
        line = json.dumps(event_record(event), separators=(",", ":")).encode() + b"\n"
        if self._size + len(line) > self.max_bytes - TRAILER_RESERVE:
            log.warning("capture %s reached its size cap (%s) after %d frames: capturing stopped, the lab goes on "
                        "serving", self.path, describe_size(self.max_bytes), self.frames)
            self._stop("size cap")
            return
        if self._pending_bytes + len(line) > MAX_PENDING:
            self.dropped += 1
            if self.dropped == 1:
                log.warning("capture %s: the disk does not keep up, frames are dropped (counted in its last line)",
                            self.path)
            return
        self.frames += 1
        self._queue(line)

    def _queue(self, line: bytes) -> None:
        self._pending.append(line)
        self._pending_bytes += len(line)
        self._size += len(line)
        if self._pending_bytes >= FLUSH_BYTES:
            self._wake.set()

    def _stop(self, reason: str) -> None:
        self.reason = reason
        if self._handle is not None:
            self._handle.cancel()
        self._wake.set()

    def _take(self) -> bytes:
        batch = b"".join(self._pending)
        self._pending.clear()
        self._pending_bytes = 0
        return batch

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]

    async def _flush(self) -> None:
        batch = self._take()
        if not batch:
            return
        try:
            await asyncio.to_thread(self._write, batch)
        except OSError as exc:
            if self.reason is None:
                log.error("capture %s: write failed (%s): capturing stopped, the lab goes on serving", self.path, exc)
                self._stop("write error")

    async def _flush_loop(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), self.flush_interval)
            except TimeoutError:
                pass
            self._wake.clear()
            await self._flush()
            if self.reason is not None and not self._pending:
                return

    async def close(self) -> None:
        """Stop capturing, write what waits and the closing line, close the file (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self.reason is None:
            self._stop("stopped")
        await cancel_and_wait(self._task)
        trailer = {"end": _iso(dt.datetime.now(dt.UTC)), "reason": self.reason, "frames": self.frames,
                   "dropped": self.dropped}
        if self.reason != "write error":
            self._pending.append(json.dumps(trailer).encode() + b"\n")
            await self._flush()
        os.close(self._fd)


# -- reading ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaptureFrame:
    """One frame of a capture file (``line``: its line number)."""

    line: int
    time: dt.datetime
    virtual_time: dt.datetime
    direction: str
    connection: int
    peer: str
    framing: str
    seq: int
    kind: str
    message: bytes

    def context(self) -> dict[str, Any]:
        """What ``decode`` adds to a record: ``{t, dir, conn, seq, kind}``."""
        return {"t": _iso(self.time), "dir": self.direction, "conn": self.connection, "seq": self.seq,
                "kind": self.kind}


def _first_line(path: str | Path) -> bytes | None:
    try:
        with open(path, "rb") as stream:
            return stream.readline(64 * 1024)
    except (OSError, ValueError):
        return None


def is_capture_file(path: str | Path) -> bool:
    """True when *path* is a regular file whose first line is a capture header."""
    try:
        if not Path(path).is_file():
            return False
    except (OSError, ValueError):
        return False
    line = _first_line(path)
    if not line or not line.lstrip().startswith(b"{"):
        return False
    try:
        header = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(header, dict) and header.get("format") == FORMAT


def _time(record: dict[str, Any], key: str, where: str) -> dt.datetime:
    value = record.get(key)
    try:
        when = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise CaptureError(f"{where}: {key!r} is not an ISO 8601 time with a UTC offset: {value!r}")
    return when


def _int(record: dict[str, Any], key: str, where: str, low: int, high: int) -> int:
    value = record.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise CaptureError(f"{where}: {key!r} is not a whole number from {low} to {high}: {value!r}")
    return value


def _choice(record: dict[str, Any], key: str, where: str, allowed: frozenset[str]) -> str:
    value = record.get(key)
    if value not in allowed:
        raise CaptureError(f"{where}: {key!r} is one of {', '.join(sorted(allowed))}, not {value!r}")
    return str(value)


def parse_frame(record: Any, where: str, line: int) -> CaptureFrame:
    """One frame line, checked; CaptureError names the line and the field."""
    if not isinstance(record, dict):
        raise CaptureError(f"{where}: a frame is a JSON object")
    text = record.get("hex")
    if not isinstance(text, str) or len(text) % 2:
        raise CaptureError(f"{where}: 'hex' is an even number of hex digits")
    try:
        message = bytes.fromhex(text)
    except ValueError as exc:
        raise CaptureError(f"{where}: 'hex' is not hex digits") from exc
    return CaptureFrame(
        line=line, time=_time(record, "t", where), virtual_time=_time(record, "vt", where),
        direction=_choice(record, "dir", where, frozenset({"in", "out"})),
        connection=_int(record, "conn", where, 1, 2**63), peer=str(record.get("peer", "")),
        framing=_choice(record, "framing", where, frozenset({"gfi", "binary"})),
        seq=_int(record, "seq", where, 0, 0xFFFFFFFF), kind=_choice(record, "kind", where, KINDS), message=message,
    )


class CaptureReader:
    """A capture file read line by line (each bounded by :data:`MAX_LINE`): ``header``, then :meth:`frames`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.trailer: dict[str, Any] | None = None
        try:
            self._stream = open(self.path, "rb")  # noqa: SIM115 (closed by close() or frames())
        except OSError as exc:
            raise CaptureError(f"{self.path}: {exc.strerror or exc}") from exc
        try:
            first = self._stream.readline(64 * 1024)
            try:
                header = json.loads(first)
            except (ValueError, UnicodeDecodeError):
                header = None
            if not isinstance(header, dict) or header.get("format") != FORMAT:
                raise CaptureError(f"{self.path}: not a capture file (its first line is no {FORMAT} header)")
            if header.get("version") != VERSION:
                raise CaptureError(f"{self.path}: capture format version {header.get('version')!r}; this version "
                                   f"reads version {VERSION}")
        except BaseException:
            self._stream.close()
            raise
        self.header: dict[str, Any] = header

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> CaptureReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def frames(self) -> Iterator[CaptureFrame]:
        """Every frame, in file order; CaptureError at the first bad line (naming it)."""
        number = 1
        while True:
            raw = self._stream.readline(MAX_LINE + 2)
            if not raw:
                return
            number += 1
            where = f"{self.path}:{number}"
            body = raw.rstrip(b"\r\n")
            if len(body) > MAX_LINE:
                raise CaptureError(f"{where}: line longer than {describe_size(MAX_LINE)}")
            if not body.strip():
                continue
            try:
                record = json.loads(body)
            except (ValueError, UnicodeDecodeError) as exc:
                raise CaptureError(f"{where}: not JSON ({exc})") from exc
            if isinstance(record, dict) and "end" in record and "hex" not in record:
                self.trailer = record
                continue
            yield parse_frame(record, where, number)


DecodeInput = tuple[str, bytes | None, str | None, dict[str, Any] | None]


def decode_inputs(path: str) -> Iterator[DecodeInput]:
    """``decode``'s inputs from a capture: (source ``FILE:LINE``, message, error, capture context) per frame
    that carries a message (empty frames are skipped)."""
    try:
        with CaptureReader(path) as reader:
            for frame in reader.frames():
                if frame.message:
                    yield f"{path}:{frame.line}", frame.message, None, frame.context()
    except SmetsError as exc:
        yield path, None, str(exc), None
