"""``smets-emu replay``: play the commands of a capture (``run --capture``) against a lab and compare the answers.

Every inbound frame carrying a message (``"dir": "in"``, ``"kind": "command"``) is sent again, in
capture order, at its original time relative to the first one (divided by ``--speed``; none with
``--as-fast-as-possible``). Each captured connection gets its own connection to ``--to``, in one
framing (``--framing``, GFI by default). Commands go one at a time: the next waits for the answer
to the previous one (the lab serialises commands anyway), then for its own time.

A replay is meant for a fresh lab provisioned like the captured one (same fleet file, same device
EUIs): as captured, the commands would be refused there (its keys differ) and by the captured lab
(its devices have seen their counters). So each GBCS command is re-protected with the target lab's keystore
(``--keystore``): same originator, recipient, message code, header and payload, a fresh originator
counter (repeated in the payload where the payload repeats it, and in the DLMS invoke id), signed
when the captured command was signed, MACed when it was MACed. A message that is not a GBCS
command, or addressed to a device the keystore does not know, is sent as captured. Given the
captured lab's keystore (``--source-keystore``), a command whose MAC or signature did not verify
there is sent with its MAC or signature damaged again, and encrypted content of the captured
answers is decrypted for the comparison. Faults injected while capturing (``POST /faults``) are
not replayed: the capture holds the commands as the clients sent them.

What came back is compared with the capture's outbound frames of that command (same connection and
frame number: its alerts, then its response or the empty frame) after decoding, leaving out what
legitimately differs (:mod:`smets_emu.tools.replay_compare`: counters, date-times, MACs, signatures,
invoke ids). Alerts sent with frame number 0 (caused by other connections or timers) are not
compared. A command whose answer the capture does not hold (the capture stopped first) is sent but
not compared (``skipped``).

Exit status: 0 every command got the same answer, 1 some differ, 2 an error (unreadable capture or
keystore, no lab at ``--to``, a command that could not be rebuilt or got no answer within ``--timeout``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from smets_emu.errors import SmetsError
from smets_emu.protocols.envelope import CraFlag, decode_envelope, encode_envelope
from smets_emu.protocols.keystore import Keystore, KeyUsage
from smets_emu.protocols.message import message_from_envelope
from smets_emu.protocols.message_codes import lookup
from smets_emu.protocols.security import CheckStatus, GbcsKeys, seal, verify_message
from smets_emu.tools.capture import CaptureFrame, CaptureReader
from smets_emu.tools.replay_compare import Comparer, Difference, answer
from smets_emu.tools.wan_client import ClientError, RemoteParty, WanClient, with_counter

EXIT_SAME, EXIT_DIFFERENT, EXIT_ERROR = 0, 1, 2
PAIRING_WINDOW = 10_000
"""Commands awaiting their captured answer while later ones complete; the oldest is given up past it."""
MAX_CLIENTS = 64
"""Connections to the target held at once (one per captured connection; the least recently used closes)."""
MAX_REPORTED = 100_000
"""Commands kept in the report (later ones are counted in the summary only)."""


class ReplayError(SmetsError):
    """A replay cannot start: bad option, unreadable keystore, no lab at the address."""


@dataclass
class CapturedCommand:
    """An inbound command of a capture and what the front sent back for it."""

    frame: CaptureFrame
    alerts: list[bytes] = field(default_factory=list)
    response: bytes | None = None
    closed: bool = False  # the response or the closing empty frame was captured


def captured_commands(frames: Iterable[CaptureFrame], window: int = PAIRING_WINDOW) -> Iterator[CapturedCommand]:
    """The capture's commands in order, each with its answer (matched by connection and frame number)."""
    pending: OrderedDict[int, CapturedCommand] = OrderedDict()
    open_by_key: dict[tuple[int, int], CapturedCommand] = {}
    for n, frame in enumerate(frames):
        key = (frame.connection, frame.seq)
        if frame.direction == "in":
            if frame.kind != "command" or not frame.message:
                continue
            open_by_key.pop(key, None)  # a number reused before its exchange closed: the old one stays open
            command = CapturedCommand(frame)
            pending[n] = command
            open_by_key[key] = command
        elif frame.seq and key in open_by_key:
            command = open_by_key[key]
            if frame.kind == "alert":
                command.alerts.append(frame.message)
            else:  # the response, or the empty frame that closes an exchange without one
                command.response = frame.message or None
                command.closed = True
                del open_by_key[key]
        while pending and (next(iter(pending.values())).closed or len(pending) > window):
            first = pending.popitem(last=False)[1]
            if not first.closed:
                open_by_key = {k: v for k, v in open_by_key.items() if v is not first}
            yield first
    yield from pending.values()


@dataclass
class Outcome:
    """The replay of one command."""

    line: int
    connection: int
    seq: int
    summary: str
    status: str  # same, different, skipped, error
    differences: list[Difference] = field(default_factory=list)
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {"line": self.line, "conn": self.connection, "seq": self.seq,
                                  "command": self.summary, "status": self.status,
                                  "differences": [d.to_json() for d in self.differences]}
        if self.note:
            record["note"] = self.note
        return record


def describe_command(message: bytes) -> str:
    """``ECS52 0x0059 90B3D51F30010000 -> 00DB1234567890A0``, or ``not GBCS (7 bytes)``."""
    try:
        header = decode_envelope(message).header
    except SmetsError:
        return f"not GBCS ({len(message)} bytes)"
    info = lookup(header.message_code)
    name = f"{info.use_case} " if info is not None else ""
    return f"{name}0x{header.message_code:04X} {header.originator.hex().upper()} -> {header.recipient.hex().upper()}"


def _flip(data: bytes | None) -> bytes | None:
    return None if not data else data[:-1] + bytes([data[-1] ^ 0x01])


class Rebuilder:
    """Re-protects captured commands for the target lab: fresh counters, the target's keys.

    With the captured lab's keystore (*source*), a command whose MAC or signature did not verify
    there is sent with its MAC or signature damaged the same way, so the device refuses it again.
    """

    def __init__(self, keystore: Keystore, source: Keystore | None = None) -> None:
        self.keystore = keystore
        self.keys = GbcsKeys(keystore)
        self.source_keys = GbcsKeys(source) if source is not None else None
        self.counters = RemoteParty(keystore, None)  # type: ignore[arg-type]  # only its counter source

    def rebuild(self, message: bytes) -> tuple[bytes, str | None]:
        """The command to send and a note when it goes as captured."""
        try:
            env = decode_envelope(message)
        except SmetsError:
            return message, "sent as captured: not a GBCS message"
        header = env.header
        if header.cra_flag is not CraFlag.COMMAND:
            return message, "sent as captured: not a command"
        if self.keystore.public_key(header.recipient, KeyUsage.KA) is None:
            return message, "sent as captured: the keystore does not know the recipient"
        counter = self.counters.next_counter()
        content = env.content
        try:
            payload: Any = message_from_envelope(env).payload
        except SmetsError:
            payload = None
        if payload is not None and not isinstance(payload, bytes) and hasattr(payload, "encode"):
            payload = with_counter(payload, counter)
            invoke = getattr(payload, "invoke", None)
            if invoke is not None:  # DLMS: the low 24 bits of the counter (GBCS 7.2.9)
                payload = replace(payload, invoke=replace(invoke, invoke_id=counter & 0xFFFFFF))
            content = payload.encode()
        other = header.other_information
        if other.supplementary_remote_party_counter is not None:
            other = replace(other, supplementary_remote_party_counter=counter)
        fresh = replace(env, header=replace(header, originator_counter=counter, other_information=other),
                        content=content)
        sign, mac = env.signature is not None, env.mac is not None
        bad_mac = bad_signature = False
        if self.source_keys is not None:
            report = verify_message(message, self.source_keys)
            bad_mac = mac and report.mac is CheckStatus.INVALID
            bad_signature = sign and report.signature is CheckStatus.INVALID
        if bad_signature:  # signed, the signature damaged, then MACed over it (the order of seal)
            signed = seal(fresh, self.keys, sign=True, mac=False)
            sealed = seal(replace(signed, signature=_flip(signed.signature)), self.keys, sign=False, mac=mac)
        else:
            sealed = seal(fresh, self.keys, sign=sign, mac=mac)
        if bad_mac:
            sealed = replace(sealed, mac=_flip(sealed.mac))
        damaged = [name for name, bad in (("MAC", bad_mac), ("signature", bad_signature)) if bad]
        note = f"its {' and '.join(damaged)} damaged as in the capture" if damaged else None
        return encode_envelope(sealed), note


class Replayer:
    """Sends the captured commands to a lab and compares the answers."""

    def __init__(self, rebuilder: Rebuilder, host: str, port: int, *, framing: str = "gfi", timeout: float = 10.0,
                 comparer: Comparer | None = None) -> None:
        self.rebuilder = rebuilder
        self.host, self.port, self.framing = host, port, framing
        self.timeout = timeout
        self.comparer = comparer or Comparer()
        self._clients: OrderedDict[int, WanClient] = OrderedDict()
        self.counts = {"same": 0, "different": 0, "skipped": 0, "error": 0}
        self.outcomes: list[Outcome] = []

    async def _client(self, connection: int) -> WanClient:
        client = self._clients.get(connection)
        if client is not None:
            self._clients.move_to_end(connection)
            return client
        if len(self._clients) >= MAX_CLIENTS:
            _, oldest = self._clients.popitem(last=False)
            await oldest.close()
        try:
            client = await WanClient.connect(self.host, self.port, self.framing)
        except OSError as exc:
            raise ReplayError(f"no lab at {self.host}:{self.port}: {exc.strerror or exc}") from exc
        self._clients[connection] = client
        return client

    async def close(self) -> None:
        for client in self._clients.values():
            await client.close()
        self._clients.clear()

    async def run(self, commands: Iterable[CapturedCommand], *, speed: float | None) -> None:
        """Replay *commands* (at the capture's pace divided by *speed*; None: as fast as possible)."""
        loop = asyncio.get_running_loop()
        start = first = None
        for command in commands:
            if speed is not None:
                if first is None:
                    first, start = command.frame.time, loop.time()
                due = start + (command.frame.time - first).total_seconds() / speed  # type: ignore[operator]
                await asyncio.sleep(max(0.0, due - loop.time()))
            self._record(await self.replay_one(command))
            for client in self._clients.values():  # alerts numbered 0 are not compared: keep no backlog
                while not client.unsolicited.empty():
                    client.unsolicited.get_nowait()

    def _record(self, outcome: Outcome) -> None:
        self.counts[outcome.status] += 1
        if len(self.outcomes) < MAX_REPORTED:
            self.outcomes.append(outcome)

    async def replay_one(self, command: CapturedCommand) -> Outcome:
        frame = command.frame
        outcome = Outcome(frame.line, frame.connection, frame.seq, describe_command(frame.message), "same")
        try:
            data, outcome.note = self.rebuilder.rebuild(frame.message)
        except SmetsError as exc:
            outcome.status, outcome.note = "error", f"cannot rebuild the command: {exc}"
            return outcome
        client = await self._client(frame.connection)
        try:
            got = await client.exchange(data, timeout=self.timeout)
        except ClientError as exc:
            outcome.status, outcome.note = "error", f"{exc} (waited at most {self.timeout:g} s)"
            self._clients.pop(frame.connection, None)  # the next command of this connection reconnects
            await client.close()
            return outcome
        if not command.closed:
            outcome.status, outcome.note = "skipped", "the capture holds no answer to compare with"
            return outcome
        rebuilder = self.rebuilder
        outcome.differences = self.comparer.compare(answer(command.response, command.alerts, rebuilder.source_keys),
                                                    answer(got.response, got.alerts, rebuilder.keys))
        if outcome.differences:
            outcome.status = "different"
        return outcome

    def report(self, capture: str) -> dict[str, Any]:
        return {"capture": capture, "target": f"{self.host}:{self.port}", "framing": self.framing,
                "summary": dict(self.counts), "commands": [o.to_json() for o in self.outcomes]}


def print_report(replayer: Replayer, out: TextIO) -> None:
    for o in replayer.outcomes:
        if o.status == "same" and not o.note:
            continue
        out.write(f"line {o.line} (conn {o.connection}, #{o.seq}) {o.summary}: {o.status}"
                  + (f" ({o.note})" if o.note else "") + "\n")
        for d in o.differences:
            out.write(f"    {d}\n")
    c = replayer.counts
    out.write(f"{sum(c.values())} commands replayed to {replayer.host}:{replayer.port}: {c['same']} same, "
              f"{c['different']} different, {c['skipped']} skipped, {c['error']} errors\n")


def parse_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:4059`` for IPv6)."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ReplayError(f"--to {text!r}: give HOST:PORT, e.g. 127.0.0.1:4059")
    return host.strip("[]"), int(port)


async def _replay(args: argparse.Namespace, out: TextIO) -> int:
    host, port = parse_address(args.to)
    if args.speed <= 0:
        raise ReplayError("--speed is a positive factor, e.g. 2 for twice as fast")
    keystore = Keystore.load(Path(args.keystore))
    source = Keystore.load(Path(args.source_keystore)) if args.source_keystore else None
    replayer = Replayer(Rebuilder(keystore, source), host, port, framing=args.framing, timeout=args.timeout,
                        comparer=Comparer(args.ignore or ()))
    try:
        with CaptureReader(args.capture) as reader:
            await replayer.run(captured_commands(reader.frames()),
                               speed=None if args.as_fast_as_possible else args.speed)
    finally:
        await replayer.close()
    if args.json:
        out.write(json.dumps(replayer.report(args.capture), indent=2) + "\n")
    else:
        print_report(replayer, out)
    if replayer.counts["error"]:
        return EXIT_ERROR
    return EXIT_DIFFERENT if replayer.counts["different"] else EXIT_SAME


def run_replay(args: argparse.Namespace) -> int:
    """Entry point of ``smets-emu replay``."""
    try:
        return asyncio.run(_replay(args, sys.stdout))
    except SmetsError as exc:
        print(f"smets-emu replay: {exc}", file=sys.stderr)
        return EXIT_ERROR


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "replay", help="play a capture's commands (run --capture) against a lab and report different answers",
        description="Replay the commands of a WAN capture against a lab provisioned the same way (same fleet, "
        "same EUIs), re-protected with that lab's keys, and compare the answers with the captured ones. "
        "Exit 0: same answers; 1: differences; 2: error.")
    p.add_argument("capture", metavar="FILE", help="a capture file written by 'smets-emu run --capture'")
    p.add_argument("--to", required=True, metavar="HOST:PORT", help="the target lab's WAN port")
    p.add_argument("--framing", choices=("gfi", "binary"), default="gfi", help="framing of that port (default gfi)")
    p.add_argument("--keystore", required=True, metavar="DIR",
                   help="the target lab's keystore (its keys folder) to re-protect the commands")
    p.add_argument("--source-keystore", metavar="DIR",
                   help="the captured lab's keystore: commands whose MAC or signature did not verify there are sent "
                        "damaged the same way, and encrypted content of the captured answers is decrypted")
    pace = p.add_mutually_exclusive_group()
    pace.add_argument("--speed", type=float, default=1.0, metavar="X",
                      help="play X times faster than captured (default 1: the original timing)")
    pace.add_argument("--as-fast-as-possible", action="store_true", help="send each command as soon as the "
                      "previous one is answered")
    p.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS", help="wait per command (default 10)")
    p.add_argument("--ignore", action="append", metavar="GLOB",
                   help="also leave out fields whose path matches GLOB (e.g. 'payload.results[[]*[]].data.value'; "
                        "repeatable)")
    p.add_argument("--json", action="store_true", help="the report as one JSON document")
    p.set_defaults(func=run_replay)
