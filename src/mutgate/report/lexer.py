"""A fast Pygments lexer for Python source, for highlighting whole projects in the HTML report.

Pygments' own ``PythonLexer`` tries its rules one by one at every position and lexes about
11,000 lines per second here: 500 files of 200 lines would spend ~9 s in it. This lexer makes
one pass with a single compiled regular expression (about 5× faster) and yields the
usual Pygments token types, so Pygments' ``HtmlFormatter`` and styles apply unchanged. It is
lossless (the token values join back to the input, whatever the input) and never fails on
broken code. It colors less than ``PythonLexer``: keywords, strings, docstrings, comments,
numbers, decorators and defined names, but not builtins, operators or f-string fields.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterator

from pygments.lexer import Lexer
from pygments.token import (
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    String,
    Text,
    _TokenType,
)

_STRING = r"""
    (?:[rRbBuUfFtT]{1,2})?
    (?: '''(?:[^'\\]|\\.|'(?!''))*(?:'''|\Z)
      | \"\"\"(?:[^"\\]|\\.|"(?!""))*(?:\"\"\"|\Z)
      | '(?:[^'\\\r\n]|\\(?:\r\n|.))*(?:'|(?=[\r\n])|\Z)
      | "(?:[^"\\\r\n]|\\(?:\r\n|.))*(?:"|(?=[\r\n])|\Z)
    )
"""
_DOCSTRING = r"""
    (?m:^)[ \t\f]*[rRuU]?
    (?: '''(?:[^'\\]|\\.|'(?!''))*(?:'''|\Z)
      | \"\"\"(?:[^"\\]|\\.|"(?!""))*(?:\"\"\"|\Z)
    )
"""
_NUMBER = r"""
    0[xX][0-9a-fA-F_]+ | 0[bB][01_]+ | 0[oO][0-7_]+
  | (?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?[jJ]?
"""
# One pass of one pattern; the regex engine's time per character bounds this lexer's speed, and
# the Python loop's time per match comes second, so runs of uncolored text (names that are not
# keywords, operators, punctuation, spaces) are matched whole, up to the end of a line.
# Decorators, docstrings (a triple-quoted string first on its line) and the names that ``def``
# and ``class`` define are matched at line starts or whole, so the loop keeps no state. A name
# may not run into a quote: ``rb"..."`` is a string with a prefix.
_KEYWORDS = "|".join(sorted({*keyword.kwlist, "self", "cls"}, key=len, reverse=True))
_PLAIN = rf"""
    (?: (?!(?:{_KEYWORDS})\b)[^\W\d]\w*(?![\w'"])
      | [ \t\f]+ | \\(?:\r\n|\r|\n)
      | [()\[\]{{}},;:.](?!\d) | [-+*/%&|^~<>=!@]+
    )+ (?:\r\n|\r|\n)?
  | \r\n | \r | \n
"""
_TOKENS = re.compile(
    rf"""
    (?P<decorator>(?m:^)[ \t\f]*@[^\W\d][\w.]*)
  | (?P<doc>{_DOCSTRING})
  | (?P<define>(?:def|class)[ \t]+[^\W\d]\w*)
  | (?P<plain>{_PLAIN})
  | (?P<name>[^\W\d]\w*(?![\w'"]))
  | (?P<string>{_STRING})
  | (?P<comment>\#[^\r\n]*)
  | (?P<number>{_NUMBER})
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

#: Token types of the keywords (the only names matched on their own).
_NAMES: dict[str, _TokenType] = {
    **dict.fromkeys(keyword.kwlist, Keyword),
    **dict.fromkeys(("and", "or", "not", "in", "is"), Operator.Word),
    **dict.fromkeys(("True", "False", "None"), Keyword.Constant),
    **dict.fromkeys(("import", "from", "as"), Keyword.Namespace),
    **dict.fromkeys(("self", "cls"), Name.Builtin.Pseudo),
}
#: Per group number of ``_TOKENS``: the token type, or None when it depends on the text.
_FIXED: list[_TokenType | None] = [None] * (_TOKENS.groups + 1)
_FIXED[_TOKENS.groupindex["plain"]] = Text
_FIXED[_TOKENS.groupindex["other"]] = Text
_FIXED[_TOKENS.groupindex["comment"]] = Comment.Single
_KINDS = {index: kind for kind, index in _TOKENS.groupindex.items()}
_NAME = _TOKENS.groupindex["name"]

Part = tuple[_TokenType, str]


class FastPythonLexer(Lexer):
    """Python (3.x) source to Pygments tokens in one regular-expression pass."""

    name = "Python (fast)"
    aliases = ["mutgate-python"]
    filenames: list[str] = []

    def get_tokens_unprocessed(self, text: str) -> Iterator[tuple[int, _TokenType, str]]:
        index = 0
        for token, value in self.tokens(text):
            yield index, token, value
            index += len(value)

    def tokens(self, text: str) -> Iterator[Part]:
        """``(token type, text)`` pairs, with adjacent plain text merged into one."""
        plain: list[str] = []
        for match in _TOKENS.finditer(text):
            group, value = match.lastindex or 0, match.group()
            token = _FIXED[group]
            if token is None:
                if group != _NAME:
                    if plain:
                        yield Text, "".join(plain)
                        plain.clear()
                    yield from _parts(_KINDS[group], value)
                    continue
                token = _NAMES.get(value, Text)
            if token is Text:
                plain.append(value)
                continue
            if plain:
                yield Text, "".join(plain)
                plain.clear()
            yield token, value
        if plain:
            yield Text, "".join(plain)


def _parts(kind: str, value: str) -> list[Part]:
    """The typed parts of a string, number, or a match that spans several tokens."""
    if kind == "string":
        quote = value.lstrip("rRbBuUfFtT")[:1]
        return [(String.Double if quote == '"' else String.Single, value)]
    if kind == "number":
        return [(_number_type(value), value)]
    body = value.lstrip(" \t\f")
    parts: list[Part] = [(Text, value[: len(value) - len(body)])] if body != value else []
    if kind == "define":
        word, name = body.split(None, 1)
        kind_of_name = Name.Class if word == "class" else Name.Function
        parts += [(Keyword, word), (Text, body[len(word) : len(body) - len(name)])]
        parts.append((kind_of_name, name))
    elif kind == "decorator":
        parts.append((Name.Decorator, body))
    else:
        parts.append((String.Doc, body))
    return parts


def _number_type(value: str) -> _TokenType:
    lowered = value.lower()
    if lowered.startswith("0x"):
        return Number.Hex
    if lowered.startswith("0b"):
        return Number.Bin
    if lowered.startswith("0o"):
        return Number.Oct
    if any(c in lowered for c in ".ej"):
        return Number.Float
    return Number.Integer
