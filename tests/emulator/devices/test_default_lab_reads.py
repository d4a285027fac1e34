"""The default lab answers the use cases a new user tries first: read-firmware on the CHF and the protected
register and log reads (ECS17b, ECS20b, ECS22b) on the ESME, with the samples ``send`` uses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smets_emu.emulator.anchors import Role
from smets_emu.emulator.device import ALERT_NO_AUTHORITY
from smets_emu.protocols import usecases
from smets_emu.tools.lab import Lab, open_lab, read_inventory
from smets_emu.tools.wan_client import Exchange, RemoteParty, Reply

ESME = bytes.fromhex("00DB1234567890A0")
CHF = bytes.fromhex("00DB1234567890A2")
GENERIC_CRITICAL_ALERT = 0x1000


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    opened = open_lab(tmp_path / "lab")
    try:
        yield opened
    finally:
        opened.close()


class _Deliver:
    """Commands straight into the lab's fleet (what the WAN front does), one second apart."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        self.party = RemoteParty(lab.keystore, self._never, device_type_of=read_inventory(lab.key_folder).get)

    @staticmethod
    async def _never(data: bytes) -> Exchange:  # pragma: no cover - the tests deliver in-process
        raise AssertionError("not used")

    def command(self, code: int | str, *, to: bytes, as_party: str | None = None) -> Reply:
        data = self.party.build(code, to=to, as_party=as_party)
        self.now += dt.timedelta(seconds=1)
        sent = self.lab.fleet.deliver(data, self.now)
        response = next((o.message for o in sent if o.kind == "response"), None)
        return self.party.read(data, Exchange(1, response, [o.message for o in sent if o.kind == "alert"]))


def _alert_code(reply: Reply) -> int:
    assert reply.alert_messages, "the device raised no alert"
    body = reply.alert_messages[0].payload.to_json()["body"]["value"]
    return int(body[0]["value"])


def _results(reply: Reply) -> list[dict[str, Any]]:
    assert reply.response is not None, "the device did not answer"
    assert "valid" in (reply.security["mac"], reply.security["signature"])  # MACed, or signed when critical
    assert "invalid" not in reply.security.values()
    return reply.payload.to_json()["results"]  # type: ignore[union-attr]


def test_chf_answers_read_firmware_from_the_acb(lab: Lab) -> None:
    lab.fleet.device(CHF).state.firmware["version"] = "02030405"
    reply = _Deliver(lab).command("read-firmware", to=CHF, as_party="acb")
    (result,) = _results(reply)
    assert result["result"] == "success"
    assert (result["data"]["type"], result["data"]["value"]) == ("octet-string", "02030405")
    assert reply.message is not None and reply.message.header.originator == CHF


@pytest.mark.parametrize("role", ["supplier", "network-operator", "wan-provider", "recovery"])
def test_chf_refuses_read_firmware_from_other_roles(lab: Lab, role: str) -> None:
    """GBCS: a command from a party without authority for it is discarded with alert 0x8F30, no response."""
    log_before = len(lab.fleet.device(CHF).state.security_log)
    reply = _Deliver(lab).command(0x0059, to=CHF, as_party=role)
    assert reply.response is None
    assert reply.alert_messages[0].header.other_information.message_code == GENERIC_CRITICAL_ALERT
    assert _alert_code(reply) == ALERT_NO_AUTHORITY
    assert lab.fleet.device(CHF).state.security_log[log_before:][0]["code"] == ALERT_NO_AUTHORITY


def test_esme_keeps_its_read_firmware_roles(lab: Lab) -> None:
    assert usecases.allowed_roles(0x0059, "ESME") == {Role.SUPPLIER, Role.NETWORK_OPERATOR}
    assert usecases.allowed_roles(0x0059, "CHF") == {Role.ACCESS_CONTROL_BROKER}
    deliver = _Deliver(lab)
    for role in ("supplier", "network-operator"):
        (result,) = _results(deliver.command("read-firmware", to=ESME, as_party=role))
        assert result["data"]["value"] == "01000000"
    refused = deliver.command(0x0059, to=ESME, as_party="acb")
    assert refused.response is None and _alert_code(refused) == ALERT_NO_AUTHORITY


@pytest.mark.parametrize(("code", "buffer"), [("ECS17b", False), ("ECS20b", True), ("ECS22b", True)])
def test_protected_read_samples_get_data_from_the_default_esme(lab: Lab, code: str, buffer: bool) -> None:
    """The sample object lists are those GBCS reads (the RTDS commands), and the ESME profile holds them."""
    (result,) = _results(_Deliver(lab).command(code, to=ESME))
    assert result["result"] == "success", result
    protected = result["data"]["value"][1]
    values = protected["decrypted"]["value"]  # decrypted with the supplier's key agreement key
    assert len(values) == 1
    if buffer:  # ECS20b's log fills only on a change of tariff or payment mode (metering_logs.record_change)
        assert values[0]["type"] == "compact-array" and (len(values[0]["value"]) > 0 or code == "ECS20b")
    else:
        assert values[0]["type"] == "structure" and len(values[0]["value"]) == 4


@pytest.mark.parametrize("code", ["ECS17d", "ECS17e", "ECS19", "ECS20c", "ECS21a", "ECS66", "ECS20a", "ECS22a",
                                  "ECS22c", "ECS35a", "ECS07", "ECS01b", "ECS01c", "ECS01d"])
def test_other_esme_samples_succeed(lab: Lab, code: str) -> None:
    results = _results(_Deliver(lab).command(code, to=ESME))
    assert all(r["result"] == "success" for r in results), results


def test_chf_device_log_samples_keep_the_premises_joined(lab: Lab) -> None:
    """CCS01 for a device already on the log succeeds and keeps its link key (GBCS CCS01); the samples of
    CCS01, CCS02 and CCS03 leave the default premises' devices on the CHF device log."""
    chf = lab.fleet.device(CHF)
    before = {e["eui"] for e in chf.state.device_log}
    deliver = _Deliver(lab)
    for code in ("CCS01", "CCS02", "CCS03"):
        results = _results(deliver.command(code, to=CHF))
        assert all(r["result"] == "success" for r in results), (code, results)
    assert {e["eui"] for e in chf.state.device_log} == before


def test_top_up_samples_carry_a_utrn_minted_for_the_device(lab: Lab) -> None:
    """CS01a/CS01b: ``send`` mints the UTRN with the supplier's prepayment key for the target (GBCS 14)."""
    deliver = _Deliver(lab)
    (result,) = _results(deliver.command("CS01a", to=ESME))
    assert result["result"] == "success"
    reply = deliver.command("CS01b", to=bytes.fromhex("00DB1234567890A1"))
    assert reply.response is not None
    fields = reply.payload.to_json()["components"][0]["zcl"]["fields"]  # type: ignore[union-attr]
    assert fields["result_type"] == 0 and fields["top_up_value"] > 0  # accepted: the UTRN authenticates


@pytest.mark.parametrize("code", [0x0012, 0x0102])
def test_samples_repeat_the_command_counter(lab: Lab, code: int) -> None:
    """CS06 and CS02b payloads repeat the originator counter: the sample carries the command's, so the device
    answers with its outcome (no image held, a placeholder certificate refused) instead of discarding it."""
    reply = _Deliver(lab).command(code, to=ESME)
    assert reply.response is not None, lab.fleet.device(ESME).state.security_log[-1:]  # type: ignore[union-attr]
    assert reply.security["signature"] == "valid"
    outcome = reply.payload.to_json()["value"]["executionOutcome"]  # type: ignore[union-attr]
    assert outcome
