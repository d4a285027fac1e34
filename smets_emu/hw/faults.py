"""Fault-injecting byte writers for tests and labs: one byte at a time, split, drop, corrupt, delay, garbage.

A :class:`FaultyWriter` wraps any asyncio ``StreamWriter``-like object. Each ``write`` call
(one frame, as :class:`~smets_emu.hw.link.FrameLink` writes them) passes through the faults
in order: content faults (:class:`DropBytes`, :class:`DropFrames`, :class:`CorruptBits`,
:class:`Garbage`) first, then timing faults (:class:`OneByteAtATime`, :class:`RandomSplit`,
:class:`Delay`). ``drain`` puts the resulting chunks on the wire with their delays.
:attr:`FaultyWriter.log` records for every write whether its bytes were damaged, so a test can
tell which frames must arrive and which must never be accepted.
"""

from __future__ import annotations

import abc
import asyncio
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(slots=True)
class Segment:
    """A chunk to write after waiting *delay* seconds."""

    data: bytes
    delay: float = 0.0


class Fault(abc.ABC):
    """One transformation of the chunks of a write; returns the new chunks and whether the content was damaged."""

    stage = 1  # 0: content faults, 1: timing faults

    @abc.abstractmethod
    def apply(self, segments: list[Segment], rng: random.Random) -> tuple[list[Segment], bool]:
        """Transform *segments*; the flag is True when bytes were lost or changed."""

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({fields})"


def _joined(segments: list[Segment]) -> tuple[bytes, float]:
    return b"".join(s.data for s in segments), (segments[0].delay if segments else 0.0)


class _Split(Fault):
    """Each chunk is cut into pieces of :meth:`piece` bytes; every piece after a chunk's first waits :meth:`wait`."""

    @abc.abstractmethod
    def piece(self, rng: random.Random) -> int:
        """The length of the next piece (at least 1)."""

    @abc.abstractmethod
    def wait(self, rng: random.Random) -> float:
        """The wait before the next piece of a chunk."""

    def apply(self, segments: list[Segment], rng: random.Random) -> tuple[list[Segment], bool]:
        out = []
        for seg in segments:
            pos = 0
            while pos < len(seg.data):
                n = self.piece(rng)
                out.append(Segment(seg.data[pos : pos + n], seg.delay if pos == 0 else self.wait(rng)))
                pos += n
        return out, False


class OneByteAtATime(_Split):
    """Every byte is its own write, with an optional gap between bytes."""

    def __init__(self, gap: float = 0.0) -> None:
        self.gap = gap

    def piece(self, rng: random.Random) -> int:
        return 1

    def wait(self, rng: random.Random) -> float:
        return self.gap


class RandomSplit(_Split):
    """Each chunk is cut at random points into pieces of 1..max_chunk bytes, with random gaps up to max_gap."""

    def __init__(self, max_chunk: int = 16, max_gap: float = 0.002) -> None:
        self.max_chunk = max_chunk
        self.max_gap = max_gap

    def piece(self, rng: random.Random) -> int:
        return rng.randint(1, self.max_chunk)

    def wait(self, rng: random.Random) -> float:
        return rng.uniform(0, self.max_gap)


class Delay(Fault):
    """The whole write waits *seconds* plus up to *jitter*."""

    def __init__(self, seconds: float = 0.005, jitter: float = 0.005) -> None:
        self.seconds = seconds
        self.jitter = jitter

    def apply(self, segments: list[Segment], rng: random.Random) -> tuple[list[Segment], bool]:
        if segments:
            segments[0].delay += self.seconds + rng.uniform(0, self.jitter)
        return segments, False


class _Damage(Fault):
    """With *probability*, the bytes of the write are damaged in place by :meth:`damage`."""

    stage = 0
    probability: float

    def apply(self, segments: list[Segment], rng: random.Random) -> tuple[list[Segment], bool]:
        data, delay = _joined(segments)
        if not data or rng.random() >= self.probability:
            return segments, False
        buf = bytearray(data)
        self.damage(buf, rng)
        return [Segment(bytes(buf), delay)], buf != data

    @abc.abstractmethod
    def damage(self, buf: bytearray, rng: random.Random) -> None:
        """Change *buf* (never empty)."""


class DropBytes(_Damage):
    """With *probability*, 1..max_bytes random bytes of the write are lost."""

    def __init__(self, probability: float = 0.2, max_bytes: int = 4) -> None:
        self.probability = probability
        self.max_bytes = max_bytes

    def damage(self, buf: bytearray, rng: random.Random) -> None:
        for _ in range(min(rng.randint(1, self.max_bytes), len(buf))):
            del buf[rng.randrange(len(buf))]


class DropFrames(Fault):
    """With *probability*, the whole write is lost."""

    stage = 0

    def __init__(self, probability: float = 0.2) -> None:
        self.probability = probability

    def apply(self, segments: list[Segment], rng: random.Random) -> tuple[list[Segment], bool]:
        if segments and rng.random() < self.probability:
            return [], True
        return segments, False


class CorruptBits(_Damage):
    """With *probability*, 1..max_bits random bits of the write are flipped."""

    def __init__(self, probability: float = 0.2, max_bits: int = 3) -> None:
        self.probability = probability
        self.max_bits = max_bits

    def damage(self, buf: bytearray, rng: random.Random) -> None:
        bits = rng.sample(range(len(buf) * 8), min(rng.randint(1, self.max_bits), len(buf) * 8))
        for bit in bits:
            buf[bit // 8] ^= 1 << (bit % 8)


class Garbage(Fault):
    """With *probability*, 1..max_bytes random bytes (optionally a fake frame start) go out before the write."""

    stage = 0

    def __init__(self, probability: float = 0.2, max_bytes: int = 24, fake_start: bytes = b"") -> None:
        self.probability = probability
        self.max_bytes = max_bytes
        self.fake_start = fake_start

    def apply(self, segments: list[Segment], rng: random.Random) -> tuple[list[Segment], bool]:
        if rng.random() >= self.probability:
            return segments, False
        junk = rng.randbytes(rng.randint(1, self.max_bytes))
        if self.fake_start and rng.random() < 0.5:
            junk = junk[: len(junk) // 2] + self.fake_start + junk[len(junk) // 2 :]
        data, delay = _joined(segments)
        return [Segment(junk + data, delay)], False


class ByteWriter(Protocol):
    """The part of ``asyncio.StreamWriter`` a frame link uses."""

    def write(self, data: bytes) -> None: ...

    async def drain(self) -> None: ...

    def close(self) -> None: ...

    async def wait_closed(self) -> None: ...

    def is_closing(self) -> bool: ...

    def get_extra_info(self, name: str, default: Any = None) -> Any: ...


@dataclass(frozen=True, slots=True)
class WriteRecord:
    """What happened to one write: its original bytes and whether they were damaged."""

    data: bytes
    damaged: bool


class FaultyWriter:
    """A ``StreamWriter`` stand-in that applies *faults* to every write (deterministic for a given *seed*)."""

    def __init__(self, writer: ByteWriter, faults: Sequence[Fault], *, seed: int | None = 0) -> None:
        self.writer = writer
        self.faults = sorted(faults, key=lambda f: f.stage)
        self.rng = random.Random(seed)
        self.log: list[WriteRecord] = []
        self._queue: list[list[Segment]] = []

    def write(self, data: bytes) -> None:
        segments, damaged = [Segment(bytes(data))], False
        for fault in self.faults:
            segments, hit = fault.apply(segments, self.rng)
            damaged |= hit
        self.log.append(WriteRecord(bytes(data), damaged))
        self._queue.append(segments)

    async def drain(self) -> None:
        while self._queue:
            for seg in self._queue.pop(0):
                await asyncio.sleep(seg.delay)
                if seg.data:
                    self.writer.write(seg.data)
                    await self.writer.drain()

    def close(self) -> None:
        self.writer.close()

    async def wait_closed(self) -> None:
        await self.writer.wait_closed()

    def is_closing(self) -> bool:
        return self.writer.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.writer.get_extra_info(name, default)


FAULT_BANK: dict[str, tuple[Fault, ...]] = {
    "clean": (),
    "one-byte": (OneByteAtATime(),),
    "split": (RandomSplit(),),
    "delay": (Delay(), RandomSplit(max_chunk=64)),
    "garbage": (Garbage(probability=0.5),),
    "drop-bytes": (DropBytes(),),
    "drop-frames": (DropFrames(),),
    "corrupt": (CorruptBits(),),
    "all": (Garbage(), DropBytes(0.1), DropFrames(0.1), CorruptBits(0.1), RandomSplit(), Delay(0.001, 0.002)),
}
"""Named fault combinations (the bank the end-to-end tests run over)."""
