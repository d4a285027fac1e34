"""WAN captures: the frame observer, ``run --capture`` files (format, mode, size cap) and ``decode`` reading them."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import stat
from pathlib import Path

import pytest
from capture_session import ESME, GARBAGE, SESSION, mixed_session, recorded_session, serve

from smets_emu.tools.capture import FORMAT, CaptureError, CaptureReader, CaptureWriter, is_capture_file
from smets_emu.tools.cli import main
from smets_emu.tools.lab import Lab
from smets_emu.tools.service import LabService
from smets_emu.tools.wan_client import RemoteParty, WanClient
from smets_emu.tools.wire_events import MAX_OBSERVERS, ObserverLimitError, WireEvent, WireEventQueue


@pytest.fixture(scope="module")
def capture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return recorded_session(tmp_path_factory.mktemp("capture"))


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_capture_file_format_and_mode(capture: Path) -> None:
    assert stat.S_IMODE(capture.stat().st_mode) == 0o600
    lines = _lines(capture)
    header, frames, trailer = lines[0], lines[1:-1], lines[-1]
    assert header["format"] == FORMAT and header["version"] == 1 and header["lab"]
    dt.datetime.fromisoformat(str(header["started"]))
    assert trailer["reason"] == "stopped" and trailer["frames"] == len(frames) and trailer["dropped"] == 0
    for frame in frames:
        assert set(frame) == {"t", "vt", "dir", "conn", "peer", "framing", "seq", "kind", "hex"}
        assert frame["vt"] == "2026-01-01T00:00:00+00:00"
        assert frame["framing"] == ("gfi" if frame["conn"] == 1 else "binary")
    commands = [f for f in frames if f["dir"] == "in" and f["kind"] == "command"]
    assert len(commands) == len(SESSION) + 1 and bytes.fromhex(str(commands[-1]["hex"])) == GARBAGE
    assert [f["kind"] for f in frames if f["dir"] == "in" and f["kind"] == "empty"] == ["empty"]
    responses = [f for f in frames if f["kind"] == "response"]
    assert len(responses) == len(SESSION) - 1  # the refused command gets none
    alerts = [f for f in frames if f["kind"] == "alert"]
    # the refused command's alert: on its own connection with its number, on the other with number 0
    assert sorted((a["conn"], a["seq"] == 0) for a in alerts) == [(1, False), (2, True)]
    # every exchange on connection 1 ends with its response or an empty frame, numbered as the command
    for command in (f for f in commands if f["conn"] == 1):
        answers = [f for f in frames if f["dir"] == "out" and f["conn"] == 1 and f["seq"] == command["seq"]]
        assert answers and answers[-1]["kind"] in ("response", "empty")


def test_decode_reads_a_capture(capture: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert is_capture_file(capture) and not is_capture_file(capture.parent)
    status = main(["decode", "--json-lines", str(capture)])
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert status == 1  # the garbage frame does not decode
    failed = [r for r in records if "error" in r]
    assert len(failed) == 1 and failed[0]["capture"]["kind"] == "command" and "FrameError" in failed[0]["error"]
    decoded = [r for r in records if "message" in r]
    assert len(decoded) == len(records) - 1
    assert {r["cra_flag"] for r in decoded} == {"command", "response", "alert"}
    first = decoded[0]
    assert first["source"] == f"{capture}:2" and first["use_case"] == "ECS52"
    assert set(first["capture"]) == {"t", "dir", "conn", "seq", "kind"} and first["capture"]["dir"] == "in"
    critical = [r for r in decoded if r["message_code"] == "0x001A" and r["cra_flag"] == "command"]
    assert critical and critical[0]["signature"] == "unchecked"
    assert {r["capture"]["kind"] for r in decoded} == {"command", "response", "alert"}


def test_reader_refuses_bad_captures(tmp_path: Path, capture: Path) -> None:
    plain = tmp_path / "plain.jsonl"
    plain.write_text('{"not": "a capture"}\n')
    with pytest.raises(CaptureError, match="not a capture file"):
        CaptureReader(plain)
    newer = tmp_path / "newer.jsonl"
    newer.write_text(json.dumps({"format": FORMAT, "version": 99}) + "\n")
    with pytest.raises(CaptureError, match="version 99"):
        CaptureReader(newer)
    lines = capture.read_text().splitlines()
    for bad, message in ((lines[1].replace('"t":"', '"t":"yesterday'), "'t' is not an ISO 8601"), ("[1, 2", "not JSON"),
                         (lines[1].replace('"dir":"in"', '"dir":"up"'), "'dir' is one of"),
                         (lines[1].replace('"hex":"', '"hex":"Z'), "'hex'")):
        broken = tmp_path / "broken.jsonl"
        broken.write_text("\n".join([lines[0], lines[1], bad]) + "\n")
        with CaptureReader(broken) as reader, pytest.raises(CaptureError, match=f"broken.jsonl:3: {message}"):
            list(reader.frames())


def test_size_cap_stops_capturing_not_serving(tmp_path: Path, lab: Lab, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "capped.jsonl"

    async def scenario() -> tuple[CaptureWriter, int]:
        service = serve(lab)
        await service.start()
        writer = CaptureWriter(path, lab=str(lab.folder), max_bytes=4096)
        await writer.start(service.front)
        try:
            async with await WanClient.connect(*service.endpoints.gfi, "gfi") as client:  # type: ignore[misc]
                party = RemoteParty(lab.keystore, client.exchange)
                answered = 0
                for _ in range(12):  # ~700 bytes of lines per exchange: well past the cap
                    answered += (await party.command(0x0059, to=ESME)).response is not None
        finally:
            await service.stop()
            await writer.close()
        return writer, answered

    with caplog.at_level(logging.WARNING, "smets_emu.tools.capture"):
        writer, answered = asyncio.run(scenario())
    assert answered == 12  # the lab kept serving
    assert path.stat().st_size <= 4096 and writer.reason == "size cap"
    assert sum("reached its size cap" in r.getMessage() for r in caplog.records) == 1
    lines = _lines(path)
    assert lines[-1]["reason"] == "size cap" and lines[-1]["frames"] == len(lines) - 2 < 24
    with pytest.raises(CaptureError, match="at least 4096"):
        CaptureWriter(tmp_path / "tiny.jsonl", lab="x", max_bytes=100)


def test_run_capture_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "run.jsonl"
    args = ["run", "--lab", str(tmp_path / "lab"), "--port", "0", "--binary-port", "-1", "--http-port", "-1",
            "--clock", "virtual", "--capture", str(path), "--capture-max-bytes", "65536", "--exit-after", "0.2"]
    assert main(args) == 0
    assert "capture:" in capsys.readouterr().out
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = _lines(path)
    assert lines[0]["format"] == FORMAT and "gfi" in lines[0]["endpoints"] and lines[-1]["reason"] == "stopped"
    assert main(args) == 2  # never overwrites an existing file
    assert "exists" in capsys.readouterr().err
    assert main([*args[:-4], "--capture", str(tmp_path / "x.jsonl"), "--capture-max-bytes", "10"]) == 2
    assert not (tmp_path / "x.jsonl").exists()


async def test_observers(service: LabService, lab: Lab, caplog: pytest.LogCaptureFixture) -> None:
    seen: list[WireEvent] = []
    queue = WireEventQueue(maxsize=2)

    def failing(event: WireEvent) -> None:
        raise RuntimeError("observer bug")

    handles = [service.front.observe(failing), service.front.observe(seen.append), service.front.observe(queue.put)]
    with caplog.at_level(logging.ERROR, "smets_emu.tools.wire_events"):
        await mixed_session(service, lab)
    assert sum("observer" in r.getMessage() for r in caplog.records) == 1  # logged once
    assert handles[0].failures == len(seen) > 10
    assert len(queue) == 2 and queue.dropped == len(seen) - 2
    assert (await queue.get()) == seen[-2] and queue.get_nowait() == seen[-1] and queue.get_nowait() is None
    first = seen[0]
    assert first.direction == "in" and first.kind == "command" and first.seq == 1 and first.framing == "gfi"
    assert first.time.tzinfo is not None and first.virtual_time == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert first.peer.startswith("127.0.0.1:") and first.connection >= 1
    assert len({(e.connection, e.peer) for e in seen}) == 2
    for handle in handles:
        handle.cancel()
        handle.cancel()
    count = len(seen)
    async with await WanClient.connect(*service.endpoints.gfi, "gfi") as client:  # type: ignore[misc]
        await client.exchange(b"")
    assert len(seen) == count
    extra = []  # the control plane may observe too
    with pytest.raises(ObserverLimitError):
        while len(extra) <= MAX_OBSERVERS:
            extra.append(service.front.observe(seen.append))
    assert 0 < len(extra) <= MAX_OBSERVERS
    for handle in extra:
        handle.cancel()


def test_capture_file_is_created_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        writer = CaptureWriter(tmp_path / "c.jsonl", lab="x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "c.jsonl").stat().st_mode) == 0o600
    writer.abandon()
    assert not (tmp_path / "c.jsonl").exists()
    CaptureWriter(tmp_path / "d.jsonl", lab="x").abandon()
