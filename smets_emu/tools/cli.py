"""The ``smets-emu`` command line.

Each command's module is imported only when that command runs (the lab service pulls in aiohttp,
the governance and dashboard code, and so on): ``smets-emu decode`` does not pay for ``run``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from typing import NoReturn

from smets_emu import __version__
from smets_emu.errors import SmetsError

COMMANDS: dict[str, tuple[str, str]] = {
    "decode": ("codec_cli", "decode GBCS messages (files, folders or hex) into readable trees"),
    "encode": ("codec_cli", "rebuild GBCS messages from what decode printed, one hex line each"),
    "corpus": ("corpus", "generate and check a GBCS corpus with the project's own test PKI"),
    "use-cases": ("usecases_doc", "print the GBCS use-case table as Markdown"),
    "hw": ("hw_cli", "serial lines and rigs: self-test, bridge, forward"),
    "duis": ("duis_cli", "DUIS service requests to the DSP and SMETS1 Service Provider"),
    "firmware": ("firmware_cli", "build and inspect GBCS firmware Upgrade Images"),
    "rtds-replay": ("rtds_replay_cli", "replay the DCC reference test data against emulated devices"),
    "replay": ("replay_cli", "play a capture's commands (run --capture) against a lab and report different answers"),
    "run": ("run_cli", "serve a persistent virtual fleet over TCP (GFI and binary framings), HTTP and serial"),
    "send": ("send_cli", "send one GBCS command to a running lab as a remote party and print the decoded reply"),
}
"""Every command: the module (in ``smets_emu.tools``) whose ``add_parsers`` defines it, and its one-line help."""


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


def _chosen(argv: list[str]) -> str | None:
    """The command named in *argv*: its first argument that is not an option (the top level takes no values)."""
    return next((a for a in argv if not a.startswith("-")), None)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The top-level parser: the chosen command in full (every command when *argv* is None), the others listed."""
    parser = _Parser(prog="smets-emu", description="A virtual GB smart-metering lab speaking GBCS.")
    parser.add_argument("--version", action="version", version=f"smets-emu {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (repeatable)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chosen = None if argv is None else _chosen(argv)
    full = {module for name, (module, _) in COMMANDS.items() if argv is None or name == chosen}
    added: set[str] = set()
    for name, (module, text) in COMMANDS.items():
        if module in full:
            if module not in added:
                importlib.import_module(f"smets_emu.tools.{module}").add_parsers(sub)
                added.add(module)
        else:
            sub.add_parser(name, help=text, add_help=False)
    _name_commands(parser)
    return parser


def _name_commands(parser: argparse.ArgumentParser) -> None:
    """Let every command's arguments carry its full name (``smets-emu firmware campaign``) for its error messages."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                command.set_defaults(command_name=command.prog)
                _name_commands(command)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the process exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(argv).parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except SmetsError as exc:  # a bad option, an unreadable file or state: a message and exit 2, not a traceback
        print(f"{args.command_name}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
