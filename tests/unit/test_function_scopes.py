"""Which functions a change is confined to, and how old lines map to new
(`mutgate.function_scopes`)."""

from __future__ import annotations

import pytest

from mutgate.function_scopes import Outline, changed_functions, line_map, outline

SOURCE = '''import os

LIMIT = 3


def first(a):
    """Say a."""
    if a > LIMIT:
        return a
    return 0


class Box:
    size = 2

    @property
    def width(self):
        return self.size

    @width.setter
    def width(self, value):
        self.size = value

    def items(self):
        def inner(x):
            return x + 1
        return [inner(i) for i in range(self.size)]


def stream():
    yield 1
'''


def changed(old: str, new: str, source: str = SOURCE) -> list[str] | None:
    assert old in source
    before, after = outline(source), outline(source.replace(old, new, 1))
    assert before is not None and after is not None
    scopes = changed_functions(before, after)
    return None if scopes is None else [s.key for s in scopes]


def test_an_outline_holds_every_outermost_functions_body_past_its_docstring() -> None:
    made = outline(SOURCE)
    assert made is not None
    assert {k: (s.first, s.last, s.generator) for k, s in made.scopes.items()} == {
        "first#0": (8, 10, False), "Box.width#0": (18, 18, False),
        "Box.width#1": (22, 22, False), "Box.items#0": (25, 27, False),
        "stream#0": (31, 31, True)}
    assert len(made.lines) == len(SOURCE.split("\n"))


@pytest.mark.parametrize(("old", "new", "keys"), [
    ("        return a\n", "        return a + 1\n", ["first#0"]),
    ("    return 0\n", "    zero = 0\n    return zero\n", ["first#0"]),
    ("        return a\n    return 0\n", "        return a\n    print(a)\n    return 0\n",
     ["first#0"]),
    ("        self.size = value\n", "        self.size = int(value)\n", ["Box.width#1"]),
    ("            return x + 1\n", "            return x + 2\n", ["Box.items#0"]),
    ("        return self.size\n", "        return self.size * 2\n", ["Box.width#0"]),
])
def test_a_change_inside_bodies_names_their_functions(old, new, keys) -> None:
    assert changed(old, new) == keys


def test_changes_in_two_functions_name_both_in_file_order() -> None:
    source = SOURCE.replace("    return 0\n", "    return -1\n").replace(
        "        return self.size\n", "        return 4\n")
    before, after = outline(SOURCE), outline(source)
    assert before is not None and after is not None
    scopes = changed_functions(before, after)
    assert scopes is not None and [s.key for s in scopes] == ["first#0", "Box.width#0"]


@pytest.mark.parametrize(("old", "new"), [
    ("def first(a):\n", "def first(a, b=0):\n"),  # signature
    ('    """Say a."""\n', '    """Say b."""\n'),  # docstring: read without a call
    ("LIMIT = 3\n", "LIMIT = 4\n"),  # module level
    ("    size = 2\n", "    size = 3\n"),  # class body
    ("    @property\n", "    @staticmethod\n"),  # decorator
    ("def stream():\n    yield 1\n", "def stream():\n    return 1\n"),  # no generator now
    ("    return 0\n", "    return 0\n\n\ndef second():\n    return 2\n"),  # a new function
    ("    return 0\n\n\nclass Box:", "    return 0\n\nBOX = 1\nclass Box:"),  # between them
])
def test_a_change_outside_every_body_is_confined_to_none(old, new) -> None:
    assert changed(old, new) is None


@pytest.mark.parametrize(("old", "new"), [
    ("    return 0\n\n\nclass Box:", "    return 0\n\nclass Box:"),  # a blank line less
    ("def first(a):\n", "def first(a):\n    # the first\n"),  # before the body
    ("LIMIT = 3\n", "# how many\nLIMIT = 3\n"),
    ("        return a\n", "        # big enough\n        return a\n"),
])
def test_changes_to_lines_without_code_need_no_function(old, new) -> None:
    assert changed(old, new) == []


def test_a_comment_on_a_line_with_code_is_a_change_of_that_line() -> None:
    assert changed("        return a\n", "        return a  # big enough\n") == ["first#0"]


def test_an_encoding_declaration_is_code() -> None:
    source = "# -*- coding: latin-1 -*-\n" + SOURCE
    assert changed("# -*- coding: latin-1 -*-\n", "# -*- coding: utf-8 -*-\n", source) is None
    assert changed("import os\n", "# a comment\nimport os\n") == []


def test_a_change_that_makes_a_generator_is_confined_to_none() -> None:
    assert changed("    return 0\n", "    yield 0\n") is None


def test_the_line_map_carries_unchanged_lines_to_their_new_numbers() -> None:
    before = outline(SOURCE)
    after = outline(SOURCE.replace("    return 0\n", "    zero = 0\n    return zero\n", 1))
    assert before is not None and after is not None
    moves = line_map(before, after)
    assert moves[9] == 9 and 10 not in moves  # the changed line has no new number
    assert moves[13] == 14 and moves[31] == 32  # everything below moved down by one
    assert all(moves[n] == n for n in range(1, 10))


def test_lines_are_counted_as_python_counts_them_form_feeds_included() -> None:
    source = "def a():\n    return 1\n\x0c\ndef b():\n    return 2\n"
    made = outline(source)
    assert made is not None
    assert {k: (s.first, s.last) for k, s in made.scopes.items()} == {"a#0": (2, 2),
                                                                    "b#0": (5, 5)}
    after = outline(source.replace("return 2", "return 3"))
    assert after is not None
    scopes = changed_functions(made, after)
    assert scopes is not None and [s.key for s in scopes] == ["b#0"]
    assert line_map(made, after)[2] == 2 and 5 not in line_map(made, after)


def test_an_outline_survives_json_and_a_syntax_error_has_none() -> None:
    made = outline(SOURCE)
    assert made is not None and Outline.from_json(made.to_json()) == made
    assert outline("def broken(:\n") is None
