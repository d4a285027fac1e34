"""The Centralised Firmware Library (SECMP0009): upload checks, CPL status, release notes, hostile input."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from governance_helpers import ESME_MODEL, image, model_for, public_pem

from smets_emu.parties.governance import (
    AccessRefused,
    Conflict,
    DeviceModel,
    Governance,
    InvalidInput,
    UnknownObject,
    render_notes,
)
from smets_emu.parties.governance.notes import MAX_NOTES

MODELS = [("AB01", ESME_MODEL)]


def test_pending_until_the_cpl_lists_it(gov: Governance) -> None:
    img = image(0x0A000001)
    uploaded = gov.cfl_upload("mfr-ab01", img.encode(), notes="# notes", commercial=False, models=MODELS)
    assert (uploaded.cpl_status, uploaded.signature, uploaded.version) == ("pending_cpl", "unsigned", "0A000001")
    assert uploaded.image_hash == img.image_hash and uploaded.size == len(img.encode())
    gov.cpl_add("secas", model_for(img))
    assert gov.cfl_image("supplier-a", uploaded.image_id).cpl_status == "listed"
    assert gov.cfl_find("supplier-b", ESME_MODEL.lower(), "0a000001").image_id == uploaded.image_id


def test_the_hash_must_match_the_cpl_entry(gov: Governance) -> None:
    listed = image(0x0A000001, b"listed")
    gov.cpl_add("secas", model_for(listed))
    other = image(0x0A000001, b"other")  # same version, another Manufacturer Image
    with pytest.raises(Conflict, match="differs from the CPL entry"):
        gov.cfl_upload("mfr-ab01", other.encode(), notes="", commercial=False, models=MODELS)
    assert gov.cfl_upload("mfr-ab01", listed.encode(), notes="", commercial=False, models=MODELS).cpl_status == "listed"
    with pytest.raises(Conflict, match="already in the CFL"):
        gov.cfl_upload("mfr-ab01", listed.encode(), notes="", commercial=False, models=MODELS)


def test_signature_by_the_registered_key(gov: Governance) -> None:
    key, other = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    gov.set_signing_key("mfr-ab01", public_pem(key))
    for unsigned_or_foreign in (image(0x0A000001), image(0x0A000001, key=other)):
        with pytest.raises(InvalidInput, match="signature"):
            gov.cfl_upload("mfr-ab01", unsigned_or_foreign.encode(), notes="", commercial=False, models=MODELS)
    good = gov.cfl_upload("mfr-ab01", image(0x0A000001, key=key).encode(), notes="", commercial=False, models=MODELS)
    assert good.signature == "verified"
    with pytest.raises(InvalidInput):
        gov.set_signing_key("supplier-a", public_pem(key))
    with pytest.raises(InvalidInput):
        gov.set_signing_key("mfr-ab01", b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")


@pytest.mark.parametrize(("data", "models", "notes", "error"), [
    (b"", MODELS, "", InvalidInput),
    (b"\x1e\xf1\xee\x0b" + b"\x00" * 60, MODELS, "", InvalidInput),
    (image(1).encode() + b"x", MODELS, "", InvalidInput),
    (image(1).encode(), [], "", InvalidInput),
    (image(1).encode(), "AB01", "", InvalidInput),
    (image(1).encode(), [("AB01", "xyz")], "", InvalidInput),
    (image(1).encode(), [("AB01",)], "", InvalidInput),
    (image(1).encode(), MODELS, "x" * (MAX_NOTES + 1), InvalidInput),
    (image(1).encode(), MODELS, "a\x00b", InvalidInput),
    (image(1).encode(), [("CD02", ESME_MODEL)], "", AccessRefused),
    (image(1).encode(), [*MODELS, ("CD02", ESME_MODEL)], "", AccessRefused),
])
def test_hostile_uploads(gov: Governance, data: bytes, models: list, notes: str, error: type) -> None:  # type: ignore[type-arg]
    with pytest.raises(error):
        gov.cfl_upload("mfr-ab01", data, notes=notes, commercial=False, models=models)
    assert gov.cfl_list("supplier-a") == []


def test_unknown_images(gov: Governance) -> None:
    for bad in (0, -1, 2**70, 5):
        with pytest.raises(UnknownObject):
            gov.cfl_download("supplier-a", bad)
    with pytest.raises(InvalidInput):
        gov.cfl_image("supplier-a", "1; DROP TABLE cfl")  # type: ignore[arg-type]
    with pytest.raises(UnknownObject):
        gov.cfl_find("supplier-a", ESME_MODEL, "0A000001")


def test_release_notes_render_safely() -> None:
    html = render_notes("# Release 2\n\n* fixes **replay**\n\n<img src=x onerror=alert(1)>\n\n"
                        "[a](javascript:alert(1)) [b](https://example.org/notes)\n\n![pixel](https://tracker/x.png)")
    assert "<h1>Release 2</h1>" in html and "<strong>replay</strong>" in html
    assert "<img" not in html and "&lt;img" in html
    assert 'href="javascript' not in html
    assert '<a href="https://example.org/notes" rel="nofollow noopener noreferrer">b</a>' in html
    with pytest.raises(InvalidInput):
        render_notes("x" * (MAX_NOTES + 1))


def test_models_apply_to_several_device_models(gov: Governance) -> None:
    img = image(0x0A000001)
    both = [("AB01", ESME_MODEL), ("ab01", "020a030b")]
    uploaded = gov.cfl_upload("mfr-ab01", img.encode(), notes="", commercial=False, models=both)
    assert uploaded.models == (("AB01", ESME_MODEL), ("AB01", "020A030B"))
    gov.cpl_add("secas", model_for(img))
    assert gov.cfl_image("dcc", uploaded.image_id).cpl_status == "pending_cpl"  # one of two listed
    gov.cpl_add("secas", DeviceModel.create("AB01", "020A030B", img.version, img.image_hash, "SMETS1", "GSME"))
    assert gov.cfl_image("dcc", uploaded.image_id).cpl_status == "listed"
