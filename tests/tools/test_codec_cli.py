"""The decode/encode command-line contract, on RTDS and on the project's own corpus."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from smets_emu.protocols.keystore import Keystore
from smets_emu.protocols.security import CheckStatus, GbcsKeys, verify_message
from smets_emu.tools.cli import main

CLI = [sys.executable, "-m", "smets_emu.tools.cli"]
REQUIRED_KEYS = {"source", "cra_flag", "message_code", "use_case", "mac", "signature", "message"}
STATUSES = {"valid", "invalid", "unchecked", "absent"}


def _run(args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], input=stdin, capture_output=True, text=True, timeout=900, check=False)


def test_rtds_pipe_decode_encode_is_byte_identical(rtds_root: Path, rtds_files) -> None:  # type: ignore[no-untyped-def]
    folder = rtds_files[0].path.parents[1]
    dec = _run(["decode", "--json-lines", str(folder)])
    assert dec.returncode == 0, dec.stderr[-2000:]
    records = [json.loads(line) for line in dec.stdout.splitlines()]
    assert len(records) == len(rtds_files) == 1275
    for rec in records:
        assert REQUIRED_KEYS <= rec.keys()
        assert rec["mac"] in STATUSES and rec["signature"] in STATUSES
        assert rec["message_code"].startswith("0x") and len(rec["message_code"]) == 6
    enc = _run(["encode", "--json-lines"], stdin=dec.stdout)
    assert enc.returncode == 0, enc.stderr[-2000:]
    rebuilt = enc.stdout.splitlines()
    originals = {str(f.path): f.path.read_text().strip() for f in rtds_files}
    assert [originals[r["source"]] for r in records] == rebuilt


def test_keystore_reports_valid_protections(rtds_keystore_dir: Path, rtds_files, capsys) -> None:  # type: ignore[no-untyped-def]
    item = next(f for f in rtds_files if f.path.name == "ECS43_7.2_SUCCESS_COMMAND_GBCS.HEX")
    assert main(["decode", "--json-lines", "--keystore", str(rtds_keystore_dir), str(item.path)]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert (rec["mac"], rec["signature"], rec["use_case"], rec["message_code"]) == ("valid", "valid", "ECS43", "0x0050")
    assert rec["cra_flag"] == "command"


def test_edit_counter_then_resign_with_keystore(rtds_keystore_dir: Path, rtds_files, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    item = next(f for f in rtds_files if f.path.name == "ECS43_7.2_SUCCESS_COMMAND_GBCS.HEX")
    assert main(["decode", "--json", str(item.path)]) == 0
    records = json.loads(capsys.readouterr().out)
    records[0]["message"]["header"]["originator_counter"] += 7
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(records))

    assert main(["encode", "--json", str(edited)]) == 0
    plain = bytes.fromhex(capsys.readouterr().out.strip())
    assert plain != item.read()
    keys = GbcsKeys(Keystore.load(rtds_keystore_dir))
    assert verify_message(plain, keys).signature is CheckStatus.INVALID

    assert main(["encode", "--json", "--keystore", str(rtds_keystore_dir), str(edited)]) == 0
    resealed = bytes.fromhex(capsys.readouterr().out.strip())
    report = verify_message(resealed, keys)
    assert (report.mac, report.signature) == (CheckStatus.VALID, CheckStatus.VALID)


def test_inline_hex_and_errors(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["decode", "--json-lines", "DF0901", "zz"]) == 1
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert all("error" in rec for rec in lines) and len(lines) == 2


def test_readable_tree_default(rtds_files, capsys) -> None:  # type: ignore[no-untyped-def]
    item = next(f for f in rtds_files if f.path.name == "ECS52_11.2_SUCCESS_RESPONSE_GBCS.HEX")
    assert main(["decode", str(item.path)]) == 0
    out = capsys.readouterr().out
    assert "message_code: 0x0059" in out and "use_case: ECS52" in out


def test_own_corpus_through_cli(tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    gen = _run(["corpus", "--out", str(out)])
    assert gen.returncode == 0, gen.stderr[-2000:]
    summary = json.loads(gen.stdout.splitlines()[-1])
    assert summary["messages"] > 100 and summary["round_trip"] == summary["messages"]
    dec = _run(["decode", "--json-lines", "--keystore", str(out / "keystore"), str(out / "messages")])
    records = [json.loads(line) for line in dec.stdout.splitlines()]
    singles = [r for r in records if "error" not in r]
    assert singles and all(r["mac"] != "invalid" and r["signature"] != "invalid" for r in singles)
    enc = _run(["encode", "--json-lines"], stdin="\n".join(json.dumps(r) for r in singles))
    sources = [Path(r["source"]).read_text().strip() for r in singles]
    assert enc.stdout.splitlines() == sources


@pytest.mark.parametrize("bad", ["{", '{"message": {}}', '[{"message": {"form": "maced"}}]'])
def test_encode_rejects_bad_json(bad: str) -> None:
    res = _run(["encode", "--json"], stdin=bad)
    assert res.returncode == 1 and "Traceback" not in res.stderr
