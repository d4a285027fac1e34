"""GBCS General Block Transfer: a message cut into GBT blocks and put back together (GBCS 7.2.11).

:func:`segment` splits a complete GBCS message into encoded blocks of the format of
:mod:`smets_emu.protocols.gbt`; :class:`Reassembler` rebuilds it from blocks fed in any order.
Block sizes, windows and which links use GBT are not pinned down here; :func:`segment` takes
them as arguments.
"""

from __future__ import annotations

from smets_emu.errors import EncodeError, FrameError
from smets_emu.protocols.envelope import decode_envelope
from smets_emu.protocols.gbt import (
    DEFAULT_MAX_GAP,
    DEFAULT_MAX_MESSAGE_SIZE,
    MAX_BLOCK_NUMBER,
    MAX_WINDOW,
    GbtBlock,
    RoutingHeader,
    decode_gbt_block,
    encode_gbt_block,
    routing_header_for,
)


def segment(message: bytes, *, block_size: int, window: int = 1, streaming: bool = False) -> list[bytes]:
    """Split a complete GBCS message (``DD 00 …`` or ``DF …``) into encoded GBT blocks.

    ``block_size`` is the most message bytes one block carries. Blocks are numbered from 1 and
    the last one has the last-block bit set. ``window`` (1..63) is written in every block's
    block control. With ``streaming`` the blocks of each window of ``window`` blocks are sent
    back to back: the streaming bit is set on every block except the last of each window and
    the last block of the message, where the sender waits for an acknowledgement.

    Raises :class:`FrameError` if *message* is not a well-formed GBCS message and
    :class:`EncodeError` for bad arguments or a message that needs more than 65535 blocks.
    """
    if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 1:
        raise EncodeError(f"block size must be a positive int, got {block_size!r}")
    if isinstance(window, bool) or not isinstance(window, int) or not 1 <= window <= MAX_WINDOW:
        raise EncodeError(f"window must be in 1..{MAX_WINDOW}, got {window!r}")
    routing = routing_header_for(message)
    message = bytes(message)
    count = -(-len(message) // block_size)
    if count > MAX_BLOCK_NUMBER:
        raise EncodeError(f"{len(message)} bytes in blocks of {block_size} need {count} blocks (> {MAX_BLOCK_NUMBER})")
    blocks = []
    for index in range(count):
        number = index + 1
        last = number == count
        blocks.append(
            encode_gbt_block(
                GbtBlock(
                    routing=routing,
                    block_number=number,
                    data=message[index * block_size : number * block_size],
                    last_block=last,
                    streaming=streaming and not last and number % window != 0,
                    window=window,
                )
            )
        )
    return blocks


class Reassembler:
    """Sans-IO reassembly of one GBT-segmented GBCS message (GBCS 7.2.11).

    Feed blocks in any order with :meth:`feed`; it returns the complete message once the last
    block and every block before it are in, and ``None`` otherwise. Duplicates that repeat a
    block exactly are ignored; a duplicate with other data or another last-block flag, a block
    whose routing header differs from the first block's, block number 0, an empty
    (acknowledgement) block, a block beyond the last one, a block more than ``max_gap`` numbers
    ahead of the first missing one, or more than ``max_message_size`` bytes in total raise
    :class:`FrameError`. The complete message must decode as a GBCS envelope whose grouping
    header agrees with the routing header. The message is returned once; blocks fed after that
    are checked the same way and return ``None``.
    """

    def __init__(
        self,
        *,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        max_gap: int = DEFAULT_MAX_GAP,
        window: int = 1,
    ) -> None:
        if not 1 <= window <= MAX_WINDOW:
            raise ValueError(f"window must be in 1..{MAX_WINDOW}")
        if max_message_size < 1 or max_gap < 1:
            raise ValueError("max_message_size and max_gap must be positive")
        self.max_message_size = max_message_size
        self.max_gap = max_gap
        self.window = window
        self._routing: RoutingHeader | None = None
        self._blocks: dict[int, bytes] = {}
        self._last: int | None = None
        self._highest = 0
        self._size = 0
        self._next_missing = 1
        self._acks_sent = 0
        self._message: bytes | None = None

    @property
    def routing(self) -> RoutingHeader | None:
        """The routing header of the first block fed, or None before any block."""
        return self._routing

    @property
    def complete(self) -> bool:
        """True once the whole message has been reassembled."""
        return self._message is not None

    @property
    def acknowledged(self) -> int:
        """The highest block number up to which every block has been received (0 if none)."""
        return self._next_missing - 1

    def feed(self, block_bytes: bytes) -> bytes | None:
        """Take one encoded GBT block; return the whole message when it is complete."""
        block = decode_gbt_block(block_bytes)
        if self._routing is None:
            self._routing = block.routing
        elif block.routing != self._routing:
            raise FrameError("GBT block belongs to another transfer (routing header differs)")
        number = block.block_number
        if number == 0:
            raise FrameError("GBT block number 0 (the first block is 1)")
        if block.is_ack:
            raise FrameError(f"GBT block {number} carries no data (an acknowledgement is not a message block)")
        known = self._blocks.get(number)
        if known is not None:
            if known != block.data or block.last_block != (self._last == number):
                raise FrameError(f"GBT block {number} repeated with different content")
            return None
        if block.last_block:
            if self._last is not None:
                raise FrameError(f"second last block {number} (last block is {self._last})")
            if self._highest > number:
                raise FrameError(f"last block {number} is below block {self._highest}")
        elif self._last is not None and number > self._last:
            raise FrameError(f"GBT block {number} beyond the last block {self._last}")
        if number - self._next_missing >= self.max_gap:
            raise FrameError(f"GBT block {number} too far ahead of missing block {self._next_missing}")
        if self._size + len(block.data) > self.max_message_size:
            raise FrameError(f"reassembled message would exceed {self.max_message_size} bytes")
        self._blocks[number] = block.data
        self._size += len(block.data)
        self._highest = max(self._highest, number)
        if block.last_block:
            self._last = number
        while self._next_missing in self._blocks:
            self._next_missing += 1
        if self._last is None or self._next_missing <= self._last:
            return None
        return self._finish()

    def _finish(self) -> bytes:
        message = b"".join(self._blocks[n] for n in range(1, self._next_missing))
        routing = self._routing
        assert routing is not None
        header = decode_envelope(message).header
        carried = (header.cra_flag, header.originator_counter, header.originator, header.recipient, header.message_code)
        routed = (routing.cra_flag, routing.originator_counter, routing.originator, routing.recipient,
                  routing.message_code)
        if carried != routed:
            raise FrameError("reassembled message does not match the GBT routing header")
        self._message = message
        return message

    def missing(self) -> list[int]:
        """Block numbers still needed, for an explicit retry request (GBCS 7.2.11).

        Before the last block is known this lists the gaps below the highest block received and
        the block after it; afterwards it lists every absent block up to the last one.
        """
        if self._message is not None:
            return []
        top = self._last if self._last is not None else self._highest + 1
        return [n for n in range(self._next_missing, top + 1) if n not in self._blocks]

    def ack_block(self) -> bytes:
        """An acknowledgement block (empty block data) for the blocks received so far.

        It travels back to the sender: the routing header keeps the transaction (CRA flag,
        counter, message code) with the system titles swapped. Its acknowledged block number
        is :attr:`acknowledged`, its block number counts the acknowledgements sent (from 1) and
        its window is this reassembler's receive window.
        """
        if self._routing is None:
            raise EncodeError("no GBT block received yet: nothing to acknowledge")
        if self._acks_sent >= MAX_BLOCK_NUMBER:
            raise EncodeError("acknowledgement block numbers exhausted")
        self._acks_sent += 1
        return encode_gbt_block(
            GbtBlock(
                routing=self._routing.reversed(),
                block_number=self._acks_sent,
                data=b"",
                last_block=False,
                window=self.window,
                block_number_ack=self.acknowledged,
            )
        )
