"""Text shown to people: values on one line, shortened to a width; counts with their noun.

Every module may use it (reporters, the gate, the CLI); it imports nothing of mutgate's.
"""

from __future__ import annotations


def shorten(text: str, width: int, ellipsis: str = "…") -> str:
    """``text`` when it fits in ``width`` characters, else its start and ``ellipsis`` in
    exactly ``width``."""
    return text if len(text) <= width else text[: width - len(ellipsis)] + ellipsis


def one_line(text: object, width: int | None = None, ellipsis: str = "…") -> str:
    """``str(text)`` with line breaks and runs of whitespace as single spaces, no leading or
    trailing space; shortened to ``width`` (see ``shorten``) when given."""
    flat = " ".join(str(text).split())
    return flat if width is None else shorten(flat, width, ellipsis)


def one_line_change(original: object, replacement: object, width: int | None = None,
                    ellipsis: str = "…") -> str:
    """``a + b -> a - b``: a mutant's change, each side on one line and shortened to
    ``width``."""
    return f"{one_line(original, width, ellipsis)} -> {one_line(replacement, width, ellipsis)}"


def plural(n: int, noun: str) -> str:
    """``1 mutant``, ``3 mutants``, ``0 mutants``: a count with its noun (plural by ``s``)."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
