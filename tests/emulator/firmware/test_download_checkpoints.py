"""Download checkpoints append (digest 7.3): a checkpoint per block writes the block, not the download so far."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from smets_emu.emulator.devices import device_for
from smets_emu.emulator.firmware import FirmwareUseCases
from smets_emu.emulator.firmware.download import CHUNK_BYTES, committed_bytes
from smets_emu.emulator.firmware.slots import FirmwareSlots, MemoryImageStore
from smets_emu.emulator.provision import new_device_state
from smets_emu.emulator.state import DeviceState
from smets_emu.protocols.pki import generate_test_pki

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
BLOCK = 64


@pytest.mark.parametrize("with_store", [True, False])
def test_block_checkpoints_append_and_a_restart_resumes(with_store: bool) -> None:
    pki = generate_test_pki(seed=4)
    state = new_device_state(bytes.fromhex("00DB1234567890A0"), "ESME", pki.keystore, pki=pki)
    store = MemoryImageStore() if with_store else None
    data = os.urandom(3 * CHUNK_BYTES + 5 * BLOCK + 17)  # an inline-sized image, with a short last block

    def receiver(current: DeviceState) -> FirmwareUseCases:
        firmware = device_for(current).component(FirmwareUseCases)
        if store is not None:
            firmware.attach_image_store(store)
        return firmware

    firmware = receiver(state)
    state = firmware.ota_begin(state, "F1", len(data), NOW).state
    largest = 0
    for offset in range(0, len(data), BLOCK):
        if offset == 2 * CHUNK_BYTES + 3 * BLOCK:  # a restart: the device keeps only what it committed
            firmware = receiver(state)
        state = firmware.ota_block(state, offset, data[offset:offset + BLOCK], NOW).state
        download = FirmwareSlots(state).download
        assert download is not None and download["offset"] == min(offset + BLOCK, len(data))
        assert committed_bytes(download, store) == data[:download["offset"]]
        largest = max(largest, len(download["data"]))
    if with_store:  # the record holds chunk references and a tail shorter than a chunk
        assert largest < 2 * CHUNK_BYTES and len(download["chunks"]) == 3
    else:
        assert download["data"] == data.hex().upper()
