"""Serving a running lab on a serial line through the hw bridge (``smets-emu run --serial``).

``--serial [gfi@|binary@]URL`` (GFI text framing by default): each GBCS command read from the
line is routed by recipient to the fleet; the alerts it raised and its response are written
back on the line, in that order, in frames carrying the command's sequence number (GFI ``n``,
binary ``SEQ``; the framings of :mod:`smets_emu.hw.framing`, byte for byte those of the TCP front).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from smets_emu.hosting.runtime import Runtime
from smets_emu.hw import FrameLink, framing_for, open_port, serve_link

log = logging.getLogger(__name__)


def parse_serial(spec: str) -> tuple[str, str]:
    """``binary@/dev/ttyUSB0`` -> ("binary", "/dev/ttyUSB0"); the framing defaults to GFI."""
    head, sep, rest = spec.partition("@")
    if sep and head in ("gfi", "binary"):
        return head, rest
    return "gfi", spec


@dataclass
class SerialBridge:
    """A serial line serving the fleet; :meth:`close` stops it."""

    url: str
    task: asyncio.Task[object]

    async def close(self) -> None:
        self.task.cancel()
        try:
            await self.task
        except (asyncio.CancelledError, Exception):  # a port that failed is reported by the task's log
            pass


async def start_serial_bridge(spec: str, runtime: Runtime) -> SerialBridge:
    """Serve the fleet on the serial line *spec*."""
    framing_name, url = parse_serial(spec)

    async def handler(message: bytes) -> Sequence[bytes]:
        sent = await runtime.exchange(message)  # the alerts it raised come back beside its response
        return [o.message for o in sent if o.kind == "alert"] + [o.message for o in sent if o.kind == "response"]

    reader, writer = await open_port(url)  # open (and configure) the line before serving starts
    link = FrameLink(reader, writer, framing_for(framing_name), name=url)

    async def run() -> object:
        try:
            return await serve_link(link, handler)
        except Exception:
            log.exception("serial bridge %s stopped", url)
            raise
        finally:
            try:
                await link.close()
            except Exception:  # closing a line that already failed
                log.debug("closing %s failed", url, exc_info=True)

    return SerialBridge(spec, asyncio.create_task(run()))
