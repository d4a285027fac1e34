"""``smets-emu firmware``: build and inspect GBCS Upgrade Images (digest 7.1, 7.2)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_private_key, load_pem_private_key

from smets_emu.errors import InputError, SmetsError
from smets_emu.inputs import (
    MAX_FIRMWARE_IMAGE_BYTES,
    MAX_KEY_FILE_BYTES,
    describe_size,
    read_file,
    read_stream,
)
from smets_emu.protocols.duis.xml import MAX_DOCUMENT_BYTES
from smets_emu.protocols.firmware import UpgradeImage, decode_image, sign_image, verify_image
from smets_emu.protocols.keystore import Keystore, KeyUsage
from smets_emu.tools import campaign_cli

_IMAGE_LIMIT = (
    f"an Upgrade Image is at most {describe_size(MAX_FIRMWARE_IMAGE_BYTES)}, the most the OTA path takes "
    "(DUIS UpdateFirmware FirmwareImage, SRV 11.1)"
)


def _number(text: str) -> int:
    return int(text, 0)


def _range(text: str) -> tuple[int, int]:
    low, sep, high = text.partition("-")
    if not sep:
        raise argparse.ArgumentTypeError("give MIN-MAX, e.g. 0x1111-0x1211")
    return int(low, 0), int(high, 0)


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``firmware build``, ``inspect``, ``campaign`` and ``versions``."""
    fw = sub.add_parser("firmware", help="build and inspect GBCS firmware Upgrade Images")
    commands = fw.add_subparsers(dest="firmware_command", required=True)

    build = commands.add_parser("build", help="build an Upgrade Image (OTA header, Manufacturer Image, signature)")
    build.add_argument("--manufacturer", type=_number, required=True, help="manufacturer code, e.g. 0x121D")
    build.add_argument("--image-type", type=_number, required=True, help="image type, e.g. 0x0000")
    build.add_argument("--version", type=_number, required=True, help="file version (4 bytes), e.g. 0x0123ABCE")
    build.add_argument("--hardware", type=_range, help="hardware version range MIN-MAX")
    build.add_argument("--payload", required=True, metavar="FILE", help="the Manufacturer Image")
    build.add_argument("--header-string", default="", help="OTA header string (up to 32 characters)")
    build.add_argument("--key", metavar="FILE", help="supplier DS private key (PEM or DER PKCS#8)")
    build.add_argument("--keystore", metavar="DIR", help="take the DS key of --signer from this keystore")
    build.add_argument("--signer", default="90B3D51F30010000", help="signer EUI in --keystore")
    build.add_argument("--unsigned", action="store_true", help="no signature block")
    build.add_argument("-o", "--output", required=True, metavar="FILE")
    build.set_defaults(func=run_build)

    inspect = commands.add_parser("inspect", help="print every header field, the sizes and the hash")
    inspect.add_argument("file", metavar="FILE", help="an image file, or a DUIS 11.1 Update Firmware request")
    inspect.add_argument("--keystore", metavar="DIR", help="verify the signature with --signer's DS certificate")
    inspect.add_argument("--signer", default="90B3D51F30010000")
    inspect.add_argument("--json", action="store_true")
    inspect.set_defaults(func=run_inspect)
    campaign_cli.add_parsers(commands)


def _signing_key(args: argparse.Namespace) -> ec.EllipticCurvePrivateKey | None:
    if args.unsigned:
        return None
    if args.key:
        raw = read_file(args.key, MAX_KEY_FILE_BYTES, what="a key file")
        key = load_pem_private_key(raw, None) if raw.lstrip().startswith(b"-----") else load_der_private_key(raw, None)
    elif args.keystore:
        key = Keystore.load(args.keystore).private_key(args.signer, KeyUsage.DS)  # type: ignore[assignment]
    else:
        raise SmetsError("give --key, --keystore or --unsigned")
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise SmetsError("no P-256 signing key found")
    return key


def run_build(args: argparse.Namespace) -> int:
    try:
        image = UpgradeImage(
            manufacturer_code=args.manufacturer, image_type=args.image_type, file_version=args.version,
            manufacturer_image=read_file(args.payload, MAX_FIRMWARE_IMAGE_BYTES, what="a Manufacturer Image"),
            header_string=args.header_string,
            hardware_versions=args.hardware,
        )
        key = _signing_key(args)
        if key is not None:
            image = sign_image(image, key)
        data = image.encode()
        if len(data) > MAX_FIRMWARE_IMAGE_BYTES:
            raise InputError(f"the Upgrade Image would be {describe_size(len(data))}; {_IMAGE_LIMIT}")
        Path(args.output).write_bytes(data)
    except (SmetsError, OSError, ValueError) as exc:
        print(f"smets-emu firmware build: {exc}", file=sys.stderr)
        return 2
    print(f"{args.output}: {len(data)} bytes, version {image.version}, "
          f"manufacturer image hash {image.image_hash.hex().upper()}")
    return 0


def _read_image(path: str) -> bytes:
    """An Upgrade Image from a file (or ``-``), or the one a DUIS Update Firmware request carries; bounded reads."""
    what = "an Upgrade Image or a DUIS Update Firmware request"
    if path == "-":
        data = read_stream(sys.stdin.buffer, MAX_DOCUMENT_BYTES, name="<stdin>", what=what)
    else:
        data = read_file(path, MAX_DOCUMENT_BYTES, what=what)
    if data.lstrip()[:1] == b"<":
        from smets_emu.protocols.duis import UpdateFirmware, parse_request

        body = parse_request(data).body
        if not isinstance(body, UpdateFirmware):
            raise SmetsError("the DUIS request is not an Update Firmware (11.1) request")
        return body.firmware_image
    if len(data) > MAX_FIRMWARE_IMAGE_BYTES:
        raise InputError(f"{'<stdin>' if path == '-' else path}: {describe_size(len(data))}; {_IMAGE_LIMIT}")
    return data


def run_inspect(args: argparse.Namespace) -> int:
    try:
        data = _read_image(args.file)
        image = decode_image(data)
        info = image.to_json()
        info["file_size"] = len(data)
        if args.keystore:
            cert = Keystore.load(args.keystore).certificate(args.signer, KeyUsage.DS)
            key = None if cert is None else cert.public_key()
            info["signature_valid"] = isinstance(key, ec.EllipticCurvePublicKey) and verify_image(image, key)
    except (SmetsError, OSError) as exc:
        print(f"smets-emu firmware inspect: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(info))
    else:
        width = max(len(k) for k in info)
        for name, value in info.items():
            print(f"{name:<{width}}  {'-' if value is None else value}")
    if info.get("signature_valid") is False:
        print(f"smets-emu firmware inspect: the image's signature does not verify with {args.signer}'s DS key",
              file=sys.stderr)
        return 1
    return 0
