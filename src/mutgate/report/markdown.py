r"""A short Markdown summary of a run, for a PR comment or a GitHub step summary.

It is read twice: raw (in a terminal, a CI log, the file itself) and rendered, where untrusted
text meets a renderer: source snippets and test names may hold ``|``, backticks, HTML,
``__dunder__`` or ``$math$``. Every such value (ids, paths, test names, code) is written as a
Markdown code span, whose content every renderer shows as typed: no emphasis, link, tag, math,
mention or emoji is made inside one. The span's fence is a run of backticks longer than any in
the value, and in a table cell a ``|`` is written ``\|`` (GFM takes the backslash out again,
even in a code span), so no table is broken and the raw text still reads as the value.

A value that holds markup itself (``<script>``, ``&amp;``) goes into an HTML ``<code>`` element
instead, its special characters written as character references: the file never holds a tag
or an entity of the project's, raw or rendered, and only such rare values read less well raw.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mutgate.outcome import KILLED, NO_TESTS, SURVIVED, TIMEOUT
from mutgate.report.output import write_report_file
from mutgate.report.summary import (
    format_score,
    mutant_order,
    overall_counts,
    overall_score,
)
from mutgate.text import one_line

_COLUMNS = (
    (KILLED, "killed"),
    (SURVIVED, "survived"),
    (TIMEOUT, "timeout"),
    ("error", "error"),
    ("skipped", "skipped"),
    (NO_TESTS, "no tests"),
)

# Inside a word, characters Markdown, GitHub's extensions (tables, strikethrough, math) or
# HTML give a meaning to; at the start of a line, those that open a block.
_INLINE = frozenset("\\`*_[]<>|~$&")
_BLOCK = re.compile(r"[#>+=-]|\d+[.)]")
_BACKTICKS = re.compile(r"`+")
#: What a renderer could take for HTML: a tag (``<b``, ``</x``, ``<!--``, ``<?``) or an entity.
_MARKUP = re.compile(r"<[A-Za-z/!?]|&(#\d+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);")
# Characters that Markdown, GitHub's extensions (tables, math) or HTML give a meaning to even
# inside an HTML ``<code>`` element. Mentions, issue links and emoji are not made in code.
_REFERENCES = {ord(c): f"&#{ord(c)};" for c in "|`*_[]~\\$"}
_REFERENCES.update({ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;"})
_OPEN, _CLOSE = "([{\"'", ".,:;!?)]}\"'"

_MAX_CELL = 80
_MAX_TESTS = 3


def code_span(text: str, *, in_table: bool = False) -> str:
    """One line of ``text`` as a Markdown code span: shown as typed by every renderer.

    The fence is one backtick longer than the longest run of backticks in ``text``, with a
    space inside it when ``text`` starts or ends with a backtick (CommonMark strips one such
    space on each side); ``in_table`` writes ``|`` as ``\\|``. Text holding markup becomes an
    HTML ``<code>`` element with character references instead (see the module's docstring).
    """
    text = one_line(text)
    if _MARKUP.search(text):
        return f"<code>{text.translate(_REFERENCES)}</code>"
    if in_table:
        text = text.replace("|", "\\|")
    if not text:
        return "` `"
    fence = "`" * (1 + max((len(run) for run in _BACKTICKS.findall(text)), default=0))
    pad = " " if text[0] == "`" or text[-1] == "`" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def escape_markdown(text: str) -> str:
    """``text`` as Markdown prose that shows literally and still reads as itself raw.

    Words without a special character stay as they are; a word with one (a path with
    ``__init__``, ``<b>``, ``$x$``), or one that would open a block at the start of the line,
    becomes a code span, with punctuation around it left outside. Line breaks and runs of
    whitespace become single spaces.
    """
    words = one_line(text).split(" ")
    out = []
    for index, word in enumerate(words):
        if not (set(word) & _INLINE or (index == 0 and _BLOCK.match(word))):
            out.append(word)
            continue
        core = word.lstrip(_OPEN)
        lead = word[: len(word) - len(core)]
        bare = core.rstrip(_CLOSE)
        trail = core[len(bare):]
        out.append(lead + code_span(bare) + trail if bare else code_span(word))
    return " ".join(out)


def code(text: str, limit: int = _MAX_CELL) -> str:
    """``text`` as a code span in a table cell, shortened to ``limit`` characters."""
    return code_span(one_line(text, limit), in_table=True)


def to_markdown(
    results: Mapping[str, Any], baseline_score: float | None = None, max_rows: int = 30
) -> str:
    """The summary: score (and change against ``baseline_score``), counts, top survivors.

    Survivors are listed by file and line, at most ``max_rows`` of them.
    """
    value = overall_score(results)
    counts = overall_counts(results)
    lines = [f"### mutgate: mutation score {_headline(value, baseline_score, results)}", ""]
    lines.append("| " + " | ".join(label for _, label in _COLUMNS) + " | total |")
    lines.append("|" + "---:|" * (len(_COLUMNS) + 1))
    total = results.get("total", sum(counts.values()))
    cells = [str(counts.get(status, 0)) for status, _ in _COLUMNS]
    lines.append("| " + " | ".join(cells) + f" | {total} |")
    lines.append("")
    survivors = sorted(
        (m for m in results.get("mutants") or () if m.get("status") == SURVIVED),
        key=mutant_order,
    )
    if not survivors:
        lines.append("No surviving mutants." if value is not None else "No mutant was scored.")
        return "\n".join(lines) + "\n"
    shown = survivors[: max(0, max_rows)]
    heading = f"#### Surviving mutants ({len(survivors)})"
    if len(shown) < len(survivors):
        heading = f"#### Surviving mutants (first {len(shown)} of {len(survivors)})"
    lines += [heading, "", "| location | operator | change | covered by |", "|---|---|---|---|"]
    lines += [_survivor_row(mutant) for mutant in shown]
    if len(shown) < len(survivors):
        lines += ["", f"…and {len(survivors) - len(shown)} more (see the full report)."]
    return "\n".join(lines) + "\n"


def write_markdown(
    results: Mapping[str, Any], out_file: Path, baseline_score: float | None = None
) -> Path:
    """Write ``to_markdown(results, baseline_score)`` to ``out_file`` atomically; return its
    path."""
    out_file = Path(out_file)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    write_report_file(out_file, to_markdown(results, baseline_score))
    return out_file


def _headline(value: float | None, baseline: float | None, results: Mapping[str, Any]) -> str:
    """``**83.3%** (−1.2 pts vs baseline 84.5%)``, with the sample's interval when sampled."""
    text = f"**{format_score(value)}**"
    ci95 = (results.get("run") or {}).get("ci95")
    if ci95 and len(ci95) == 2:
        text += f" (95% CI {float(ci95[0]):.1f}–{float(ci95[1]):.1f}%)"
    if baseline is not None and value is not None:
        delta = value - baseline
        arrow = "▲" if delta > 0.05 else "▼" if delta < -0.05 else "="
        text += f" {arrow} {delta:+.1f} pts vs baseline {format_score(baseline)}"
    elif baseline is not None:
        text += f" (baseline {format_score(baseline)})"
    return text


def _survivor_row(mutant: Mapping[str, Any]) -> str:
    where = code(f"{mutant.get('file', '?')}:{mutant.get('line', '?')}")
    change = f"{code(str(mutant.get('original', '')))} → {code(str(mutant.get('replacement', '')))}"
    tests = [str(t) for t in mutant.get("covered_by") or ()]
    covered = ", ".join(code(t) for t in tests[:_MAX_TESTS]) or "–"
    if len(tests) > _MAX_TESTS:
        covered += f" +{len(tests) - _MAX_TESTS} more"
    return f"| {where} | {code(str(mutant.get('operator', '')))} | {change} | {covered} |"
