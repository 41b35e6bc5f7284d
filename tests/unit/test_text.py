"""One-line text for people: flattening, shortening to a width, a mutant's change."""

from __future__ import annotations

from mutgate.text import one_line, one_line_change, shorten


def test_one_line_folds_every_run_of_whitespace_into_one_space() -> None:
    assert one_line("  a +\n\tb\r\n  ") == "a + b"
    assert one_line(None) == "None"
    assert one_line("") == ""


def test_shorten_keeps_text_that_fits_and_cuts_the_rest_to_the_width() -> None:
    assert shorten("abcdef", 6) == "abcdef"
    assert shorten("abcdefg", 6) == "abcde…"
    assert shorten("abcdefg", 6, "...") == "abc..."


def test_one_line_shortens_after_folding() -> None:
    assert one_line("a   b   c", 5) == "a b c"
    assert one_line("a   b   cd", 5) == "a b …"
    assert one_line("x" * 50) == "x" * 50


def test_a_change_is_both_sides_on_one_line() -> None:
    assert one_line_change("(1 +\n 2)", "None") == "(1 + 2) -> None"
    assert one_line_change("abcdef", "ab", 4, "..") == "ab.. -> ab"
