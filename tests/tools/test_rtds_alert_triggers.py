"""RTDS alert triggers: the device event a command-less folder's alert comes from (tools/rtds_alert_triggers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from smets_emu.protocols.payloads.gbz import GbzPayload
from smets_emu.tools.rtds_replay import replay

pytestmark = pytest.mark.rtds


def test_gsme_integrity_event_reports_the_integrity_issue_not_the_alert_code(rtds_root: Path) -> None:
    """0x81A0 (GBZ form 0x00F2) carries the meter integrity issue code (digest 5.13), here the scenario's event."""
    (result,) = replay(rtds_root, only=["NA_MIIWA-ZigBee"])
    (_, expected, actual) = result.pairs[0]
    assert isinstance(actual.payload, GbzPayload) and isinstance(expected.payload, GbzPayload)
    assert actual.payload.alert is not None and expected.payload.alert is not None
    assert actual.payload.alert.integrity_code == expected.payload.alert.integrity_code != 0x81A0
    assert result.strict_verdict == "conform"


def test_gpf_backup_lists_the_devices_that_joined_it(rtds_root: Path) -> None:
    """GCS62: the GPF backs its log up when it changes (GBCS 13.3.6); the listed devices join it first."""
    (result,) = replay(rtds_root, only=["NA_GCS62"])
    (_, expected, actual) = result.pairs[0]
    assert actual.payload.value["deviceLogEntries"] == expected.payload.value["deviceLogEntries"]
    assert result.strict_verdict == "conform", result.strict_reason
