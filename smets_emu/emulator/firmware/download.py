"""A device's image download: bytes held in memory block by block, committed at checkpoints (digest 7.3).

The ZigBee OTA transfer moves an image to a HAN device in blocks. The device keeps the blocks of
the download in progress in memory (:class:`DownloadBuffer`) and records in its state how far it
got at each checkpoint, so a transfer resumes at the committed offset after a restart. A
checkpoint appends: with an image store the committed bytes are content-addressed chunks of
:data:`CHUNK_BYTES` or more followed by a short hex tail in the state (without a store, all hex),
so a checkpoint after every block writes the new block and a bounded record, not the whole
download so far.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from smets_emu.emulator.firmware.slots import FirmwareSlots, ImageStore
from smets_emu.emulator.state import DeviceState

log = logging.getLogger(__name__)

CHUNK_BYTES = 4096
"""A download's committed hex tail moves to a chunk in the image store once it holds this many bytes."""


@dataclass
class Download:
    """A download's bytes in memory: appended block by block, committed at checkpoints."""

    file: str
    size: int
    data: bytearray
    committed: int  # the offset the committed state records
    rewrite: bool = False  # the next checkpoint replaces the committed bytes instead of appending


def committed_offset(download: dict[str, Any]) -> int:
    """How many bytes a committed download record holds."""
    if "offset" in download:
        return int(download["offset"])
    return len(download.get("data", "")) // 2


def committed_bytes(download: dict[str, Any], store: ImageStore | None) -> bytes:
    """The bytes a committed download holds: its chunks in the image store, then its inline hex."""
    parts = []
    for ref in download.get("chunks", []):
        chunk = None if store is None else store.get(ref)
        if chunk is None:
            return b"".join(parts)  # the chunk is lost: the device holds what precedes it
        parts.append(chunk)
    parts.append(bytes.fromhex(download.get("data", "")))
    return b"".join(parts)


class DownloadBuffer:
    """The in-memory side of one device's download; the state it is given says what is committed."""

    def __init__(self) -> None:
        self._buffer: Download | None = None

    def live(self, state: DeviceState, file_ref: str | None = None) -> Download | None:
        """The buffer, when it still continues the download committed in *state*."""
        buffer = self._buffer
        if buffer is None:
            return None
        download = FirmwareSlots(state).download
        if (download is None or download.get("file") != buffer.file
                or (file_ref is not None and buffer.file != file_ref)
                or committed_offset(download) != buffer.committed):
            self._buffer = None  # the state moved on without it (reload, new file)
            return None
        return buffer

    def for_download(self, state: DeviceState, download: dict[str, Any], store: ImageStore | None) -> Download:
        """The buffer for *download*, reloaded from what is committed when memory does not continue it."""
        buffer = self.live(state, download["file"])
        if buffer is None:
            held = committed_bytes(download, store)
            committed = committed_offset(download)
            if len(held) != committed:  # a chunk was lost: start the download again
                log.warning("device %s lost part of its download; starting again", state.eui.hex().upper())
                buffer = Download(download["file"], int(download["size"]), bytearray(), committed, rewrite=True)
            else:
                buffer = Download(download["file"], int(download["size"]), bytearray(held), committed)
            self._buffer = buffer
        return buffer

    def drop(self) -> None:
        """Forget the download in memory (it ended)."""
        self._buffer = None


def write_checkpoint(target: dict[str, Any], buffer: Download, store: ImageStore | None) -> None:
    """Record in the download entry *target* (of a working state) the bytes *buffer* holds.

    Appends what arrived since the last checkpoint: O(new bytes + CHUNK_BYTES) with a store.
    """
    start = buffer.committed
    if buffer.rewrite:
        target["data"], target["chunks"], start = "", [], 0
    tail = target.get("data", "")
    if store is None:
        target["data"] = tail + buffer.data[start:].hex().upper()
    else:
        held = len(tail) // 2
        if held + len(buffer.data) - start >= CHUNK_BYTES:  # the tail and the new bytes become a chunk
            chunk = buffer.data[start - held:]  # one copy; a store holding the content compares, keeps nothing
            target["chunks"] = [*target.get("chunks", []), store.put(chunk)]
            target["data"] = ""
        else:
            target["data"] = tail + buffer.data[start:].hex().upper()
    target["offset"] = len(buffer.data)
