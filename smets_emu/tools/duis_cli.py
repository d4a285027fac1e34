"""``smets-emu duis``: submit DUIS requests to the DSP/S1SP, generate SMETS1 fleets, run the SECMP0107 correction."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from smets_emu.emulator.smets1.correction import correct_network_operator_certificates
from smets_emu.emulator.smets1.dsp import Dsp
from smets_emu.emulator.smets1.scenario import generate_fleet, seed_default_scenario
from smets_emu.emulator.smets1.store import SWITCH_SECMP0107_DSP, SWITCH_SECMP0107_S1SP, Store
from smets_emu.emulator.smets1.validation import UserRole
from smets_emu.errors import SmetsError

log = logging.getLogger(__name__)


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``duis submit``, ``duis fleet`` and ``duis correct-no-certs``."""
    duis = sub.add_parser("duis", help="DUIS service requests to the DSP and SMETS1 Service Provider")
    commands = duis.add_subparsers(dest="duis_command", required=True)

    submit = commands.add_parser("submit", help="submit a DUIS request file and print the response XML")
    submit.add_argument("files", nargs="+", metavar="FILE", help="DUIS request XML ('-' for stdin)")
    submit.add_argument("--as", dest="role", metavar="ROLE", help="user role to act in (IS, ES, GS, ED, GT, OU)")
    submit.add_argument("--state", metavar="DB", help="SQLite state (seeded with the default scenario if new)")
    submit.add_argument("--secmp0107", choices=("on", "off"), help="set the SECMP0107 switch at DSP and S1SP")
    submit.set_defaults(func=run_submit)

    fleet = commands.add_parser("fleet", help="generate a SMETS1 fleet into a state database")
    fleet.add_argument("--state", metavar="DB", required=True)
    fleet.add_argument("--devices", type=int, default=100_000)
    fleet.add_argument("--wrong-no", type=int, default=1_000, help="ESMEs/GPFs given a wrong network operator")
    fleet.add_argument("--seed", type=int, default=0)
    fleet.set_defaults(func=run_fleet)

    correct = commands.add_parser(
        "correct-no-certs", help="SECMP0107 Requirement 2: fix wrong network-operator certificates"
    )
    correct.add_argument("--state", metavar="DB", required=True)
    correct.add_argument("--dry-run", action="store_true", help="report only")
    correct.add_argument("--json", action="store_true", help="print the report as JSON")
    correct.set_defaults(func=run_correct)


def open_state(path: str | None) -> Store:
    """The state at ``path`` (seeded with the default scenario when empty), or an in-memory default scenario."""
    store = Store(path or ":memory:")
    if store.is_empty():
        seed_default_scenario(store)
    return store


def run_submit(args: argparse.Namespace) -> int:
    try:
        role = UserRole.parse(args.role) if args.role else None
    except ValueError as exc:
        print(f"smets-emu duis submit: {exc}", file=sys.stderr)
        return 2
    try:
        store = open_state(args.state)
    except SmetsError as exc:
        print(f"smets-emu duis submit: {exc}", file=sys.stderr)
        return 2
    if args.secmp0107 is not None:
        for name in (SWITCH_SECMP0107_DSP, SWITCH_SECMP0107_S1SP):
            store.set_switch(name, args.secmp0107 == "on")
    from smets_emu.emulator.smets2_dsp import gateway_for_inventory

    dsp = Dsp(store, smets2=gateway_for_inventory(store))
    status = 0
    for item in args.files:
        try:
            data = sys.stdin.buffer.read() if item == "-" else Path(item).read_bytes()
        except OSError as exc:
            print(f"smets-emu duis submit: {item}: {exc.strerror}", file=sys.stderr)
            status = 1
            continue
        sys.stdout.write(dsp.submit_xml(data, user_role=role).decode("utf-8"))
    store.close()
    return status


def run_fleet(args: argparse.Namespace) -> int:
    try:
        store = Store(args.state)
        summary = generate_fleet(store, devices=args.devices, wrong_network_operator=args.wrong_no, seed=args.seed)
    except (SmetsError, ValueError) as exc:
        print(f"smets-emu duis fleet: {exc}", file=sys.stderr)
        return 2
    print(
        json.dumps({"devices": dict(summary.devices), "wrong_network_operator": dict(summary.wrong_network_operator)})
    )
    store.close()
    return 0


def run_correct(args: argparse.Namespace) -> int:
    try:
        store = Store(args.state)
    except SmetsError as exc:
        print(f"smets-emu duis correct-no-certs: {exc}", file=sys.stderr)
        return 2
    report = correct_network_operator_certificates(store, dry_run=args.dry_run)
    store.close()
    if args.json:
        print(json.dumps(report.to_json()))
    else:
        found = ", ".join(f"{n} {t}" for t, n in sorted(report.found.items())) or "none"
        print(f"found: {found}")
        print(f"corrected: {report.corrected_total}; skipped: {len(report.skipped)}; {report.seconds:.2f} s")
        for device, reason in report.skipped:
            print(f"  skipped {device}: {reason}")
    return 0
