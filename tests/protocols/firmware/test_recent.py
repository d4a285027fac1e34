"""Work on image files remembered by content: the same bytes give the same result, other bytes never do."""

from __future__ import annotations

import os

from cryptography.hazmat.primitives.asymmetric import ec

from smets_emu.protocols.firmware import UpgradeImage, decode_image, sign_image, verify_image
from smets_emu.protocols.firmware.recent import ContentMemo


def test_a_hit_is_the_same_content_compared_in_full() -> None:
    memo: ContentMemo[str] = ContentMemo(1024)
    data = b"A" * 32 + b"middle" + b"Z" * 32
    memo.put(data, "first")
    assert memo.get(bytearray(data)) == "first"  # equal content in another object
    assert memo.get(b"A" * 32 + b"MIDDLE" + b"Z" * 32) is None  # same length, head and tail: compared in full
    assert memo.get(data[:-1]) is None


def test_the_memo_keeps_at_most_its_budget() -> None:
    memo: ContentMemo[int] = ContentMemo(100)
    blobs = [bytes([i]) * 40 for i in range(4)]
    for i, blob in enumerate(blobs):
        memo.put(blob, i)
    assert memo.get(blobs[0]) is None and memo.get(blobs[1]) is None  # the least recently used went first
    assert memo.get(blobs[3]) == 3
    memo.put(b"x" * 101, 9)  # larger than the budget: not kept
    assert memo.get(b"x" * 101) is None


def test_decoding_and_checking_an_image_once_per_content() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    other = ec.generate_private_key(ec.SECP256R1())
    image = sign_image(UpgradeImage(0x121D, 0, 0x01000002, os.urandom(70_000), "memo", (0x1100, 0x1300)), key)
    data = image.encode()
    first, again = decode_image(data), decode_image(bytearray(data))
    assert first is again and first == image  # one decoding, its hash worked out once
    assert verify_image(first, key.public_key()) and verify_image(again, key.public_key())
    assert not verify_image(first, other.public_key())  # another signer's key is checked on its own
    tampered = bytearray(data)
    tampered[200] ^= 0x01  # inside the Manufacturer Image
    changed = decode_image(bytes(tampered))
    assert changed is not first and changed.image_hash != first.image_hash
    assert not verify_image(changed, key.public_key())
