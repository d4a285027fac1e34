"""``smets-emu firmware build`` and ``inspect``."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from smets_emu.protocols.firmware import decode_image, verify_image
from smets_emu.tools.cli import main

DUIS_11_1 = Path(__file__).resolve().parents[2].parent / "shared" / "duis" / "templates" / \
    "11.1_UPDATE_FIRMWARE_REQUEST_DUIS.XML"


def test_build_then_inspect(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "key.pem").write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    (tmp_path / "payload.bin").write_bytes(b"firmware" * 40)
    out = tmp_path / "image.ota"
    assert main(["firmware", "build", "--manufacturer", "0x121D", "--image-type", "0", "--version", "0x0123ABCE",
                 "--hardware", "0x1111-0x1211", "--payload", str(tmp_path / "payload.bin"),
                 "--key", str(tmp_path / "key.pem"), "--header-string", "test", "-o", str(out)]) == 0
    image = decode_image(out.read_bytes())
    assert verify_image(image, key.public_key()) and image.version == "0123ABCE"
    capsys.readouterr()
    assert main(["firmware", "inspect", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["manufacturer_code"] == "0x121D" and info["total_image_size"] == len(out.read_bytes())
    assert info["manufacturer_image_size"] == 320
    assert info["manufacturer_image_hash"] == image.image_hash.hex().upper()
    assert main(["firmware", "inspect", str(out)]) == 0
    text = capsys.readouterr().out
    assert "manufacturer_code" in text and "0x121D" in text and "0x1211" in text


def test_inspect_the_duis_sample(capsys: pytest.CaptureFixture[str]) -> None:
    if not DUIS_11_1.is_file():
        pytest.skip("DUIS templates not present")
    assert main(["firmware", "inspect", str(DUIS_11_1), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["manufacturer_code"] == "0x121D" and info["total_image_size"] == 361
    assert info["manufacturer_image_hash"] == "7542F475E3F12EAE887D81E32C46D313741D67076B13CAEC2F82E00BA5E1BB36"


def test_bad_input_is_an_error_not_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "junk").write_bytes(b"\x00" * 10)
    assert main(["firmware", "inspect", str(tmp_path / "junk")]) == 2
    assert "not an OTA upgrade image" in capsys.readouterr().err
    assert main(["firmware", "build", "--manufacturer", "1", "--image-type", "0", "--version", "1",
                 "--payload", str(tmp_path / "junk"), "-o", str(tmp_path / "o")]) == 2


def test_inspect_exits_1_when_the_signature_does_not_verify(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from smets_emu.protocols.pki import generate_test_pki

    keys = tmp_path / "pki"
    generate_test_pki(devices=[], seed=3).save(keys)
    (tmp_path / "payload.bin").write_bytes(b"firmware" * 40)
    common = ["--manufacturer", "0x121D", "--image-type", "0", "--version", "0x0123ABCE",
              "--payload", str(tmp_path / "payload.bin")]
    good, forged = tmp_path / "good.ota", tmp_path / "forged.ota"
    assert main(["firmware", "build", *common, "--keystore", str(keys), "-o", str(good)]) == 0
    rogue = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "rogue.pem").write_bytes(rogue.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    assert main(["firmware", "build", *common, "--key", str(tmp_path / "rogue.pem"), "-o", str(forged)]) == 0
    capsys.readouterr()
    assert main(["firmware", "inspect", str(good), "--keystore", str(keys), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["signature_valid"] is True
    assert main(["firmware", "inspect", str(forged), "--keystore", str(keys), "--json"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["signature_valid"] is False and "does not verify" in captured.err


def test_an_oversized_key_file_is_skipped_not_read(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from smets_emu.inputs import MAX_KEY_FILE_BYTES
    from smets_emu.protocols.keystore import Keystore, KeyUsage
    from smets_emu.protocols.pki import generate_test_pki

    caplog.set_level(logging.WARNING, logger="smets_emu.protocols.keystore")
    keys = tmp_path / "pki"
    generate_test_pki(devices=[], seed=3).save(keys)
    huge = keys / "00db1234567890ff-ds.pem"
    with huge.open("wb") as fh:
        fh.truncate(MAX_KEY_FILE_BYTES * 1000)  # sparse
    store = Keystore.load(keys)
    assert store.certificate(bytes.fromhex("00DB1234567890FF"), KeyUsage.DS) is None
    assert f"key file is at most {MAX_KEY_FILE_BYTES} bytes" in caplog.text
