"""``smets-emu firmware campaign --from-cfl MODEL@VERSION``: the campaign image from the lab's CFL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smets_emu.parties.governance import DeviceModel, DeviceType, Generation
from smets_emu.protocols.firmware import UpgradeImage
from smets_emu.tools.cli import main as cli_main
from smets_emu.tools.lab import open_lab
from smets_emu.tools.lab_dsp import LAB_MODEL
from smets_emu.tools.lab_governance import open_lab_governance


def _image(version: int, payload: bytes) -> UpgradeImage:
    # the lab ESME's OTA identity: manufacturer code 0x121D, image type 0 (unsigned: the supplier signs)
    return UpgradeImage(manufacturer_code=0x121D, image_type=0, file_version=version, manufacturer_image=payload * 64)


@pytest.fixture(scope="module")
def lab_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cfl") / "lab"
    lab = open_lab(folder, synchronous="OFF")
    gov = open_lab_governance(lab)
    try:
        models = [("AB01", LAB_MODEL)]
        listed = _image(0x0A010000, b"listed")
        gov.cfl_upload("mfr-ab01", listed.encode(), notes="fix", commercial=False, models=models)
        gov.cpl_add("secas", DeviceModel.create("AB01", LAB_MODEL, listed.version, listed.image_hash,
                                                Generation.SMETS2, DeviceType.ESME))
        gov.cfl_upload("mfr-ab01", _image(0x0A020000, b"pending").encode(), notes="n", commercial=False, models=models)
        gov.cfl_upload("mfr-ab01", _image(0x0A030000, b"paid").encode(), notes="n", commercial=True, models=models)
    finally:
        gov.close()
        lab.close()
    return folder


@pytest.mark.parametrize(("spec", "party", "message"), [
    (f"{LAB_MODEL}@0A030000", "supplier-a", "commercially developed"),
    (f"{LAB_MODEL}@0A020000", "supplier-a", "not on the CPL yet"),
    (f"{LAB_MODEL}@0B000000", "supplier-a", "no CFL image for device model"),
    ("nonsense", "supplier-a", "MODEL@VERSION"),
    (f"{LAB_MODEL}@0A010000", "dcc", "downloads as a supplier"),
    (f"{LAB_MODEL}@0A010000", "nobody", "no organisation"),
])
def test_refusals(lab_folder: Path, capsys: pytest.CaptureFixture[str], spec: str, party: str, message: str) -> None:
    assert cli_main(["firmware", "campaign", "--state", str(lab_folder), "--from-cfl", spec, "--party", party]) == 2
    assert message in capsys.readouterr().err


def test_campaign_from_the_cfl(lab_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["firmware", "campaign", "--state", str(lab_folder), "--from-cfl", f"{LAB_MODEL}@0A010000",
                     "--party", "supplier-b", "--all", "ESME", "--activate", "now", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["campaign"]["status"] == "completed" and summary["outcomes"] == {"running": 1}
    assert summary["campaign"]["version"] == "0A010000"
    lab = open_lab(lab_folder, synchronous="OFF")
    gov = open_lab_governance(lab)
    try:
        downloads = [r for r in gov.audit_log("secas", limit=500) if r.action == "cfl.download"]
        assert [(r.party, r.outcome) for r in downloads][:1] == [("supplier-b", "allowed")]
    finally:
        gov.close()
        lab.close()
