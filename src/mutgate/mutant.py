"""What a mutant is: one small, exact text edit of one source file, with a stable id.

A mutant never lives in the user's working tree. It is applied to the original text in memory
(`apply_to`) and handed to the execution engine, which compiles it or loads it through an
import hook.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from typing import Any

#: Where Python (and libcst) end a line of source: ``str.splitlines`` also breaks at form feeds
#: and Unicode separators, which would put line numbers out of step with the parser's.
LINE_BREAK = re.compile(r"\r\n|\r|\n")

#: The operator families a user can select; each operator name starts with its family.
FAMILIES = ("operator", "boundary", "return")
OPERATORS = (
    "operator.arith", "operator.compare", "operator.bool", "operator.not",
    "boundary.relational", "boundary.constant", "return.none", "return.empty", "return.bool",
)


@dataclass(frozen=True)
class Mutant:
    """One mutant: replace ``original`` at character offsets ``[start, end)`` by ``replacement``.

    ``line``/``col`` and ``end_line``/``end_col`` are 1-based. ``qualname`` is the qualified
    name of the innermost enclosing function or class (``"<module>"`` at module level);
    ``swap_target`` is the qualified name of the outermost enclosing function whose code
    object can be replaced in a live process, or ``None`` when the mutant needs a fresh import
    (module level, class bodies, default values, decorators). ``target_span`` is that
    function's text span (from the start of its ``def`` line), and ``target_header`` the
    enclosing ``class``/block header lines needed to recompile it at the same nesting.
    ``scope_lines`` are the first and last line of the innermost class or function holding
    the edit, decorators included (None at module level).
    """

    id: str
    file: str
    line: int
    col: int
    end_line: int
    end_col: int
    start: int
    end: int
    operator: str
    original: str
    replacement: str
    qualname: str
    swap_target: str | None = None
    target_span: tuple[int, int] | None = None
    target_header: str = ""
    scope_lines: tuple[int, int] | None = None
    covered_by: tuple[str, ...] = field(default=())

    @property
    def family(self) -> str:
        return self.operator.split(".", 1)[0]

    def apply_to(self, source: str) -> str:
        """Return ``source`` with this mutant's edit applied."""
        mutated = splice(source, self.start, self.end, self.original, self.replacement)
        if mutated is None:
            raise ValueError(f"{self.file}:{self.line}: source changed since the mutant was made")
        return mutated

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["covered_by"] = list(self.covered_by)
        data["target_span"] = list(self.target_span) if self.target_span else None
        data["scope_lines"] = list(self.scope_lines) if self.scope_lines else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Mutant:
        data = dict(data)
        data["covered_by"] = tuple(data.get("covered_by") or ())
        span = data.get("target_span")
        data["target_span"] = tuple(span) if span else None
        lines = data.get("scope_lines")
        data["scope_lines"] = tuple(lines) if lines else None
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def splice(text: str, start: int, end: int, original: str, replacement: str) -> str | None:
    """``text`` with ``text[start:end]`` replaced by ``replacement``, or None when that slice
    is not ``original`` (the text changed since the mutant was made)."""
    if text[start:end] != original:
        return None
    return text[:start] + replacement + text[end:]


def mutant_id(
    file: str, qualname: str, operator: str, original: str, replacement: str, occurrence: int
) -> str:
    """A stable id: the same on every machine, unchanged when unrelated lines move.

    It hashes what the mutant *is* (where in the code's structure, and what it changes), not
    where it sits: line numbers are left out on purpose.
    """
    key = "\x1f".join((file, qualname, operator, original, replacement, str(occurrence)))
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]
