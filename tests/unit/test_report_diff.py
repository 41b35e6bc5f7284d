"""The per-mutant unified diff shared by the reporters and `mutgate show`."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mutgate.report.diff import apply_mutant, mutant_diff, split_lines

SOURCE = "def add(a, b):\n    total = a + b\n    return total\n"


def mutant(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "m1",
        "file": "src/pkg/calc.py",
        "line": 2,
        "col": 13,
        "original": "a + b",
        "replacement": "a - b",
    }
    base.update(fields)
    return base


def test_diff_shows_the_original_and_the_mutated_line_with_real_line_numbers() -> None:
    assert mutant_diff(SOURCE, mutant()) == (
        "--- a/src/pkg/calc.py\n"
        "+++ b/src/pkg/calc.py\n"
        "@@ -2 +2 @@\n"
        "-    total = a + b\n"
        "+    total = a - b\n"
    )


def test_context_lines_keep_the_file_s_numbering() -> None:
    diff = mutant_diff(SOURCE, mutant(), context=1)
    assert "@@ -1,3 +1,3 @@" in diff
    assert " def add(a, b):" in diff.splitlines()
    assert "     return total" in diff.splitlines()


def test_context_is_clipped_at_the_end_of_the_file() -> None:
    diff = mutant_diff(SOURCE, mutant(line=3, col=12, original="total", replacement="None"), 5)
    assert "@@ -1,3 +1,3 @@" in diff
    assert "+    return None" in diff.splitlines()


def test_a_multi_line_original_is_replaced_across_its_lines() -> None:
    source = "x = (1 +\n     2)\ny = 3\n"
    m = mutant(line=1, col=5, original="(1 +\n     2)", replacement="None")
    assert mutant_diff(source, m).split("\n")[2:] == [
        "@@ -1,2 +1 @@",
        "-x = (1 +",
        "-     2)",
        "+x = None",
        "",
    ]
    assert apply_mutant(source, m) == "x = None\ny = 3\n"


def test_crlf_sources_are_numbered_like_lf_sources() -> None:
    crlf = SOURCE.replace("\n", "\r\n")
    assert mutant_diff(crlf, mutant()) == mutant_diff(SOURCE, mutant())
    assert apply_mutant(crlf, mutant()) == SOURCE.replace("a + b", "a - b").replace("\n", "\r\n")


def test_a_file_without_a_final_newline() -> None:
    source = "def f(x):\n    return x < 3"
    m = mutant(line=2, col=12, original="x < 3", replacement="x <= 3")
    assert mutant_diff(source, m).endswith("-    return x < 3\n+    return x <= 3\n")
    assert apply_mutant(source, m) == "def f(x):\n    return x <= 3"


def test_a_shifted_column_still_finds_the_original_on_its_line() -> None:
    source = "def f(a, b):\n\treturn a + b\n"
    diff = mutant_diff(source, mutant(line=2, col=14))
    assert "+\treturn a - b" in diff.splitlines()


def test_a_changed_source_gives_a_marked_diff_of_the_mutant_text_alone() -> None:
    diff = mutant_diff("x = 1\n", mutant())
    lines = diff.splitlines()
    assert lines[0] == "--- a/src/pkg/calc.py (source differs from the mutated run)"
    assert lines[2:] == ["@@ -2 +2 @@", "-a + b", "+a - b"]
    assert apply_mutant("x = 1\n", mutant()) is None


def test_strict_mode_raises_when_the_source_changed() -> None:
    with pytest.raises(ValueError, match="calc.py:2"):
        mutant_diff("x = 1\n", mutant(), strict=True)


def test_a_line_past_the_end_of_the_file_is_not_found() -> None:
    assert apply_mutant(SOURCE, mutant(line=9)) is None
    assert "(source differs" in mutant_diff(SOURCE, mutant(line=9))


def test_lines_split_only_on_line_breaks_python_counts() -> None:
    assert split_lines("a\x0cb\r\nc\rd\n") == ["a\x0cb", "c", "d"]
    assert split_lines("") == []
    assert split_lines("x\n\n") == ["x", ""]


_line = st.text(st.characters(blacklist_characters="\r\n"), max_size=20)


@given(
    before=st.lists(_line, max_size=5),
    head=_line,
    original=st.text(st.characters(blacklist_characters="\r\n"), min_size=1, max_size=8),
    tail=_line,
    after=st.lists(_line, max_size=5),
    replacement=st.text(st.characters(blacklist_characters="\r\n"), max_size=8),
)
def test_the_diff_replaces_exactly_the_mutant_text(
    before: list[str], head: str, original: str, tail: str, after: list[str], replacement: str
) -> None:
    source = "\n".join([*before, head + original + tail, *after]) + "\n"
    m = mutant(line=len(before) + 1, col=len(head) + 1, original=original, replacement=replacement)
    assert apply_mutant(source, m) == "\n".join(
        [*before, head + replacement + tail, *after]
    ) + "\n"
    rows = mutant_diff(source, m).split("\n")
    if original == replacement:
        assert not [r for r in rows[2:] if r.startswith(("-", "+"))], rows
    else:
        assert f"-{head}{original}{tail}" in rows
        assert f"+{head}{replacement}{tail}" in rows
        assert rows[2] == f"@@ -{len(before) + 1} +{len(before) + 1} @@"
