"""What the WAN front allows each client (:class:`WanLimits`), what it counts (:class:`FrontStats`) and how it
logs trouble (:class:`SourceLog`, once per source host).

Both are re-exported by :mod:`smets_emu.tools.wan_server`, which documents the protections.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass

from smets_emu.hw.link import DEFAULT_IDLE_TIMEOUT
from smets_emu.protocols.lengths import MAX_MESSAGE as GBCS_MAX_MESSAGE

log = logging.getLogger(__name__)

MAX_MESSAGE = GBCS_MAX_MESSAGE
"""The largest GBCS message a WAN frame may carry (:data:`smets_emu.protocols.lengths.MAX_MESSAGE`, ``2**24 + 4096``
bytes); frames declaring more are dropped. The GFI line cannot say more than seven length digits, so GFI
frames stop at 9,999,999 bytes.
"""


@dataclass(frozen=True)
class WanLimits:
    """What one client may cost the front; the defaults are those of ``smets-emu run``."""

    max_message: int = MAX_MESSAGE
    """Largest GBCS message in a frame (bytes); a connection's receive buffer holds at most one such frame."""
    max_connections: int = 256
    """Connections served at once (both framings); more are accepted and closed at once, and counted."""
    receive_budget: int = 24 * 1024 * 1024
    """Bytes of partial frames all connections may hold together; the connection that would pass it is closed.

    Room for the largest frame of either framing (a GFI line carrying 9,999,999 bytes is 20 MB)."""
    frame_gap: float = DEFAULT_IDLE_TIMEOUT
    """Seconds a started frame may wait for its next byte before it is abandoned."""
    frame_deadline: float | None = 60.0
    """Seconds a started frame may take to arrive in full (a frame trickled byte by byte is abandoned)."""
    idle_timeout: float | None = 300.0
    """Seconds a connection may send nothing before it is closed (an empty frame is a keep-alive)."""
    garbage_limit: int | None = 1024 * 1024
    """Bytes of noise (no intact frame among them) after which a connection is closed."""
    send_queue_limit: int = 1024 * 1024
    """Bytes that may wait to be sent to a connection; past it the connection is closed as a slow reader."""
    send_timeout: float = 30.0
    """Seconds the front waits for a connection to take a reply before closing it as a slow reader."""
    socket_send_buffer: int | None = None
    """SO_SNDBUF for accepted sockets (None: the system's); small values make slow readers show sooner."""


@dataclass
class FrontStats:
    """Counters of the front (``GET /stats``)."""

    connections: int = 0  # accepted and served since start
    active_connections: int = 0  # served now
    commands: int = 0  # non-empty frames received
    responses: int = 0
    no_response: int = 0  # exchanges closed with an empty frame (includes the two below)
    undecodable: int = 0  # not a GBCS message: truncated, extended, random bytes
    unknown_recipient: int = 0  # a GBCS message for no device of the fleet
    alerts_sent: int = 0
    frames_dropped: int = 0  # failed a framing check (includes the two below)
    frames_oversize: int = 0  # declared longer than the maximum message
    frames_expired: int = 0  # still incomplete at the frame deadline
    faults_applied: int = 0
    refused_connections: int = 0  # over the connection cap
    idle_closed: int = 0  # sent nothing for the idle timeout
    garbage_closed: int = 0  # sent only noise past the garbage limit
    budget_closed: int = 0  # a partial frame did not fit the receive budget
    slow_reader_closed: int = 0  # did not read what it was sent
    receive_buffered: int = 0  # bytes of partial frames held now (all connections)


class SourceLog:
    """Logs each kind of trouble once per source host (a bounded memory of who was logged)."""

    def __init__(self, size: int = 4096) -> None:
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._size = size

    def once(self, host: str, kind: str, message: str, *args: object) -> None:
        key = (host, kind)
        if key in self._seen:
            self._seen.move_to_end(key)
            return
        self._seen[key] = None
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)
        detail = message % args if args else message  # formatted once per source, not per event
        log.warning("WAN client %s: %s (logged once per source; counted in /stats)", host, detail)
