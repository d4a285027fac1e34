"""Release notes: Markdown written by manufacturers, shown to suppliers as safe HTML.

SECMP0009 section 3 expects the CFL's web interface to give "basic information on available
firmware images" and the manufacturers' release notes. Notes come from another organisation, so
they are rendered with markdown-it-py in CommonMark mode with raw HTML disabled (any ``<tag>`` in
the source is shown escaped, as text), images disabled (no third-party fetches from the page) and
markdown-it's link validation (no ``javascript:``, ``vbscript:``, ``file:`` or ``data:`` links);
every link gets ``rel="nofollow noopener noreferrer"``.
"""

from __future__ import annotations

from typing import Any

from markdown_it import MarkdownIt

from smets_emu.parties.governance.errors import InvalidInput

MAX_NOTES = 64 * 1024
"""The longest release notes the CFL keeps (characters)."""

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable("image")


def _link_open(renderer: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
    tokens[idx].attrSet("rel", "nofollow noopener noreferrer")
    return str(renderer.renderToken(tokens, idx, options, env))


_md.add_render_rule("link_open", _link_open)


def check_notes(markdown: str) -> str:
    """Release notes as the CFL stores them: text, at most :data:`MAX_NOTES` characters, no NUL."""
    if not isinstance(markdown, str):
        raise InvalidInput("release notes must be text")
    if len(markdown) > MAX_NOTES:
        raise InvalidInput(f"release notes are longer than {MAX_NOTES} characters")
    if "\x00" in markdown:
        raise InvalidInput("release notes contain a NUL character")
    return markdown


def render_notes(markdown: str) -> str:
    """Markdown release notes as safe HTML (raw HTML escaped, no images, safe links only)."""
    return str(_md.render(check_notes(markdown)))
