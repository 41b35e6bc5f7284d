"""Which folders of a project the coverage run watches, and what counts as a change
(`mutgate.tree_writes`)."""

from __future__ import annotations

import os

from mutgate.tree_writes import changed, project_dirs, stamps


def test_the_project_folders_are_watched_but_caches_environments_and_state_are_not(tmp_path):
    for folder in ("pkg/sub", "tests", ".git/objects", ".mutgate", "pkg/__pycache__",
                   "venv/lib", "env2/lib", "pkg.egg-info"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "env2" / "pyvenv.cfg").write_text("home = /usr\n")
    watched = {os.path.relpath(d, tmp_path) for d in project_dirs(str(tmp_path))}
    assert watched == {".", "pkg", "pkg/sub", "tests"}


def test_at_most_the_limit_of_folders_shallowest_first(tmp_path):
    for name in ("a/deep/deeper", "b", "c"):
        (tmp_path / name).mkdir(parents=True)
    assert [os.path.relpath(d, tmp_path) for d in project_dirs(str(tmp_path), limit=4)] == [
        ".", "a", "b", "c"]


def test_creating_or_deleting_a_file_changes_its_folder_and_rewriting_one_does_not(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "kept.txt").write_text("1")
    dirs = project_dirs(str(tmp_path))
    before = stamps(dirs)
    (tmp_path / "data" / "kept.txt").write_text("2")
    assert changed(dirs, before, stamps(dirs), str(tmp_path)) == []
    os.utime(tmp_path / "data", ns=(1, 1))  # mtimes are coarse on some file systems
    before = stamps(dirs)
    (tmp_path / "data" / "new.txt").write_text("3")
    assert changed(dirs, before, stamps(dirs), str(tmp_path)) == ["data"]
