"""Long-running fuzz target for every GBCS decoder (envelope, payloads, GBT, message JSON).

With atheris installed (``pip install atheris``) it runs coverage-guided::

    python fuzz/fuzz_decode.py -max_total_time=3600

Without it, it mutates the seed corpus at random for ``--seconds`` and reports any exception
that is not a :class:`smets_emu.errors.SmetsError`, saving the input under ``fuzz/crashes``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import traceback
from pathlib import Path

from smets_emu.errors import SmetsError
from smets_emu.protocols import gbt
from smets_emu.protocols.message import decode_message, encode_message, message_from_json, message_to_json
from smets_emu.protocols.rtds import find_rtds_root, list_files

CRASH_DIR = Path(__file__).resolve().parent / "crashes"


def one_input(data: bytes) -> None:
    """Feed one input to every decoder; only SmetsError may escape, and decodes must round-trip."""
    try:
        message = decode_message(data)
    except SmetsError:
        pass
    else:
        if encode_message(message) != data:
            raise AssertionError("decoded message does not rebuild byte-identical")
        tree = json.loads(json.dumps(message_to_json(message)))
        if encode_message(message_from_json(tree)) != data:
            raise AssertionError("JSON round trip is not byte-identical")
    try:
        gbt.decode_gbt_block(data)
    except SmetsError:
        pass


def seeds() -> list[bytes]:
    root = find_rtds_root()
    if root is not None:
        return [f.read() for f in list_files(root)]
    from smets_emu.tools.corpus import corpus_messages

    return corpus_messages()


def mutate(rng: random.Random, data: bytes, pool: list[bytes]) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(6)
        pos = rng.randrange(len(buf) + 1)
        if op == 0:
            del buf[pos:]
        elif op == 1:
            buf += rng.randbytes(rng.randint(1, 8))
        elif op == 2 and buf:
            buf[min(pos, len(buf) - 1)] ^= 1 << rng.randrange(8)
        elif op == 3:
            buf[pos:pos] = rng.randbytes(rng.randint(1, 4))
        elif op == 4:
            del buf[pos : pos + rng.randint(1, 8)]
        else:
            other = rng.choice(pool)
            buf = buf[:pos] + bytearray(other[rng.randrange(len(other) + 1) :])
    return bytes(buf)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--seed", type=int, default=None)
    args, rest = parser.parse_known_args()
    pool = seeds()
    try:
        import atheris  # type: ignore[import-not-found]
    except ImportError:
        atheris = None
    if atheris is not None:
        atheris.Setup([sys.argv[0], *rest], one_input)
        atheris.Fuzz()
        return 0
    rng = random.Random(args.seed)
    deadline = time.monotonic() + args.seconds
    runs = failures = 0
    while time.monotonic() < deadline:
        data = mutate(rng, rng.choice(pool), pool)
        runs += 1
        try:
            one_input(data)
        except Exception:  # noqa: BLE001 - the fuzz target reports anything unexpected
            failures += 1
            CRASH_DIR.mkdir(exist_ok=True)
            (CRASH_DIR / f"crash-{failures}.hex").write_text(data.hex().upper())
            traceback.print_exc()
    print(json.dumps({"runs": runs, "failures": failures, "seconds": args.seconds}))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
