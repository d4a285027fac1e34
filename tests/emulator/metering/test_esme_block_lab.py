"""ESME block tariff registers over GBCS: a TOU-with-blocks tariff set by ECS01a, 30 virtual days, then ECS17b,
ECS17d (TOU Register Matrix), ECS17e (Tariff TOU Block Register and Block Counter Matrices) and ECS21a: the TOU
rates and the block registers add up exactly to the register delta, blocks follow the thresholds within each
billing period and the daily read log carries the same block registers (SMETS2 5.6.4; GBCS ECS01a, ECS17d/e)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_esme_lab_reads import DAY, ESME, START, Reader, fleet

from smets_emu.tools.lab import Lab, open_lab

ECS01A, ECS17B, ECS17D, ECS17E, ECS21A = 0x0019, 0x0027, 0x0029, 0x002A, 0x0033
THRESHOLDS = (10_000, 20_000)
"""Block rate 1's thresholds (Wh in a billing period); block rates 2..8 have none."""
NOW = "0000000000000000008000FF"  # an activation time of all zeros: at once
SCRIPT = "00000A0064FF"


def _v(kind: str, value: Any) -> dict[str, Any]:
    return {"type": kind, "value": value}


def _set(class_id: int, obis: str, attribute: int, data: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "set", "class_id": class_id, "obis": obis, "attribute_id": attribute, "data": data}


def block_tariff() -> dict[str, Any]:
    """ECS01a: night (00:00-07:00) on block rate 1 (script selector 101), day on TOU rate 1; thresholds; prices."""
    actions = [_v("structure", [_v("octet-string", f"{hour:02X}000000"), _v("octet-string", SCRIPT),
                                _v("long-unsigned", selector)]) for hour, selector in ((0, 101), (7, 1))]
    requests = [
        _set(20, "0-0:13.0.0.255", 7, _v("array", [_v("structure", [
            _v("octet-string", "616C6C"), _v("octet-string", "07DF0101FF000000008000FF"), _v("octet-string", "01")])])),
        _set(20, "0-0:13.0.0.255", 8, _v("array", [_v("structure", [
            _v("octet-string", "01"), *[_v("unsigned", 1)] * 7])])),
        _set(20, "0-0:13.0.0.255", 9, _v("array", [_v("structure", [_v("unsigned", 1), _v("array", actions)])])),
    ]
    for rate in range(8):
        values = (*THRESHOLDS, 0xFFFFFFFF) if rate == 0 else (0xFFFFFFFF,)
        requests.append(_set(21, f"0-0:16.1.{11 + rate}.255", 2,
                             _v("array", [_v("double-long-unsigned", v) for v in values])))
    table = [_v("structure", [_v("octet-string", f"{c:02X}"), _v("long", 1500 if c == 1 else 0)]) for c in range(1, 49)]
    table += [_v("structure", [_v("octet-string", f"{letter}{r}"), _v("long", price if r == 1 else 0)])
              for letter, price in zip("ABCD", (1361, 2289, 5566, 0), strict=True) for r in range(1, 9)]
    requests += [
        _set(113, "0-0:19.20.0.255", 6, _v("structure", [
            _v("structure", [_v("integer", 3), _v("integer", -5)]),
            _v("structure", [_v("long-unsigned", 3), _v("octet-string", "0100010800FF"), _v("integer", 2)]),
            _v("array", table)])),
        _set(20, "0-0:13.0.0.255", 10, _v("octet-string", NOW)),
        _set(113, "0-0:19.20.0.255", 7, _v("octet-string", NOW)),
    ]
    return {"family": "dlms", "apdu": "access-request", "date_time": "", "requests": requests,
            "invoke": {"invoke_id": 1007, "high_priority": False, "confirmed": False, "break_on_error": True,
                       "self_descriptive": False, "reserved": 0}}


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    opened = open_lab(tmp_path / "lab", fleet(7))
    try:
        reader = Reader(opened)
        data = reader.party.build(ECS01A, block_tariff(), to=ESME)
        sent = opened.fleet.deliver(data, START + dt.timedelta(minutes=1))
        assert [o.kind for o in sent if o.kind == "response"] == ["response"]
        yield opened
    finally:
        opened.close()


def _array(reader: Reader, code: int, at: dt.datetime) -> list[int]:
    (value,) = reader.read(code, at)
    return [int(cell["value"]) for cell in value["value"][0]["value"]]


def test_tou_and_block_registers_add_up_to_the_register_after_30_days(lab: Lab) -> None:
    reader = Reader(lab)
    end = START + 30 * DAY
    checks = [START + dt.timedelta(minutes=2), START + 21 * DAY + dt.timedelta(hours=3, seconds=17),
              dt.datetime(2026, 4, 1, tzinfo=dt.UTC), end + dt.timedelta(hours=5, minutes=41, seconds=3)]
    readings = {t: (reader.register(t), _array(reader, ECS17D, t), _array(reader, ECS17E, t)) for t in checks}
    base_register, base_tou, base_blocks = readings[checks[0]]
    for register, tou, blocks in readings.values():
        assert len(tou) == 48 and len(blocks) == 64
        # every half-hour counts once: in a TOU rate (day) or in block rate 1's blocks (night)
        assert (sum(tou) - sum(base_tou)) + (sum(blocks[:32]) - sum(base_blocks[:32])) == register - base_register
        assert not any(tou[1:]) and not any(blocks[1:8]) and not any(blocks[24:32])  # only TOU 1, block rate 1
    register, tou, blocks = readings[checks[-1]]
    a1, b1, c1 = blocks[0], blocks[8], blocks[16]  # block-major: A1..A8, B1..B8, C1..C8, D1..D8
    # the first billing period (10 March - 1 April) fills block 1 (10 kWh), then block 2; the next starts again
    at_period = readings[dt.datetime(2026, 4, 1, tzinfo=dt.UTC)][2]
    assert at_period[0] == THRESHOLDS[0] and 0 < at_period[8] <= THRESHOLDS[1] - THRESHOLDS[0]
    assert at_period[32:] == [0] * 32  # the block counters start again at the period end
    counters = blocks[32:]  # this billing period's part (from 1 April)
    assert [counters[0], counters[8], counters[16]] == [a1 - at_period[0], b1 - at_period[8], c1 - at_period[16]]
    assert 0 < counters[0] <= THRESHOLDS[0] and sum(counters) == sum(blocks[:32]) - sum(at_period[:32])
    assert tou[0] > 0 and register - base_register > sum(blocks[:32]) > 0

    # the daily read log's four arrays of 8 are the block registers at each midnight
    (daily,) = reader.buffer(ECS21A, end + dt.timedelta(hours=1), START, end)
    last = daily[-1]
    assert last[0] == end
    assert [v for array in last[3:7] for v in array] == _array(reader, ECS17E, end)[:32]
    assert last[1] == reader.register(end) and sum(last[2]) + sum(sum(a) for a in last[3:7]) == last[1]


def test_a_clock_centuries_ahead_reads_at_once(lab: Lab) -> None:
    reader = Reader(lab)
    far = dt.datetime(2399, 6, 1, tzinfo=dt.UTC)
    blocks = _array(reader, ECS17E, far)
    later = _array(reader, ECS17E, far + 400 * DAY)
    assert blocks[:32] == later[:32]  # the model counts a century: nothing more after it
