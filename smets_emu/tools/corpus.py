"""A GBCS message corpus made with the project's own test PKI, independent of RTDS.

For every message code the payload codecs know, it builds the command (and PRECOMMAND for
critical ones), the device's response and the alert forms, signs them with the originator's
digital-signing key and MACs them as GBCS requires (GBCS 7.2, 6.2.4), and adds GBT-segmented
copies of the largest messages. ``smets-emu corpus`` writes it in the RTDS folder layout with
its keystore, and checks it as the RTDS checks do.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from smets_emu.errors import SmetsError
from smets_emu.protocols import usecases
from smets_emu.protocols.envelope import CraFlag, Envelope, GroupingHeader, OtherInfo, encode_envelope
from smets_emu.protocols.gbt_transfer import Reassembler, segment
from smets_emu.protocols.payloads.base import Payload
from smets_emu.protocols.pki import TestPki, generate_test_pki
from smets_emu.protocols.security import GbcsKeys, seal
from smets_emu.protocols.timestamps import DlmsDateTime

log = logging.getLogger(__name__)

SUPPLIER = bytes.fromhex("90B3D51F30010000")
NETWORK_OPERATOR = bytes.fromhex("90B3D51F30020000")
ACB = bytes.fromhex("90B3D51F30000002")
ESME = bytes.fromhex("00DB1234567890A0")
GSME = bytes.fromhex("00DB1234567890A1")
CHF = bytes.fromhex("00DB1234567890A2")
GPF = bytes.fromhex("00DB1234567890A3")


@dataclass(frozen=True)
class CorpusMessage:
    """One generated message."""

    name: str  # e.g. "0x0059_COMMAND"
    use_case: str
    kind: str  # COMMAND, PRECOMMAND, RESPONSE, ALERT or GBT
    data: bytes


@dataclass
class Corpus:
    """The messages and the PKI that protects them."""

    pki: TestPki
    messages: list[CorpusMessage] = field(default_factory=list)


def _samplers() -> list[tuple[frozenset[int], Callable[..., Payload], str]]:
    from smets_emu.protocols.payloads.asn1 import ASN1_MESSAGE_CODES, sample_asn1
    from smets_emu.protocols.payloads.dlms import DLMS_MESSAGE_CODES, sample_dlms
    from smets_emu.protocols.payloads.gbz import GBZ_MESSAGE_CODES, sample_gbz

    return [
        (frozenset(ASN1_MESSAGE_CODES), sample_asn1, "asn1"),
        (frozenset(DLMS_MESSAGE_CODES), sample_dlms, "dlms"),
        (frozenset(GBZ_MESSAGE_CODES), sample_gbz, "gbz"),
    ]


def _device_for(code: int, family: str) -> bytes:
    """The corpus device a message code is addressed to (or raised by), from the use-case table."""
    row = usecases.use_case(code)
    devices = row.devices if row else frozenset()
    if devices == {usecases.DeviceType.CHF} or code == 0x0105:  # wanProviderByWanProvider: the CHF's WAN anchor
        return CHF
    if devices == {usecases.DeviceType.GPF} or code == 0x008C:  # GCS59 restores a GPF's device log
        return GPF
    if family == "gbz":
        return GSME
    return ESME


def _response_date_time(code: int, critical: bool) -> bool:
    """Whether the response header carries a date-time (GBCS 7.2.8): as the table says, else when signed."""
    declared = usecases.response_date_time(code)
    return critical if declared is None else declared


def _envelope(header: GroupingHeader, payload: Payload) -> Envelope:
    return Envelope(header=header, content=payload.encode(), signature=None, mac=None)


def build_corpus(pki: TestPki | None = None) -> Corpus:
    """Generate the corpus (deterministic apart from ECDSA nonces)."""
    pki = pki or generate_test_pki()
    keys = GbcsKeys(pki.keystore, acb=ACB)
    corpus = Corpus(pki=pki)
    counter = 0x1000
    cert = pki.keystore.certificate(SUPPLIER, _ds())
    cert_der = cert.public_bytes(_der()) if cert is not None else None
    for codes, sampler, family in _samplers():
        for code in sorted(codes):
            counter += 1
            device = _device_for(code, family)
            info = usecases.use_case(code)
            use_case = info.use_case if info else f"0x{code:04X}"
            originator = ACB if device in (CHF, GPF) else SUPPLIER
            kinds = [CraFlag.ALERT] if usecases.is_alert(code) else [CraFlag.COMMAND, CraFlag.RESPONSE]
            critical = usecases.is_critical(code)
            for cra in kinds:
                if cra is CraFlag.COMMAND:
                    header = GroupingHeader(cra, counter, originator, device, OtherInfo(code))
                elif cra is CraFlag.RESPONSE:
                    header = GroupingHeader(
                        cra, counter, device, originator, OtherInfo(code),
                        date_time=DlmsDateTime(2026, 1, 1, 4, 12, 0, 0, 0) if _response_date_time(code, critical)
                        else None,
                    )
                else:
                    recipient = ACB if device in (CHF, GPF) else SUPPLIER
                    header = GroupingHeader(cra, 0x7D0 + counter, device, recipient, OtherInfo(code))
                options: dict[str, object] = {}
                if family == "asn1":
                    options["certificate"] = cert_der
                elif _accepts_encrypt(sampler):
                    options["encrypt"] = keys.encryptor(header)
                try:
                    payload = sampler(code, int(cra), **options)
                except (SmetsError, KeyError, ValueError, NotImplementedError) as exc:
                    log.debug("no %s sample for 0x%04X/%s: %s", family, code, cra.name, exc)
                    continue
                env = _envelope(header, payload)
                name = f"0x{code:04X}_{cra.name}"
                if cra is CraFlag.COMMAND:
                    if critical:
                        pre = Envelope(header, env.content, None, None, signature_field=False)
                        corpus.messages.append(
                            CorpusMessage(name.replace("COMMAND", "PRECOMMAND"), use_case, "PRECOMMAND",
                                          encode_envelope(pre))
                        )
                    sealed = seal(env, keys, sign=critical, mac=True)
                elif critical:
                    sealed = seal(env, keys, sign=True, mac=False)
                else:
                    sealed = seal(env, keys, sign=False, mac=True)
                corpus.messages.append(CorpusMessage(name, use_case, cra.name, encode_envelope(sealed)))
    largest = sorted(corpus.messages, key=lambda m: len(m.data), reverse=True)[:5]
    for msg in largest:
        for i, block in enumerate(segment(msg.data, block_size=64)):
            corpus.messages.append(CorpusMessage(f"{msg.name}_GBT{i + 1:03d}", msg.use_case, "GBT", block))
    return corpus


def _accepts_encrypt(sampler: Callable[..., Payload]) -> bool:
    import inspect

    return "encrypt" in inspect.signature(sampler).parameters


def _ds():  # type: ignore[no-untyped-def]
    from smets_emu.protocols.keystore import KeyUsage

    return KeyUsage.DS


def _der():  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives.serialization import Encoding

    return Encoding.DER


def corpus_messages() -> list[bytes]:
    """The non-GBT messages of a freshly generated corpus (fuzz seeds)."""
    return [m.data for m in build_corpus().messages if m.kind != "GBT"]


def write_corpus(corpus: Corpus, out: Path) -> None:
    """Write messages in the RTDS layout (``messages/<use case>/<name>_GBCS.HEX``) and the keystore."""
    messages = out / "messages"
    for msg in corpus.messages:
        use_case = (msg.use_case or "unknown").replace("/", "-")
        folder = messages / use_case
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{use_case}_{msg.name}_GBCS.HEX").write_text(msg.data.hex().upper())
    corpus.pki.save(out / "keystore")


def run_corpus(args: argparse.Namespace) -> int:
    """Entry point of ``smets-emu corpus``: generate, write, and check the corpus."""
    from smets_emu.protocols.message import decode_message, encode_message
    from smets_emu.protocols.security import CheckStatus, verify_message

    corpus = build_corpus()
    keys = GbcsKeys(corpus.pki.keystore, acb=ACB)
    summary = {"messages": 0, "gbt_blocks": 0, "message_codes": set(), "round_trip": 0, "mac_valid": 0,
               "mac_total": 0, "signature_valid": 0, "signature_total": 0}
    reassembler = Reassembler()
    for msg in corpus.messages:
        if msg.kind == "GBT":
            summary["gbt_blocks"] += 1
            whole = reassembler.feed(msg.data)
            if whole is not None:
                reassembler = Reassembler()
                decode_message(whole)
            continue
        summary["messages"] += 1
        message = decode_message(msg.data, decrypt=keys.decryptor(_header(msg.data)))
        summary["message_codes"].add(message.message_code)
        summary["round_trip"] += encode_message(message) == msg.data
        report = verify_message(msg.data, keys)
        summary["mac_total"] += report.mac is not CheckStatus.ABSENT
        summary["mac_valid"] += report.mac is CheckStatus.VALID
        summary["signature_total"] += report.signature is not CheckStatus.ABSENT
        summary["signature_valid"] += report.signature is CheckStatus.VALID
    summary["message_codes"] = len(summary["message_codes"])
    if args.out:
        write_corpus(corpus, Path(args.out))
        summary["written_to"] = str(args.out)
    print(json.dumps(summary))
    ok = (
        summary["round_trip"] == summary["messages"]
        and summary["mac_valid"] == summary["mac_total"]
        and summary["signature_valid"] == summary["signature_total"]
    )
    return 0 if ok else 1


def _header(data: bytes) -> GroupingHeader:
    from smets_emu.protocols.envelope import decode_envelope

    return decode_envelope(data).header


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``smets-emu corpus``."""
    p = sub.add_parser("corpus", help="generate and check a GBCS corpus with the project's own test PKI")
    p.add_argument("--out", metavar="DIR", help="also write messages and keystore under DIR")
    p.set_defaults(func=run_corpus)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_corpus(argparse.Namespace(out=None)))
