"""SECMP0107 Requirement 2 correction job and SEC G3.20 (MP087) notification routing."""

from __future__ import annotations

import pytest

from smets_emu.errors import StateError
from smets_emu.parties.smets1.correction import (
    audit_rows,
    correct_network_operator_certificates,
    find_wrong_network_operator_certificates,
)
from smets_emu.parties.smets1.devices import DeviceType, Generation
from smets_emu.parties.smets1.notify import AlertRouter, NotifyParty, vulnerability_notification_party
from smets_emu.parties.smets1.scenario import SUPPLIER_A, generate_fleet
from smets_emu.parties.smets1.store import Store


def _run(devices: int, wrong: int) -> None:
    store = Store()
    summary = generate_fleet(store, devices=devices, wrong_network_operator=wrong, seed=3)
    assert summary.total == devices
    assert sum(summary.wrong_network_operator.values()) == wrong
    report = correct_network_operator_certificates(store, run_id="run-1")
    assert report.found == summary.wrong_network_operator
    assert report.corrected == summary.wrong_network_operator
    assert not report.skipped
    assert audit_rows(store, "run-1") == wrong
    again = correct_network_operator_certificates(store, run_id="run-2")
    assert again.found_total == 0 and again.corrected_total == 0
    assert audit_rows(store) == wrong
    store.close()


def test_correction_small_fleet() -> None:
    _run(2_000, 137)


def test_dry_run_changes_nothing() -> None:
    store = Store()
    generate_fleet(store, devices=500, wrong_network_operator=20, seed=1)
    report = correct_network_operator_certificates(store, dry_run=True)
    assert report.found_total == 20 and report.corrected_total == 0
    assert len(find_wrong_network_operator_certificates(store)) == 20


def test_unpublished_certificate_is_skipped_not_guessed() -> None:
    store = Store()
    generate_fleet(store, devices=500, wrong_network_operator=10, seed=1)
    store.db.execute("DELETE FROM party_certificates")
    report = correct_network_operator_certificates(store)
    assert report.corrected_total == 0 and len(report.skipped) == 10
    assert len(find_wrong_network_operator_certificates(store)) == 10


@pytest.mark.slow
def test_correction_100k_fleet() -> None:
    _run(100_000, 2_791)


@pytest.mark.parametrize(
    ("device_type", "generation", "party"),
    [
        (DeviceType.CHF, Generation.SMETS1, NotifyParty.RESPONSIBLE_SUPPLIER),
        (DeviceType.GPF, Generation.SMETS1, NotifyParty.RESPONSIBLE_SUPPLIER),
        (DeviceType.ESME, Generation.SMETS1, NotifyParty.RESPONSIBLE_SUPPLIER),
        (DeviceType.GSME, Generation.SMETS1, NotifyParty.RESPONSIBLE_SUPPLIER),
        (DeviceType.ESME, Generation.SMETS2, NotifyParty.RESPONSIBLE_SUPPLIER),
        (DeviceType.GSME, Generation.SMETS2, NotifyParty.RESPONSIBLE_SUPPLIER),
        (DeviceType.CHF, Generation.SMETS2, NotifyParty.DCC),
        (DeviceType.GPF, Generation.SMETS2, NotifyParty.DCC),
    ],
)
def test_g3_20_party(device_type: DeviceType, generation: Generation, party: NotifyParty) -> None:
    assert vulnerability_notification_party(device_type, generation) is party


def test_alert_router(store: Store) -> None:
    router = AlertRouter(store)
    chf = router.route_vulnerability(bytes.fromhex("00DB1234567890A2"), "CVE")
    assert chf.party is NotifyParty.RESPONSIBLE_SUPPLIER and chf.entity_id == SUPPLIER_A
    with pytest.raises(StateError):
        router.route_vulnerability(bytes(8), "CVE")
