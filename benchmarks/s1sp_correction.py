"""SECMP0107 Requirement 2 correction rate on a generated SMETS1 fleet.

Usage: ``python benchmarks/s1sp_correction.py [--devices N] [--wrong-no K] [--json]``

Generates a fleet into a temporary SQLite file, runs the correction (one transaction per
corrected device, with an audit row) and a second, idempotent run. With ``--json`` the last
line is a JSON object with the counts and rates.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from smets_emu.parties.smets1.correction import correct_network_operator_certificates
from smets_emu.parties.smets1.scenario import generate_fleet
from smets_emu.parties.smets1.store import Store


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--wrong-no", type=int, default=27_929, help="default: the FIA's IOC ESMEs + GPFs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "fleet.db")
        started = time.perf_counter()
        summary = generate_fleet(store, devices=args.devices, wrong_network_operator=args.wrong_no, seed=args.seed)
        generated = time.perf_counter() - started
        first = correct_network_operator_certificates(store)
        second = correct_network_operator_certificates(store)
        store.close()
    rate = first.corrected_total / first.seconds if first.seconds else 0.0
    print(f"fleet: {summary.total} SMETS1 devices in {generated:.2f} s; planted {dict(summary.wrong_network_operator)}")
    print(
        f"run 1: found {dict(first.found)}, corrected {first.corrected_total} in {first.seconds:.2f} s "
        f"({rate:,.0f} devices/s)"
    )
    print(f"run 2: found {second.found_total} in {second.seconds:.3f} s")
    if args.json:
        print(
            json.dumps(
                {
                    "devices": summary.total,
                    "planted": dict(summary.wrong_network_operator),
                    "found": dict(first.found),
                    "corrected": first.corrected_total,
                    "seconds": round(first.seconds, 3),
                    "corrections_per_second": round(rate, 1),
                    "second_run_found": second.found_total,
                }
            )
        )
    return 0 if first.found == summary.wrong_network_operator and second.found_total == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
