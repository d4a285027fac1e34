"""``smets-emu decode`` and ``smets-emu encode``: GBCS messages to readable trees and back."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from smets_emu.errors import CryptoError, InputError, SmetsError
from smets_emu.inputs import (
    MAX_JSON_BYTES,
    MAX_MESSAGE_FILE_BYTES,
    is_hex_text,
    iter_lines,
    parse_hex_text,
    read_file,
    read_stream,
)
from smets_emu.protocols import gbt
from smets_emu.protocols.envelope import decode_envelope_with_spans
from smets_emu.protocols.gbt_transfer import Reassembler
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
_HEX_CHARS = frozenset("0123456789abcdefABCDEF")
_MESSAGE_FILE = "a GBCS message file"

Input = tuple[str, bytes | None, str | None]


def _exists(item: str) -> bool:
    try:
        return os.path.lexists(item)
    except (OSError, ValueError):  # a name too long for the file system, or holding a NUL
        return False


def _looks_hex(item: str) -> bool:
    """Hex digits, optionally separated by ASCII whitespace."""
    return any(c in _HEX_CHARS for c in item) and all(c in _HEX_CHARS or c in " \t\r\n" for c in item)


def read_message_file(path: str | Path) -> bytes:
    """One message from a file: hex text (whitespace and line breaks ignored) or raw bytes.

    At most :data:`~smets_emu.inputs.MAX_MESSAGE_FILE_BYTES` are read (devices and pipes
    included); InputError names the file and what was wrong (size and cap, or the line with an
    odd number of hex digits).
    """
    data = read_file(path, MAX_MESSAGE_FILE_BYTES, what=_MESSAGE_FILE)
    return parse_hex_text(data, name=str(path)) if is_hex_text(data) else data


def iter_inputs(items: Iterable[str]) -> Iterator[Input]:
    """Yield (source, bytes, error) for every FILE, FOLDER (recursively, sorted), inline HEX or ``-``.

    An argument made of hex digits that is not an existing path is hex; ``-`` reads one hex
    message per line from standard input. Inputs are read one at a time, each bounded
    (:mod:`smets_emu.inputs`).
    """
    for item in items:
        if item == "-":
            yield from _stdin_inputs()
        elif _looks_hex(item) and not _exists(item):
            yield _hex_input(item, item.encode("ascii"))
        elif not _exists(item):
            yield item, None, "no such file or folder, and not hex digits"
        elif Path(item).is_dir():
            for file in sorted(p for p in Path(item).rglob("*") if p.is_file() and p.suffix.lower() in HEX_SUFFIXES):
                yield _file_input(file)
        else:
            yield _file_input(Path(item))


def _decode_inputs(items: Iterable[str]) -> Iterator[tuple[str, bytes | None, str | None, dict[str, Any] | None]]:
    """:func:`iter_inputs` with capture files (``run --capture``) read frame by frame, each with its capture context."""
    from smets_emu.tools.capture import decode_inputs, is_capture_file

    for item in items:
        if item != "-" and is_capture_file(item):
            yield from decode_inputs(item)
        else:
            for source, data, error in iter_inputs([item]):
                yield source, data, error, None


def _file_input(path: Path) -> Input:
    try:
        return str(path), read_message_file(path), None
    except InputError as exc:
        return str(path), None, str(exc)


def _hex_input(source: str, text: bytes, *, name: str | None = None, line: int = 1) -> Input:
    try:
        return source, parse_hex_text(text, name=name or source, first_line=line), None
    except InputError as exc:
        return source, None, str(exc)


def _stdin_inputs() -> Iterator[Input]:
    try:
        for number, line in iter_lines(sys.stdin.buffer, MAX_MESSAGE_FILE_BYTES, name="<stdin>", what="a hex line"):
            if line.strip():
                yield _hex_input(f"<stdin>:{number}", line, name="<stdin>", line=number)
    except InputError as exc:
        yield "<stdin>", None, str(exc)


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


class _Output:
    """Writes decode records as they come: a readable tree, JSON lines, or one JSON array streamed."""

    def __init__(self, args: argparse.Namespace, out: TextIO) -> None:
        self.json_lines = args.json_lines
        self.json = args.json
        self.out = out
        self.count = 0

    def emit(self, record: dict[str, Any]) -> None:
        if self.json_lines:
            self.out.write(json.dumps(record) + "\n")
        elif self.json:
            text = json.dumps(record, indent=2).replace("\n", "\n  ")
            self.out.write(("[\n  " if not self.count else ",\n  ") + text)
        else:
            self.out.write(f"== {record['source']}\n")
            _print_tree(record, self.out)
        self.count += 1

    def close(self) -> None:
        if self.json:
            self.out.write("\n]\n" if self.count else "[]\n")


def run_decode(args: argparse.Namespace) -> int:
    """Entry point of ``smets-emu decode``: exit 1 when any input could not be read or decoded, 2 on a bad option."""
    keys = _load_keys(args.keystore)  # a SmetsError: the command line's message and exit 2
    failures = 0
    output = _Output(args, sys.stdout)
    reassembler = Reassembler()
    for source, data, error, context in _decode_inputs(args.inputs):
        whole = None
        record: dict[str, Any] = {}
        if data is not None:
            try:
                record = describe(source, data, keys)
                if args.reassemble and "gbt" in record:
                    whole = reassembler.feed(data)
            except SmetsError as exc:
                error = f"{type(exc).__name__}: {exc}"
                reassembler = Reassembler()
        if error is not None:
            failures += 1
            record = {"source": source, "error": error}
        if context is not None:
            record["capture"] = context
        if whole is not None:
            reassembler = Reassembler()
            output.emit(record)
            try:
                record = describe(f"{source}#reassembled", whole, keys)
            except SmetsError as exc:
                failures += 1
                record = {"source": f"{source}#reassembled", "error": f"{type(exc).__name__}: {exc}"}
        output.emit(record)
    output.close()
    return 1 if failures else 0


def _load_keys(folder: str | None) -> GbcsKeys | None:
    if folder is None:
        return None
    from smets_emu.protocols.keystore import Keystore

    return GbcsKeys(Keystore.load(Path(folder)))


def _records(stream: BinaryIO, name: str, *, json_lines: bool) -> Iterator[Any]:
    """JSON records from a stream: one per line (each line bounded), or one document (bounded)."""
    if json_lines:
        for _, line in iter_lines(stream, MAX_JSON_BYTES, name=name, what="a JSON line"):
            if line.strip():
                yield json.loads(line)
        return
    doc = json.loads(read_stream(stream, MAX_JSON_BYTES, name=name, what="a JSON document"))
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
    """Entry point of ``smets-emu encode``: exit 1 when a record could not be rebuilt, 2 on unreadable input."""
    keys = _load_keys(args.keystore)  # a SmetsError: the command line's message and exit 2
    failures = 0
    unreadable = 0
    for name in args.files or ["-"]:
        try:
            stream = sys.stdin.buffer if name == "-" else open(name, "rb")  # noqa: SIM115
        except OSError as exc:
            print(f"smets-emu encode: {name}: {exc.strerror or exc}", file=sys.stderr)
            unreadable += 1
            continue
        try:
            failures += _encode_stream(stream, "<stdin>" if name == "-" else name, keys, args)
        except InputError as exc:
            print(f"smets-emu encode: {exc}", file=sys.stderr)
            unreadable += 1
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            sys.stderr.write(f"{name}: invalid JSON: {exc}\n")
            failures += 1
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()
    return 2 if unreadable else 1 if failures else 0


def _encode_stream(stream: BinaryIO, name: str, keys: GbcsKeys | None, args: argparse.Namespace) -> int:
    failures = 0
    for n, record in enumerate(_records(stream, name, json_lines=args.json_lines), 1):
        if isinstance(record, dict) and "error" in record and "message" not in record:
            failures += 1
            sys.stderr.write(f"record {n}: skipped, decode had failed: {record['error']}\n")
            continue
        try:
            sys.stdout.write(rebuild(record, keys, force=args.force_resign).hex().upper() + "\n")
        except (SmetsError, CryptoError) as exc:
            failures += 1
            sys.stderr.write(f"record {n}: {type(exc).__name__}: {exc}\n")
    return failures


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the decode and encode sub-commands."""
    dec = sub.add_parser("decode", help="decode GBCS messages (files, folders or hex) into readable trees")
    dec.add_argument("inputs", nargs="+", metavar="FILE|HEX|FOLDER",
                     help="'-' reads hex lines from stdin; a capture file (run --capture) is decoded frame by frame")
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
