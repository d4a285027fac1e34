"""Files that hold secrets: created owner-only (0600) in owner-only folders (0700).

A lab keeps private keys on disk: the organisation and root CA keys of its test PKI
(``pki/*.key``), every device's key pairs (``state.sqlite`` and its ``-wal``/``-shm`` files),
the DSP's store and the control-plane token. These helpers create such files with the final
mode from the first byte (``os.open`` with a mode, no window in which another user could open
them, no process-wide ``umask`` change) and tighten files and folders an older version left
readable to others, with a log line. Pure standard library, usable from every layer.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

FILE_MODE = 0o600
DIR_MODE = 0o700
_OTHERS = stat.S_IRWXG | stat.S_IRWXO


def make_private_dir(path: str | Path) -> Path:
    """Create *path* (and missing parents) as an owner-only folder, or tighten an existing one."""
    folder = Path(path)
    if not folder.is_dir():
        folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)  # parents get the default mode
    tighten(folder)
    return folder


def tighten(path: str | Path, *, quiet: bool = False) -> bool:
    """Remove group and other permissions from *path* (0600 for a file, 0700 for a folder).

    Returns True when the mode changed (logged unless *quiet*). A missing path or one owned by
    someone else (cannot be changed) is left alone; the latter is logged.
    """
    target = Path(path)
    try:
        info = target.stat()
    except FileNotFoundError:
        return False
    mode = stat.S_IMODE(info.st_mode)
    if not mode & _OTHERS:
        return False
    wanted = DIR_MODE if stat.S_ISDIR(info.st_mode) else FILE_MODE
    try:
        os.chmod(target, wanted)
    except OSError as exc:
        log.warning("%s is readable by other users (mode %o) and cannot be tightened: %s", target, mode, exc)
        return False
    if not quiet:
        log.warning("%s was readable by other users: mode %o changed to %o", target, mode, wanted)
    return True


def create_private_file(path: str | Path) -> None:
    """Make sure *path* exists with mode 0600 (an existing file is tightened, its content kept).

    Used before SQLite opens a database: SQLite creates its ``-wal`` and ``-shm`` files with the
    database file's permissions, so they are owner-only too.
    """
    target = Path(path)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
    os.close(fd)
    tighten(target)


def write_secret(path: str | Path, data: bytes | str) -> None:
    """Write *data* to *path* atomically as an owner-only (0600) file.

    The content goes to a temporary file in the same folder, created 0600, which then replaces
    *path*: a reader sees the old or the new content, never a mix, and never a readable window.
    """
    target = Path(path)
    raw = data.encode() if isinstance(data, str) else bytes(data)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, FILE_MODE)
    try:
        try:
            os.fchmod(fd, FILE_MODE)  # a leftover temporary file keeps its old mode otherwise
            view = memoryview(raw)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def tighten_tree(root: str | Path, *, public_suffixes: tuple[str, ...] = ()) -> int:
    """Tighten every folder and file under *root* (itself included); returns how many changed.

    Files whose name ends with one of *public_suffixes* are left as they are. One log line
    for the whole tree (a key folder may hold two files per device).
    """
    base = Path(root)
    changed = int(tighten(base, quiet=True))
    for dirpath, dirnames, filenames in os.walk(base):
        here = Path(dirpath)
        for name in dirnames:
            changed += tighten(here / name, quiet=True)
        for name in filenames:
            if not name.endswith(public_suffixes):
                changed += tighten(here / name, quiet=True)
    if changed:
        log.warning("%s: %d files and folders were readable by other users: made owner-only (0600/0700)",
                    base, changed)
    return changed
