"""The CPL service: seeded from the DSP scenario, changes with history, and the DSP's E110101 check reading it."""

from __future__ import annotations

from pathlib import Path

import pytest
from governance_helpers import ESME_MODEL, Clock

from smets_emu.parties.governance import Conflict, DeviceModel, Governance, InvalidInput, UnknownObject
from smets_emu.parties.smets1.dsp import Dsp
from smets_emu.parties.smets1.scenario import seed_default_scenario
from smets_emu.parties.smets1.store import Store
from smets_emu.protocols.duis import ResponseCode, parse_response

TEMPLATES = Path(__file__).resolve().parents[4] / "shared" / "duis" / "templates"


def test_seeded_like_the_dsp_scenario(gov: Governance) -> None:
    store = Store(":memory:")
    seed_default_scenario(store)
    for model in ("010A030B", "020A030B", "030A030B", "040A030B"):
        assert set(gov.cpl_entries("AB01", model)) == set(store.cpl_entries("AB01", model))
    assert {c.change for c in gov.cpl_history("network-operator-a")} == {"add"}
    assert gov.epcl("supplier-a") == []


def test_add_and_withdraw_with_history(gov: Governance, clock: Clock) -> None:
    model = DeviceModel.create("ab01", ESME_MODEL, "0b000000", "11" * 32, "SMETS1", "ESME")
    gov.cpl_add("secas", model, reason="assurance certificate")
    with pytest.raises(Conflict):
        gov.cpl_add("secas", model)
    assert model in gov.cpl_models("mfr-cd02", manufacturer_id="AB01", model_id=ESME_MODEL)
    clock.advance(hours=1)
    gov.cpl_withdraw("secas", "AB01", ESME_MODEL, "0B000000", reason="withdrawn")
    with pytest.raises(UnknownObject):
        gov.cpl_withdraw("secas", "AB01", ESME_MODEL, "0B000000")
    history = gov.cpl_history("dcc", limit=2)
    assert [(h.change, h.subject, h.party, h.at) for h in history] == [
        ("withdraw", model.label, "secas", clock.now),
        ("add", model.label, "secas", clock.now.replace(hour=clock.now.hour - 1)),
    ]


@pytest.mark.parametrize("args", [
    ("AB1", ESME_MODEL, "00000000", None, "SMETS1", "ESME"),
    ("AB01", "0A", "00000000", None, "SMETS1", "ESME"),
    ("AB01", ESME_MODEL, "v1", None, "SMETS1", "ESME"),
    ("AB01", ESME_MODEL, "00000000", "zz", "SMETS1", "ESME"),
    ("AB01", ESME_MODEL, "00000000", "00", "SMETS1", "ESME"),
    ("AB01", ESME_MODEL, "00000000", None, "SMETS3", "ESME"),
    ("AB01", ESME_MODEL, "00000000", None, "SMETS1", "TOASTER"),
])
def test_malformed_device_models(args: tuple) -> None:  # type: ignore[type-arg]
    with pytest.raises(InvalidInput):
        DeviceModel.create(*args)


def test_the_dsp_reads_the_cpl_service(gov: Governance) -> None:
    if not TEMPLATES.is_dir():
        pytest.skip("DUIS templates (../shared/duis) not present")
    store = Store(":memory:")
    seed_default_scenario(store)
    dsp = Dsp(store, cpl=gov)
    request = (TEMPLATES / "11.1_UPDATE_FIRMWARE_REQUEST_DUIS.XML").read_bytes()  # SMETS1 ESME, version 00000000

    def device_code() -> str:
        response = parse_response(dsp.submit_xml(request))
        return next(c.text for r in response.body for c in r.children if c.name == "ResponseCode")  # type: ignore[return-value]

    assert device_code() != ResponseCode.FIRMWARE_VERSION_NOT_ON_CPL.value
    gov.cpl_withdraw("secas", "AB01", ESME_MODEL, "00000000")
    assert device_code() == ResponseCode.FIRMWARE_VERSION_NOT_ON_CPL.value
    assert store.cpl_entries("AB01", ESME_MODEL)  # the DSP store's own table is no longer what counts
    checks = [r for r in gov.audit_log("secas") if r.party == "dsp"]
    assert len(checks) >= 2 and checks[0].action == "cpl.check" and checks[0].object == f"AB01/{ESME_MODEL}"
