"""Changed lines and in-diff selection, against real git repositories made in tmp_path."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from helpers.projects import write_project

from mutgate.errors import ConfigError
from mutgate.in_diff import (
    changed_files,
    changed_lines,
    file_changes,
    merge_base,
    select_in_diff,
)
from mutgate.mutant import Mutant

SOURCE = "".join(f"line{i}\n" for i in range(1, 11))


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--no-verify", "-m", message)


def edit_line(repo: Path, path: str, number: int, text: str) -> None:
    lines = (repo / path).read_text().splitlines(keepends=True)
    lines[number - 1] = text + "\n"
    (repo / path).write_text("".join(lines))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "--quiet", "-b", "main")
    for key, value in (
        ("user.name", "Test"),
        ("user.email", "test@example.com"),
        ("commit.gpgsign", "false"),
        ("core.autocrlf", "false"),
    ):
        git(root, "config", key, value)
    write_project(root, {"src/pkg/mod.py": SOURCE, "src/pkg/other.py": SOURCE,
                         "tests/test_mod.py": SOURCE, ".gitignore": "build/\n"})
    commit_all(root, "base")
    return root


def test_committed_change_against_parent(repo: Path) -> None:
    edit_line(repo, "src/pkg/mod.py", 3, "changed = 3")
    with (repo / "src/pkg/mod.py").open("a") as f:
        f.write("appended = 11\n")
    commit_all(repo, "change")
    assert changed_lines(repo, "HEAD~1") == {"src/pkg/mod.py": {3, 11}}
    assert changed_lines(repo, "HEAD") == {}


def test_diff_starts_at_the_merge_base(repo: Path) -> None:
    git(repo, "checkout", "--quiet", "-b", "feature")
    edit_line(repo, "src/pkg/mod.py", 5, "feature = 5")
    commit_all(repo, "feature work")
    git(repo, "checkout", "--quiet", "main")
    edit_line(repo, "src/pkg/other.py", 2, "main moved on")
    commit_all(repo, "main work")
    git(repo, "checkout", "--quiet", "feature")
    # other.py changed on main after the fork: not this branch's change
    assert changed_lines(repo, "main") == {"src/pkg/mod.py": {5}}
    assert merge_base(repo, "main") == git(repo, "rev-parse", "HEAD~1").strip()


def test_uncommitted_change_counts(repo: Path) -> None:
    edit_line(repo, "src/pkg/other.py", 7, "dirty = 7")
    assert changed_lines(repo, "HEAD") == {"src/pkg/other.py": {7}}


def test_staged_change_counts(repo: Path) -> None:
    edit_line(repo, "src/pkg/other.py", 1, "staged = 1")
    git(repo, "add", "src/pkg/other.py")
    edit_line(repo, "src/pkg/mod.py", 9, "unstaged = 9")
    assert changed_lines(repo, "HEAD") == {"src/pkg/other.py": {1}, "src/pkg/mod.py": {9}}


def test_committed_staged_and_unstaged_changes_add_up(repo: Path) -> None:
    edit_line(repo, "src/pkg/mod.py", 1, "committed")
    commit_all(repo, "one")
    edit_line(repo, "src/pkg/mod.py", 2, "staged")
    git(repo, "add", "src/pkg/mod.py")
    edit_line(repo, "src/pkg/mod.py", 3, "unstaged")
    assert changed_lines(repo, "HEAD~1") == {"src/pkg/mod.py": {1, 2, 3}}


def test_new_untracked_python_file_counts_entirely(repo: Path) -> None:
    write_project(repo, {"src/pkg/new.py": "a = 1\nb = 2\n\nc = 3\n",
                         "notes.txt": "not python\n", "build/generated.py": "ignored = True\n"})
    assert changed_lines(repo, "HEAD") == {"src/pkg/new.py": {1, 2, 3, 4}}
    assert changed_files(repo, "HEAD") == {"src/pkg/new.py"}


def test_new_committed_file_counts_entirely(repo: Path) -> None:
    write_project(repo, {"src/pkg/added.py": "x = 1\ny = 2\n"})
    commit_all(repo, "add file")
    assert changed_lines(repo, "HEAD~1") == {"src/pkg/added.py": {1, 2}}


def test_deleted_line_adds_no_lines(repo: Path) -> None:
    lines = SOURCE.splitlines(keepends=True)
    (repo / "src/pkg/mod.py").write_text("".join(lines[:4] + lines[5:]))
    commit_all(repo, "delete line 5")
    assert changed_lines(repo, "HEAD~1") == {}
    assert file_changes(repo, "HEAD~1") == {"src/pkg/mod.py": set()}
    assert changed_files(repo, "HEAD~1") == {"src/pkg/mod.py"}


def test_deleted_file_is_left_out(repo: Path) -> None:
    git(repo, "rm", "--quiet", "src/pkg/other.py")
    assert file_changes(repo, "HEAD") == {}


def test_renamed_file_is_reported_under_its_new_path(repo: Path) -> None:
    git(repo, "mv", "src/pkg/mod.py", "src/pkg/renamed.py")
    edit_line(repo, "src/pkg/renamed.py", 4, "edited after the move")
    commit_all(repo, "rename")
    assert changed_lines(repo, "HEAD~1") == {"src/pkg/renamed.py": {4}}
    assert changed_files(repo, "HEAD~1") == {"src/pkg/renamed.py"}


def test_pure_rename_changes_no_lines(repo: Path) -> None:
    git(repo, "mv", "src/pkg/other.py", "src/pkg/moved.py")
    assert file_changes(repo, "HEAD") == {"src/pkg/moved.py": set()}


def test_paths_are_relative_to_a_root_inside_the_repository(repo: Path) -> None:
    edit_line(repo, "src/pkg/mod.py", 2, "inside")
    edit_line(repo, "tests/test_mod.py", 2, "outside the root")
    write_project(repo, {"src/pkg/fresh.py": "z = 0\n"})
    assert changed_lines(repo / "src", "HEAD") == {"pkg/mod.py": {2}, "pkg/fresh.py": {1}}


def test_user_git_configuration_does_not_change_the_result(repo: Path) -> None:
    for key, value in (
        ("diff.noprefix", "true"),
        ("diff.mnemonicPrefix", "true"),
        ("diff.renames", "false"),
        ("color.ui", "always"),
        ("diff.context", "7"),
    ):
        git(repo, "config", key, value)
    git(repo, "mv", "src/pkg/mod.py", "src/pkg/moved.py")
    edit_line(repo, "src/pkg/moved.py", 6, "six")
    assert changed_lines(repo, "HEAD") == {"src/pkg/moved.py": {6}}


def test_unusual_file_names(repo: Path) -> None:
    write_project(repo, {'src/we ird "name".py': "a = 1\n", "src/ünïcode.py": "b = 2\n"})
    git(repo, "add", "--all")
    assert changed_lines(repo, "HEAD") == {'src/we ird "name".py': {1}, "src/ünïcode.py": {1}}


def test_unknown_ref_names_the_ref(repo: Path) -> None:
    with pytest.raises(ConfigError, match="origin/nope"):
        changed_lines(repo, "origin/nope")


def test_ref_that_looks_like_an_option_is_rejected(repo: Path) -> None:
    with pytest.raises(ConfigError, match="--output"):
        changed_lines(repo, "--output=/tmp/x")


def test_not_a_repository(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(ConfigError, match="not in one"):
        changed_lines(plain, "HEAD")


def test_missing_root(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--diff"):
        changed_lines(tmp_path / "missing", "HEAD")


def test_repository_without_commits(tmp_path: Path) -> None:
    git(tmp_path, "init", "--quiet", "-b", "main")
    with pytest.raises(ConfigError, match="no commit at HEAD"):
        changed_lines(tmp_path, "main")


def make_mutant(
    file: str, line: int, end_line: int | None = None, tests: tuple[str, ...] = ()
) -> Mutant:
    return Mutant(
        id=f"{file}:{line}",
        file=file,
        line=line,
        col=4,
        end_line=line if end_line is None else end_line,
        end_col=9,
        start=0,
        end=5,
        operator="operator.arith",
        original="a + b",
        replacement="a - b",
        qualname="f",
        covered_by=tests,
    )


def test_select_keeps_mutants_on_changed_lines() -> None:
    mutants = [
        make_mutant("src/a.py", 3),
        make_mutant("src/a.py", 4),
        make_mutant("src/a.py", 7, end_line=9),  # spans a changed line
        make_mutant("src/b.py", 3),  # same line, other file
    ]
    chosen = select_in_diff(mutants, {"src/a.py": {3, 8}}, set())
    assert [m.id for m in chosen] == ["src/a.py:3", "src/a.py:7"]


def test_select_keeps_mutants_whose_covering_test_file_changed() -> None:
    mutants = [
        make_mutant("src/a.py", 1, tests=("tests/test_a.py::TestA::test_add[1-2]",)),
        make_mutant("src/a.py", 2, tests=("tests/test_b.py::test_b", "tests/test_a.py::test_x")),
        make_mutant("src/a.py", 3, tests=("tests/test_b.py::test_b",)),
        make_mutant("src/a.py", 4),
    ]
    chosen = select_in_diff(mutants, {}, {"tests/test_a.py"})
    assert [m.id for m in chosen] == ["src/a.py:1", "src/a.py:2"]


def test_select_with_nothing_changed() -> None:
    assert select_in_diff([make_mutant("src/a.py", 1, tests=("t.py::t",))], {}, set()) == []


def test_a_change_to_tests_only_selects_the_mutants_they_cover(repo: Path) -> None:
    edit_line(repo, "tests/test_mod.py", 5, "assert result == 3")
    commit_all(repo, "strengthen a test")
    covered = make_mutant("src/pkg/mod.py", 2, tests=("tests/test_mod.py::test_mod",))
    uncovered = make_mutant("src/pkg/other.py", 2, tests=("tests/test_other.py::test_other",))
    changed = changed_lines(repo, "HEAD~1")
    assert "src/pkg/mod.py" not in changed
    chosen = select_in_diff([covered, uncovered], changed, changed_files(repo, "HEAD~1"))
    assert chosen == [covered]
