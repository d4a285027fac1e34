"""``smets-emu send``: one command to a device of a running lab, as a named remote party.

Builds the command (signed when critical, MACed with the ACB key; GBCS 6.2.4, 7), sends it to
the WAN front and prints the decoded response, its MAC/signature check and any alerts as JSON.

Exit status: 0 the device answered and the answer's MAC and signature verify; 1 the device did
not respond (refused with an alert, command dropped, no answer within ``--timeout``); 2 the
command could not be sent (bad option, unknown EUI or role, unreadable keystore or payload, no
lab at the address); 3 a response came back but its MAC or signature does not verify, or it
could not be decoded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from smets_emu.emulator.anchors import Role
from smets_emu.emulator.provision import DEFAULT_PARTIES
from smets_emu.errors import InputError, SmetsError
from smets_emu.inputs import MAX_JSON_BYTES, read_file, read_stream
from smets_emu.protocols import usecases
from smets_emu.protocols.keystore import Keystore, KeyUsage
from smets_emu.protocols.message import Message
from smets_emu.protocols.payloads.dlms import AccessRequest
from smets_emu.protocols.roles import RoleError, parse_role, valid_roles
from smets_emu.tools.arg_types import seconds_up_to
from smets_emu.tools.lab import read_inventory
from smets_emu.tools.wan_client import ClientError, RemoteParty, WanClient, message_code

EXIT_OK = 0
EXIT_NO_RESPONSE = 1
EXIT_NOT_SENT = 2
EXIT_BAD_RESPONSE = 3

_GUESSED_TIME_KEYS = ("time", "date", "date_time")
_CLOCK_CLASS = 8


class SendError(SmetsError):
    """The command cannot be built or sent as asked (unknown EUI or role, missing key)."""


def parse_eui(text: str, what: str) -> bytes:
    """An EUI-64 from 16 hex digits (``-``, ``:`` and spaces allowed between them)."""
    digits = "".join(c for c in text if c not in "-: ")
    if len(digits) != 16 or any(c not in "0123456789abcdefABCDEF" for c in digits):
        raise SendError(f"{what} {text!r} is not an EUI: an EUI is 16 hex digits, e.g. 00DB1234567890A0")
    return bytes.fromhex(digits)


def _devices(keystore: Keystore) -> list[str]:
    """EUIs the keystore holds a device's key agreement certificate for (devices carry no remote-party role)."""
    return [
        eui.hex().upper() for eui in keystore.euis()
        if keystore.certificate(eui, KeyUsage.KA) is not None and keystore.role_of(eui) is None
    ]


def recipient(keystore: Keystore, text: str, folder: str) -> bytes:
    """The ``--to`` device: an EUI whose key agreement certificate the keystore holds (to derive the MAC key)."""
    eui = parse_eui(text, "--to")
    if keystore.public_key(eui, KeyUsage.KA) is None:
        known = _devices(keystore)
        listed = ", ".join(known[:8]) + (f" and {len(known) - 8} more" if len(known) > 8 else "")
        raise SendError(
            f"device {eui.hex().upper()} is unknown to the keystore {folder} (no {eui.hex()}-ka.pem certificate, "
            f"so no key to MAC the command). Devices of the lab are listed when `smets-emu run` starts, at "
            f"GET /devices on its control plane and as <EUI>-ka.pem files in the keystore"
            + (f"; this keystore has {listed}" if listed else "; this keystore has no device certificates")
        )
    return eui


def originator(keystore: Keystore, text: str | None, code: int) -> bytes | None:
    """The ``--as`` party: a role (CLI or DUIS spelling) or an EUI; None for the default party of *code*."""
    if text is None:
        return None
    if len("".join(c for c in text if c not in "-: ")) == 16:
        try:
            return parse_eui(text, "--as")
        except SendError:
            pass
    try:
        spelling = parse_role(text)
    except RoleError as exc:
        raise SendError(f"--as: {exc}; or give a remote party's EUI (16 hex digits)") from exc
    party = DEFAULT_PARTIES.get(Role(spelling.remote_party))
    if party is None:
        raise SendError(f"--as {text!r}: the lab has no remote party in the {spelling.name} role; "
                        f"roles: {valid_roles()}")
    return party


def _check_signer(keystore: Keystore, party: bytes, folder: str) -> None:
    if keystore.private_key(party, KeyUsage.DS) is None:
        raise SendError(f"remote party {party.hex().upper()} has no digital signing key in the keystore {folder} "
                        f"({party.hex()}-ds.key); a critical command must be signed by a party whose key is held")


def label_results(reply: dict[str, Any], command: Message | None) -> None:
    """Name what each value of a DLMS response answers, from the command's requests (same order).

    A bare 4, 5 or 12-byte octet-string is shown with a guessed COSEM time, date or date-time
    reading; when the request says which object was read (the firmware version ``01000000``,
    say), that guess is dropped unless the object is a clock.
    """
    response = reply.get("response") or {}
    payload = response.get("payload") or {}
    results = payload.get("results")
    if command is None or not isinstance(command.payload, AccessRequest) or not isinstance(results, list):
        return
    requests = command.payload.to_json().get("requests", [])
    if len(requests) != len(results):
        return
    for request, result in zip(requests, results, strict=True):
        label = {k: request[k] for k in ("class_id", "obis", "object", "attribute_id") if k in request}
        result["request"] = label
        data = result.get("data")
        if "object" in label and label.get("class_id") != _CLOCK_CLASS and isinstance(data, dict):
            if data.get("type") == "octet-string":
                for key in _GUESSED_TIME_KEYS:
                    data.pop(key, None)


async def send(
    *,
    keystore: Keystore,
    host: str,
    port: int,
    framing: str,
    to: bytes,
    code: int,
    as_party: bytes | None,
    payload: Any,
    raw: bytes | None,
    timeout: float,
    inventory: dict[bytes, str] | None = None,
) -> dict[str, Any]:
    """Send one command and return the reply as JSON (``answered`` false, ``timed_out`` true without answer).

    *inventory* (device types by EUI, as the lab writes it beside its keys) picks the default sender per device
    type: the ACB for a CHF."""
    try:
        client = await WanClient.connect(host, port, framing)
    except OSError as exc:
        raise SendError(f"cannot reach the lab's WAN front at {host}:{port} ({exc.strerror or exc}); "
                        "is `smets-emu run` serving there (see --port, --framing)?") from exc
    try:
        party = RemoteParty(keystore, lambda data: client.exchange(data, timeout=timeout),
                            device_type_of=(inventory or {}).get)
        data = raw if raw is not None else party.build(code, payload, to=to, as_party=as_party)
        try:
            reply = await party.send_raw(data)
        except ClientError as exc:
            return {"answered": False, "timed_out": True, "detail": f"{exc} within {timeout:g} s",
                    "security": {"mac": "absent", "signature": "absent"}, "response": None, "alerts": [],
                    "command": data.hex().upper()}
    finally:
        await client.close()
    out = reply.to_json()
    try:
        command = party.headend.decode(data)
    except SmetsError:
        command = None
    label_results(out, command)
    out["command"] = reply.command.hex().upper()
    return out


def exit_status(result: dict[str, Any]) -> int:
    """0 answered and verified, 1 no response, 3 a response whose MAC/signature fails or that is undecodable."""
    if not result["answered"]:
        return EXIT_NO_RESPONSE
    security = result.get("security", {})
    if "invalid" in (security.get("mac"), security.get("signature")) or "detail" in security:
        return EXIT_BAD_RESPONSE
    return EXIT_OK


def _payload(args: argparse.Namespace) -> tuple[Any, bytes | None]:
    if args.payload_json:
        what = "a JSON payload"
        if args.payload_json == "-":
            text = read_stream(sys.stdin.buffer, MAX_JSON_BYTES, name="<stdin>", what=what)
        else:
            text = read_file(args.payload_json, MAX_JSON_BYTES, what=what)
        try:
            payload = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(f"{args.payload_json}: not JSON: {exc}") from exc
        if isinstance(payload, dict) and "payload" in payload and "family" not in payload:
            payload = payload["payload"]  # a whole message as `decode --json` prints it
        return payload, None
    if args.hex:
        try:
            data = bytes.fromhex(args.hex.replace(" ", ""))
        except ValueError as exc:
            raise InputError(f"--hex: not an even number of hex digits: {exc}") from exc
        return (None, data) if args.raw else (data, None)
    return None, None


def send_command(args: argparse.Namespace) -> int:
    try:
        keystore = Keystore.load(args.keystore)
        payload, raw = _payload(args)
        if args.code is None and raw is None:
            print("smets-emu send: give --code (or --raw --hex)", file=sys.stderr)
            return EXIT_NOT_SENT
        code = message_code(args.code if args.code is not None else "0")
        to = recipient(keystore, args.to, args.keystore) if raw is None else parse_eui(args.to, "--to")
        inventory = read_inventory(args.keystore)
        if args.code is not None:  # read-firmware is ECS52 on an ESME or CHF, GCS38 on a GSME, CS08 on a PPMID
            code = message_code(args.code, inventory.get(to))
        as_party = originator(keystore, getattr(args, "as"), code)
        if raw is None and as_party is not None and usecases.is_critical(code):
            _check_signer(keystore, as_party, args.keystore)
        result = asyncio.run(send(
            keystore=keystore, host=args.host, port=args.port, framing=args.framing, to=to,
            code=code, as_party=as_party, payload=payload, raw=raw, timeout=args.timeout, inventory=inventory,
        ))
    except (SmetsError, ValueError) as exc:
        print(f"smets-emu send: {exc}", file=sys.stderr)
        return EXIT_NOT_SENT
    json.dump(result, sys.stdout, indent=None if args.compact else 2)
    sys.stdout.write("\n")
    status = exit_status(result)
    if status == EXIT_NO_RESPONSE:
        why = result.get("detail") or "the device refused the command or sent no response"
        print(f"smets-emu send: no response from {to.hex().upper()}: {why}", file=sys.stderr)
    elif status == EXIT_BAD_RESPONSE:
        print(f"smets-emu send: the response does not verify: {result['security']}", file=sys.stderr)
    return status


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "send",
        help="send one GBCS command to a running lab as a remote party and print the decoded reply",
        description="Build, sign and MAC a command as a remote party from a keystore, send it to "
        "`smets-emu run` and print the decoded response. Exit 0: answered and verified; 1: the device "
        "did not respond; 2: not sent (bad option, unknown EUI or role, no lab); 3: the response's MAC "
        "or signature does not verify.",
    )
    p.add_argument("--keystore", default="smets-lab/pki", help="keystore folder (default smets-lab/pki)")
    p.add_argument("--as", default=None, metavar="ROLE|EUI",
                   help=f"remote party: a role ({valid_roles()}) or an EUI (default: a role allowed for the code)")
    p.add_argument("--to", default="00DB1234567890A0", help="device EUI, 16 hex digits (default 00DB1234567890A0)")
    p.add_argument("--code", default=None,
                   help="message code (0x0059), use case (ECS52) or read-firmware / read-gas-firmware")
    p.add_argument("--payload-json", default=None, metavar="FILE",
                   help="payload as JSON (as `decode --json` prints it; - for stdin); default: a sample payload")
    p.add_argument("--hex", default=None, help="payload bytes in hex (with --raw: a whole protected message)")
    p.add_argument("--raw", action="store_true", help="--hex is a complete message: send it unchanged")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=_port, metavar="PORT", default=None,
                   help="WAN port (default 4059 for gfi, 4060 for binary)")
    p.add_argument("--framing", choices=("gfi", "binary"), default="gfi")
    p.add_argument("--timeout", type=seconds_up_to(86400), default=10.0,
                   help="seconds to wait for the reply (default 10)")
    p.add_argument("--compact", action="store_true", help="one-line JSON")
    p.set_defaults(func=_with_port)


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a TCP port (1..65535)")
    return int(text)


def _with_port(args: argparse.Namespace) -> int:
    if args.port is None:
        args.port = 4059 if args.framing == "gfi" else 4060
    return send_command(args)


__all__ = ["EXIT_BAD_RESPONSE", "EXIT_NO_RESPONSE", "EXIT_NOT_SENT", "EXIT_OK", "label_results", "send"]
