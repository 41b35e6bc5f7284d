"""The unified diff of one mutant: the original line(s) against the mutated line(s).

Every reporter that shows a mutant (HTML, JUnit, ``mutgate show``) shows it the same way: the
mutant's ``original`` text is replaced by its ``replacement`` at its 1-based ``line``/``col`` in
the source, and only the lines that change (plus ``context`` lines around them) are diffed, so
the cost does not grow with the size of the file.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from mutgate.mutant import LINE_BREAK, splice

_HUNK = re.compile(r"^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@$")


def split_lines(text: str) -> list[str]:
    """Split ``text`` into lines without their endings, on ``\\n``, ``\\r\\n`` and ``\\r``.

    Unlike ``str.splitlines`` this does not break on form feeds or Unicode separators, so the
    numbering agrees with Python's tokenizer (and with the mutants' line numbers).
    """
    lines = LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


@lru_cache(maxsize=4)
def _source_lines(source: str) -> tuple[str, ...]:
    """``split_lines`` of a whole file, kept for the next mutants of the same file."""
    return tuple(split_lines(source))


def apply_mutant(source: str, mutant: Mapping[str, Any]) -> str | None:
    """Return ``source`` with the mutant applied, or None when its original text is not there."""
    lines = list(_source_lines(source))
    located = _locate(lines, mutant)
    if located is None:
        return None
    first, last, mutated = located
    ends = LINE_BREAK.findall(source)
    newline = ends[0] if ends else "\n"
    trailing = newline if source.endswith(("\n", "\r")) else ""
    return newline.join([*lines[:first], *mutated, *lines[last:]]) + trailing


def mutant_diff(
    source: str, mutant: Mapping[str, Any], context: int = 0, *, strict: bool = False
) -> str:
    """A unified diff (``difflib``) of the lines the mutant changes, with ``context`` lines.

    ``mutant`` is a mutant of the results dict (``file``, ``line``, ``col``, ``original``,
    ``replacement``). Hunk headers carry the real line numbers of the file. When the source no
    longer holds the mutant's original text at its position, the diff shows the bare original
    and replacement text and its header says so; with ``strict=True`` a ``ValueError`` is
    raised instead.
    """
    path = str(mutant.get("file", "?"))
    lines = _source_lines(source)
    located = _locate(lines, mutant)
    if located is None:
        if strict:
            raise ValueError(f"{path}:{mutant.get('line')}: source differs from the mutated run")
        return _detached_diff(path, mutant)
    first, last, mutated = located
    lo = max(0, first - context)
    hi = min(len(lines), last + context)
    before = list(lines[lo:hi])
    after = [*lines[lo:first], *mutated, *lines[last:hi]]
    diff = difflib.unified_diff(
        before, after, fromfile=f"a/{path}", tofile=f"b/{path}", n=context, lineterm=""
    )
    return "\n".join(_shift_hunk(row, lo) for row in diff) + "\n"


def _locate(
    lines: Sequence[str], mutant: Mapping[str, Any]
) -> tuple[int, int, list[str]] | None:
    """Find the mutant in ``lines``: (first index, end index, the mutated lines in between).

    The text is looked for at the recorded column first, then anywhere on the recorded lines
    (a tab or a column counted in bytes can shift it); None when it is not there at all.
    """
    original = str(mutant.get("original", ""))
    replacement = str(mutant.get("replacement", ""))
    first = int(mutant.get("line", 1)) - 1
    span = len(split_lines(original)) or 1
    last = first + span
    if first < 0 or last > len(lines):
        return None
    segment = "\n".join(lines[first:last])
    wanted = LINE_BREAK.sub("\n", original)
    replacement = LINE_BREAK.sub("\n", replacement)
    col = int(mutant.get("col", 1)) - 1
    mutated = splice(segment, col, col + len(wanted), wanted, replacement)
    if mutated is None:
        col = segment.find(wanted)
        if col < 0:
            return None
        mutated = splice(segment, col, col + len(wanted), wanted, replacement)
    return first, last, mutated.split("\n")


def _shift_hunk(row: str, offset: int) -> str:
    """Move a hunk header computed on a slice of the file to the slice's place in the file."""
    match = _HUNK.match(row)
    if match is None or offset == 0:
        return row
    old, old_len, new, new_len = match.groups()
    return (
        f"@@ -{int(old) + offset}{old_len or ''} +{int(new) + offset}{new_len or ''} @@"
    )


def _detached_diff(path: str, mutant: Mapping[str, Any]) -> str:
    """A diff of the mutant's own text, for when the file no longer contains it."""
    line = int(mutant.get("line", 1))
    old = split_lines(str(mutant.get("original", ""))) or [""]
    new = split_lines(str(mutant.get("replacement", ""))) or [""]
    rows = [
        f"--- a/{path} (source differs from the mutated run)",
        f"+++ b/{path}",
        f"@@ -{_hunk_range(line, len(old))} +{_hunk_range(line, len(new))} @@",
        *(f"-{text}" for text in old),
        *(f"+{text}" for text in new),
    ]
    return "\n".join(rows) + "\n"


def _hunk_range(start: int, length: int) -> str:
    """A hunk header range the way ``difflib`` writes it (``,1`` left out)."""
    return str(start) if length == 1 else f"{start},{length}"
