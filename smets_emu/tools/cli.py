"""The ``smets-emu`` command line."""

from __future__ import annotations

import argparse
import logging
import sys

from smets_emu import __version__
from smets_emu.tools import codec_cli, corpus, duis_cli, firmware_cli, hw_cli, rtds_replay, run_cli, send_cli


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every sub-command."""
    parser = argparse.ArgumentParser(prog="smets-emu", description="A virtual GB smart-metering lab speaking GBCS.")
    parser.add_argument("--version", action="version", version=f"smets-emu {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (repeatable)")
    sub = parser.add_subparsers(dest="command", required=True)
    codec_cli.add_parsers(sub)
    corpus.add_parsers(sub)
    hw_cli.add_parsers(sub)
    duis_cli.add_parsers(sub)
    firmware_cli.add_parsers(sub)
    rtds_replay.add_parsers(sub)
    run_cli.add_parsers(sub)
    send_cli.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the process exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
