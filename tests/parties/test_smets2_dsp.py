"""One DUIS file drives either generation: the DSP's SMETS2 route onto emulated devices."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest

from smets_emu.emulator.anchors import CellKeyUsage, Role
from smets_emu.emulator.firmware.slots import FirmwareSlots
from smets_emu.parties.smets1.dsp import Dsp
from smets_emu.parties.smets1.request_ids import time_counter
from smets_emu.parties.smets1.scenario import seed_default_scenario
from smets_emu.parties.smets1.store import Store
from smets_emu.parties.smets2_dsp import gateway_for_inventory
from smets_emu.protocols.duis.codes import ResponseCode
from smets_emu.protocols.keystore import Keystore
from smets_emu.protocols.rtds import keystore_folder

SMETS2_ESME = "00-DB-12-34-56-78-90-A6"
TEMPLATES = Path(__file__).resolve().parents[3] / "shared" / "duis" / "templates"


@pytest.fixture()
def dsp_and_gateway(rtds_root):  # type: ignore[no-untyped-def]
    if not TEMPLATES.is_dir():
        pytest.skip("DUIS templates (../shared/duis) not present")
    store = Store(":memory:")
    seed_default_scenario(store)
    gateway = gateway_for_inventory(store, Keystore.load(keystore_folder(rtds_root)))
    return Dsp(store, smets2=gateway), gateway


_SEQ = itertools.count()


def fresh_counter(when: dt.datetime | None = None) -> str:
    """A time-based RequestID counter (milliseconds since 1970), above every earlier one of this run."""
    return str(time_counter(when or dt.datetime.now(dt.UTC)) + next(_SEQ))


def _request(name: str, counter: str | None = None) -> bytes:
    text = (TEMPLATES / name).read_text()
    text = text.replace("00-DB-12-34-56-78-90-A0:", f"{SMETS2_ESME}:")
    start = text.index("<sr:RequestID>") + len("<sr:RequestID>")
    end = text.index("</sr:RequestID>")
    parts = text[start:end].split(":")
    text = text[:start] + ":".join([*parts[:2], counter or fresh_counter()]) + text[end:]
    return text.encode()


def test_read_firmware_version_from_the_device(dsp_and_gateway) -> None:  # type: ignore[no-untyped-def]
    dsp, gateway = dsp_and_gateway
    device = gateway.fleet.device(bytes.fromhex(SMETS2_ESME.replace("-", "")))
    device.state.firmware["version"] = "0A0B0C0D"
    response = dsp.submit_xml(_request("ECS52_11.2_SUCCESS_REQUEST_DUIS.XML")).decode()
    assert "<sr:ResponseCode>I0</sr:ResponseCode>" in response
    assert "<sr:FirmwareVersion>0A0B0C0D</sr:FirmwareVersion>" in response


def test_update_security_credentials_changes_the_device_cells(dsp_and_gateway) -> None:  # type: ignore[no-untyped-def]
    dsp, gateway = dsp_and_gateway
    device = gateway.fleet.device(bytes.fromhex(SMETS2_ESME.replace("-", "")))
    before = device.find_cell(device.state, Role.SUPPLIER, CellKeyUsage.DIGITAL_SIGNATURE)
    response = dsp.submit_xml(_request("CS02bSupplierBySupplier_6.15.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML")).decode()
    assert "<sr:ResponseCode>I0</sr:ResponseCode>" in response
    after = device.find_cell(device.state, Role.SUPPLIER, CellKeyUsage.DIGITAL_SIGNATURE)
    assert after is not None and before is not None and after.public_point != before.public_point
    # the old supplier key no longer signs for this device: the same request is now refused
    again = dsp.submit_xml(_request("CS02bSupplierBySupplier_6.15.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML"))
    assert f"<sr:ResponseCode>{ResponseCode.DEVICE_REFUSED.value}</sr:ResponseCode>" in again.decode()
    assert "0x8F3D" in again.decode()


def test_replayed_request_counter_is_refused_by_the_dsp(dsp_and_gateway) -> None:  # type: ignore[no-untyped-def]
    dsp, gateway = dsp_and_gateway
    request = _request("ECS52_11.2_SUCCESS_REQUEST_DUIS.XML")
    first = dsp.submit_xml(request).decode()
    assert "<sr:ResponseCode>I0</sr:ResponseCode>" in first
    device = gateway.fleet.device(bytes.fromhex(SMETS2_ESME.replace("-", "")))
    counters = dict(device.state.counters)
    again = dsp.submit_xml(request).decode()
    assert f"<sr:ResponseCode>{ResponseCode.REQUEST_ID_REJECTED.value}</sr:ResponseCode>" in again
    assert device.state.counters == counters  # nothing reached the device


def test_the_device_still_refuses_a_counter_it_has_seen(dsp_and_gateway) -> None:  # type: ignore[no-untyped-def]
    """Another DSP (no record of the sender) passes the counter; the device's own anti-replay refuses it."""
    dsp, gateway = dsp_and_gateway
    request = _request("ECS52_11.2_SUCCESS_REQUEST_DUIS.XML")
    assert "<sr:ResponseCode>I0</sr:ResponseCode>" in dsp.submit_xml(request).decode()
    other = Dsp(Store(":memory:"), smets2=gateway)
    seed_default_scenario(other.store)
    again = other.submit_xml(request).decode()
    assert f"<sr:ResponseCode>{ResponseCode.DEVICE_REFUSED.value}</sr:ResponseCode>" in again
    assert "0x8F53" in again


def test_smets2_requests_are_still_rdp_checked(dsp_and_gateway) -> None:  # type: ignore[no-untyped-def]
    dsp, _ = dsp_and_gateway
    text = _request("ECS52_11.2_SUCCESS_REQUEST_DUIS.XML").decode()
    text = text.replace("90-B3-D5-1F-30-01-00-00:", "90-B3-D5-1F-30-03-00-00:")  # another supplier
    response = dsp.submit_xml(text.encode()).decode()
    assert "<sr:ResponseCode>I0</sr:ResponseCode>" not in response


def test_update_then_activate_firmware_through_the_hub(rtds_root) -> None:  # type: ignore[no-untyped-def]
    """SRV 11.1 reaches a SMETS2 ESME through its CHF over the HAN; SRV 11.3 then activates the image."""
    import base64
    import datetime as dt
    import re

    from smets_emu.emulator.provision import new_device_state
    from smets_emu.parties.smets1.store import CplEntry
    from smets_emu.protocols.firmware import decode_image

    if not TEMPLATES.is_dir():
        pytest.skip("DUIS templates (../shared/duis) not present")
    store = Store(":memory:")
    seed_default_scenario(store)
    keystore = Keystore.load(keystore_folder(rtds_root))
    gateway = gateway_for_inventory(store, keystore)
    esme = bytes.fromhex(SMETS2_ESME.replace("-", ""))
    hub = bytes.fromhex("00DB12345678FFA2")
    chf_state = new_device_state(hub, "CHF", keystore)
    gateway.fleet.add(chf_state)
    gateway.headend.register_device(chf_state)
    now = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    gateway.fleet.attach(esme, hub, now)
    dsp = Dsp(store, smets2=gateway)
    entry = store.device(esme)
    assert entry is not None
    store.put_cpl_entries([CplEntry(entry.manufacturer, entry.model, "00000000", bytes(32))])

    update = (TEMPLATES / "11.1_UPDATE_FIRMWARE_REQUEST_DUIS.XML").read_text()
    update = update.replace("<sr:DeviceIDList>00-DB-12-34-56-78-90-A0", f"<sr:DeviceIDList>{SMETS2_ESME}")
    update = update.replace(":1000<", f":{fresh_counter(now)}<")
    answer = dsp.submit_xml(update.encode(), now=now).decode()
    assert "<sr:ResponseCode>I0</sr:ResponseCode>" in answer, answer
    device = gateway.fleet.device(esme)
    pending = FirmwareSlots(device.state).pending
    image = decode_image(base64.b64decode(re.search(r"<sr:FirmwareImage>([^<]+)", update).group(1)))  # type: ignore[union-attr]
    assert pending is not None and pending.image_hash == image.image_hash

    activate = (TEMPLATES / "CS06_11.3_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML").read_text()
    activate = activate.replace("00-DB-12-34-56-78-90-A0:", f"{SMETS2_ESME}:").replace(":1000<", ":{counter}<")
    activate = re.sub(r"<sr:FirmwareHash>[0-9A-F]+", f"<sr:FirmwareHash>{image.image_hash.hex().upper()}", activate)
    refused = dsp.submit_xml(activate.format(counter=fresh_counter(now)).encode(), now=now).decode()
    assert "<sr:ResponseCode>E110101</sr:ResponseCode>" in refused  # the DSP checks the CPL first
    store.put_cpl_entries([CplEntry(entry.manufacturer, entry.model, "ACDCACDC", image.image_hash)])
    answer = dsp.submit_xml(activate.format(counter=fresh_counter(now)).encode(), now=now).decode()
    assert "<sr:ResponseCode>I0</sr:ResponseCode>" in answer, answer
    assert FirmwareSlots(device.state).version == image.version


def test_the_gateway_never_signs_a_counter_above_the_time_based_ceiling(dsp_and_gateway) -> None:  # type: ignore[no-untyped-def]
    """Even called without the DSP's checks, the gateway refuses 2^64-1 and sends nothing."""
    from smets_emu.parties.smets1.validation import UserRole
    from smets_emu.protocols.duis import parse_request

    dsp, gateway = dsp_and_gateway
    device = gateway.fleet.device(bytes.fromhex(SMETS2_ESME.replace("-", "")))
    counters = dict(device.state.counters)
    request = parse_request(_request("ECS52_11.2_SUCCESS_REQUEST_DUIS.XML", str(2**64 - 1)))
    entry = dsp.store.device(request.target)
    answer = gateway.submit(request, user_role=UserRole.IMPORT_SUPPLIER, device=entry, now=dt.datetime.now(dt.UTC))
    assert answer.response_code is ResponseCode.REQUEST_ID_REJECTED
    assert device.state.counters == counters


def test_a_counter_floor_ahead_of_time_is_refused(dsp_and_gateway) -> None:  # type: ignore[no-untyped-def]
    """SRV 6.15.1's RemotePartyFloorSeqNumber becomes the counter the device demands: same ceiling."""
    dsp, gateway = dsp_and_gateway
    device = gateway.fleet.device(bytes.fromhex(SMETS2_ESME.replace("-", "")))
    before = device.find_cell(device.state, Role.SUPPLIER, CellKeyUsage.DIGITAL_SIGNATURE)
    template = _request("CS02bSupplierBySupplier_6.15.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML").decode()
    hostile = template.replace("<sr:RemotePartyFloorSeqNumber>0<", f"<sr:RemotePartyFloorSeqNumber>{2**63 - 1}<")
    assert hostile != template
    answer = dsp.submit_xml(hostile.encode()).decode()
    assert f"<sr:ResponseCode>{ResponseCode.REQUEST_ID_REJECTED.value}</sr:ResponseCode>" in answer
    assert device.find_cell(device.state, Role.SUPPLIER, CellKeyUsage.DIGITAL_SIGNATURE) == before
    honest = _request("CS02bSupplierBySupplier_6.15.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML")
    assert "<sr:ResponseCode>I0</sr:ResponseCode>" in dsp.submit_xml(honest).decode()
