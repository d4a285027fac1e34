"""The ``smets-emu`` command line."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import NoReturn

from smets_emu import __version__
from smets_emu.errors import SmetsError
from smets_emu.tools import (
    codec_cli,
    corpus,
    duis_cli,
    firmware_cli,
    hw_cli,
    replay_cli,
    rtds_replay,
    run_cli,
    send_cli,
)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose "command missing" error names the unrecognised arguments and lists the commands.

    argparse reports a missing sub-command before unrecognised options, so ``smets-emu --bogus``
    would only say "the following arguments are required: command".
    """

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[no-untyped-def,override]
        self._given = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> NoReturn:
        commands = self._commands()
        if commands is not None and message.startswith("the following arguments are required"):
            given = getattr(self, "_given", [])
            unknown = [a for a in given if a.startswith("-") and a.split("=")[0] not in self._option_string_actions]
            message = (f"unrecognized arguments: {' '.join(unknown)}; " if unknown else "") + (
                f"give a command: {', '.join(commands)} ('{self.prog} COMMAND --help' for its options)"
            )
        super().error(message)

    def _commands(self) -> list[str] | None:
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                return list(action.choices)
        return None


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every sub-command."""
    parser = _Parser(prog="smets-emu", description="A virtual GB smart-metering lab speaking GBCS.")
    parser.add_argument("--version", action="version", version=f"smets-emu {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (repeatable)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    codec_cli.add_parsers(sub)
    corpus.add_parsers(sub)
    hw_cli.add_parsers(sub)
    duis_cli.add_parsers(sub)
    firmware_cli.add_parsers(sub)
    rtds_replay.add_parsers(sub)
    replay_cli.add_parsers(sub)
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
    except SmetsError as exc:  # a command's own handling missed it: still a message, not a traceback
        print(f"smets-emu {args.command}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
