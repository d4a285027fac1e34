"""What a new user sees when a command is given something wrong: a message and an exit status, never a traceback."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from smets_emu.protocols.pki import generate_test_pki
from smets_emu.tools.cli import main
from smets_emu.tools.corpus import corpus_messages

CLI = [sys.executable, "-m", "smets_emu.tools.cli"]
COMMANDS = "decode, encode, corpus, use-cases, hw, duis, firmware, rtds-replay, replay, run, send"


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], input=stdin, capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture(scope="module")
def keystore(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pki")
    generate_test_pki(seed=1).keystore.save(folder)
    return folder


def test_decode_long_inline_hex_is_hex_not_a_file_name(capsys: pytest.CaptureFixture[str]) -> None:
    message = max(corpus_messages(), key=len)
    text = message.hex().upper()
    assert len(text) > 255  # longer than a file name may be: used to crash with "File name too long"
    assert main(["decode", "--json-lines", text]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["source"] == text and "message" in record and "error" not in record


def test_decode_argument_neither_path_nor_hex(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["decode", "--json-lines", "no/such/file.hex", "ABC"]) == 1
    first, second = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert first["error"] == "no such file or folder, and not hex digits"
    assert second["error"] == "ABC: odd number of hex digits (3) at line 1"


def test_encode_missing_file_is_a_message_and_exit_2() -> None:
    proc = _run("encode", "/nonexistent")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == "smets-emu encode: /nonexistent: No such file or directory"


def test_bad_keystore_folder_is_a_message_and_exit_2(tmp_path: Path) -> None:
    proc = _run("decode", "--keystore", str(tmp_path / "none"), "DF09")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "does not exist" in proc.stderr


def test_unknown_option_without_command_lists_the_commands() -> None:
    proc = _run("--bogus")
    assert proc.returncode == 2 and "arguments are required" not in proc.stderr
    assert f"unrecognized arguments: --bogus; give a command: {COMMANDS}" in proc.stderr
    proc = _run()
    assert proc.returncode == 2 and f"give a command: {COMMANDS}" in proc.stderr
    proc = _run("firmware")
    assert proc.returncode == 2 and "give a command: build, inspect, campaign, versions" in proc.stderr


def test_send_unknown_device_names_the_keystore_and_how_to_find_euis(keystore: Path) -> None:
    proc = _run("send", "--keystore", str(keystore), "--to", "00DB1234567890FF", "--code", "read-firmware")
    assert proc.returncode == 2 and "no key pair to MAC" not in proc.stderr
    assert f"device 00DB1234567890FF is unknown to the keystore {keystore}" in proc.stderr
    assert "GET /devices" in proc.stderr and "00DB1234567890A0" in proc.stderr


def test_send_to_not_an_eui_says_what_an_eui_is(keystore: Path) -> None:
    proc = _run("send", "--keystore", str(keystore), "--to", "NOTANEUI", "--code", "read-firmware")
    assert proc.returncode == 2 and "role" not in proc.stderr
    assert "--to 'NOTANEUI' is not an EUI: an EUI is 16 hex digits" in proc.stderr


def test_send_roles_in_either_spelling_and_errors_list_them(keystore: Path) -> None:
    proc = _run("send", "--keystore", str(keystore), "--as", "bogus", "--code", "read-firmware")
    assert proc.returncode == 2
    for spelling in ("supplier (IS)", "network-operator (ED)", "gas-transporter (GT)", "acb", "wan-provider"):
        assert spelling in proc.stderr
    # a DUIS spelling is a role: the command is built and only the missing lab stops it
    for role in ("IS", "supplier", "ED", "network-operator"):
        proc = _run("send", "--keystore", str(keystore), "--as", role, "--code", "read-firmware", "--port", "1",
                    "--timeout", "1")
        assert proc.returncode == 2 and "cannot reach the lab" in proc.stderr, proc.stderr


def test_keystore_inconsistency_is_not_a_warning_on_every_command(tmp_path: Path) -> None:
    folder = tmp_path / "pki"
    generate_test_pki(seed=2).keystore.save(folder)
    # a certificate filed under another EUI, as in the RTDS keystore (90b3d51f30000007-ka holds 30030000's)
    shutil.copy(folder / "90b3d51f30020000-ka.pem", folder / "90b3d51f30000007-ka.pem")
    message = min(corpus_messages(), key=len).hex()
    quiet = _run("decode", "--keystore", str(folder), message)
    assert "WARNING" not in quiet.stderr and "certificate is for EUI" not in quiet.stderr
    verbose = _run("-v", "decode", "--keystore", str(folder), message)
    summary = [line for line in verbose.stderr.splitlines() if "inconsistent" in line]
    assert len(summary) == 1 and "90b3d51f30000007-ka" in summary[0] and "-vv for details" in summary[0]
    detail = _run("-vv", "decode", "--keystore", str(folder), message)
    assert "90b3d51f30000007-ka: certificate is for EUI 90B3D51F30020000" in detail.stderr


def test_hw_forward_bad_address_is_a_usage_error() -> None:
    proc = _run("hw", "forward", "loop://", "--listen", "nope")
    assert proc.returncode == 2 and "bad address 'nope': want HOST:PORT" in proc.stderr
    assert "usage: smets-emu hw forward" in proc.stderr  # an argparse usage error, like every other bad option


def test_hw_selftest_refuses_absurd_sizes() -> None:
    proc = _run("hw", "selftest", "loop://", "--frames", "1000000", "--max-size", "1048576")
    assert proc.returncode == 2 and "exceed 67108864 bytes of payload" in proc.stderr
    proc = _run("hw", "selftest", "loop://", "--frames", "0")
    assert proc.returncode == 2 and "0 is outside 1..1000000" in proc.stderr
