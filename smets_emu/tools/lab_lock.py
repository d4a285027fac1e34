"""One process owns a lab: an exclusive OS file lock on ``<lab>/lab.lock``.

Two processes writing one lab would each keep their own copy of every device in memory, so a
command accepted (and its originator counter recorded) through one could be replayed through
the other, and an offline tool could rewrite device states under a running service. The owner
holds ``flock(LOCK_EX)`` on the lock file for as long as the lab is open; the kernel releases it
when the process ends however it ends (SIGKILL included), so a lock file left behind by a dead
process never blocks anyone. The file itself carries the owner's details as JSON (PID, start
time, command line and, once the service listens, its endpoints) so that a second opener can
say who holds the lab and where to reach it.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from smets_emu.errors import SmetsError
from smets_emu.secure_files import FILE_MODE, tighten

LOCK_FILE = "lab.lock"
OWNER_READ_TRIES = 20  # the owner writes its details just after locking: wait briefly for them
OWNER_READ_PAUSE = 0.01


class LabError(SmetsError):
    """A lab folder cannot be created or resumed."""


class LabLockedError(LabError):
    """Another process has the lab open (its details are in :attr:`owner`)."""

    def __init__(self, message: str, owner: dict[str, Any]) -> None:
        super().__init__(message)
        self.owner = owner


def describe_owner(owner: dict[str, Any]) -> str:
    """The owner's PID, command, start time and endpoints in one line."""
    parts = [f"process {owner.get('pid', '?')}"]
    if owner.get("command"):
        parts.append(f"({owner['command']})")
    if owner.get("started"):
        parts.append(f"since {owner['started']}")
    text = " ".join(parts)
    endpoints = owner.get("endpoints") or {}
    if endpoints:
        text += "; endpoints: " + ", ".join(f"{k} {v}" for k, v in endpoints.items())
    return text


class LabLock:
    """An exclusive lock on one lock file, held until :meth:`release` or the process ends."""

    def __init__(self, path: Path, fd: int, owner: dict[str, Any]) -> None:
        self.path = path
        self._fd: int | None = fd
        self.owner = owner

    @classmethod
    def acquire(cls, path: str | Path, *, what: str, details: dict[str, Any] | None = None) -> LabLock:
        """Lock *path* (created 0600 if missing) or raise :class:`LabLockedError` naming the holder.

        *what* names the locked thing in the error ("lab smets-lab"); *details* are added to the
        owner record (lab folder, state file).
        """
        lock_path = Path(path)
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
        except OSError as exc:
            raise LabError(f"cannot create lock file {lock_path}: {exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise LabError(f"cannot lock {lock_path}: {exc}") from exc
            owner = read_owner(lock_path)
            raise LabLockedError(
                f"{what} is in use by {describe_owner(owner)}; one process owns a lab: "
                "stop that process first, or use its control plane",
                owner,
            ) from None
        tighten(lock_path)
        owner = {
            "pid": os.getpid(),
            "started": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv and sys.argv[0] else "python",
            **(details or {}),
            "endpoints": {},
        }
        lock = cls(lock_path, fd, owner)
        lock._write()
        return lock

    @property
    def held(self) -> bool:
        return self._fd is not None

    def record_endpoints(self, endpoints: dict[str, str]) -> None:
        """Add the running service's endpoints to the owner record."""
        self.owner["endpoints"] = dict(endpoints)
        self._write()

    def _write(self) -> None:
        if self._fd is None:
            return
        data = json.dumps(self.owner, sort_keys=True).encode()
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)

    def release(self) -> None:
        """Clear the owner record and unlock (idempotent)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def read_owner(path: str | Path) -> dict[str, Any]:
    """The owner record in a lock file ({} if none could be read)."""
    for _ in range(OWNER_READ_TRIES):
        try:
            text = Path(path).read_text()
        except OSError:
            return {}
        if text:
            try:
                owner = json.loads(text)
            except ValueError:
                owner = None  # caught mid-write
            if isinstance(owner, dict):
                return owner
        time.sleep(OWNER_READ_PAUSE)
    return {}
