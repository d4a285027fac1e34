"""``smets-emu decode`` and ``smets-emu encode``: GBCS messages to readable trees and back."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from smets_emu.errors import CryptoError, SmetsError
from smets_emu.protocols import gbt
from smets_emu.protocols.envelope import decode_envelope_with_spans
from smets_emu.protocols.message import (
    Message,
    encode_message,
    message_from_envelope,
    message_from_json,
    message_to_json,
)
from smets_emu.protocols.message_codes import lookup
from smets_emu.protocols.security import CheckStatus, GbcsKeys, seal, verify_message, verify_received

log = logging.getLogger(__name__)

HEX_SUFFIXES = {".hex", ".txt"}
_HEX_CHARS = set("0123456789abcdefABCDEF")


def _read_source(path: Path) -> bytes:
    raw = path.read_bytes()
    text = raw.decode("ascii", errors="replace")
    compact = "".join(text.split())
    if compact and set(compact) <= _HEX_CHARS and len(compact) % 2 == 0:
        return bytes.fromhex(compact)
    return raw


def iter_inputs(items: Iterable[str]) -> Iterator[tuple[str, bytes | None, str | None]]:
    """Yield (source, bytes, error) for every FILE, FOLDER (recursively, sorted) or inline HEX."""
    for item in items:
        path = Path(item)
        if item == "-":
            for n, line in enumerate(sys.stdin, 1):
                line = line.strip()
                if line:
                    yield from _hex_item(f"<stdin>:{n}", line)
        elif path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in HEX_SUFFIXES):
                yield str(file), _read_source(file), None
        elif path.is_file():
            yield str(path), _read_source(path), None
        else:
            yield from _hex_item(item, item)


def _hex_item(source: str, text: str) -> Iterator[tuple[str, bytes | None, str | None]]:
    compact = "".join(text.split())
    try:
        yield source, bytes.fromhex(compact), None
    except ValueError:
        yield source, None, "not a file, folder or hex string"


def describe_gbt(source: str, data: bytes) -> dict[str, Any]:
    """Decode one GBT block (GBCS 7.2.11) into the CLI's JSON record."""
    block = gbt.decode_gbt_block(data)
    info = lookup(block.routing.message_code)
    return {
        "source": source,
        "cra_flag": block.routing.cra_flag.name.lower(),
        "message_code": f"0x{block.routing.message_code:04X}",
        "use_case": info.use_case if info else "",
        "mac": CheckStatus.ABSENT.value,
        "signature": CheckStatus.ABSENT.value,
        "gbt": gbt.block_to_json(block),
    }


def describe(source: str, data: bytes, keys: GbcsKeys | None) -> dict[str, Any]:
    """Decode one message (or GBT block) into the CLI's JSON record."""
    if gbt.is_gbt(data):
        return describe_gbt(source, data)
    env, spans = decode_envelope_with_spans(data)
    decrypt = keys.decryptor(env.header) if keys is not None else None
    message = message_from_envelope(env, decrypt=decrypt)
    if keys is not None:
        report = verify_received(env, spans, keys)
        mac, signature = report.mac.value, report.signature.value
    else:
        mac = (CheckStatus.ABSENT if message.mac is None else CheckStatus.UNCHECKED).value
        signature = (CheckStatus.ABSENT if message.signature is None else CheckStatus.UNCHECKED).value
    return {
        "source": source,
        "cra_flag": message.cra_flag.name.lower(),
        "message_code": f"0x{message.message_code:04X}",
        "use_case": message.use_case,
        "mac": mac,
        "signature": signature,
        "message": message_to_json(message),
    }


def _print_tree(value: Any, out: TextIO, indent: int = 0, key: str | None = None) -> None:
    pad = "  " * indent
    label = f"{key}: " if key is not None else "- "
    if isinstance(value, dict):
        out.write(f"{pad}{label.rstrip()}\n" if key is not None or indent else "")
        for k, v in value.items():
            _print_tree(v, out, indent + (1 if key is not None or indent else 0), k)
    elif isinstance(value, list):
        out.write(f"{pad}{label}[{len(value)}]\n")
        for v in value:
            if isinstance(v, (dict, list)):
                out.write(f"{pad}  -\n")
                _print_tree(v, out, indent + 2)
            else:
                out.write(f"{pad}  - {v}\n")
    else:
        out.write(f"{pad}{label}{value}\n")


def run_decode(args: argparse.Namespace) -> int:
    """Entry point of ``smets-emu decode``."""
    keys = _load_keys(args.keystore)
    failures = 0
    records: list[dict[str, Any]] = []
    reassembler = gbt.Reassembler()
    for source, data, error in iter_inputs(args.inputs):
        whole = None
        if data is not None:
            try:
                record = describe(source, data, keys)
                if args.reassemble and "gbt" in record:
                    whole = reassembler.feed(data)
            except SmetsError as exc:
                error = f"{type(exc).__name__}: {exc}"
                reassembler = gbt.Reassembler()
        if error is not None:
            failures += 1
            record = {"source": source, "error": error}
        if whole is not None:
            reassembler = gbt.Reassembler()
            _emit(args, records, record)
            record = describe(f"{source}#reassembled", whole, keys)
        _emit(args, records, record)
    if args.json:
        json.dump(records, sys.stdout, indent=2)
        sys.stdout.write("\n")
    return 1 if failures else 0


def _emit(args: argparse.Namespace, records: list[dict[str, Any]], record: dict[str, Any]) -> None:
    if args.json_lines:
        sys.stdout.write(json.dumps(record) + "\n")
    elif args.json:
        records.append(record)
    else:
        sys.stdout.write(f"== {record['source']}\n")
        _print_tree(record, sys.stdout)


def _load_keys(folder: str | None) -> GbcsKeys | None:
    if folder is None:
        return None
    from smets_emu.protocols.keystore import Keystore

    return GbcsKeys(Keystore.load(Path(folder)))


def _records(stream: TextIO, *, json_lines: bool) -> Iterator[Any]:
    if json_lines:
        for line in stream:
            if line.strip():
                yield json.loads(line)
        return
    doc = json.load(stream)
    yield from doc if isinstance(doc, list) else [doc]


def rebuild(record: Any, keys: GbcsKeys | None, *, force: bool = False) -> bytes:
    """Rebuild one record (a decode record or a bare message tree), refreshing protections with keys."""
    if isinstance(record, dict) and "gbt" in record:
        return gbt.encode_gbt_block(gbt.block_from_json(record["gbt"]))
    tree = record.get("message", record) if isinstance(record, dict) else record
    message: Message = message_from_json(tree)
    data = encode_message(message)
    if keys is None:
        return data
    report = verify_message(data, keys)
    resign = message.signature is not None and (force or report.signature is CheckStatus.INVALID)
    remac = message.mac is not None and (force or resign or report.mac is CheckStatus.INVALID)
    if not (resign or remac):
        return data
    env = seal(message.to_envelope(), keys, sign=resign, mac=remac)
    return encode_message(replace(message, signature=env.signature, mac=env.mac))


def run_encode(args: argparse.Namespace) -> int:
    """Entry point of ``smets-emu encode``."""
    keys = _load_keys(args.keystore)
    failures = 0
    streams = [open(f, encoding="utf-8") for f in args.files] if args.files else [sys.stdin]  # noqa: SIM115
    for stream in streams:
        try:
            for n, record in enumerate(_records(stream, json_lines=args.json_lines), 1):
                if isinstance(record, dict) and "error" in record and "message" not in record:
                    failures += 1
                    sys.stderr.write(f"record {n}: skipped, decode had failed: {record['error']}\n")
                    continue
                try:
                    sys.stdout.write(rebuild(record, keys, force=args.force_resign).hex().upper() + "\n")
                except (SmetsError, CryptoError) as exc:
                    failures += 1
                    sys.stderr.write(f"record {n}: {type(exc).__name__}: {exc}\n")
        except json.JSONDecodeError as exc:
            sys.stderr.write(f"invalid JSON: {exc}\n")
            failures += 1
        finally:
            if stream is not sys.stdin:
                stream.close()
    return 1 if failures else 0


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the decode and encode sub-commands."""
    dec = sub.add_parser("decode", help="decode GBCS messages (files, folders or hex) into readable trees")
    dec.add_argument("inputs", nargs="+", metavar="FILE|HEX|FOLDER", help="'-' reads hex lines from stdin")
    dec.add_argument("--keystore", metavar="DIR", help="check MACs and signatures, decrypt encrypted content")
    fmt = dec.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="one JSON array of records")
    fmt.add_argument("--json-lines", action="store_true", help="one JSON record per line")
    dec.add_argument("--reassemble", action="store_true", help="also decode messages rebuilt from GBT blocks")
    dec.set_defaults(func=run_decode)

    enc = sub.add_parser("encode", help="rebuild GBCS messages from what decode printed, one hex line each")
    enc.add_argument("files", nargs="*", metavar="FILE", help="JSON input files (default: stdin)")
    fmt = enc.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="input is one JSON document (default)")
    fmt.add_argument("--json-lines", action="store_true", help="input is one JSON record per line")
    enc.add_argument("--keystore", metavar="DIR", help="re-sign and re-MAC messages whose protections no longer verify")
    enc.add_argument("--force-resign", action="store_true", help="with --keystore, always recompute protections")
    enc.set_defaults(func=run_encode)
