"""Cost of committing an inline-sized image download block by block (digest 7.3 checkpoints).

Usage: ``python benchmarks/download_checkpoints.py [--size 65536] [--block 64]``

An ESME in a fleet on a SQLite state store receives an image of ``--size`` bytes in blocks of
``--block`` bytes and commits a checkpoint after every block (what the HAN network does for
images up to the 64 KiB inline limit). Printed as JSON: wall ms for the whole download and
state bytes written, and the peer measured in the same run: the checkpoint as it was, the whole
download so far rewritten as hex in the state at every block.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from smets_emu.emulator.firmware import FirmwareUseCases, use_cases
from smets_emu.emulator.firmware.download import Download, write_checkpoint
from smets_emu.emulator.firmware.slots import ImageStore
from smets_emu.emulator.provision import new_device_state
from smets_emu.hosting.fleet import Fleet
from smets_emu.hosting.store import StateStore
from smets_emu.protocols.pki import generate_test_pki

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def rewrite_checkpoint(target: dict[str, Any], buffer: Download, store: ImageStore | None) -> None:
    """The peer: every checkpoint of an inline-sized download rewrites all its bytes as hex."""
    target["data"] = buffer.data.hex().upper()
    target["offset"] = len(buffer.data)


def download(tmp: Path, name: str, data: bytes, block: int) -> dict[str, float]:
    pki = generate_test_pki(seed=2)
    fleet = Fleet(StateStore(tmp / f"{name}.sqlite"))
    device = fleet.add(new_device_state(bytes.fromhex("00DB1234567890A0"), "ESME", pki.keystore))
    firmware = device.component(FirmwareUseCases)
    written = fleet.store.stats.state_bytes
    start = time.perf_counter()
    fleet.commit(device, firmware.ota_begin(device.state, "F1", len(data), NOW), NOW)
    for offset in range(0, len(data), block):
        fleet.commit(device, firmware.ota_block(device.state, offset, data[offset:offset + block], NOW), NOW)
    elapsed = time.perf_counter() - start
    fleet.store.close()
    return {f"{name}_ms": round(elapsed * 1e3, 1), f"{name}_state_bytes": fleet.store.stats.state_bytes - written}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=64 * 1024)
    parser.add_argument("--block", type=int, default=64)
    args = parser.parse_args()
    data = os.urandom(args.size)
    result: dict[str, float] = {"size": args.size, "block": args.block}
    with tempfile.TemporaryDirectory() as tmp:
        result.update(download(Path(tmp), "append", data, args.block))
        use_cases.write_checkpoint = rewrite_checkpoint  # type: ignore[assignment]
        try:
            result.update(download(Path(tmp), "peer_rewrite", data, args.block))
        finally:
            use_cases.write_checkpoint = write_checkpoint
    result["ratio_ms"] = round(result["peer_rewrite_ms"] / result["append_ms"], 1)
    print(json.dumps({"benchmark": "download_checkpoints", **result}))


if __name__ == "__main__":
    main()
