"""Site-setup joins of an RTDS replay (tools/rtds_joins.py): the device model builds the presumed device log."""

from __future__ import annotations

from pathlib import Path

import pytest

from smets_emu.tools.rtds_joins import logged_joins
from smets_emu.tools.rtds_names import DEVICE_TYPES
from smets_emu.tools.rtds_replay import START, replay

pytestmark = pytest.mark.rtds


def test_method_c_join_certificate_is_valid_at_the_scenario_time(rtds_root: Path) -> None:
    """CS07 presumes a PPMID joined by Method C (CS03C): its KA certificate must be valid at the replay clock
    (GBCS 13.3.4), so the GSME's log holds every entry the scenario lists."""
    assert START.year < 2024  # the seeded test PKI starts in 2024: the join must not rely on its default
    (result,) = replay(rtds_root, only=["8.9_CS07"])
    assert result.strict_verdict == "conform", result.strict_reason
    (_, expected, actual) = next(p for p in result.pairs if "SUCCESS" in p[0])
    assert actual.payload.value == expected.payload.value


def test_logged_joins_use_the_device_models_join_methods() -> None:
    """A GPF takes a PPMID by Method A (CS03A1) and a type 2 device by Method B (CS03B): device_log.JOIN_PARTNERS."""
    gpf = next(eui for eui, kind in DEVICE_TYPES.items() if kind == "GPF")
    joins = logged_joins(gpf, [{"deviceId": "0102030405060708", "deviceType": "type2Device(6)"},
                               {"deviceId": "00DB123456789099", "deviceType": "ppmid(5)"},
                               {"deviceId": "00DB123456789098", "deviceType": "esme(1)"}])
    assert [(j.message_code, j.method, j.device_type) for j in joins] == [(0x000E, 2, 6), (0x000D, 0, 5)]
