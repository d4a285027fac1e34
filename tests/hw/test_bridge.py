"""--forward: a TCP head-end reaches a device on a serial port (a pty here), across sessions and framings."""

from __future__ import annotations

import asyncio
import contextlib

from smets_emu.hw.bridge import RemoteDevice, forward, serve_link
from smets_emu.hw.framing import Frame, framing_for
from smets_emu.hw.link import FrameLink
from smets_emu.hw.ports import open_fd, open_port, open_pty


async def _answer(message: bytes) -> list[bytes]:
    return [b"ANS" + message]


async def test_forward_relays_head_end_to_serial_device() -> None:
    async with asyncio.timeout(20):
        pty = open_pty()
        device = FrameLink(*(await open_fd(pty.master_fd)), framing_for("binary"), name="device")
        device_task = asyncio.create_task(serve_link(device, _answer))
        ready: asyncio.Future[tuple[str, int]] = asyncio.get_running_loop().create_future()
        fwd = asyncio.create_task(
            forward(
                pty.path, framing_for("binary"), framing_for("gfi"), listen=("127.0.0.1", 0), ready=ready.set_result
            )
        )
        try:
            host, port = await ready
            for session in range(2):  # the serial side stays up between head-end sessions
                head_end = FrameLink(*(await asyncio.open_connection(host, port)), framing_for("gfi"))
                # the sequence number crosses both framings and comes back on the answer
                await head_end.send(bytes([session, 1, 2]), seq=40 + session)
                assert await head_end.receive_frame() == Frame(b"ANS" + bytes([session, 1, 2]), 40 + session)
                await head_end.close()
                await asyncio.sleep(0.05)
        finally:
            for task in (fwd, device_task):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            pty.close()


async def test_remote_device_as_handler() -> None:
    async with asyncio.timeout(20):
        pty = open_pty()
        device = FrameLink(*(await open_fd(pty.master_fd)), framing_for("gfi"), name="device")
        device_task = asyncio.create_task(serve_link(device, _answer))
        remote = RemoteDevice(FrameLink(*(await open_port(pty.path)), framing_for("gfi")), timeout=2, quiet=0.1)
        try:
            assert await remote(b"\xdd\x00") == [b"ANS\xdd\x00"]
            assert await remote(b"\x01") == [b"ANS\x01"]
        finally:
            await remote.close()
            device_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await device_task
            pty.close()
