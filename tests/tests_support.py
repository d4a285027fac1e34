"""Test helpers importable from any test module (RTDS corpus listing)."""

from __future__ import annotations

from pathlib import Path

from smets_emu.protocols.rtds import RtdsFile, find_rtds_root, list_files

REPO_ROOT = Path(__file__).resolve().parents[1]
RTDS_ROOT = find_rtds_root(REPO_ROOT)
RTDS_FILES: list[RtdsFile] = list_files(RTDS_ROOT) if RTDS_ROOT else []


def rtds_ids(files: list[RtdsFile]) -> list[str]:
    """Readable test ids: the file stem."""
    return [f.path.stem for f in files]
