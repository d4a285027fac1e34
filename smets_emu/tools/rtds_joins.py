"""The HAN joins an RTDS folder presumes were made before its commands (GBCS CS03, CS04, CS07; digest 5.5).

A successful CS04 unjoin presumes the device log holds the named device, a successful CS07 read
presumes the entries it lists; they are joined first through real CS03 join commands from the
supplier, so the device log is built by the device model.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from smets_emu.emulator.device import Device, Outcome
from smets_emu.emulator.device_log import JOIN_MESSAGE_METHOD, JOIN_PARTNERS
from smets_emu.parties.headend import HeadEnd
from smets_emu.protocols.keystore import KeyUsage
from smets_emu.protocols.message import Message
from smets_emu.protocols.payloads.asn1 import Asn1Payload
from smets_emu.protocols.pki import TestPki, generate_test_pki
from smets_emu.protocols.rtds import RtdsFile
from smets_emu.tools.rtds_names import (
    DEVICE_TYPES,
    SUPPLIER,
    response_name,
    tags,
)

SETUP_COUNTER = 900
"""Originator counter of the first site-setup join (below the RTDS supplier counters)."""


@dataclass(frozen=True)
class Join:
    """A HAN join the scenario presumes was made before its commands (GBCS CS03, digest 5.5)."""

    recipient: bytes
    message_code: int
    method: int
    eui: bytes
    device_type: int


_JOIN_TYPES = {  # (target type, join message code) -> (method and role, other device type)
    ("ESME", 0x000D): (0, 5), ("GPF", 0x000D): (0, 5),
    ("ESME", 0x000E): (2, 6), ("GSME", 0x000E): (2, 3), ("GPF", 0x000E): (2, 0),
    ("GSME", 0x00AF): (3, 5),
    ("PPMID", 0x00AB): (1, 1), ("HCALCS", 0x00AB): (1, 1), ("PPMID", 0x00AF): (3, 0),
}
_UNJOIN_TO_JOIN = {0x000F: 0x000D, 0x0010: 0x000E}  # CS04AC unjoins Method A/C joins, CS04B Method B joins
_RESPONDER_TYPES = frozenset({"PPMID", "HCALCS"})  # type 1 HAN devices join Method A as responders (CS03A2)


def _type_number(value: Any) -> int:
    text = str(value)
    return int(text[text.rfind("(") + 1:-1]) if "(" in text else int(text)


def site_joins(commands: list[tuple[RtdsFile, Message]], responses: dict[str, Message]) -> list[Join]:
    """The device log entries a folder's SUCCESS scenarios presume, derived from its commands and responses."""
    joins: list[Join] = []
    for file, message in commands:
        if "SUCCESS" not in tags(file.path.name) or not isinstance(message.payload, Asn1Payload):
            continue
        target = message.header.recipient
        kind = DEVICE_TYPES.get(target)
        code = message.message_code
        if code in _UNJOIN_TO_JOIN and isinstance(message.payload.value, str) and kind is not None:
            join_code = 0x00AB if kind in _RESPONDER_TYPES and code == 0x000F else _UNJOIN_TO_JOIN[code]
            if (kind, join_code) in _JOIN_TYPES:
                method, other = _JOIN_TYPES[(kind, join_code)]
                joins.append(Join(target, join_code, method, bytes.fromhex(message.payload.value), other))
        elif code == 0x0013:  # CS07: the entries the RTDS device reported
            reply = responses.get(response_name(file.path.name))
            value = reply.payload.value if reply is not None and isinstance(reply.payload, Asn1Payload) else None
            for entry in (value or {}).get("deviceLogEntries", []) if isinstance(value, dict) else []:
                other = _type_number(entry["deviceType"])
                join_code = next((c for (t, c), (_, o) in _JOIN_TYPES.items() if t == kind and o == other), None)
                if join_code is not None:
                    method = _JOIN_TYPES[(kind, join_code)][0]  # type: ignore[index]
                    joins.append(Join(target, join_code, method, bytes.fromhex(entry["deviceId"]), other))
    return joins


def run_join(device: Device, headend: HeadEnd, join: Join, counter: int, now: dt.datetime,
             pki: TestPki | None = None) -> Outcome:
    """Send one site-setup join from the supplier (:func:`join_command`) and adopt the device's outcome."""
    return device.handle(join_command(headend, device, join, counter, now, pki), now)


def join_command(headend: HeadEnd, device: Device, join: Join, counter: int, now: dt.datetime,
                 pki: TestPki | None = None) -> bytes:
    """A supplier CS03 join command for *join*; Method C carries a KA certificate of a test PKI valid at
    *now* (GBCS 13.3.4: CS03C needs a certificate the device can use)."""
    value: dict[str, Any] = {"joinMethodAndRole": join.method, "otherDeviceEntityId": join.eui.hex(),
                             "otherDeviceType": join.device_type}
    if join.message_code == 0x00AF:
        pki = pki or generate_test_pki(seed="rtds-site")
        key = ec.generate_private_key(ec.SECP256R1())
        # valid from the start of the scenario's day: the joining device checks the validity at "now"
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        cert = pki.issue_device_certificate(join.eui, KeyUsage.KA, key.public_key(), not_before=start)
        value["otherDeviceKACertificate"] = {"der": cert.public_bytes(Encoding.DER).hex()}
    payload = Asn1Payload("CS03Command", value, join.message_code, 1)
    return headend.command(originator=SUPPLIER, recipient=device.eui, message_code=join.message_code,
                           payload=payload, counter=counter)


def logged_joins(recipient: bytes, entries: list[dict[str, Any]]) -> list[Join]:
    """The joins that leave *recipient*'s log holding *entries* (ASN.1 DeviceLogEntry trees, in order), each by
    the join method the device model takes that device type with (``device_log.JOIN_PARTNERS``, GBCS 13.3.4)."""
    partners = JOIN_PARTNERS.get(DEVICE_TYPES.get(recipient, ""), {})
    codes = {method: code for code, method in JOIN_MESSAGE_METHOD.items()}
    joins = []
    for entry in entries:
        other = _type_number(entry["deviceType"])
        method = next((m for m, types in partners.items() if other in {int(t) for t in types}), None)
        if method is None:
            continue
        joins.append(Join(recipient, codes[method], int(method), bytes.fromhex(entry["deviceId"]), other))
    return joins
