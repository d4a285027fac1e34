"""``smets-emu use-cases``: docs/use-cases.md is the table's current rendering."""

from __future__ import annotations

from pathlib import Path

from smets_emu.tools import cli
from smets_emu.tools.usecases_doc import DOC_PATH, render

REPO = Path(__file__).resolve().parents[2]


def test_docs_are_current() -> None:
    assert (REPO / DOC_PATH).read_text() == render(), "regenerate with: smets-emu use-cases --write"


def test_cli_prints_the_table(capsys) -> None:  # type: ignore[no-untyped-def]
    assert cli.main(["use-cases"]) == 0
    out = capsys.readouterr().out
    assert "| 0x0059 | ECS52 |" in out and out == render()
