"""hw: I/O only. Frames GBCS messages onto byte streams (serial lines, ptys, TCP); never imports the emulator.

Public API (stable; ``tools/`` composes it with the fleet runtime):

Framing (sans-IO, :mod:`smets_emu.hw.framing`)
    ``framing_for("gfi" | "binary") -> Framing``; ``GfiFraming``, ``BinaryFraming``;
    ``Framing.encode(payload, *, seq=0) -> bytes``, ``Framing.decoder() -> StreamDecoder``;
    ``StreamDecoder.feed(data) -> list[Frame]`` (never raises on content), ``.abandon()``, ``.stats``;
    ``Frame(payload: bytes, seq: int)``: both framings carry the sequence number (GFI ``n``, binary
    ``SEQ``). These are the only framings of the project: serial lines and the TCP front
    (``tools.wan_server``) speak the same bytes.
Ports (:mod:`smets_emu.hw.ports`)
    ``await open_port(url, *, baudrate=115200) -> (StreamReader, StreamWriter)`` for any
    ``serial_for_url`` URL; ``open_pty() -> PtyPair(master_fd, slave_fd, path)``;
    ``await open_fd(fd) -> (StreamReader, StreamWriter)``.
Links (:mod:`smets_emu.hw.link`)
    ``FrameLink(reader, writer, framing, *, name, idle_timeout)``: ``await send(message, *, seq=0)``,
    ``await receive() -> bytes``, ``await receive_frame() -> Frame`` (both raise ``LinkClosed`` at end of
    stream), ``async for message in link``, ``stats -> LinkStats``, ``await close()``. Works on TCP
    streams from ``asyncio.open_connection`` too.
Bridges (:mod:`smets_emu.hw.bridge`)
    ``Handler = async (bytes) -> Sequence[bytes]``; ``await serve_link(link, handler)`` (answers carry
    the request's sequence number; ``relay`` and ``forward`` keep sequence numbers),
    ``await serve_port(url, handler, framing, *, baudrate)``; ``await relay(link_a, link_b)``;
    ``await forward(serial_url, serial_framing, tcp_framing, *, listen=(host, port) | connect=(host, port))``;
    ``RemoteDevice(link)``: a real device as a ``Handler``.
Faults (:mod:`smets_emu.hw.faults`)
    ``FaultyWriter(writer, faults, *, seed)`` with ``OneByteAtATime``, ``RandomSplit``, ``Delay``,
    ``DropBytes``, ``DropFrames``, ``CorruptBits``, ``Garbage``; ``FAULT_BANK`` names combinations.
Self-test (:mod:`smets_emu.hw.selftest`)
    ``await selftest(url, framing, *, baudrate, frames) -> SelftestReport`` (``url="pty"``: a pty pair
    with an echoing master).

Errors: ``smets_emu.errors.TransportError`` (port cannot be opened or failed), ``LinkClosed``.
"""

from smets_emu.hw.bridge import Handler, RemoteDevice, forward, relay, serve_link, serve_port
from smets_emu.hw.faults import FAULT_BANK, FaultyWriter
from smets_emu.hw.framing import BinaryFraming, Frame, Framing, GfiFraming, StreamDecoder, framing_for
from smets_emu.hw.link import FrameLink, LinkStats
from smets_emu.hw.ports import PtyPair, open_fd, open_port, open_pty
from smets_emu.hw.selftest import SelftestReport, selftest

__all__ = [
    "FAULT_BANK",
    "BinaryFraming",
    "FaultyWriter",
    "Frame",
    "FrameLink",
    "Framing",
    "GfiFraming",
    "Handler",
    "LinkStats",
    "PtyPair",
    "RemoteDevice",
    "SelftestReport",
    "StreamDecoder",
    "forward",
    "framing_for",
    "open_fd",
    "open_port",
    "open_pty",
    "relay",
    "selftest",
    "serve_link",
    "serve_port",
]
