"""Locating and reading the DCC Reference Test Data Set (RTDS) folder layout.

RTDS holds one upper-case hex message per file under ``<SRV>_<UseCase>/`` folders, named
``<UseCase>_<SRV>_<Scenario>_<COMMAND|PRECOMMAND|RESPONSE|ALERT>[_<detail>]_GBCS.HEX``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from smets_emu.inputs import MAX_MESSAGE_FILE_BYTES, parse_hex_text, read_file

ENV_VAR = "SMETS_RTDS"
_KINDS = ("PRECOMMAND", "COMMAND", "RESPONSE", "ALERT")
_KIND_RE = re.compile(r"_(PRECOMMAND|COMMAND|RESPONSE|ALERT)(?:_|$)")


@dataclass(frozen=True)
class RtdsFile:
    """One RTDS message file."""

    path: Path
    use_case_folder: str
    kind: str  # COMMAND, PRECOMMAND, RESPONSE or ALERT

    def read(self) -> bytes:
        """The message bytes (a bounded read; InputError for an oversized file or one that is not even-length hex)."""
        data = read_file(self.path, MAX_MESSAGE_FILE_BYTES, what="an RTDS message file")
        return parse_hex_text(data, name=str(self.path))


def find_rtds_root(start: Path | None = None) -> Path | None:
    """The ``rtds`` folder: ``$SMETS_RTDS``, else ``../shared/rtds`` beside the project checkout."""
    env = os.environ.get(ENV_VAR)
    if env:
        path = Path(env)
        return path if path.is_dir() else None
    here = (start or Path(__file__)).resolve()
    for parent in [here, *here.parents]:
        candidate = parent / "shared" / "rtds"
        if candidate.is_dir() and (parent / "shared" / "rtds" / "keystore").is_dir():
            return candidate
    return None


def message_folder(root: Path) -> Path:
    """The folder holding the use-case folders (``RTDS-<version>``), or *root* itself."""
    versions = sorted(p for p in root.glob("RTDS-*") if p.is_dir())
    return versions[-1] if versions else root


def keystore_folder(root: Path) -> Path:
    """The keystore folder beside the messages."""
    return root / "keystore"


def list_files(root: Path) -> list[RtdsFile]:
    """Every message file, sorted by path."""
    out = []
    for path in sorted(message_folder(root).glob("*/*.HEX")):
        match = _KIND_RE.search(path.stem)
        kind = match.group(1) if match else "UNKNOWN"
        out.append(RtdsFile(path=path, use_case_folder=path.parent.name, kind=kind))
    return out
