"""Every RTDS DLMS use-case folder for the ESME and the CHF, replayed against the COSEM engine.

Per folder the device answers each COMMAND with the same message code, CRA flag, outcome
and DLMS structure as the RTDS RESPONSE of the same name (see ``rtds_replay``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rtds_replay import dlms_folders, future_dated_targets, replay_folder

from tests_support import RTDS_ROOT, sampled

CASES = dlms_folders(RTDS_ROOT) if RTDS_ROOT else []
XFAIL: dict[str, str] = {}
"""Folders not yet matched, with the reason (none at present)."""

pytestmark = pytest.mark.rtds


def test_folder_count(rtds_root: Path) -> None:
    assert len(CASES) == 124


@pytest.mark.parametrize("case", sampled([
    pytest.param(c, id=c.folder, marks=[pytest.mark.xfail(reason=XFAIL[c.folder], strict=True)]
                 if c.folder in XFAIL else [])
    for c in CASES
]))
def test_rtds_folder(rtds_root: Path, case: object) -> None:
    problems = replay_folder(rtds_root, case)  # type: ignore[arg-type]
    assert not problems, "\n".join(problems)


FUTURE_DATED = [c for c in CASES if any("FUTURE_DATED" in f.path.name for f in c.commands)]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.folder) for c in FUTURE_DATED])
def test_future_dated_alerts(rtds_root: Path, case: object) -> None:
    """One signed 0x00CC/0x8F66 alert per activated item, naming the same command and attribute as RTDS."""
    ours, theirs = future_dated_targets(rtds_root, case)  # type: ignore[arg-type]
    assert theirs
    assert ours == theirs
