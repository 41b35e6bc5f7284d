"""Who covers a line that ran at import time (`mutgate.coverage_map.derive`)."""

from __future__ import annotations

from mutgate.coverage_delta import Contexts
from mutgate.coverage_map import derive

A, B = "tests/test_a.py::test_a", "tests/test_b.py::test_b"


def test_a_constant_that_ran_while_a_test_module_was_collected_is_covered_by_its_tests():
    # pkg/consts.py has no function any test calls: its lines ran only at import, while
    # tests/test_a.py was being collected.
    contexts = Contexts(ran={"pkg/use.py": {4: [A]}},
                        at_import={"pkg/consts.py": {1, 2}, "pkg/use.py": {1}},
                        collected={"pkg/consts.py": {1: ["tests/test_a.py"]}})
    lines, import_lines = derive(contexts, [A, B])
    assert lines["pkg/consts.py"][1] == [A]
    assert import_lines["pkg/consts.py"] == {1, 2}


def test_an_import_time_line_of_a_file_tests_exercise_is_covered_by_each_of_them():
    contexts = Contexts(ran={"pkg/use.py": {4: [A], 5: [B]}}, at_import={"pkg/use.py": {1}},
                        collected={})
    lines, _ = derive(contexts, [A, B])
    assert lines["pkg/use.py"][1] == [A, B]


def test_a_line_that_ran_before_any_collection_is_covered_by_every_test():
    # pkg/boot.py ran while a conftest was imported: every test ran after it.
    contexts = Contexts(ran={}, at_import={"pkg/boot.py": {1}}, collected={})
    lines, _ = derive(contexts, [B, A])
    assert lines["pkg/boot.py"] == {1: [A, B]}
