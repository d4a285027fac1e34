"""Finding 9: secrets on disk are owner-only.

A lab folder holds the test PKI's private keys (the root CA's included), every device's key
pairs (``state.sqlite`` and its ``-wal``/``-shm`` files) and the DSP's store. With the usual
umask 022 they were created world-readable. Every file in a lab must be 0600 and every folder
0700 (certificates included: they sit in an owner-only folder anyway, and one rule is easier to
check than a list of exceptions); a lab left readable by an older version is tightened on open.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from smets_emu.secure_files import write_secret
from smets_emu.tools.lab import open_lab
from smets_emu.tools.lab_dsp import open_lab_dsp


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _modes(root: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            found[str(path.relative_to(root))] = stat.S_IMODE(path.stat().st_mode)
    return found


def _loose(root: Path) -> dict[str, str]:
    bad = {}
    for name, mode in _modes(root).items():
        wanted = 0o700 if (root / name).is_dir() else 0o600
        if mode != wanted:
            bad[name] = oct(mode)
    return bad


def test_fresh_lab_is_owner_only(tmp_path: Path) -> None:
    root = tmp_path / "lab"
    lab = open_lab(root, synchronous="OFF")
    try:
        lab.save_clock(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))  # a write: the WAL is in use
        dsp = open_lab_dsp(lab)
        try:
            names = set(_modes(root))
            assert {"state.sqlite", "state.sqlite-wal", "state.sqlite-shm", "pki", "pki/root-ca.key",
                    "dsp.sqlite", "lab.lock"} <= names
            assert _loose(root) == {}
        finally:
            dsp.store.close()
    finally:
        lab.close()
    assert _loose(root) == {}


def test_old_readable_lab_is_tightened_on_open(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = tmp_path / "lab"
    open_lab(root, synchronous="OFF").close()
    for name in _modes(root):  # what an older version left behind
        path = root / name
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    (root / "state.sqlite-wal").write_bytes(b"")
    os.chmod(root / "state.sqlite-wal", 0o644)
    assert _loose(root)
    with caplog.at_level(logging.WARNING, logger="smets_emu.secure_files"):
        lab = open_lab(root, synchronous="OFF")
    try:
        assert _loose(root) == {}
        messages = [r.getMessage() for r in caplog.records]
        assert any("state.sqlite was readable" in m and "644" in m for m in messages), messages
        assert any("pki" in m and "made owner-only" in m for m in messages), messages
    finally:
        lab.close()


def test_write_secret_replaces_a_readable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text("old")
    os.chmod(path, 0o644)
    write_secret(path, "new")
    assert path.read_text() == "new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret"]
