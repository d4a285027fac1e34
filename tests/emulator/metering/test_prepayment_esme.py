"""ESME prepayment over GBCS (CS01a, ECS03, ECS09, ECS19, ECS42): UTRN credit, replay refusal, credit used at the
tariff price, emergency credit, disablement with its alerts at the right virtual time, re-arm and enable, restart."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from prepayment_lab import ESME, PrepaymentLab

from smets_emu.emulator.cosem.model import object_key
from smets_emu.emulator.metering import prepayment as engine
from smets_emu.emulator.metering import prepayment_ports as ports
from smets_emu.emulator.metering.config import device_model
from smets_emu.emulator.metering.utrn import DUPLICATE_UTRN, UTRN_NOT_AUTHENTIC
from smets_emu.emulator.state import DeviceState, copy_tree
from smets_emu.protocols.payloads import Payload, payload_from_json
from smets_emu.protocols.payloads.dlms import sample_dlms
from smets_emu.protocols.payloads.dlms_data import DlmsData
from smets_emu.protocols.utrn import check_digit
from smets_emu.tools.wan_client import Reply

PRICE = 25_000  # money (1/100000 pound) per kWh: 25 p/kWh


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[PrepaymentLab]:
    opened = PrepaymentLab(tmp_path / "lab")
    try:
        yield opened
    finally:
        opened.close()


def _set(state: DeviceState, key: str, attribute: int, value: dict[str, object]) -> None:
    from smets_emu.emulator.cosem.profiles import shared_profile_objects

    obj = state.object_for_write("cosem", key)
    if obj is None:
        obj = copy_tree(shared_profile_objects("ESME")[key])
        state.put_object("cosem", key, obj)
    obj["attributes"].setdefault(str(attribute), {"access": "r"})["value"] = DlmsData.from_json(value).to_json()


def _tariff(*, ec_limit: int = 0, ec_threshold: int = 0, low_credit: int = 0) -> Callable[[DeviceState], None]:
    """Set the price matrix (ECS01a: commodity scale 3, price scale -5) and the ECS08 thresholds (active values)."""

    def edit(state: DeviceState) -> None:
        price = {"type": "structure", "value": [
            {"type": "structure", "value": [{"type": "integer", "value": 3}, {"type": "integer", "value": -5}]},
            {"type": "structure", "value": [{"type": "long-unsigned", "value": 3},
                                            {"type": "octet-string", "value": "0100010800FF"},
                                            {"type": "integer", "value": 2}]},
            {"type": "array", "value": [{"type": "structure", "value": [
                {"type": "octet-string", "value": "01"}, {"type": "long", "value": PRICE}]}]},
        ]}
        _set(state, object_key(113, "0-0:19.20.0.255"), 5, price)
        for obis, value in (("0-0:94.44.128.2", ec_limit), ("0-0:94.44.128.3", ec_threshold),
                            ("0-0:94.44.128.9", low_credit)):
            _set(state, object_key(9000, obis), 2, {"type": "double-long", "value": value})

    return edit


def _results(reply: Reply) -> list[dict[str, Any]]:
    assert reply.response is not None and reply.payload is not None
    results: list[dict[str, Any]] = reply.payload.to_json()["results"]
    return results


def _cost(lab: PrepaymentLab, start: dt.datetime, end: dt.datetime) -> int:
    """The price of the energy between two instants, from ConsumptionModel.between (floor per kWh price)."""
    model = device_model(lab.state(ESME))
    assert model is not None
    base = model.cumulative(start)
    return (base + model.between(start, end)) * PRICE // 1000 - base * PRICE // 1000


def _in_prepayment(lab: PrepaymentLab, *, pounds: int, **limits: int) -> dt.datetime:
    """Tariff set, a first top-up in credit mode, then ECS03; charging starts at the returned tick."""
    lab.change(ESME, _tariff(**limits))
    _, reply = lab.top_up(ESME, pounds=pounds)
    assert _results(reply)[0]["result"] == "success"
    assert _results(lab.command("ECS03", to=ESME))[0]["result"] == "success"
    lab.tick()
    assert lab.stored(ESME)["mode_seen"] is True
    return lab.now


def test_a_valid_utrn_adds_its_credit_and_the_same_utrn_again_is_refused(lab: PrepaymentLab) -> None:
    utrn, reply = lab.top_up(ESME, pounds=10)
    assert _results(reply)[0]["result"] == "success"
    assert lab.credit(ESME).balance == 10 * engine.MONEY_SCALE
    again = lab.resend(ESME, utrn)
    assert _results(again)[0]["result"] == "other-reason"
    sent_at = lab.now
    alerts = lab.tick()
    assert [(a.code, a.at) for a in alerts if a.code == DUPLICATE_UTRN] == [(DUPLICATE_UTRN, sent_at)]
    assert lab.credit(ESME).balance == 10 * engine.MONEY_SCALE  # no credit twice
    forged = utrn[:5] + str((int(utrn[5]) + 1) % 10) + utrn[6:19]
    forged += str(check_digit(forged))
    assert _results(lab.resend(ESME, forged))[0]["result"] == "other-reason"
    assert [a.code for a in lab.tick() if a.code == UTRN_NOT_AUTHENTIC] == [UTRN_NOT_AUTHENTIC]
    _, second = lab.top_up(ESME, pounds=5)  # the supplier's next token is fine
    assert _results(second)[0]["result"] == "success"
    assert lab.credit(ESME).balance == 15 * engine.MONEY_SCALE


def test_credit_runs_down_with_consumption_at_the_tariff_price(lab: PrepaymentLab) -> None:
    start = _in_prepayment(lab, pounds=20)
    later = start + dt.timedelta(hours=30, minutes=17, seconds=5)
    expected = 20 * engine.MONEY_SCALE - _cost(lab, start, later)
    assert expected < 20 * engine.MONEY_SCALE
    lab.now = later - dt.timedelta(seconds=1)
    reply = lab.command("ECS19", to=ESME)  # the prepayment registers, protected for the supplier
    registers = _results(reply)[0]["data"]["value"][1]["decrypted"]["value"][0]["value"]  # type: ignore[index]
    assert registers[0]["value"] == expected
    lab.tick(start + dt.timedelta(hours=11))  # settling on the way changes nothing
    assert lab.credit(ESME, later).balance == expected


def test_emergency_credit_then_zero_disarms_with_alerts_and_a_top_up_re_enables(lab: PrepaymentLab) -> None:
    limit, threshold, low = 3 * engine.MONEY_SCALE, engine.MONEY_SCALE, 2 * engine.MONEY_SCALE
    start = _in_prepayment(lab, pounds=5, ec_limit=limit, ec_threshold=threshold, low_credit=low)
    model = device_model(lab.state(ESME))
    assert model is not None

    def crossing(amount: int, since: dt.datetime) -> dt.datetime:
        """The first second at which the energy used since *since* costs *amount*, checked with between()."""
        low, high = 0, 1
        while _cost(lab, since, since + dt.timedelta(seconds=high)) < amount:
            low, high = high, high * 2
        while high - low > 1:  # cost(low) < amount <= cost(high)
            middle = (low + high) // 2
            low, high = (middle, high) if _cost(lab, since, since + dt.timedelta(seconds=middle)) < amount else (
                low, middle)
        return since + dt.timedelta(seconds=high)

    low_at, ec_at = crossing(5 * engine.MONEY_SCALE - low, start), crossing(5 * engine.MONEY_SCALE - threshold, start)
    alerts = lab.tick(ec_at + dt.timedelta(minutes=5))
    assert [(a.code, a.at) for a in alerts if a.code in (engine.LOW_CREDIT, engine.EMERGENCY_CREDIT_AVAILABLE)] == [
        (engine.LOW_CREDIT, low_at), (engine.EMERGENCY_CREDIT_AVAILABLE, ec_at)]
    assert ports.supply_of(lab.state(ESME)) is engine.Supply.ENABLED

    assert _results(lab.command("ECS09", to=ESME))[0]["result"] == "success"  # activate emergency credit
    assert [a.code for a in lab.tick() if a.code == engine.EMERGENCY_CREDIT_ACTIVATED] == [
        engine.EMERGENCY_CREDIT_ACTIVATED]
    exhausted_at = crossing(5 * engine.MONEY_SCALE + limit, start)  # meter balance and emergency credit used up
    alerts = lab.tick(exhausted_at + dt.timedelta(days=3))
    assert [(a.code, a.at) for a in alerts if a.code in (engine.CREDIT_BELOW_DISABLEMENT,
                                                         engine.EMERGENCY_CREDIT_EXHAUSTED)] == [
        (engine.CREDIT_BELOW_DISABLEMENT, exhausted_at), (engine.EMERGENCY_CREDIT_EXHAUSTED, exhausted_at)]
    state = lab.state(ESME)
    assert ports.supply_of(state) is engine.Supply.DISABLED  # load switch open: disconnect control state 0
    balance = lab.credit(ESME).balance
    assert balance == 5 * engine.MONEY_SCALE - _cost(lab, start, exhausted_at)
    assert lab.credit(ESME, lab.now + dt.timedelta(days=2)).balance == balance  # nothing flows while disabled

    _, reply = lab.top_up(ESME, pounds=10)
    assert _results(reply)[0]["result"] == "success"
    assert [a.code for a in lab.tick() if a.code == engine.SUPPLY_ARMED] == [engine.SUPPLY_ARMED]
    assert ports.supply_of(lab.state(ESME)) is engine.Supply.ARMED
    assert lab.credit(ESME).balance == balance + 10 * engine.MONEY_SCALE and not lab.credit(ESME).ec_in_use
    assert _results(lab.command("ECS42", to=ESME))[0]["result"] == "success"  # close the load switch
    enabled_at = lab.now
    assert ports.supply_of(lab.state(ESME)) is engine.Supply.ENABLED
    lab.tick()
    later = enabled_at + dt.timedelta(hours=6)
    assert lab.credit(ESME, later).balance == balance + 10 * engine.MONEY_SCALE - _cost(lab, enabled_at, later)


def test_balance_and_used_utrns_survive_a_restart(lab: PrepaymentLab) -> None:
    start = _in_prepayment(lab, pounds=8)
    utrn, _ = lab.top_up(ESME, pounds=2)
    lab.tick()
    before = lab.stored(ESME)
    lab.reopen()
    assert lab.stored(ESME) == before
    later = lab.now + dt.timedelta(hours=5)
    assert lab.credit(ESME, later).balance == 10 * engine.MONEY_SCALE - _cost(lab, start, later)
    assert _results(lab.resend(ESME, utrn))[0]["result"] == "other-reason"  # still refused after the restart


def _manage_debt(time_debt: int, payment_debt: int, share: int) -> Payload:
    """ECS07 as RTDS sends it: time debt 1 recovered at 0.30 a day, the payment debt's share, both debts added."""
    tree = sample_dlms(0x001E, 1).to_json()  # SET time debt 1 unit charge passive: 3 x 10^-1 per period
    charge = "0-0:19.20.1.255"

    def action(obis: str, method: int, value: int) -> dict[str, Any]:
        return {"kind": "action", "class_id": 113, "obis": obis, "method_id": method,
                "data": {"type": "double-long", "value": value}}

    tree["requests"] += [
        {"kind": "set", "class_id": 113, "obis": "0-0:19.20.3.255", "attribute_id": 13,
         "data": {"type": "long-unsigned", "value": share}},
        {"kind": "set", "class_id": 113, "obis": charge, "attribute_id": 8,
         "data": {"type": "double-long-unsigned", "value": 86_400}},
        {**action(charge, 2, 0), "data": {"type": "integer", "value": 0}},
        action("0-0:19.20.3.255", 4, payment_debt), action(charge, 4, time_debt),
    ]
    return payload_from_json(tree)


def test_debts_are_recovered_per_day_and_from_each_top_up(lab: PrepaymentLab) -> None:
    """ECS07 sets time debt 1 (0.30 a day) and a payment debt (10 % of each top-up); midnights recover the time
    debt until it is paid, with 0x81A7; the top-up pays its share of the payment debt."""
    start = _in_prepayment(lab, pounds=30)
    reply = lab.command("ECS07", to=ESME, payload=_manage_debt(time_debt=80_000, payment_debt=50_000, share=1_000))
    assert all(r["result"] == "success" for r in _results(reply))
    set_at = lab.now
    credit = lab.credit(ESME)
    assert (credit.time_debts, credit.payment_debt) == ([80_000, 0], 50_000)
    paid = dt.datetime.combine(set_at.date() + dt.timedelta(days=3), dt.time(), tzinfo=dt.UTC)  # 30 000 x 2 + 20 000
    alerts = lab.tick(paid + dt.timedelta(hours=1))
    assert [(a.code, a.at) for a in alerts if a.code == engine.DEBT_COMPLETED[0]] == [(engine.DEBT_COMPLETED[0], paid)]
    later = paid + dt.timedelta(hours=1)
    assert lab.credit(ESME, later).balance == 30 * engine.MONEY_SCALE - _cost(lab, start, later) - 80_000
    _, top_up = lab.top_up(ESME, pounds=10)
    assert _results(top_up)[0]["result"] == "success"
    credit = lab.credit(ESME)
    assert credit.payment_debt == 0  # 10 % of 10.00 covers the 0.50 owed
    assert credit.balance == (30 * engine.MONEY_SCALE - _cost(lab, start, lab.now) - 80_000
                              + 10 * engine.MONEY_SCALE - 50_000)
    assert engine.PAYMENT_DEBT_COMPLETED in [a.code for a in lab.tick()]
