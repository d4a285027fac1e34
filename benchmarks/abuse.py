"""Hostile WAN clients against an in-process lab: memory, HTTP latency and honest commands under attack.

Usage: ``python benchmarks/abuse.py [--json] [--quick] [--seconds S] [--attack NAME]...``

``--quick`` runs each attack for 2 s instead of 5 s.

Each attack runs for a fixed time in a process of its own (so one attack's memory does not show
in the next one's figures) against a fresh lab (the default premises) served in-process by the
same :class:`~smets_emu.tools.service.LabService` as ``smets-emu run``, with its default WAN
limits (:class:`~smets_emu.tools.wan_server.WanLimits`). The attacker is a separate process
(``benchmarks/abuse.py --attacker NAME ...``), as a real one would be; meanwhile, in the lab's
process, an honest client sends an ECS52 read every 20 ms over its own GFI connection (opened
before the attack) and a probe sends ``GET /clock`` to the control plane every 20 ms (with the
lab's bearer token when it has one). Attacks:

- ``flood``: ``A5 5A`` repeated on the binary port as fast as the socket takes it (reconnecting
  when the front closes the connection);
- ``gfi-junk``: GFI-looking junk on the GFI port (frame starts with bad fields, lines whose hex
  stops short of the declared length, runs of markers);
- ``trickle``: 300 connections each start a binary frame declaring 16 MiB, send 1 MiB of it at
  once, then one byte per 0.3 s per connection (never idle long enough to be abandoned);
- ``idle``: 1,100 connections that send nothing;
- ``never-read``: 50 connections with small receive buffers that never read, while a further
  connection sends commands with a bad MAC as fast as they are answered, each raising a security
  alert that the front sends to every connection.

Figures per attack: ``rss_before_mib`` (after a warm-up, before the attack), ``rss_peak_mib``
(sampled every 20 ms during the attack and until its connections are gone), ``rss_after_mib`` (1 s
after the attacker exited), ``peak_ratio`` (peak / before; aim < 2), ``http_p50_ms`` /
``http_p99_ms`` (aim p99 < 100 ms), ``honest`` (``sent``, ``answered``, ``lost``: no answer within
5 s, aim 0, ``p50_ms``, ``p99_ms``), ``attacker`` (what the attacking process did) and ``front``
(the WAN front's counters from ``GET /stats``). RSS is VmRSS from ``/proc/self/status``.

With ``--json`` the last line is one JSON object: ``{"seconds", "attacks": {name: {...}}}``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

import aiohttp

from smets_emu.tools.lab import open_lab
from smets_emu.tools.service import LabService, ServiceConfig
from smets_emu.tools.wan_client import ClientError, RemoteParty, WanClient

ATTACKS = ("flood", "gfi-junk", "trickle", "idle", "never-read")
ESME = bytes.fromhex("00DB1234567890A0")
PERIOD = 0.02
HONEST_TIMEOUT = 5.0
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def rss_mib() -> float:
    """This process's resident set size (MiB)."""
    with open("/proc/self/status") as status:
        match = re.search(r"VmRSS:\s+(\d+)\s+kB", status.read())
    return int(match.group(1)) / 1024 if match else 0.0


def _percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


# --------------------------------------------------------------------------------------------- attackers


async def _flood(host: str, port: int, seconds: float, block: bytes) -> dict[str, Any]:
    sent = connections = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection(host, port)
        except OSError:
            await asyncio.sleep(0.01)
            continue
        connections += 1
        try:
            while time.monotonic() < deadline:
                writer.write(block)
                await writer.drain()
                sent += len(block)
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
    return {"bytes_sent": sent, "connections": connections}


def _gfi_junk_block() -> bytes:
    rng = random.Random(7)
    parts = []
    for _ in range(200):
        kind = rng.randrange(4)
        if kind == 0:
            parts.append(b"GBCS:DATA#" * rng.randint(1, 50))
        elif kind == 1:  # declares more hex than it carries: fails at the CR
            parts.append(b"GBCS:DATA#%d:99999:%s\r\n" % (rng.randrange(10**6), b"AB" * rng.randint(1, 400)))
        elif kind == 2:  # bad fields
            parts.append(b"GBCS:DATA#12x:3:ABCDEF\r\nGBCS:DATA#1:-3:\r\n")
        else:
            parts.append(bytes(rng.randrange(256) for _ in range(rng.randint(1, 300))))
    return b"".join(parts)


async def _trickle(host: str, port: int, seconds: float, connections: int) -> dict[str, Any]:
    import binascii
    import struct

    head = struct.pack(">2sII", b"\xa5\x5a", 1, 16 * 1024 * 1024)
    start = head + struct.pack(">H", binascii.crc_hqx(head, 0xFFFF)) + bytes(1024 * 1024)
    writers: list[asyncio.StreamWriter] = []
    opened = closed = 0
    deadline = time.monotonic() + seconds
    for _ in range(connections):
        try:
            _, writer = await asyncio.open_connection(host, port)
            writer.write(start)
            writers.append(writer)
            opened += 1
        except OSError:
            closed += 1
    while time.monotonic() < deadline:
        for writer in writers:
            if not writer.is_closing():
                try:
                    writer.write(b"\x00")
                except (ConnectionError, OSError):
                    pass
        await asyncio.sleep(0.3)
    alive = 0
    for writer in writers:
        transport = writer.transport
        alive += not transport.is_closing() and not getattr(transport, "_conn_lost", 0)
        writer.close()
    return {"connections": opened, "failed": closed, "still_open_at_end": alive}


async def _idle(host: str, port: int, seconds: float, connections: int) -> dict[str, Any]:
    streams = []
    failed = 0
    for _ in range(connections):
        try:
            streams.append(await asyncio.open_connection(host, port))
        except OSError:
            failed += 1
    await asyncio.sleep(seconds)
    refused = 0
    for reader, writer in streams:
        refused += reader.at_eof() or bool(reader._buffer == b"" and reader._eof)  # type: ignore[attr-defined]
        writer.close()
    return {"connections": len(streams), "failed": failed, "closed_by_front": refused}


async def _never_read(host: str, port: int, seconds: float, connections: int, command: bytes) -> dict[str, Any]:
    from smets_emu.tools.wan_server import wan_framing

    socks = []
    for _ in range(connections):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect((host, port))
        socks.append(sock)
    framing = wan_framing("gfi")
    reader, writer = await asyncio.open_connection(host, port)
    decoder = framing.decoder()
    sent = 0
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:  # one bad-MAC command at a time: each raises an alert for everyone
            sent += 1
            writer.write(framing.encode(command, seq=sent))
            await writer.drain()
            done = False
            while not done:
                data = await asyncio.wait_for(reader.read(65536), 5)
                if not data:
                    raise ConnectionError("closed")
                done = any(f.seq == sent and not f.payload for f in decoder.feed(data))
    except (ConnectionError, OSError, TimeoutError):
        pass
    writer.close()
    dropped = 0
    for sock in socks:
        try:
            sock.setblocking(False)
            sock.send(b"")
            dropped += sock.recv(1, socket.MSG_PEEK) == b""
        except BlockingIOError:
            pass
        except OSError:
            dropped += 1
        sock.close()
    return {"alerting_commands": sent, "never_reading": connections, "dropped_by_front": dropped}


def attacker_main(argv: list[str]) -> int:
    """The attacking process: ``--attacker NAME HOST PORT SECONDS [COMMAND_HEX]``; prints a JSON summary."""
    name, host, port, seconds = argv[0], argv[1], int(argv[2]), float(argv[3])
    if name == "flood":
        result = asyncio.run(_flood(host, port, seconds, b"\xa5\x5a" * 32768))
    elif name == "gfi-junk":
        result = asyncio.run(_flood(host, port, seconds, _gfi_junk_block()))
    elif name == "trickle":
        result = asyncio.run(_trickle(host, port, seconds, 300))
    elif name == "idle":
        result = asyncio.run(_idle(host, port, seconds, 1100))
    elif name == "never-read":
        result = asyncio.run(_never_read(host, port, seconds, 50, bytes.fromhex(argv[4])))
    else:
        raise SystemExit(f"unknown attack {name!r}")
    print(json.dumps(result))
    return 0


# --------------------------------------------------------------------------------------------- the lab side


async def run_attack(name: str, seconds: float) -> dict[str, Any]:
    """One attack against a fresh in-process lab (see the module docstring); returns its figures."""
    with tempfile.TemporaryDirectory() as folder:
        lab = open_lab(folder, synchronous="OFF")
        service = LabService(lab, ServiceConfig(port=0, binary_port=0, http_port=0, clock="virtual", start=START,
                                                tick_interval=3600))
        try:
            endpoints = await service.start()
            token = getattr(service, "control_token", None)
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            http_host, http_port = endpoints.http  # type: ignore[misc]
            http_base = f"http://{http_host}:{http_port}"
            client = await WanClient.connect(*endpoints.gfi, "gfi")  # type: ignore[misc]
            party = RemoteParty(lab.keystore, client.exchange)
            planned = int(seconds / PERIOD) + 100
            commands = [party.build(0x0059, to=ESME, as_party="supplier") for _ in range(planned + 20)]
            bad = bytearray(party.build(0x0059, to=ESME, as_party="supplier"))
            bad[-1] ^= 0x55  # the MAC fails: a security alert
            async with aiohttp.ClientSession(http_base, headers=headers) as session:
                for command in commands[:20]:  # warm-up
                    await client.exchange(command)
                    async with session.get("/clock") as reply:
                        await reply.read()
                commands = commands[20:]
                await asyncio.sleep(0.5)
                before = rss_mib()
                host, port = endpoints.binary if name in ("flood", "trickle") else endpoints.gfi  # type: ignore[misc]
                args = [sys.executable, os.path.abspath(__file__), "--attacker", name, host, str(port), str(seconds)]
                if name == "never-read":
                    args.append(bytes(bad).hex())
                attacker = await asyncio.create_subprocess_exec(*args, stdout=subprocess.PIPE)
                peak = before
                http: list[float] = []
                honest: list[float] = []
                sent = answered = lost = 0
                done = asyncio.Event()

                async def sample() -> None:
                    nonlocal peak
                    while not done.is_set():
                        peak = max(peak, rss_mib())
                        await asyncio.sleep(0.02)

                async def probe() -> None:
                    while not done.is_set():
                        t0 = time.perf_counter()
                        try:
                            async with session.get("/clock", timeout=aiohttp.ClientTimeout(total=10)) as reply:
                                await reply.read()
                            http.append(time.perf_counter() - t0)
                        except (aiohttp.ClientError, TimeoutError):
                            http.append(10.0)
                        await asyncio.sleep(PERIOD)

                async def honest_client() -> None:
                    nonlocal sent, answered, lost
                    for command in commands:
                        if done.is_set():
                            return
                        sent += 1
                        t0 = time.perf_counter()
                        try:
                            exchange = await client.exchange(command, timeout=HONEST_TIMEOUT)
                            honest.append(time.perf_counter() - t0)
                            answered += exchange.response is not None
                            lost += exchange.response is None
                        except ClientError:
                            lost += 1
                        await asyncio.sleep(PERIOD)

                tasks = [asyncio.create_task(sample())]
                await asyncio.sleep(0.3)  # the attack is under way before latencies count
                tasks += [asyncio.create_task(f()) for f in (probe, honest_client)]
                out, _ = await attacker.communicate()
                done.set()
                await asyncio.gather(*tasks)
                try:
                    attacker_summary = json.loads(out.decode().strip().splitlines()[-1])
                except (IndexError, ValueError):
                    attacker_summary = {"output": out.decode()}
                await asyncio.sleep(1.0)
                after = rss_mib()
                async with session.get("/stats") as reply:
                    front = (await reply.json()).get("wan", {})
            await client.close()
        finally:
            await service.stop()
            lab.close()
    keys = ("connections", "refused_connections", "garbage_closed", "budget_closed", "idle_closed",
            "slow_reader_closed", "frames_dropped", "frames_oversize", "frames_expired", "alerts_sent")
    return {
        "seconds": seconds,
        "rss_before_mib": round(before, 1),
        "rss_peak_mib": round(peak, 1),
        "rss_after_mib": round(after, 1),
        "peak_ratio": round(peak / before, 2),
        "http_requests": len(http),
        "http_p50_ms": round(_percentile(http, 50) * 1000, 1),
        "http_p99_ms": round(_percentile(http, 99) * 1000, 1),
        "honest": {
            "sent": sent,
            "answered": answered,
            "lost": lost,
            "p50_ms": round(_percentile(honest, 50) * 1000, 1),
            "p99_ms": round(_percentile(honest, 99) * 1000, 1),
        },
        "attacker": attacker_summary,
        "front": {k: front.get(k) for k in keys if k in front},
    }


def _run_isolated(name: str, seconds: float) -> dict[str, Any]:
    """:func:`run_attack` in a fresh process (``--run-attack NAME SECONDS``)."""
    script = os.path.abspath(__file__)
    done = subprocess.run([sys.executable, script, "--run-attack", name, str(seconds)], capture_output=True,
                          text=True, timeout=seconds * 10 + 120, check=False)
    if done.returncode != 0:
        raise SystemExit(f"attack {name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--attacker"]:
        return attacker_main(argv[1:])
    if argv[:1] == ["--run-attack"]:
        print(json.dumps(asyncio.run(run_attack(argv[1], float(argv[2])))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--quick", action="store_true", help="2 s per attack")
    parser.add_argument("--seconds", type=float, help="time per attack (default 5, quick 2)")
    parser.add_argument("--attack", choices=ATTACKS, action="append", help="attacks to run (default all)")
    args = parser.parse_args(argv)
    seconds = args.seconds if args.seconds is not None else (2.0 if args.quick else 5.0)
    report = sys.stderr if args.json else sys.stdout
    out: dict[str, Any] = {"seconds": seconds, "attacks": {}}
    for name in args.attack or ATTACKS:
        fig = _run_isolated(name, seconds)
        out["attacks"][name] = fig
        h = fig["honest"]
        print(
            f"{name}: RSS {fig['rss_before_mib']:.0f} -> peak {fig['rss_peak_mib']:.0f} ({fig['peak_ratio']:.2f}x)"
            f" -> after {fig['rss_after_mib']:.0f} MiB; HTTP p50 {fig['http_p50_ms']:.1f} ms"
            f" p99 {fig['http_p99_ms']:.1f} ms ({fig['http_requests']} requests);"
            f" honest {h['answered']}/{h['sent']} answered, {h['lost']} lost,"
            f" p50 {h['p50_ms']:.1f} ms p99 {h['p99_ms']:.1f} ms; attacker {fig['attacker']}; front {fig['front']}",
            file=report,
        )
    if args.json:
        print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
