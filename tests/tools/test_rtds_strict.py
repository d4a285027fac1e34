"""``rtds-replay --strict``: every field compared but the documented legitimate ones; injected preconditions shown."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import pytest

from smets_emu.protocols.message import Message
from smets_emu.protocols.timestamps import DlmsDateTime
from smets_emu.tools import cli
from smets_emu.tools.rtds_replay import replay
from smets_emu.tools.rtds_strict import INJECTED_KINDS, legitimate_reason, side_by_side, strict_differences

pytestmark = pytest.mark.rtds


def _pair(rtds_root: Path, folder: str) -> tuple[str, Message, Message]:
    (result,) = replay(rtds_root, only=[folder])
    assert result.pairs, result.reason
    return result.pairs[0]


@pytest.mark.parametrize(
    ("path", "kind", "allowed"),
    [
        ("mac", "response", True),
        ("header.date_time.year", "response", True),
        ("header.originator_counter", "alert", True),
        ("header.originator_counter", "response", False),
        ("payload.results.data.value", "response", False),
        ("payload.value.ephemeralPublicKey", "response", True),
        ("header.other_information.message_code", "response", False),
        ("payload.value.currentSeqNumber", "response", True),
        ("payload.value.remotePartyRole", "response", False),
    ],
)
def test_legitimate_fields_are_a_short_documented_list(path: str, kind: str, allowed: bool) -> None:
    assert (legitimate_reason(path, kind) is not None) is allowed


def test_a_message_equals_itself_and_a_changed_value_is_named(rtds_root: Path) -> None:
    (result,) = replay(rtds_root, only=["11.2_ECS52"])
    pairs = {name: want for name, want, _ in result.pairs}
    success = pairs["ECS52_11.2_SUCCESS_RESPONSE_GBCS.HEX"]
    error = pairs["ECS52_11.2_ERROR_RESPONSE_GBCS.HEX"]
    assert strict_differences(success, success) == []
    found = {d.path: d for d in strict_differences(success, error)}
    assert found["payload.results[0].result"].expected == "success"
    assert found["payload.results[0].result"].actual == "hardware-fault"
    assert "payload.results[0].data.type" in found
    assert not any(p.startswith("mac") for p in found)  # the MACs differ too, legitimately


def test_header_date_time_presence_is_compared(rtds_root: Path) -> None:
    _, expected, _ = _pair(rtds_root, "11.2_ECS52")

    when = DlmsDateTime.from_datetime(dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    stamped = replace(expected, header=replace(expected.header, date_time=when))
    found = [str(d) for d in strict_differences(expected, stamped)]
    assert any(d.startswith("header.date_time") and "absent" in d for d in found), found


def test_cli_strict_json_and_explain(rtds_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """CCS07 conforms in shape but the CHF's log does not hold the scenario's device: a strict difference."""
    status = cli.main(["rtds-replay", "--rtds", str(rtds_root), "--folder", "8.9_CCS07", "--folder", "6.17_CS02c",
                       "--strict", "--json", "--explain"])
    out = capsys.readouterr().out
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["by_use_case"]["8.9_CCS07"] == "conform"
    assert summary["by_use_case_strict"]["8.9_CCS07"] == "differ"
    assert "payload.results[0].data.value" in summary["strict_differences"]["8.9_CCS07"]
    assert status == (1 if "differ" in summary["by_use_case_strict"].values() else 0)
    strict = summary["strict_totals"]
    assert strict["conform"] == strict["conform_on_its_own"] + strict["conform_outcome_injected"]
    assert set(summary["injected"]["6.17_CS02c"]) <= set(INJECTED_KINDS)
    assert "outcome:credential-fault" in summary["injected"]["6.17_CS02c"]
    assert "== 8.9_CCS07 / CCS07_8.9_SUCCESS_RESPONSE_GBCS.HEX" in out
    assert "differs: payload.results[0].data.value" in out


def test_side_by_side_marks_the_lines_that_differ(rtds_root: Path) -> None:
    (result,) = replay(rtds_root, only=["11.2_ECS52"])
    pairs = {name: want for name, want, _ in result.pairs}
    success = pairs["ECS52_11.2_SUCCESS_RESPONSE_GBCS.HEX"]
    text = side_by_side(success, pairs["ECS52_11.2_ERROR_RESPONSE_GBCS.HEX"])
    marked = [line for line in text.splitlines() if "!|" in line]
    assert any('"hardware-fault"' in line for line in marked)
    assert side_by_side(success, success).count("!|") == 0
