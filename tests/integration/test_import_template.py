"""Static mutants of one module fork from where it is first imported (`import_template.py`).

The project logs, per process, when the module imported before the mutated one (``early``)
and the one imported after it (``late``) run their import-time code. With a template, what
comes before the mutated module runs once per template and what comes after once per mutant;
the verdicts must be those of the isolated reference either way, through a timeout and a
mutant that breaks the import. Where the mutated module is first imported only while pytest
generates a test's items (a ``pytest_generate_tests`` hook), or only by a test, the child
does not become a template and every mutant runs from its own import.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.runs import mutants_of_run

pytestmark = pytest.mark.usefixtures("fast_pytest_subprocesses")

LOGGED = """\
import os

with open(os.environ["MUTGATE_T_LOG"], "a") as log:
    log.write(f"{__name__}-{os.getpid()}\\n")
"""

CONSTS = """\
DOUBLED = 2 * 2
UNCHECKED = 3 + 3
SPINS = 1 - 1
BREAKS = [1][0 * 1]

while SPINS:  # never, unless a mutant makes SPINS true: then a timeout
    pass


def same(value):  # every test calls it: then every test covers the constants' lines
    return value  # pragma: no mutate
"""

INIT = "from pkg import early, consts, late  # noqa: F401\n"

TESTS = """\
import pkg
from pkg import consts


def test_doubled():
    assert consts.same(consts.DOUBLED) == 4


def test_runs():
    consts.same(0)
"""

EXPECTED = {
    ("DOUBLED", "*"): "killed",
    ("UNCHECKED", "+"): "survived",
    ("SPINS", "-"): "timeout",
    ("BREAKS", "*"): "killed",
}

# The same project, but the package is imported first while pytest generates test_doubled's
# items: after the child has begun choosing which functions to collect.
LAZY_CONFTEST = """\
def pytest_generate_tests(metafunc):
    import pkg  # noqa: F401
"""

LAZY_TESTS = """\
def test_doubled():
    from pkg import consts

    assert consts.same(consts.DOUBLED) == 4


def test_runs():
    from pkg import consts

    consts.same(0)
"""


# No conftest and no test module imports the module: it is first imported by a test, and
# each lambda is covered by its own tests. Those in test_a assert nothing, so every mutant
# is judged with both files collected, where a template must not stand inside a test.
TABLE = """\
OPS = {
    "double": lambda x: x * 2,
    "inc": lambda x: x + 1,
}
"""

TABLE_A = """\
def test_double_runs():
    from pkg import table

    table.OPS["double"](1)


def test_inc_runs():
    from pkg import table

    table.OPS["inc"](1)
"""

TABLE_B = """\
import time


def test_double():
    from pkg import table

    time.sleep(0.05)
    assert table.OPS["double"](2) == 4


def test_inc():
    from pkg import table

    time.sleep(0.05)
    assert table.OPS["inc"](1) == 2
"""


def verdicts(root: Path, isolation: str) -> dict[tuple[str, str], str]:
    lines = CONSTS.splitlines()
    found = {}
    for m in mutants_of_run(root, {"jobs": 1, "isolation": isolation, "timeout_factor": 2.0,
                                   "timeout_constant": 1.0}):
        if m["file"] == "pkg/consts.py" and m["status"] != "skipped":
            assert m["path"] in ("fresh", "subprocess"), m
            found[(lines[m["line"] - 1].split(" ")[0], m["original"])] = m["status"]
    return found


def _imports(log: Path) -> dict[str, set[str]]:
    by_module: dict[str, set[str]] = {"pkg.early": set(), "pkg.late": set()}
    for line in log.read_text().split():
        module, pid = line.rsplit("-", 1)
        by_module[module].add(pid)
    return by_module


def _judge(tmp_path_factory, make_project, files: dict[str, str]):
    root = make_project(tmp_path_factory.mktemp("template"), files)
    log = tmp_path_factory.mktemp("log") / "imports.log"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MUTGATE_T_LOG", str(log))
        default = verdicts(root, "auto")
        imports = _imports(log)
        isolated = verdicts(root, "subprocess")
    return default, isolated, imports


@pytest.fixture(scope="module")
def templated(fast_pytest_subprocesses, tmp_path_factory, make_project):
    return _judge(tmp_path_factory, make_project, {
        "pkg/__init__.py": INIT, "pkg/early.py": LOGGED, "pkg/late.py": LOGGED,
        "pkg/consts.py": CONSTS, "tests/__init__.py": "", "tests/test_consts.py": TESTS})


@pytest.fixture(scope="module")
def refused(fast_pytest_subprocesses, tmp_path_factory, make_project):
    return _judge(tmp_path_factory, make_project, {
        "pkg/__init__.py": INIT, "pkg/early.py": LOGGED, "pkg/late.py": LOGGED,
        "pkg/consts.py": CONSTS, "tests/__init__.py": "", "tests/conftest.py": LAZY_CONFTEST,
        "tests/test_consts.py": LAZY_TESTS})


@pytest.fixture(scope="module")
def in_a_test(fast_pytest_subprocesses, tmp_path_factory, make_project):
    root = make_project(tmp_path_factory.mktemp("in-a-test"), {
        "pkg/__init__.py": "", "pkg/table.py": TABLE, "tests/__init__.py": "",
        "tests/test_a.py": TABLE_A, "tests/test_b.py": TABLE_B})
    return ({(m["line"], m["original"]): m["status"]
             for m in mutants_of_run(root, {"jobs": 1, "isolation": isolation})
             if m["file"] == "pkg/table.py"} for isolation in ("auto", "subprocess"))


def test_the_verdicts_through_a_template_are_the_references(templated) -> None:
    default, isolated, _ = templated
    assert default == EXPECTED
    assert isolated == EXPECTED


def test_what_comes_before_the_mutated_module_runs_once_per_template(templated) -> None:
    imports = templated[2]
    # The coverage run, the worker and the template import ``early``; each mutant's own
    # process imports ``late`` (the breaking mutant stops before it).
    assert len(imports["pkg.early"]) <= 3
    assert len(imports["pkg.late"]) >= len(EXPECTED) + 1
    assert not imports["pkg.early"] & (imports["pkg.late"] - imports["pkg.early"])


def test_a_module_first_imported_while_items_are_made_gets_no_template(refused) -> None:
    default, isolated, imports = refused
    assert default == EXPECTED
    assert isolated == EXPECTED
    # Every mutant's child imported everything itself.
    assert len(imports["pkg.early"]) >= len(EXPECTED) + 1


def test_a_module_first_imported_by_a_test_gets_no_template(in_a_test) -> None:
    default, isolated = in_a_test
    assert default == isolated == {(2, "*"): "killed", (3, "+"): "killed"}
