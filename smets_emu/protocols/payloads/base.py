"""The contract every GBCS payload family (ASN.1, DLMS, GBZ) implements.

A payload decoder turns the content bytes of a GBCS message into a typed, readable
value; :meth:`Payload.encode` rebuilds the bytes from that value's fields, never from
cached input. ``to_json``/``from_json`` give the JSON tree the CLI prints and reads.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

Decryptor = Callable[[bytes], bytes]
"""Takes a protected blob (``31 00000000`` || ciphertext || 12-byte tag) and returns the plaintext.

Raises :class:`smets_emu.errors.DecryptionError` on a bad tag. Built by the message layer
from the keys and the grouping header (GBCS 7.3.3, mode 04); payload codecs never see keys.
"""


@dataclass(frozen=True)
class PayloadContext:
    """What a payload decoder may know about the message around it."""

    message_code: int
    cra_flag: int  # 1 command, 2 response, 3 alert
    decrypt: Decryptor | None = None


class Payload(abc.ABC):
    """A decoded GBCS payload."""

    family: ClassVar[str]

    @abc.abstractmethod
    def encode(self) -> bytes:
        """Rebuild the content bytes from this value's fields."""

    @abc.abstractmethod
    def to_json(self) -> dict[str, Any]:
        """A JSON-safe tree; it carries ``"family"`` and everything :meth:`from_json` needs."""

    @classmethod
    @abc.abstractmethod
    def from_json(cls, obj: dict[str, Any]) -> Payload:
        """Rebuild the value from :meth:`to_json` output (informative keys are ignored)."""
