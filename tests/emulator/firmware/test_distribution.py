"""Distribution through the CHF over the simulated HAN: receipt alerts, CCS08 and the transfer failure rows."""

from __future__ import annotations

import datetime as dt

from firmware_lab import CHF_EUI, ESME_EUI, GSME_EUI, LATER, START, Lab, alerts, build_lab, keystore, make_image

from smets_emu.emulator.anchors import Role
from smets_emu.emulator.firmware import FirmwareUseCases
from smets_emu.emulator.firmware.slots import FirmwareSlots
from smets_emu.emulator.provision import DEFAULT_PARTIES
from smets_emu.hosting.han_network import HanLink
from smets_emu.protocols.keystore import KeyUsage

FDRA_DLMS, FDRA_GBZ, CCS08 = 0x00CE, 0x00CF, 0x0128


def _ccs08(out: list, target: bytes) -> dict:
    found = [a["value"] for a in alerts(out, CCS08) if a["value"]["entityId"] == target.hex().upper()]
    assert len(found) == 1, found
    return found[0]


def test_esme_receives_image_and_reports_its_hash(lab: Lab) -> None:
    image = make_image()
    out = lab.distribute(image.encode(), [ESME_EUI])
    (fdra,) = alerts(out, FDRA_DLMS)
    assert fdra["alert_code"] == "8F72"
    assert fdra["body"]["value"][2]["value"] == image.image_hash.hex().upper()
    ccs08 = _ccs08(out, ESME_EUI)
    assert ccs08["alertCode"].startswith("firmwareTransferSuccess") and ccs08["responseCode"] == "success(0)"
    assert ccs08["firmwareVersion"] == image.version
    slots = FirmwareSlots(lab.esme.state)
    assert slots.pending is not None and slots.pending.image_hash == image.image_hash
    assert slots.running.version == "01000000" and slots.version == "01000000"
    assert lab.net.status(ESME_EUI)["status"] == "done"


def test_gsme_receipt_alert_is_the_gbz_form(lab: Lab) -> None:
    image = make_image(image_type=0x0001, version=0x0123ABCE)
    out = lab.distribute(image.encode(), [GSME_EUI])
    (fdra,) = alerts(out, FDRA_GBZ)
    assert fdra["alert_code"] == 0x8F72 and fdra["image_hash"] == image.image_hash.hex().upper()
    assert _ccs08(out, GSME_EUI)["responseCode"] == "success(0)"
    assert FirmwareSlots(lab.gsme.state).pending.version == "0123ABCE"


def test_chf_image_for_itself(lab: Lab) -> None:
    wan_provider = keystore().private_key(DEFAULT_PARTIES[Role.WAN_PROVIDER], KeyUsage.DS)
    image = make_image(image_type=0x0002, key=wan_provider)
    wrong_signer = make_image(image_type=0x0002).encode()
    assert alerts(lab.distribute(wrong_signer, [CHF_EUI]), FDRA_DLMS)[0]["alert_code"] == "8F1C"
    out = lab.distribute(image.encode(), [CHF_EUI])
    (fdra,) = alerts(out, FDRA_DLMS)
    assert fdra["alert_code"] == "8F72"
    assert FirmwareSlots(lab.chf.state).pending.image_hash == image.image_hash


def test_transfer_takes_virtual_time() -> None:
    lab = build_lab(link=HanLink(block_size=50, rate_bps=8_000, overhead=30, latency=0.1))
    image = make_image(size=1000)
    blocks = -(-len(image.encode()) // 50)
    per_block = (50 + 30) * 8 / 8_000 + 0.1
    out = lab.net.update_firmware(image.encode(), [ESME_EUI], START)
    out += lab.net.run(START + dt.timedelta(seconds=per_block * (blocks - 1)))
    assert not alerts(out, FDRA_DLMS) and lab.net.status(ESME_EUI)["status"] == "transferring"
    out = lab.net.run(START + dt.timedelta(seconds=per_block * blocks + 0.01))
    assert alerts(out, FDRA_DLMS) and lab.net.status(ESME_EUI)["status"] == "done"


# -- failure matrix: distribution -----------------------------------------------------------


def test_corrupted_image_fails_verification() -> None:
    """Row: corrupted image (hash mismatch) -> FDRA 0x8F1C with the hash calculated, CCS08 fileTransferFailure."""
    lab = build_lab(link=HanLink(corrupt_blocks=frozenset({3})))
    image = make_image()
    out = lab.distribute(image.encode(), [ESME_EUI])
    (fdra,) = alerts(out, FDRA_DLMS)
    assert fdra["alert_code"] == "8F1C"
    assert fdra["body"]["value"][2]["value"] != image.image_hash.hex().upper()
    ccs08 = _ccs08(out, ESME_EUI)
    assert ccs08["alertCode"].startswith("firmwareTransferFailure")
    assert ccs08["responseCode"] == "fileTransferFailure(3)"
    assert FirmwareSlots(lab.esme.state).pending is None and FirmwareSlots(lab.esme.state).download is None


def test_image_with_bad_signature_is_discarded(lab: Lab) -> None:
    image = make_image()
    forged = image.__class__(**{**image.__dict__, "manufacturer_image": image.manufacturer_image[:-1] + b"\x00"})
    out = lab.distribute(forged.encode(), [ESME_EUI])
    assert alerts(out, FDRA_DLMS)[0]["alert_code"] == "8F1C"
    assert FirmwareSlots(lab.esme.state).pending is None


def test_unsigned_image_is_discarded(lab: Lab) -> None:
    out = lab.distribute(make_image(signed=False).encode(), [ESME_EUI])
    assert alerts(out, FDRA_DLMS)[0]["alert_code"] == "8F1C"
    assert _ccs08(out, ESME_EUI)["responseCode"] == "fileTransferFailure(3)"
    assert FirmwareSlots(lab.esme.state).pending is None


def test_wrong_manufacturer(lab: Lab) -> None:
    """Row: wrong manufacturer code -> CCS08 0x8F89 imageDiscarded(1), no FDRA, slots unchanged."""
    before = FirmwareSlots(lab.esme.state).to_json()
    out = lab.distribute(make_image(manufacturer=0x1234).encode(), [ESME_EUI])
    assert not alerts(out, FDRA_DLMS)
    ccs08 = _ccs08(out, ESME_EUI)
    assert ccs08["alertCode"] == "firmwareTransferFailure(0x8F89)" and ccs08["responseCode"] == "imageDiscarded(1)"
    assert FirmwareSlots(lab.esme.state).to_json() == before


def test_wrong_image_type(lab: Lab) -> None:
    """Row: wrong image type (a GSME image to the ESME) -> CCS08 imageDiscarded(1)."""
    before = FirmwareSlots(lab.esme.state).to_json()
    out = lab.distribute(make_image(image_type=0x0001).encode(), [ESME_EUI])
    assert _ccs08(out, ESME_EUI)["responseCode"] == "imageDiscarded(1)"
    assert not alerts(out, FDRA_DLMS) and FirmwareSlots(lab.esme.state).to_json() == before


def test_hardware_version_out_of_range(lab: Lab) -> None:
    """Row: hardware version out of range -> CCS08 hardwareVersionMismatch(2)."""
    before = FirmwareSlots(lab.esme.state).to_json()
    out = lab.distribute(make_image(hardware=(0x2000, 0x2FFF)).encode(), [ESME_EUI])
    assert _ccs08(out, ESME_EUI)["responseCode"] == "hardwareVersionMismatch(2)"
    assert not alerts(out, FDRA_DLMS) and FirmwareSlots(lab.esme.state).to_json() == before


def test_truncated_image_is_discarded_by_the_chf(lab: Lab) -> None:
    """Row: truncated image -> the CHF discards it: CCS08 imageDiscarded(1) per target, nothing transferred."""
    data = make_image().encode()
    out = lab.distribute(data[:-100], [ESME_EUI, GSME_EUI])
    for target in (ESME_EUI, GSME_EUI):
        assert _ccs08(out, target)["responseCode"] == "imageDiscarded(1)"
    assert lab.net.status(ESME_EUI) is None
    assert FirmwareSlots(lab.esme.state).download is None and FirmwareSlots(lab.esme.state).pending is None


def test_interrupted_transfer_resumes_where_it_stopped() -> None:
    """Row: interrupted transfer and its resume -> CCS08 fileTransferFailure(3), then success from the offset."""
    lab = build_lab(link=HanLink(block_size=64, down_after=4))
    image = make_image()
    out = lab.distribute(image.encode(), [ESME_EUI])
    assert _ccs08(out, ESME_EUI)["responseCode"] == "fileTransferFailure(3)"
    assert not alerts(out, FDRA_DLMS)
    download = FirmwareSlots(lab.esme.state).download
    assert download is not None and len(download["data"]) // 2 == 4 * 64
    assert FirmwareSlots(lab.esme.state).pending is None
    lab.net.link = HanLink(block_size=64)
    out = lab.net.resume(ESME_EUI, LATER) + lab.net.run(LATER + dt.timedelta(minutes=5))
    assert _ccs08(out, ESME_EUI)["responseCode"] == "success(0)"
    assert alerts(out, FDRA_DLMS)[0]["alert_code"] == "8F72"
    blocks = -(-len(image.encode()) // 64)
    assert lab.net.status(ESME_EUI)["delivered"] == blocks  # only the missing blocks were sent again
    assert FirmwareSlots(lab.esme.state).pending.image_hash == image.image_hash


def test_lost_blocks_are_sent_again() -> None:
    """Row: lost blocks within the retry budget -> success, with the losses counted."""
    lab = build_lab(link=HanLink(lost_blocks=frozenset({1, 5, 7}), loss_repeats=2, max_retries=3))
    image = make_image()
    out = lab.distribute(image.encode(), [ESME_EUI])
    assert _ccs08(out, ESME_EUI)["responseCode"] == "success(0)"
    assert lab.net.status(ESME_EUI)["lost"] == 6
    assert FirmwareSlots(lab.esme.state).pending.image_hash == image.image_hash


def test_random_loss_is_deterministic_and_recovers() -> None:
    results = []
    for _ in range(2):
        lab = build_lab(link=HanLink(loss_rate=0.2, seed=4, max_retries=6))
        out = lab.distribute(make_image().encode(), [ESME_EUI])
        results.append((_ccs08(out, ESME_EUI)["responseCode"], lab.net.status(ESME_EUI)["lost"]))
    assert results[0] == results[1] and results[0][0] == "success(0)" and results[0][1] > 0


def test_lost_blocks_beyond_retries_fail_then_resume() -> None:
    """Row: a block lost more often than the retry budget -> CCS08 fileTransferFailure(3); resume completes."""
    lab = build_lab(link=HanLink(lost_blocks=frozenset({2}), loss_repeats=10, max_retries=3))
    image = make_image()
    out = lab.distribute(image.encode(), [ESME_EUI])
    assert _ccs08(out, ESME_EUI)["responseCode"] == "fileTransferFailure(3)"
    assert lab.esme.component(FirmwareUseCases).ota_offset(lab.esme.state, lab.net.status(ESME_EUI)["file"]) == 2 * 64
    lab.net.link = HanLink()
    out = lab.net.resume(ESME_EUI, LATER) + lab.net.run(LATER + dt.timedelta(minutes=1))
    assert _ccs08(out, ESME_EUI)["responseCode"] == "success(0)"


def test_device_not_on_the_han(lab: Lab) -> None:
    out = lab.distribute(make_image().encode(), [bytes.fromhex("00DB1234567890FF")])
    assert _ccs08(out, bytes.fromhex("00DB1234567890FF"))["responseCode"] == "fileTransferFailure(3)"


def test_one_image_to_several_devices(lab: Lab) -> None:
    image = make_image()
    out = lab.distribute(image.encode(), [ESME_EUI, GSME_EUI])
    assert _ccs08(out, ESME_EUI)["responseCode"] == "success(0)"
    assert _ccs08(out, GSME_EUI)["responseCode"] == "imageDiscarded(1)"  # an ESME image is not for the GSME
    assert lab.chf.state.firmware["distribution"]["images"] == {}  # nothing left to send: the CHF drops it
