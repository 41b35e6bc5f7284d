"""Python source as syntax-highlighted HTML, one fragment per line.

The report puts every source line in its own table row (to mark it and to hang its mutants
under it), so the highlighted HTML is split per line. Pygments' ``HtmlFormatter`` closes its
``<span>`` elements at every line end, so each fragment is well-formed on its own. Tokens come
from ``FastPythonLexer`` (see ``lexer.py`` for why not Pygments' own Python lexer).
"""

from __future__ import annotations

from html import escape

from markupsafe import Markup
from pygments import format as format_tokens
from pygments.formatters import HtmlFormatter

from mutgate.report.diff import split_lines
from mutgate.report.lexer import FastPythonLexer

#: Files larger than this are shown without colors: highlighting them would slow the report.
MAX_HIGHLIGHT_CHARS = 1_000_000

_STYLE = "default"
_LEXER = FastPythonLexer()
_FORMATTER = HtmlFormatter(nowrap=True)


def highlight_lines(source: str) -> list[Markup]:
    """Escaped, highlighted HTML for each line of ``source`` (same numbering as the mutants)."""
    plain = split_lines(source)
    if len(source) > MAX_HIGHLIGHT_CHARS:
        return [Markup(escape(line, quote=False)) for line in plain]
    text = "\n".join(plain) + "\n"
    rows = format_tokens(_LEXER.tokens(text), _FORMATTER).split("\n")
    if len(rows) < len(plain):
        rows += [escape(line, quote=False) for line in plain[len(rows) :]]
    return [Markup(row) for row in rows[: len(plain)]]


def highlight_css(scope: str) -> str:
    """The token colors, for elements inside ``scope`` (a CSS selector)."""
    return HtmlFormatter(style=_STYLE).get_style_defs(scope)
