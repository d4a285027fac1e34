"""``smets-emu send``: one command to a device of a running lab, as a named remote party.

Builds the command (signed when critical, MACed with the ACB key; GBCS 6.2.4, 7), sends it to
the WAN front and prints the decoded response, its MAC/signature check and any alerts as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from smets_emu.errors import SmetsError
from smets_emu.protocols.keystore import Keystore
from smets_emu.tools.wan_client import RemoteParty, WanClient, message_code, party_eui


async def send(
    *,
    keystore: Keystore,
    host: str,
    port: int,
    framing: str,
    to: str,
    code: str,
    as_party: str | None,
    payload: Any,
    raw: bytes | None,
    timeout: float,
) -> dict[str, Any]:
    """Send one command and return the reply as JSON."""
    client = await WanClient.connect(host, port, framing)
    try:
        party = RemoteParty(keystore, lambda data: client.exchange(data, timeout=timeout))
        if raw is not None:
            reply = await party.send_raw(raw)
        else:
            reply = await party.command(code, payload, to=party_eui(to), as_party=as_party)
    finally:
        await client.close()
    out = reply.to_json()
    out["command"] = reply.command.hex().upper()
    return out


def send_command(args: argparse.Namespace) -> int:
    try:
        keystore = Keystore.load(args.keystore)
        payload: Any = None
        raw = None
        if args.payload_json:
            text = sys.stdin.read() if args.payload_json == "-" else Path(args.payload_json).read_text(encoding="utf-8")
            payload = json.loads(text)
            if isinstance(payload, dict) and "payload" in payload and "family" not in payload:
                payload = payload["payload"]  # a whole message as `decode --json` prints it
        elif args.hex:
            data = bytes.fromhex(args.hex.replace(" ", ""))
            if args.raw:
                raw = data
            else:
                payload = data
        if args.code is None and raw is None:
            print("smets-emu send: give --code (or --raw --hex)", file=sys.stderr)
            return 2
        code = args.code if args.code is not None else "0"
        message_code(code)
        result = asyncio.run(send(
            keystore=keystore, host=args.host, port=args.port, framing=args.framing, to=args.to,
            code=code, as_party=getattr(args, "as"), payload=payload, raw=raw, timeout=args.timeout,
        ))
    except (SmetsError, OSError, ValueError) as exc:
        print(f"smets-emu send: {exc}", file=sys.stderr)
        return 2
    json.dump(result, sys.stdout, indent=None if args.compact else 2)
    sys.stdout.write("\n")
    return 0 if result["answered"] else 1


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "send",
        help="send one GBCS command to a running lab as a remote party and print the decoded reply",
        description="Build, sign and MAC a command as a remote party from a keystore, send it to "
        "`smets-emu run` and print the decoded response (exit 1 when the device did not respond).",
    )
    p.add_argument("--keystore", default="smets-lab/pki", help="keystore folder (default smets-lab/pki)")
    p.add_argument("--as", default=None, metavar="ROLE|EUI",
                   help="remote party: supplier, network-operator, acb, recovery, transitional-cos, "
                   "wan-provider, load-controller or an EUI (default: a role allowed for the code)")
    p.add_argument("--to", default="00DB1234567890A0", help="device EUI (default 00DB1234567890A0)")
    p.add_argument("--code", default=None,
                   help="message code (0x0059), use case (ECS52) or read-firmware / read-gas-firmware")
    p.add_argument("--payload-json", default=None, metavar="FILE",
                   help="payload as JSON (as `decode --json` prints it; - for stdin); default: a sample payload")
    p.add_argument("--hex", default=None, help="payload bytes in hex (with --raw: a whole protected message)")
    p.add_argument("--raw", action="store_true", help="--hex is a complete message: send it unchanged")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=None, help="WAN port (default 4059 for gfi, 4060 for binary)")
    p.add_argument("--framing", choices=("gfi", "binary"), default="gfi")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the reply")
    p.add_argument("--compact", action="store_true", help="one-line JSON")
    p.set_defaults(func=_with_port)


def _with_port(args: argparse.Namespace) -> int:
    if args.port is None:
        args.port = 4059 if args.framing == "gfi" else 4060
    return send_command(args)
