"""``smets-emu replay``: a capture's commands against fresh labs, with the same answers or exactly the changed ones."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from pathlib import Path

import pytest
from capture_session import ESME, SESSION, recorded_session, serve

from smets_emu.tools.capture import CaptureFrame, CaptureWriter
from smets_emu.tools.cli import main
from smets_emu.tools.fleet_file import load_fleet
from smets_emu.tools.lab import open_lab
from smets_emu.tools.replay_cli import captured_commands
from smets_emu.tools.replay_compare import Comparer, Difference
from smets_emu.tools.wan_client import RemoteParty, WanClient

CHANGED_FIRMWARE = """
[[premises]]
name = "home"
devices = [
  { type = "ESME", eui = "00DB1234567890A0", firmware = "02000000" },
  { type = "GSME", eui = "00DB1234567890A1" },
  { type = "CHF",  eui = "00DB1234567890A2" },
  { type = "GPF",  eui = "00DB1234567890A3" },
]
"""


@pytest.fixture(scope="module")
def capture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return recorded_session(tmp_path_factory.mktemp("capture"))


def _replay_against_fresh_lab(folder: Path, capture: Path, *options: str, fleet: str | None = None,
                              ) -> tuple[int, dict[str, object]]:
    """Provision a fresh lab in *folder* (the default fleet, or *fleet*), serve it and replay *capture* to it."""
    spec = None
    if fleet is not None:
        (folder / "fleet.toml").write_text(fleet)
        spec = load_fleet(folder / "fleet.toml")
    lab = open_lab(folder / "lab", spec, synchronous="OFF")
    out = folder / "report.json"

    async def scenario() -> int:
        service = serve(lab)
        await service.start()
        try:
            host, port = service.endpoints.binary if "binary" in options else service.endpoints.gfi  # type: ignore[misc]
            args = ["replay", str(capture), "--to", f"{host}:{port}", "--keystore", str(lab.key_folder), "--json",
                    *options]
            return await asyncio.to_thread(_main_to_file, args, out)
        finally:
            await service.stop()

    try:
        status = asyncio.run(scenario())
    finally:
        lab.close()
    return status, json.loads(out.read_text())


def _main_to_file(args: list[str], out: Path) -> int:
    import contextlib

    with out.open("w") as stream, contextlib.redirect_stdout(stream):
        return main(args)


def test_replay_against_a_fresh_lab_gets_the_same_answers(tmp_path: Path, capture: Path) -> None:
    status, report = _replay_against_fresh_lab(tmp_path, capture)  # at the original timing
    summary = report["summary"]
    assert status == 0, report
    assert summary == {"same": len(SESSION) + 1, "different": 0, "skipped": 0, "error": 0}
    commands = report["commands"]
    assert isinstance(commands, list) and [c["status"] for c in commands] == ["same"] * (len(SESSION) + 1)
    assert "ECS02" in commands[3]["command"] and "not GBCS" in commands[-1]["command"]
    assert commands[-1]["note"].startswith("sent as captured")


def test_replay_against_a_changed_firmware_reports_exactly_that(tmp_path: Path, capture: Path) -> None:
    status, report = _replay_against_fresh_lab(tmp_path, capture, "--as-fast-as-possible", "--framing", "binary",
                                               fleet=CHANGED_FIRMWARE)
    assert status == 1
    assert report["summary"] == {"same": len(SESSION), "different": 1, "skipped": 0, "error": 0}
    different = [c for c in report["commands"] if c["status"] == "different"]  # type: ignore[attr-defined]
    assert len(different) == 1
    assert different[0]["command"] == f"ECS52 0x0059 90B3D51F30010000 -> {ESME.hex().upper()}"
    assert different[0]["differences"] == [
        {"path": "payload.results[0].data.value", "captured": "01000000", "replayed": "02000000"}]


def test_replay_text_report_and_errors(tmp_path: Path, capture: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keys = str(tmp_path)
    assert main(["replay", str(capture), "--to", "127.0.0.1:1", "--keystore", keys]) == 2
    assert "no lab at 127.0.0.1:1" in capsys.readouterr().err
    assert main(["replay", str(capture), "--to", "nowhere", "--keystore", keys]) == 2
    assert "HOST:PORT" in capsys.readouterr().err
    (tmp_path / "plain.txt").write_text("DF09\n")
    assert main(["replay", str(tmp_path / "plain.txt"), "--to", "127.0.0.1:1", "--keystore", keys]) == 2
    assert "not a capture file" in capsys.readouterr().err
    assert main(["replay", str(capture), "--to", "127.0.0.1:1", "--keystore", keys, "--speed", "0"]) == 2
    assert "--speed" in capsys.readouterr().err


def test_replay_keeps_the_original_pace(tmp_path: Path, capture: Path) -> None:
    """Two commands captured 0.6 s apart are sent 0.6 s apart (0.3 s at --speed 2)."""
    lines = capture.read_text().splitlines()
    first = json.loads(lines[1])
    assert first["dir"] == "in"
    answers = [json.loads(line) for line in lines[2:] if json.loads(line).get("seq") == 1
               and json.loads(line).get("conn") == 1 and json.loads(line).get("dir") == "out"]
    late = dict(first, seq=9, t=(dt.datetime.fromisoformat(first["t"]) + dt.timedelta(seconds=0.6)).isoformat())
    paced = tmp_path / "paced.jsonl"
    body = [first, *answers, late, *(dict(a, seq=9) for a in answers)]
    paced.write_text("\n".join([lines[0], *(json.dumps(x) for x in body)]) + "\n")
    started = time.monotonic()
    status, report = _replay_against_fresh_lab(tmp_path, paced, "--speed", "2")
    assert status == 0 and report["summary"]["same"] == 2  # type: ignore[index]
    assert time.monotonic() - started >= 0.3


def _frame(line: int, direction: str, seq: int, kind: str, message: bytes = b"x", conn: int = 1) -> CaptureFrame:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return CaptureFrame(line, now, now, direction, conn, "127.0.0.1:1", "gfi", seq, kind, message)


def test_commands_are_paired_with_their_answers_by_connection_and_number() -> None:
    frames = [
        _frame(2, "in", 1, "command", b"a"), _frame(3, "in", 1, "command", b"b", conn=2),
        _frame(4, "in", 2, "command", b"c"), _frame(5, "out", 0, "alert", b"other"),
        _frame(6, "out", 2, "alert", b"c-alert"), _frame(7, "out", 2, "empty", b""),
        _frame(8, "out", 1, "response", b"a-reply"), _frame(9, "in", 3, "empty", b""),
        _frame(10, "out", 1, "response", b"b-reply", conn=2), _frame(11, "in", 4, "command", b"d"),
    ]
    got = list(captured_commands(frames))
    assert [c.frame.message for c in got] == [b"a", b"b", b"c", b"d"]
    assert [(c.response, c.alerts, c.closed) for c in got] == [
        (b"a-reply", [], True), (b"b-reply", [], True), (None, [b"c-alert"], True), (None, [], False)]


def test_comparer_leaves_out_what_legitimately_differs() -> None:
    captured = {"header": {"originator_counter": 1, "date_time": "x", "originator": "A"}, "mac": "11",
                "signature": "22", "payload": {"invoke": {"invoke_id": 5}, "date_time": "t1", "results": [
                    {"data": {"type": "octet-string", "value": "07EA0101", "date_time": "2026-01-01"}},
                    {"data": {"type": "octet-string", "value": "01000000", "time": "01:00:00.00"}}],
                    "originatorCounter": 9, "executionDateTime": "2026"}}
    replayed = json.loads(json.dumps(captured))
    replayed["header"].update(originator_counter=2, date_time="y")
    replayed.update(mac="33", signature="44")
    replayed["payload"].update(invoke={"invoke_id": 6}, date_time="t2", originatorCounter=10, executionDateTime="27")
    replayed["payload"]["results"][0]["data"].update(value="07EB0101", date_time="2027-01-01")
    out: list[Difference] = []
    Comparer().diff(captured, replayed, "", out)
    assert out == []
    replayed["payload"]["results"][1]["data"].update(value="02000000", time="02:00:00.00")
    replayed["header"]["originator"] = "B"
    Comparer().diff(captured, replayed, "", out)
    assert [str(d) for d in out] == ["header.originator: A != B", "payload.results[1].data.value: 01000000 != 02000000"]
    out.clear()
    Comparer(["payload.results[[]1[]]*", "header.*"]).diff(captured, replayed, "", out)
    assert out == []


def test_a_refused_bad_mac_command_is_refused_again_given_the_source_keystore(tmp_path: Path) -> None:
    path = tmp_path / "bad-mac.jsonl"
    lab = open_lab(tmp_path / "source", synchronous="OFF")

    async def session() -> None:
        service = serve(lab)
        await service.start()
        writer = CaptureWriter(path, lab=str(lab.folder))
        await writer.start(service.front)
        try:
            async with await WanClient.connect(*service.endpoints.gfi, "gfi") as client:  # type: ignore[misc]
                party = RemoteParty(lab.keystore, client.exchange)
                bad = bytearray(party.build(0x0059, to=ESME))
                bad[-1] ^= 0x55  # the MAC no longer checks: a security alert, no response
                assert (await party.send_raw(bytes(bad))).alerts
                assert (await party.command(0x0059, to=ESME)).response is not None
        finally:
            await service.stop()
            await writer.close()

    try:
        asyncio.run(session())
    finally:
        lab.close()
    status, report = _replay_against_fresh_lab(tmp_path / "a", path, "--as-fast-as-possible",
                                               "--source-keystore", str(lab.key_folder))
    assert status == 0 and report["summary"]["same"] == 2  # type: ignore[index]
    assert report["commands"][0]["note"] == "its MAC damaged as in the capture"  # type: ignore[index]
    status, report = _replay_against_fresh_lab(tmp_path / "b", path, "--as-fast-as-possible")
    assert status == 1
    assert [str(Difference(**d)) for d in report["commands"][0]["differences"]] == [  # type: ignore[index]
        "response: none != present", "alerts.length: 1 != 0"]
