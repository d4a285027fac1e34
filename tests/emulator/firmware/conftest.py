"""Fixtures of the firmware tests."""

from __future__ import annotations

import pytest
from firmware_lab import Lab, build_lab


@pytest.fixture
def lab() -> Lab:
    return build_lab()
