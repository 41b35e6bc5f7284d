"""The engine end to end: `mutgate.runner.run` with real workers on tiny projects in temp dirs.

Every project's expected verdicts are written out mutant by mutant. The fork engine must give
the same verdicts as the isolated (subprocess) reference, and no run may touch the project.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mutgate.config import load_config
from mutgate.runner import RunOutcome, Selection, run
from mutgate.store import Store

pytestmark = pytest.mark.usefixtures("fast_pytest_subprocesses")

PYPROJECT = """
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]
"""

SHAPES = """
import functools

SCALE = 2 + 1


def area(w, h=1 + 1):
    return w * h  # pragma: no mutate


class Counter:
    def __init__(self, start):
        self.value = start

    def bump(self, by):
        self.value += by
        return self  # pragma: no mutate


class Doubler(Counter):
    def bump(self, by):
        return super().bump(by * 2)


def make_adder(k):
    def add(x):
        return x + k
    return add  # pragma: no mutate


def logged(fn):
    @functools.wraps(fn)
    def wrapper(*args):
        return fn(*args)  # pragma: no mutate
    return wrapper


@logged
def scaled(x):
    return x * SCALE
"""

TEST_SHAPES = """
from pkg.shapes import Counter, Doubler, area, make_adder, scaled


def test_area():
    assert area(3) == 6
    assert area(2, 5) == 10


def test_counter():
    c = Counter(1)
    c.bump(2)
    assert c.value == 3


def test_doubler():
    assert Doubler(0).bump(0).value == 0


def test_adder():
    assert make_adder(0)(5) == 5


def test_scaled():
    assert scaled(2) == 6
"""

# (line, operator, original) -> status, for pkg/shapes.py: the reference verdicts.
SHAPES_EXPECTED = {
    (3, "operator.arith", "+"): "killed",            # module-level constant
    (6, "operator.arith", "+"): "killed",            # default argument value
    (15, "operator.arith", "+="): "killed",          # method
    (21, "return.none", "super().bump(by * 2)"): "killed",  # super() in a subclass
    (21, "operator.arith", "*"): "survived",         # 0 / 2 == 0 * 2
    (26, "return.none", "x + k"): "killed",          # inside a closure
    (26, "operator.arith", "+"): "survived",         # 5 - 0 == 5 + 0
    (34, "return.none", "wrapper"): "killed",        # decorator, runs at import
    (39, "return.none", "x * SCALE"): "killed",      # function decorated with wraps
    (39, "operator.arith", "*"): "killed",
}

WRAPPERS = """
from typing import overload


def twice(fn):
    def wrapper(x):
        doubled = fn(x) * 2
        return doubled  # pragma: no mutate
    return wrapper


@twice
def ident(x):
    return x


class Box:
    def __init__(self):
        self._v = 0

    @property
    def v(self):
        return self._v  # pragma: no mutate

    @v.setter
    def v(self, value):
        self._v = value + 0


@overload
def scale(x: int) -> int: ...
@overload
def scale(x: float) -> float: ...
def scale(x):
    doubled = x * 2
    return doubled  # pragma: no mutate
"""

TEST_WRAPPERS = """
from pkg.wrappers import Box, ident, scale


def test_twice():
    assert ident(4) == 8


def test_box():
    b = Box()
    b.v = 3
    assert b.v == 3


def test_scale():
    assert scale(3) == 6
"""

WRAPPERS_EXPECTED = {
    (6, "operator.arith", "*"): "killed",            # inside a decorator's wrapper
    (8, "return.none", "wrapper"): "killed",
    (13, "return.none", "x"): "killed",              # the decorated function
    (26, "operator.arith", "+"): "survived",         # property setter
    (34, "operator.arith", "*"): "killed",           # @overload-ed function
}


CACHED = """
import functools


def rate(x):
    doubled = x * 2
    return doubled  # pragma: no mutate


@functools.lru_cache(maxsize=None)
def total(x):
    return rate(x) + 1  # pragma: no mutate
"""

TEST_CACHED = """
from pkg.cached import total


def test_total():
    assert total(3) == 7
"""

POOLED = """
def double(x):
    return x * 2
"""

TEST_POOLED = """
import multiprocessing

from pkg.pooled import double


def test_double_in_a_pool():
    # A loky worker's own start method must not leak into the tests (it is not one of these).
    assert multiprocessing.get_start_method() in multiprocessing.get_all_start_methods()
    with multiprocessing.Pool(2) as pool:
        assert pool.map(double, [1, 2]) == [2, 4]
    assert double(3) == 6
"""

SUBBED = """
def half(x):
    return x // 2


def deprecated(f):
    def wrapper(*args):
        return f(*args)
    return wrapper  # pragma: no mutate


@deprecated
def third(x):
    return x // 3  # pragma: no mutate
"""

TEST_SUBBED = """
import unittest

from pkg.subbed import half, third


class HalfTests(unittest.TestCase):
    def test_half(self):
        for x, want in [(4, 2), (5, 2)]:
            with self.subTest(x=x):
                self.assertEqual(half(x), want)


def test_third_runs():
    third(9)
"""

SUBBED_EXPECTED = {
    (2, "operator.arith", "//"): "killed",           # only a subTest fails
    (2, "return.none", "x // 2"): "killed",
    (7, "return.none", "f(*args)"): "survived",      # drops the closure's free variable
}

POOLED_EXPECTED = {
    (2, "operator.arith", "*"): "killed",            # also run in the pool's processes
    (2, "return.none", "x * 2"): "killed",
}

CACHED_EXPECTED = {
    (5, "operator.arith", "*"): "killed",            # behind a caller's lru_cache
}


@dataclass
class Ran:
    """A run's outcome and its results dict, read back from the store right after the run."""

    outcome: RunOutcome
    results: dict[str, Any]

    def verdicts(self, file: str) -> dict[tuple, str]:
        return {(m["line"], m["operator"], m["original"]): m["status"]
                for m in self.results["mutants"] if m["file"] == file}

    def by_edit(self) -> dict[tuple, dict[str, Any]]:
        return {(m["line"], m["operator"], m["original"], m["replacement"]): m
                for m in self.results["mutants"]}


def run_and_read(root: Path, overrides: dict[str, Any], selection: Selection,
                 echo=lambda _: None) -> Ran:
    outcome = run(load_config(root, overrides), selection, echo=echo)
    store = Store.open(root / ".mutgate", must_exist=True)
    try:
        return Ran(outcome, store.results_dict(outcome.run_id))
    finally:
        store.close()


@pytest.fixture(scope="module")
def compared(fast_pytest_subprocesses, tmp_path_factory, make_project, hash_tree):
    """One project run twice, by the fork engine and by the isolated reference."""
    root = make_project(tmp_path_factory.mktemp("compare"), {
        "pyproject.toml": PYPROJECT, "pkg/__init__.py": "", "pkg/shapes.py": SHAPES,
        "pkg/wrappers.py": WRAPPERS, "tests/test_shapes.py": TEST_SHAPES,
        "tests/test_wrappers.py": TEST_WRAPPERS, "pkg/cached.py": CACHED,
        "tests/test_cached.py": TEST_CACHED, "pkg/pooled.py": POOLED,
        "tests/test_pooled.py": TEST_POOLED, "pkg/subbed.py": SUBBED,
        "tests/test_subbed.py": TEST_SUBBED})
    before = hash_tree(root)
    said: list[str] = []
    fork = run_and_read(root, {"jobs": 2, "isolation": "auto"}, Selection(reuse=False),
                        said.append)
    # A new results store (so nothing is reused), with the cached coverage map.
    for db in (root / ".mutgate").glob("results.sqlite*"):
        db.unlink()
    isolated = run_and_read(root, {"jobs": 2, "isolation": "subprocess"}, Selection(),
                            said.append)
    return fork, isolated, before, hash_tree(root), said


def test_fork_engine_gives_the_expected_verdicts(compared) -> None:
    assert compared[0].verdicts("pkg/shapes.py") == SHAPES_EXPECTED


def test_isolated_engine_gives_the_expected_verdicts(compared) -> None:
    isolated = compared[1]
    assert isolated.verdicts("pkg/shapes.py") == SHAPES_EXPECTED
    assert isolated.verdicts("pkg/wrappers.py") == WRAPPERS_EXPECTED
    assert isolated.verdicts("pkg/cached.py") == CACHED_EXPECTED
    assert isolated.verdicts("pkg/pooled.py") == POOLED_EXPECTED
    assert isolated.verdicts("pkg/subbed.py") == SUBBED_EXPECTED


def fork_and_isolated(compared, file: str, lines: range) -> tuple[dict, dict]:
    fork, isolated = compared[:2]
    return tuple({k: v for k, v in ran.verdicts(file).items() if k[0] in lines}
                 for ran in (fork, isolated))


def test_fork_and_isolated_agree_on_decorators_and_their_wrappers(compared) -> None:
    fork, isolated = fork_and_isolated(compared, "pkg/wrappers.py", range(1, 14))
    assert fork == isolated == {(6, "operator.arith", "*"): "killed",
                                (8, "return.none", "wrapper"): "killed",
                                (13, "return.none", "x"): "killed"}


def test_fork_and_isolated_agree_on_a_property_setter(compared) -> None:
    fork, isolated = fork_and_isolated(compared, "pkg/wrappers.py", range(26, 27))
    assert fork == isolated == {(26, "operator.arith", "+"): "survived"}


def test_fork_and_isolated_agree_on_an_overloaded_function(compared) -> None:
    fork, isolated = fork_and_isolated(compared, "pkg/wrappers.py", range(34, 35))
    assert fork == isolated == {(34, "operator.arith", "*"): "killed"}


def test_fork_and_isolated_agree_behind_a_callers_cache(compared) -> None:
    fork, isolated = fork_and_isolated(compared, "pkg/cached.py", range(1, 20))
    assert fork == isolated == CACHED_EXPECTED


def test_a_test_with_a_multiprocessing_pool_kills_on_the_fork_path(compared) -> None:
    assert compared[0].verdicts("pkg/pooled.py") == POOLED_EXPECTED


def test_a_failing_subtest_kills_and_a_closure_that_cannot_be_swapped_runs_fresh(compared
                                                                                 ) -> None:
    assert compared[0].verdicts("pkg/subbed.py") == SUBBED_EXPECTED


def test_killing_tests_are_recorded(compared) -> None:
    found = {key[:3]: m["killed_by"] for key, m in compared[0].by_edit().items()}
    assert {key: found[key] for key in [(6, "operator.arith", "+"),
                                        (26, "return.none", "x + k"),
                                        (39, "operator.arith", "*"),
                                        (21, "operator.arith", "*")]} == {
        (6, "operator.arith", "+"): "tests/test_shapes.py::test_area",  # default: isolated
        (26, "return.none", "x + k"): "tests/test_shapes.py::test_adder",
        (39, "operator.arith", "*"): "tests/test_shapes.py::test_scaled",
        (21, "operator.arith", "*"): None}
    # covered by test_counter and test_doubler, and both fail: either may be reported
    assert found[(15, "operator.arith", "+=")] in ("tests/test_shapes.py::test_counter",
                                                   "tests/test_shapes.py::test_doubler")


def test_run_outcome_and_results_dict(compared) -> None:
    fork, isolated, _, _, said = compared
    total = (len(SHAPES_EXPECTED) + len(WRAPPERS_EXPECTED) + len(CACHED_EXPECTED)
             + len(POOLED_EXPECTED) + len(SUBBED_EXPECTED))
    for ran in (fork, isolated):
        outcome = ran.outcome
        assert (outcome.total, outcome.executed, outcome.reused) == (total, total, 0)
        assert (ran.results["total"], ran.results["run"]["jobs"]) == (total, 2)
        assert sum(ran.results["counts"].values()) == total
    assert said.count(f"{total} mutants on covered lines, {total} to run with 2 job(s)") == 2


def test_the_project_is_byte_identical_after_both_runs(compared) -> None:
    _, _, before, after, _ = compared
    assert after == before
    assert sorted(before) == ["pkg/__init__.py", "pkg/cached.py", "pkg/pooled.py",
                              "pkg/shapes.py", "pkg/subbed.py", "pkg/wrappers.py",
                              "pyproject.toml", "tests/test_cached.py", "tests/test_pooled.py",
                              "tests/test_shapes.py", "tests/test_subbed.py",
                              "tests/test_wrappers.py"]


LOOPS = """
import os


def countdown(n):
    while n > 0:
        n -= 1
    return n


def guard(x):
    if x > 100:
        os._exit(3)
    return x
"""

TEST_LOOPS = """
from pkg.loops import countdown, guard


def test_countdown():
    assert countdown(5) == 0


def test_guard():
    assert guard(100) == 100
"""

LOOPS_EXPECTED = {
    (5, "boundary.relational", ">", ">="): "killed",
    (5, "operator.compare", ">", "!="): "survived",
    (5, "boundary.constant", "0", "1"): "killed",
    (5, "boundary.constant", "0", "-1"): "killed",
    (6, "operator.arith", "-=", "+="): "timeout",     # never ends
    (7, "return.none", "n", "None"): "killed",
    (11, "boundary.relational", ">", ">="): "killed",  # os._exit(3) in the test process
    (11, "operator.compare", ">", "!="): "survived",
    (11, "boundary.constant", "100", "101"): "survived",
    (11, "boundary.constant", "100", "99"): "killed",  # os._exit(3) in the test process
    (13, "return.none", "x", "None"): "killed",
}


@pytest.fixture(scope="module")
def loops(fast_pytest_subprocesses, tmp_path_factory, make_project, hash_tree):
    root = make_project(tmp_path_factory.mktemp("loops"), {
        "pyproject.toml": PYPROJECT, "pkg/__init__.py": "", "pkg/loops.py": LOOPS,
        "tests/test_loops.py": TEST_LOOPS})
    before = hash_tree(root)
    overrides = {"jobs": 1, "timeout_constant": 2.0}
    first = run_and_read(root, overrides, Selection())
    second = run_and_read(root, overrides, Selection())
    return first, second, before, hash_tree(root)


def test_infinite_loop_times_out_and_crash_is_killed(loops) -> None:
    found = loops[0].by_edit()
    assert {key: m["status"] for key, m in found.items()} == LOOPS_EXPECTED
    assert found[(11, "boundary.relational", ">", ">=")]["killed_by"] == (
        "test process exited with code 3")
    timeout = found[(6, "operator.arith", "-=", "+=")]
    assert timeout["killed_by"] is None
    assert 2000 <= timeout["duration_ms"] < 12_000


def test_a_second_run_reuses_every_result(loops) -> None:
    first, second = loops[:2]
    assert (second.outcome.total, second.outcome.executed, second.outcome.reused) == (
        len(LOOPS_EXPECTED), 0, len(LOOPS_EXPECTED))
    assert {k: m["status"] for k, m in second.by_edit().items()} == LOOPS_EXPECTED
    assert [m["reused"] for m in second.results["mutants"]] == [True] * len(LOOPS_EXPECTED)
    assert second.results["run"]["id"] == first.results["run"]["id"] + 1


def test_loops_project_is_byte_identical_after_the_runs(loops) -> None:
    _, _, before, after = loops
    assert after == before
