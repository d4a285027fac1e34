"""The simulated HAN between a CHF and its devices: block transfer of firmware images on the virtual clock.

Modelled on the ZigBee OTA Upgrade cluster (the HAN transfer protocol is not fixed by GBCS,
digest 7.3): the CHF offers the image (Query Next Image: the device checks manufacturer code,
image type and hardware version), then the device pulls blocks of ``block_size`` bytes from its
own offset; each block takes ``(block_size + overhead) * 8 / rate_bps + latency`` seconds of
virtual time. A lost block is requested again up to ``max_retries`` times; after that the
transfer fails (CCS08 fileTransferFailure) and the bytes the device holds are kept, so
:meth:`HanNetwork.resume` continues where it stopped. Corrupted blocks model damage the link
does not detect: the device finds it when it checks the supplier signature at the end.

The network is sans-IO: every step changes one device's state through the device model and is
handed to the ``commit`` callback (the receiving device before the CHF; a fleet's
:meth:`~smets_emu.hosting.fleet.Fleet.commit`), so a fleet persists each step in its own
transaction before the device adopts it. The receiving device commits its download at every
checkpoint boundary (each block for images up to the inline limit, every 256 KiB for larger
ones, which keep their bytes as chunks in the image store; the end of the file is committed by
the end of the download itself) and whenever a transfer stops, so after a crash a transfer
resumes from the last checkpoint.
"""

from __future__ import annotations

import bisect
import datetime as dt
import logging
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from smets_emu.emulator.device import Device, Outbound, Outcome
from smets_emu.emulator.firmware import FirmwareDistributor, FirmwareUseCases, ImageCheck, TransferCode
from smets_emu.emulator.firmware.slots import INLINE_LIMIT
from smets_emu.errors import FrameError
from smets_emu.protocols.firmware import UpgradeImage, decode_image

log = logging.getLogger(__name__)

LARGE_CHECKPOINT = 256 * 1024
"""Download commit interval for images larger than :data:`INLINE_LIMIT`."""

Commit = Callable[[Device, Outcome], None]


@dataclass(frozen=True)
class HanLink:
    """Properties of the HAN link to one device, with fault injection."""

    block_size: int = 64
    rate_bps: int = 250_000
    overhead: int = 30  # frame, security and OTA block response header bytes per block
    latency: float = 0.05  # seconds per block request / response turnaround
    max_retries: int = 3
    lost_blocks: frozenset[int] = frozenset()  # block indices lost on their first ``loss_repeats`` attempts
    loss_repeats: int = 1
    loss_rate: float = 0.0  # random loss per attempt (seeded, deterministic)
    seed: int = 0
    corrupt_blocks: frozenset[int] = frozenset()  # blocks delivered with one byte flipped (undetected by the link)
    down_after: int | None = None  # the link fails after this many delivered blocks

    def block_time(self, length: int) -> dt.timedelta:
        """Virtual time one block of *length* bytes takes."""
        return dt.timedelta(seconds=(length + self.overhead) * 8 / self.rate_bps + self.latency)

    def drops(self, index: int, attempt: int, delivered: int) -> bool:
        """True when this attempt at block *index* is lost."""
        if self.down_after is not None and delivered >= self.down_after:
            return True
        if index in self.lost_blocks and attempt < self.loss_repeats:
            return True
        return self.loss_rate > 0 and random.Random(f"{self.seed}:{index}:{attempt}").random() < self.loss_rate

    def damage(self, index: int, block: bytes) -> bytes:
        """The block as it arrives."""
        if index in self.corrupt_blocks and block:
            return bytes([block[0] ^ 0xFF]) + block[1:]
        return block


@dataclass
class HanNetwork:
    """A CHF and the devices on its HAN; moves images and reports what devices and the CHF send."""

    chf: Device
    devices: dict[bytes, Device]
    link: HanLink = field(default_factory=HanLink)
    links: dict[bytes, HanLink] = field(default_factory=dict)
    commit: Commit | None = None
    checkpoint_bytes: int | None = None  # download commit interval; None: each block up to INLINE_LIMIT, else 256 KiB
    _images: dict[str, tuple[bytes, UpgradeImage | None]] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, chf: Device, devices: Iterable[Device], *, link: HanLink | None = None,
           links: Mapping[bytes, HanLink] | None = None, commit: Commit | None = None) -> HanNetwork:
        """A network of *chf* and *devices*."""
        return cls(chf, {d.eui: d for d in devices}, link or HanLink(), dict(links or {}), commit)

    @property
    def distributor(self) -> FirmwareDistributor:
        found = self.chf.find(FirmwareDistributor)
        if found is None:
            raise TypeError("the CHF model does not distribute firmware")
        return found

    def _apply(self, device: Device, outcome: Outcome, sent: list[Outbound]) -> None:
        if self.commit is not None:
            self.commit(device, outcome)  # the fleet's one commit path: stores the step, then the device adopts it
        else:
            device.adopt(outcome)  # no store: the one place a HAN step's state is adopted
        sent.extend(outcome.outbound)

    # -- API -------------------------------------------------------------------------------

    def update_firmware(self, data: bytes, targets: Iterable[bytes], now: dt.datetime,
                        until: dt.datetime | None = None) -> list[Outbound]:
        """SRV 11.1: hand *data* to the CHF for *targets* at *now*, then run the transfers up to *until* (*now*)."""
        sent: list[Outbound] = []
        self._apply(self.chf, self.distributor.update_firmware(self.chf.state, data, list(targets), now), sent)
        return sent + self.run(now if until is None else until)

    def resume(self, target: bytes, now: dt.datetime) -> list[Outbound]:
        """Restart a failed or interrupted transfer to *target* from the device's offset."""
        sent: list[Outbound] = []
        self._apply(self.chf, self.distributor.resume_transfer(self.chf.state, target, now), sent)
        return sent + self.run(now)

    def run(self, now: dt.datetime) -> list[Outbound]:
        """Advance every active transfer to virtual time *now*; returns the alerts raised."""
        sent: list[Outbound] = []
        for target_hex, entry in sorted(self.distributor.transfers(self.chf.state).items()):
            if entry["status"] in ("queued", "transferring"):
                self._advance(bytes.fromhex(target_hex), now, sent)
        return sent

    def status(self, target: bytes) -> dict[str, object] | None:
        """The CHF's record of the transfer to *target*."""
        entry = self.distributor.transfers(self.chf.state).get(target.hex().upper())
        return None if entry is None else dict(entry)

    # -- the transfer state machine --------------------------------------------------------

    def _image(self, ref: str) -> tuple[bytes, UpgradeImage | None] | None:
        """The CHF's image file *ref* and its decoding, read once per network (not per transfer)."""
        cached = self._images.get(ref)
        if cached is None:
            data = self.distributor.distribution_image(self.chf.state, ref)
            if data is None:
                return None
            try:
                image: UpgradeImage | None = decode_image(data)
            except FrameError:
                image = None
            while len(self._images) >= 4:
                self._images.pop(next(iter(self._images)))
            cached = self._images[ref] = (data, image)
        return cached

    def _checkpoint_interval(self, size: int, link: HanLink) -> int:
        """Bytes between download commits for an image of *size* bytes."""
        if self.checkpoint_bytes is not None:
            return max(self.checkpoint_bytes, 1)
        return link.block_size if size <= INLINE_LIMIT else LARGE_CHECKPOINT

    def _clean_run(self, link: HanLink, faults: list[int], entry: dict[str, Any], offset: int, size: int,
                   budget: dt.timedelta, step: dt.timedelta, interval: int) -> int:
        """How many full blocks from *offset* arrive without a fault, in time and before a checkpoint."""
        if link.loss_rate > 0:
            return 0
        index = offset // link.block_size
        count = min((size - offset) // link.block_size, budget // step)
        if interval:
            boundary = (offset // interval + 1) * interval
            count = min(count, max(1, (boundary - offset) // link.block_size))
        if link.down_after is not None:
            count = min(count, link.down_after - entry["delivered"])
        at = bisect.bisect_left(faults, index)
        if at < len(faults):
            count = min(count, faults[at] - index)
        return max(count, 0)

    def _advance(self, target: bytes, now: dt.datetime, sent: list[Outbound]) -> None:
        """Move one transfer forward to *now*.

        Runs of fault-free full blocks go to the device in one call (still block by block in
        virtual time and in the counts); lost, damaged and last blocks go one at a time. The
        device commits what it holds at every ``checkpoint_bytes`` boundary and when the
        transfer stops, so each block costs O(block), not O(image).
        """
        chf = self.distributor
        entry = dict(chf.transfers(self.chf.state)[target.hex().upper()])
        clock = dt.datetime.fromisoformat(entry["clock"])
        held = self._image(entry["file"])
        device = self.devices.get(target)
        link = self.links.get(target, self.link)
        receiver = None if device is None else device.find(FirmwareUseCases)
        if device is None or held is None or receiver is None:
            why = "device not on the HAN" if device is None else "image not held"
            log.info("transfer to %s fails: %s", target.hex().upper(), why)
            self._apply(self.chf, chf.record_transfer(self.chf.state, target, {}, clock,
                                                      TransferCode.FILE_TRANSFER_FAILURE), sent)
            return
        data, image = held
        if entry["status"] == "queued":
            check = ImageCheck.WRONG_IMAGE_TYPE if image is None else receiver.check_image(image, device.state)
            if check is not ImageCheck.ACCEPTED:
                log.info("device %s refuses image: %s", target.hex().upper(), check.value)
                self._apply(self.chf, chf.record_transfer(self.chf.state, target, {}, clock, check.transfer_code), sent)
                return
            self._apply(device, receiver.ota_begin(device.state, entry["file"], len(data), clock), sent)
            entry["status"] = "transferring"
        finish: TransferCode | None = None
        size = len(data)
        view = memoryview(data)
        full_step = link.block_time(link.block_size)
        faults = sorted(link.lost_blocks | link.corrupt_blocks)
        checkpointed = receiver.ota_offset(device.state, entry["file"])
        interval = self._checkpoint_interval(size, link)
        while True:
            offset = receiver.ota_offset(device.state, entry["file"])
            if offset >= size:
                end = receiver.ota_end(device.state, clock)
                self._apply(device, end, sent)
                finish = TransferCode.SUCCESS if end.accepted else TransferCode.FILE_TRANSFER_FAILURE
                break
            index = offset // link.block_size
            run = self._clean_run(link, faults, entry, offset, size, now - clock, full_step, interval)
            if run > 0:
                receiver.ota_receive(device.state, offset, view[offset:offset + run * link.block_size])
                clock += full_step * run
                entry["attempt"] = 0
                entry["delivered"] += run
            else:
                block = data[offset:offset + link.block_size]
                step = link.block_time(len(block))
                if clock + step > now:
                    break
                clock += step
                if link.drops(index, entry["attempt"], entry["delivered"]):
                    entry["attempt"] += 1
                    entry["lost"] += 1
                    if entry["attempt"] > link.max_retries:
                        finish = TransferCode.FILE_TRANSFER_FAILURE
                        break
                    continue
                if not receiver.ota_receive(device.state, offset, link.damage(index, block)):
                    finish = TransferCode.FILE_TRANSFER_FAILURE  # the device does not take the block
                    break
                entry["attempt"] = 0
                entry["delivered"] += 1
            reached = receiver.ota_offset(device.state, entry["file"])
            if reached // interval != checkpointed // interval and reached < size:  # at the end, ota_end commits
                self._checkpoint(device, receiver, clock, sent)
                checkpointed = reached
        if finish is not TransferCode.SUCCESS:
            self._checkpoint(device, receiver, clock, sent)
        changes = {k: entry[k] for k in ("status", "attempt", "delivered", "lost")}
        changes["clock"] = clock.isoformat()
        self._apply(self.chf, chf.record_transfer(self.chf.state, target, changes, clock, finish), sent)

    def _checkpoint(self, device: Device, receiver: FirmwareUseCases, clock: dt.datetime,
                    sent: list[Outbound]) -> None:
        outcome = receiver.ota_checkpoint(device.state, clock)
        if outcome.accepted:
            self._apply(device, outcome, sent)
