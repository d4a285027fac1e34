"""``smets-emu rtds-replay``: the command line of the RTDS replay (:mod:`smets_emu.tools.rtds_replay`)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

from smets_emu.protocols.rtds import find_rtds_root
from smets_emu.tools.rtds_replay import FolderResult, replay
from smets_emu.tools.rtds_strict import side_by_side, strict_differences


def strict_totals(results: list[FolderResult]) -> dict[str, int]:
    """Strict verdict counts, conforming use cases split by whether an ERROR outcome was injected."""
    counts = Counter(r.strict_verdict for r in results)
    conform = [r for r in results if r.strict_verdict == "conform"]
    return {"conform": counts["conform"], "differ": counts["differ"], "unsupported": counts["unsupported"],
            "conform_on_its_own": sum(not r.outcome_injected for r in conform),
            "conform_outcome_injected": sum(r.outcome_injected for r in conform)}


class _TerminalProgress:
    """One self-overwriting status line on a terminal: folders done, counts so far, the current folder."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.counts: Counter[str] = Counter()
        self.stream.write("rtds-replay: loading the RTDS messages and keystore...\r")
        self.stream.flush()

    def __call__(self, done: int, total: int, result: FolderResult) -> None:
        self.counts[result.verdict] += 1
        line = (f"rtds-replay: {done}/{total} use cases ({self.counts['conform']} conform, "
                f"{self.counts['differ']} differ, {self.counts['unsupported']} unsupported) {result.folder}")
        self.stream.write(f"\r\x1b[K{line[:200]}")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\r\x1b[K")
        self.stream.flush()


def run_replay(args: argparse.Namespace) -> int:
    """Entry point of ``smets-emu rtds-replay``: exit 0 when no use case differs, 1 when one does, 2 on bad input.

    On a terminal, stderr shows progress while the folders are replayed; stderr always ends with a
    one-line summary (time taken, and the use cases that differ).
    """
    root = Path(args.rtds) if args.rtds else find_rtds_root()
    if root is None or not root.is_dir():
        sys.stderr.write("RTDS folder not found (give --rtds DIR)\n")
        return 2
    started = time.monotonic()
    progress = _TerminalProgress(sys.stderr) if sys.stderr.isatty() else None
    try:
        results = replay(root, only=args.folder, preconditions=not args.no_preconditions, progress=progress)
    finally:
        if progress is not None:
            progress.close()
    if args.folder and not results:
        sys.stderr.write(f"rtds-replay: no use-case folder named {', '.join(args.folder)} under {root}\n")
        return 2
    if args.explain:
        for r in results:
            for name, expected, ours in r.pairs:
                sys.stdout.write(f"== {r.folder} / {name}\n{side_by_side(expected, ours)}\n")
                differences = strict_differences(expected, ours)
                sys.stdout.write("".join(f"  differs: {d}\n" for d in differences) or "  no field differs\n")
    totals = Counter(r.verdict for r in results)
    width = max((len(r.folder) for r in results), default=10)
    for r in results:
        verdict, reason = (r.strict_verdict, r.strict_reason) if args.strict else (r.verdict, r.reason)
        sys.stdout.write(f"{r.folder:<{width}}  {verdict:<11}  {reason[:160]}\n")
    total = len(results)
    sys.stdout.write(
        f"\n{total} use cases: {totals['conform']} conform ({100 * totals['conform'] / max(total, 1):.1f}%), "
        f"{totals['differ']} differ, {totals['unsupported']} unsupported"
        f"{' (without scenario preconditions)' if args.no_preconditions else ''}\n"
    )
    strict = strict_totals(results)
    if args.strict:
        sys.stdout.write(
            f"strict: {strict['conform']} conform ({strict['conform_on_its_own']} with no injected outcome, "
            f"{strict['conform_outcome_injected']} with an injected ERROR outcome), {strict['differ']} differ\n")
    if args.json:
        summary: dict[str, Any] = {
            "by_use_case": {r.folder: r.verdict for r in results},
            "totals": {"use_cases": total, "conform": totals["conform"], "differ": totals["differ"],
                       "unsupported": totals["unsupported"],
                       "conform_on_its_own": sum(r.verdict == "conform" and not r.outcome_injected for r in results),
                       "conform_outcome_injected": sum(r.verdict == "conform" and r.outcome_injected
                                                       for r in results)},
            "by_use_case_strict": {r.folder: r.strict_verdict for r in results},
            "strict_totals": strict,
            "injected": {r.folder: sorted(r.injected) for r in results if r.injected},
        }
        if args.strict:
            summary["strict_differences"] = {r.folder: r.strict_reason for r in results
                                             if r.strict_verdict == "differ"}
        if args.verbose_json:
            summary["details"] = [r.to_json() for r in results]
        sys.stdout.write(json.dumps(summary) + "\n")
    differ = [r.folder for r in results if (r.strict_verdict if args.strict else r.verdict) == "differ"]
    shown = ", ".join(differ[:5]) + (f" and {len(differ) - 5} more" if len(differ) > 5 else "")
    sys.stderr.write(f"rtds-replay: {total} use cases in {time.monotonic() - started:.1f} s; "
                     + (f"{len(differ)} differ ({shown}): exit 1\n" if differ else "none differs\n"))
    return 1 if differ else 0


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``smets-emu rtds-replay``."""
    p = sub.add_parser(
        "rtds-replay", help="replay the DCC reference test data against emulated devices",
        description="Replay every RTDS use case on emulated devices (RTDS EUIs and organisation certificates, "
                    "fresh device keys) and compare each response and alert with the RTDS one. Scenario "
                    "preconditions are derived from the RTDS scenario: ERROR scenarios are replayed by injecting "
                    "the device fault the RTDS response reports, through the devices' fault-injection features; "
                    "the rest of every response comes from the device model.")
    p.add_argument("--rtds", metavar="DIR", help="the rtds folder (RTDS-x.y.z/ and keystore/); default ../shared/rtds")
    p.add_argument("--json", action="store_true", help="last line: JSON summary with by_use_case and totals")
    p.add_argument("--verbose-json", action="store_true", help="with --json, include per-file details and notes")
    p.add_argument("--folder", action="append", help="replay only this use-case folder (repeatable)")
    p.add_argument("--no-preconditions", action="store_true",
                   help="replay on bare devices: no injected faults, joins or other scenario preconditions")
    p.add_argument("--strict", action="store_true",
                   help="compare every field of the envelope and payload (but for the documented legitimate ones: "
                        "MACs, signatures, date-time values, alert counters, ephemeral and device keys); the exit "
                        "status follows the strict verdicts")
    p.add_argument("--explain", action="store_true",
                   help="print each compared RTDS message beside the emulator's, decoded, with the fields that "
                        "differ (use with --folder)")
    p.set_defaults(func=run_replay)
