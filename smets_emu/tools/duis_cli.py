"""``smets-emu duis``: submit DUIS requests to the DSP/S1SP, generate SMETS1 fleets, run the SECMP0107 correction."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from smets_emu.errors import InputError, SmetsError
from smets_emu.inputs import read_file, read_stream
from smets_emu.parties.smets1.correction import correct_network_operator_certificates
from smets_emu.parties.smets1.dsp import Dsp
from smets_emu.parties.smets1.scenario import generate_fleet, seed_default_scenario
from smets_emu.parties.smets1.store import SWITCH_SECMP0107_DSP, SWITCH_SECMP0107_S1SP, Store
from smets_emu.parties.smets1.validation import UserRole
from smets_emu.protocols.duis import ResponseCode, parse_response
from smets_emu.protocols.duis.xml import MAX_DOCUMENT_BYTES

log = logging.getLogger(__name__)


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``duis submit``, ``duis fleet`` and ``duis correct-no-certs``."""
    duis = sub.add_parser("duis", help="DUIS service requests to the DSP and SMETS1 Service Provider")
    commands = duis.add_subparsers(dest="duis_command", required=True)

    submit = commands.add_parser(
        "submit", help="submit DUIS request files and print each response (exit 1 unless every code is a success)"
    )
    submit.add_argument("files", nargs="+", metavar="FILE", help="DUIS request XML ('-' for stdin)")
    submit.add_argument("--as", dest="role", metavar="ROLE", help="user role to act in (IS, ES, GS, ED, GT, OU)")
    submit.add_argument("--state", metavar="DB", help="SQLite state (seeded with the default scenario if new)")
    submit.add_argument("--secmp0107", choices=("on", "off"), help="set the SECMP0107 switch at DSP and S1SP")
    submit.add_argument("--json-lines", action="store_true",
                        help="one JSON object per file: file, response_code, success, description, response (XML)")
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
    """Entry point of ``smets-emu duis submit``.

    Prints, per file, a ``== FILE: CODE description`` line and the response XML (``--json-lines``:
    one JSON object per file). Exit 0 when every response code is a success (``I`` codes), 1 when
    any is not or a file could not be read, 2 on a bad option.
    """
    try:
        role = UserRole.parse(args.role) if args.role else None
    except ValueError as exc:
        print(f"smets-emu duis submit: {exc}", file=sys.stderr)
        return 2
    store = open_state(args.state)  # a SmetsError: the command line's message and exit 2
    if args.secmp0107 is not None:
        for name in (SWITCH_SECMP0107_DSP, SWITCH_SECMP0107_S1SP):
            store.set_switch(name, args.secmp0107 == "on")
    from smets_emu.parties.smets1.request_ids import RequestIdRule
    from smets_emu.parties.smets2_dsp import gateway_for_inventory

    # a throw-away fleet: template counters (1000) are taken; the ceiling and "above the last" still hold
    dsp = Dsp(store, smets2=gateway_for_inventory(store), request_ids=RequestIdRule(past=None))
    status = 0
    try:
        for item in args.files:
            name = "<stdin>" if item == "-" else item
            try:
                if item == "-":
                    data = read_stream(sys.stdin.buffer, MAX_DOCUMENT_BYTES, name=name, what="a DUIS request")
                else:
                    data = read_file(item, MAX_DOCUMENT_BYTES, what="a DUIS request")
            except InputError as exc:
                print(f"smets-emu duis submit: {exc}", file=sys.stderr)
                status = 1
                continue
            xml = dsp.submit_xml(data, user_role=role)
            code = parse_response(xml).response_code
            if not code.is_success:
                status = 1
            _print_response(args, name, code, xml.decode("utf-8"))
    finally:
        store.close()
    return status


def _print_response(args: argparse.Namespace, name: str, code: ResponseCode, xml: str) -> None:
    if args.json_lines:
        record = {"file": name, "response_code": code.value, "success": code.is_success,
                  "description": code.description, "response": xml}
        sys.stdout.write(json.dumps(record) + "\n")
        return
    sys.stdout.write(f"== {name}: {code.value} {code.description}\n")
    sys.stdout.write(xml if xml.endswith("\n") else xml + "\n")


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
    store = Store(args.state)  # a SmetsError: the command line's message and exit 2
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
