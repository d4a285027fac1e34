"""``smets-emu firmware campaign`` and ``smets-emu firmware versions``: staged fleet firmware campaigns (digest 7.3).

``campaign`` distributes an Upgrade Image to lab devices through their CHFs in staged groups on
the lab's virtual clock, pauses when a stage's failed fraction exceeds the error threshold,
optionally activates the image (CS06) and prints a summary; a text progress bar goes to stderr.
``--report FILE.html`` also writes the campaign's self-contained HTML report
(:mod:`smets_emu.tools.campaign_report`), from the same summary, at the end of a run or with ``--status``.
Run it again to continue an interrupted campaign, with ``--resume`` after a pause, or
``--abort``. Exit status: 0 completed, 3 paused, 2 error.

``--from-cfl MODEL@VERSION`` takes the image from the lab's Centralised Firmware Library instead of
a file: as a supplier party (``--party``, free access under SECMP0009, no relationship with the
manufacturer needed) the campaign downloads the non-commercial image for that device model and
version, refuses one that is commercial, unknown or not yet on the CPL (SRV 11.1/11.3 would be
refused with E110101), and signs it with the supplier's digital signing key from the lab's PKI
(``--signer``), as GBCS has the supplier sign an Upgrade Image before it is distributed.

Both commands open the lab themselves, so they refuse (exit 2, naming the owner's PID and
endpoints) a lab that another process, such as ``smets-emu run``, has open: one process owns a
lab (see :mod:`smets_emu.tools.lab_lock`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from smets_emu.errors import SmetsError
from smets_emu.inputs import MAX_FIRMWARE_IMAGE_BYTES, read_file
from smets_emu.parties.campaign import (
    ABORTED,
    COMPLETED,
    PAUSED,
    RUNNING,
    Campaign,
    CampaignProgress,
    fleet_versions,
    parse_stages,
)
from smets_emu.parties.headend import HeadEnd
from smets_emu.tools.lab import Lab, open_lab

BAR_WIDTH = 30


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``campaign`` and ``versions`` under ``smets-emu firmware``."""
    camp = commands.add_parser("campaign", help="distribute an image to fleet devices in staged groups")
    camp.add_argument("--state", required=True, metavar="DIR|FILE", help="lab folder or its state.sqlite")
    source = camp.add_mutually_exclusive_group()
    source.add_argument("--image", metavar="FILE", help="the Upgrade Image (supplier-signed)")
    source.add_argument("--from-cfl", metavar="MODEL@VERSION",
                        help="download the image for this device model and version from the lab's CFL")
    camp.add_argument("--party", default="supplier-a", help="the supplier organisation downloading from the CFL")
    camp.add_argument("--signer", default="90B3D51F30010000",
                      help="EUI of the supplier whose DS key signs the CFL image (default the lab's supplier)")
    group = camp.add_mutually_exclusive_group()
    group.add_argument("--targets", nargs="+", metavar="EUI", help="target devices")
    group.add_argument("--all", choices=("ESME", "GSME", "CHF", "GPF"), help="every device of this type")
    camp.add_argument("--stages", default="1,10,100", help="cumulative percentages (default 1,10,100)")
    camp.add_argument("--error-threshold", type=float, default=0.05,
                      help="failed fraction of a stage that pauses the campaign (default 0.05)")
    camp.add_argument("--activate", default="none", metavar="now|ISO|none",
                      help="CS06 after each stage: immediately, future-dated at ISO time, or not (default)")
    camp.add_argument("--stage-timeout", type=float, default=86400.0, metavar="SECONDS",
                      help="virtual time a stage may take (default one day)")
    action = camp.add_mutually_exclusive_group()
    action.add_argument("--resume", action="store_true", help="continue a paused campaign")
    action.add_argument("--retry-failed", action="store_true", help="continue a paused campaign, retrying failures")
    action.add_argument("--abort", action="store_true", help="abort the stored campaign")
    action.add_argument("--status", action="store_true", help="print the stored campaign's summary")
    camp.add_argument("--json", action="store_true", help="the summary as JSON")
    camp.add_argument("--report", metavar="FILE.html",
                      help="also write a self-contained HTML report (at the end of a run, or with --status)")
    camp.set_defaults(func=run_campaign)

    versions = commands.add_parser("versions", help="which device runs which firmware version")
    versions.add_argument("--state", required=True, metavar="DIR|FILE", help="lab folder or its state.sqlite")
    versions.add_argument("--type", action="append", choices=("ESME", "GSME", "CHF", "GPF"), dest="types")
    versions.add_argument("--json", action="store_true")
    versions.set_defaults(func=run_versions)


def _open(state: str) -> Lab:
    path = Path(state)
    if path.is_file():
        return open_lab(path.parent, state_path=path)
    if not path.is_dir():
        raise SmetsError(f"{state}: no lab folder or state file")
    return open_lab(path)


class ProgressBar:
    """A one-line text progress bar on stderr."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream or sys.stderr

    def __call__(self, p: CampaignProgress) -> None:
        filled = int(BAR_WIDTH * p.done / p.total) if p.total else BAR_WIDTH
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self.stream.write(f"\r[{bar}] {p.done}/{p.total} stage {p.stage + 1}/{p.stages} ({p.stage_name}) "
                          f"{p.phase} ok {p.ok} failed {p.failed} {p.clock:%Y-%m-%d %H:%M:%S}Z ")
        self.stream.flush()

    def end(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def _activation(text: str) -> str | dt.datetime | None:
    if text == "none":
        return None
    if text == "now":
        return "now"
    when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _print_summary(summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary))
        return
    record = summary["campaign"]
    print(f"campaign {record['id']}: {record['status']}" + (f" ({record['reason']})" if record["reason"] else ""))
    print(f"image version {record['version']}, hash {record['image_hash']}, {record['size']} bytes")
    for stage in record["stage_results"]:
        print(f"  stage {stage['stage'] + 1} {stage['name']:>5}: ok {stage['ok']}, failed {stage['failed']}")
    print(f"targets {summary['targets']}: " + ", ".join(f"{k} {v}" for k, v in summary["outcomes"].items()))
    for reason, info in summary["failures"].items():
        print(f"  failed ({reason}): {info['count']}")
    print("alerts: " + ", ".join(f"{k} {v}" for k, v in summary["alerts"].items()))
    print(f"blocks delivered {summary['blocks']['delivered']}, lost {summary['blocks']['lost']}; "
          f"virtual time {summary['virtual_time_s']:.1f} s")
    for version, euis in summary["versions"]["running"].items():
        print(f"  running {version}: {len(euis)} device(s)")


def run_campaign(args: argparse.Namespace) -> int:
    bar = ProgressBar()
    lab = _open(args.state)  # a SmetsError: the command line's message and exit 2
    try:
        headend = HeadEnd(lab.keystore)
        campaign = Campaign.load(lab.fleet, headend=headend, progress=bar)
        active = campaign is not None and campaign.status in (RUNNING, PAUSED)
        if args.abort or args.status:
            if campaign is None:
                raise SmetsError("no campaign in this lab")
            if args.abort:
                campaign.abort()
            _print_summary(campaign.summary(), args.json)
            _write_report(campaign, args.report)
            return 0
        data = _read_image(args.image) if args.image else _from_cfl(lab, args) if args.from_cfl else None
        if active and campaign is not None:
            if data is not None and campaign.record["file"] != _file_ref(data):
                raise SmetsError(f"campaign {campaign.record['id']} is {campaign.status}: resume or abort it first")
            if campaign.status == PAUSED and not (args.resume or args.retry_failed):
                _print_summary(campaign.summary(), args.json)
                _write_report(campaign, args.report)
                print("campaign paused: --resume, --retry-failed or --abort", file=sys.stderr)
                return 3
            status = campaign.resume(retry_failed=args.retry_failed)
        else:
            if data is None:
                raise SmetsError("give --image or --from-cfl")
            if args.targets:
                targets = [bytes.fromhex(t) for t in args.targets]
            else:
                kind = args.all or "ESME"
                targets = [e for e, d in lab.fleet.devices.items() if d.device_type == kind]
            now = lab.saved_clock() or dt.datetime.now(dt.UTC).replace(microsecond=0)
            campaign = Campaign.create(
                lab.fleet, data, targets, now, stages=parse_stages(args.stages),
                error_threshold=args.error_threshold, activate=_activation(args.activate),
                stage_timeout=dt.timedelta(seconds=args.stage_timeout), headend=headend, progress=bar)
            status = campaign.run()
        bar.end()
        lab.save_clock(campaign.clock)
        _print_summary(campaign.summary(), args.json)
        _write_report(campaign, args.report)
        if status == PAUSED:
            print(f"campaign paused: {campaign.record['reason']}", file=sys.stderr)
            return 3
        return 0 if status in (COMPLETED, ABORTED) else 2
    except (SmetsError, OSError, ValueError) as exc:
        print(f"\nsmets-emu firmware campaign: {exc}", file=sys.stderr)
        return 2
    finally:
        lab.close()


def _write_report(campaign: Campaign, path: str | None) -> None:
    """Write the campaign's HTML report to *path* (if given), through a temporary file beside it."""
    if not path:
        return
    from smets_emu.tools.campaign_report import campaign_report

    target = Path(path)
    text = campaign_report(campaign, generated=dt.datetime.now(dt.UTC))
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(target)
    print(f"report written to {target}", file=sys.stderr)


def _read_image(path: str) -> bytes:
    """The Upgrade Image file, read with the OTA path's size cap (``inputs.MAX_FIRMWARE_IMAGE_BYTES``)."""
    return read_file(path, MAX_FIRMWARE_IMAGE_BYTES, what="an Upgrade Image (the most the OTA path takes)")


def _from_cfl(lab: Lab, args: argparse.Namespace) -> bytes:
    """The CFL image for ``MODEL@VERSION``, downloaded as ``--party`` and signed by ``--signer``."""
    from smets_emu.tools.lab_governance import open_lab_governance

    governance = open_lab_governance(lab)
    try:
        return cfl_image(governance, lab, str(args.from_cfl), args.party, args.signer)
    finally:
        governance.close()


def cfl_image(governance: Any, lab: Lab, spec: str, party_id: str, signer: str) -> bytes:
    """The CFL image for *spec* (``MODEL@VERSION``) downloaded as supplier *party_id*, signed by *signer*.

    Refused (:class:`SmetsError`) when the party is no supplier, or the image is unknown,
    commercially developed (the CFL never distributes it) or not on the CPL yet.
    """
    from cryptography.hazmat.primitives.asymmetric import ec

    from smets_emu.parties.governance import AccessRefused, PartyRole, UnknownObject
    from smets_emu.protocols.firmware import decode_image, sign_image
    from smets_emu.protocols.keystore import KeyUsage

    model, sep, version = spec.partition("@")
    if not sep or not model or not version:
        raise SmetsError(f"--from-cfl wants MODEL@VERSION (e.g. 0F0A030B@0A010000), not {spec!r:.60}")
    party = governance.organisation(party_id)
    if party.role is not PartyRole.SUPPLIER:
        raise SmetsError(f"--party {party.org_id} is a {party.role.value}: a campaign downloads as a supplier")
    try:
        image = governance.cfl_find(party.org_id, model, version)
    except UnknownObject as exc:
        raise SmetsError(f"CFL: {exc}") from exc
    if image.commercial:
        raise SmetsError(f"CFL image {image.image_id} ({model}@{version}) is commercially developed: the CFL "
                         "lists it but never distributes it; get it from its manufacturer")
    if image.cpl_status != "listed":
        raise SmetsError(f"CFL image {image.image_id} ({model}@{version}) is not on the CPL yet: the DSP would "
                         "refuse SRV 11.1/11.3 with E110101 until its DMC passes PPCT")
    try:
        data = governance.cfl_download(party.org_id, image.image_id)
    except AccessRefused as exc:
        raise SmetsError(f"CFL: {exc}") from exc
    key = lab.keystore.private_key(signer, KeyUsage.DS)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise SmetsError(f"no digital signing key of supplier {signer} in the lab's PKI")
    return sign_image(decode_image(data), key).encode()


def _file_ref(data: bytes) -> str:
    from smets_emu.emulator.firmware.codes import file_reference

    return file_reference(data)


def run_versions(args: argparse.Namespace) -> int:
    lab = _open(args.state)  # a SmetsError: the command line's message and exit 2
    try:
        versions = fleet_versions(lab.fleet, types=args.types)
    finally:
        lab.close()
    if args.json:
        print(json.dumps(versions))
        return 0
    for kind, counts in versions["by_type"].items():
        for version, count in counts.items():
            print(f"{kind:5} {version}  {count} device(s)")
    for version, euis in versions["pending"].items():
        print(f"pending {version}: {len(euis)} device(s)")
    return 0
