"""Fixtures of the governance tests: an in-memory store on a controllable lab clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from governance_helpers import Clock

from smets_emu.parties.governance import Governance


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def gov(clock: Clock) -> Iterator[Governance]:
    governance = Governance.open(":memory:", clock=clock)
    try:
        yield governance
    finally:
        governance.close()
