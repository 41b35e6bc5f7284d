"""End to end: the pull-request check, ``mutgate run --diff`` + ``mutgate gate --diff`` (issue 5).

A git repo in a temp dir holds ``fixtures/gate_repo`` with its strong shipping tests (step C),
fully run and baselined on ``main``. Each test opens a branch from ``main`` with one commit
(files from ``fixtures/gate_repo/_steps/pr_*``) and checks that the diff run mutates only what
the commit changed, and that the gate fails exactly when a survivor sits on a changed line —
with GitHub annotations and a step summary when run under GitHub Actions.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from helpers.commands import commit, ok, sh
from helpers.projects import FIXTURES

pytestmark = pytest.mark.e2e

FIXTURE = FIXTURES / "gate_repo"
CI_DOC = Path(__file__).resolve().parents[2] / "docs" / "ci.md"
PRICING = "src/gatepkg/pricing.py"
TAX_TEST = "tests/test_pricing.py::test_with_tax"


def results(repo: Path) -> dict:
    return json.loads(ok(sh(repo, "mutgate", "results", "--json")).stdout)


def open_pr(repo: Path, branch: str, step: str) -> None:
    """A branch from main with one commit: the files of ``_steps/<step>`` copied over."""
    ok(sh(repo, "git", "clean", "-fdq"))  # reports other tests wrote (.mutgate/ is ignored)
    ok(sh(repo, "git", "checkout", "-q", "-B", branch, "main"))
    shutil.copytree(FIXTURE / "_steps" / step, repo, dirs_exist_ok=True)
    commit(repo, step)


def diff_of_last_commit(repo: Path) -> dict[str, set[int]]:
    """New-side line numbers added by HEAD, per file, read from git's own hunk headers."""
    text = ok(sh(repo, "git", "diff", "--unified=0", "--no-color", "HEAD~1", "HEAD")).stdout
    changed: dict[str, set[int]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("+++ "):
            current = line[len("+++ b/"):]
            changed[current] = set()
        elif match := re.match(r"@@ -\S+ \+(\d+)(?:,(\d+))? @@", line):
            start, count = int(match.group(1)), int(match.group(2) or 1)
            changed[current].update(range(start, start + count))
    return changed


def timed_run(repo: Path, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    started = time.perf_counter()
    done = ok(sh(repo, "mutgate", "run", "-j", "2", *args))
    return done, time.perf_counter() - started


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> dict:
    """``main``: gate_repo with strong shipping tests, a full run and its committed baseline."""
    repo = tmp_path_factory.mktemp("pr") / "gate_repo"
    shutil.copytree(FIXTURE, repo, ignore=shutil.ignore_patterns(
        ".mutgate", "__pycache__", ".pytest_cache", ".coverage*"))
    shutil.copytree(FIXTURE / "_steps" / "C", repo, dirs_exist_ok=True)
    ok(sh(repo, "git", "init", "-q", "-b", "main"))
    commit(repo, "gatepkg")
    _, wall = timed_run(repo)
    full = results(repo)
    ok(sh(repo, "mutgate", "baseline"))
    commit(repo, "baseline")
    return {"repo": repo, "full": full, "wall": wall}


def check_diff_run(base: dict, data: dict, wall: float) -> None:
    """Every mutant of the diff run is on a changed line or covered by a changed test file."""
    repo, full = base["repo"], base["full"]
    changed = diff_of_last_commit(repo)
    test_files = {f for f in changed if f.startswith("tests/")}
    assert data["run"]["diff_ref"] == "HEAD~1"
    for m in data["mutants"]:
        on_line = bool(set(range(m["line"], m["end_line"] + 1)) & changed.get(m["file"], set()))
        by_test = any(t.split("::")[0] in test_files for t in m["covered_by"])
        assert on_line or by_test, f"{m['id']} {m['file']}:{m['line']} is outside the change"
    print(f"full run: {full['total']} mutants in {base['wall']:.1f}s; "
          f"diff run: {data['total']} mutants in {wall:.1f}s")
    assert 0 < data["total"] < full["total"]


def test_changed_function_runs_only_its_mutants_and_passes(base):
    repo = base["repo"]
    open_pr(repo, "pr-line-total", "pr_killed")  # line_total now names its result
    assert diff_of_last_commit(repo) == {PRICING: {5, 6}}
    _, wall = timed_run(repo, "--diff", "HEAD~1")
    data = results(repo)
    check_diff_run(base, data, wall)
    assert sorted((m["line"], m["operator"], m["original"], m["replacement"], m["status"])
                  for m in data["mutants"]) == [
        (5, "operator.arith", "*", "/", "killed"),
        (6, "return.empty", "total", "0", "killed"),
    ]
    assert not any(m["reused"] for m in data["mutants"])
    summary = repo.parent / "summary-pass.md"
    gate = sh(repo, "mutgate", "gate", "--diff", "HEAD~1", GITHUB_ACTIONS="true",
              GITHUB_STEP_SUMMARY=str(summary))
    assert gate.returncode == 0, gate.stdout + gate.stderr
    assert "::error" not in gate.stdout
    assert gate.stdout.splitlines()[0] == "mutants on lines changed since HEAD~1"
    assert gate.stdout.splitlines()[-1] == (
        "gate: passed — changed code only: score 100.0%, not compared with baseline 73.1%")
    assert summary.read_text().startswith("### mutgate: mutation score **100.0%**\n")
    assert "\n**gate: passed — " in summary.read_text()
    # Everything else is still known: a full run now re-runs nothing.
    again = ok(sh(repo, "mutgate", "run", "-j", "2"))
    total = base["full"]["total"]
    assert f"{total} mutants on covered lines, {total} results reused, 0 to run" in again.stderr


def test_survivor_on_a_changed_line_fails_with_annotations_and_summary(base):
    repo = base["repo"]
    open_pr(repo, "pr-tax-limit", "pr_survivor")  # with_tax rejects rates > 50, untested
    assert diff_of_last_commit(repo) == {PRICING: {18, 19}}
    _, wall = timed_run(repo, "--diff", "HEAD~1")
    data = results(repo)
    check_diff_run(base, data, wall)
    survivors = [("boundary.relational", ">", ">="), ("boundary.constant", "50", "49"),
                 ("boundary.constant", "50", "51")]
    assert sorted((m["line"], m["operator"], m["original"], m["replacement"], m["status"])
                  for m in data["mutants"]) == sorted(
        [(18, op, a, b, "survived") for op, a, b in survivors]
        + [(18, "operator.compare", ">", "!=", "killed")])

    summary = repo.parent / "summary-fail.md"
    summary.write_text("output of an earlier step\n")
    gate = sh(repo, "mutgate", "gate", "--diff", "HEAD~1", GITHUB_ACTIONS="true",
              GITHUB_STEP_SUMMARY=str(summary))
    assert gate.returncode == 1, gate.stdout + gate.stderr
    out = gate.stdout
    annotations = sorted(line for line in out.splitlines() if line.startswith("::"))
    assert annotations == sorted(
        f"::error file={PRICING},line=18,title=mutgate::Surviving mutant ({op}): {a} -> {b} "
        f"— covered by {TAX_TEST}, none failed" for op, a, b in survivors)
    assert "new surviving mutants (3):" in out
    assert "- 3 new surviving mutant(s) on changed lines that the baseline does not know" in out
    verdict = next(line for line in out.splitlines() if line.startswith("gate: "))
    assert verdict == ("gate: FAILED — changed code only: score 25.0%, not compared with "
                       "baseline 73.1%")

    text = summary.read_text()
    earlier, rest = text.split("\n", 1)
    assert earlier == "output of an earlier step"  # appended, not overwritten
    markdown, verdict_md = rest.split("\n\n**gate: ", 1)
    assert markdown.startswith("### mutgate: mutation score **25.0%**\n")  # no partial-vs-whole
    assert "#### Surviving mutants (3)" in markdown
    tax_test = "`tests/test_pricing.py::test_with_tax`"
    assert (f"| `{PRICING}:18` | `boundary.constant` | "
            f"`50` → `49` | {tax_test} |") in markdown.splitlines()
    assert markdown.count(f"| `{PRICING}:18` |") == 3
    assert verdict_md == (f"{verdict[len('gate: '):]}**\n\n- 3 new surviving mutant(s) on "
                          "changed lines that the baseline does not know\n\n")

    report = repo.parent / "report.md"
    done = ok(sh(repo, "mutgate", "report", "--markdown", str(report)))
    assert done.stdout == f"wrote {report}\n"
    assert report.read_text() == markdown + "\n"


def test_change_to_a_test_file_reruns_the_mutants_it_covers(base):
    repo = base["repo"]
    open_pr(repo, "pr-tests-only", "pr_tests_only")  # one more assertion in test_shipping.py
    assert set(diff_of_last_commit(repo)) == {"tests/test_shipping.py"}
    _, wall = timed_run(repo, "--diff", "HEAD~1")
    data = results(repo)
    check_diff_run(base, data, wall)
    covered = {m["id"] for m in base["full"]["mutants"]
               if any(t.startswith("tests/test_shipping.py::") for t in m["covered_by"])}
    assert {m["id"] for m in data["mutants"]} == covered
    assert all(m["file"] == "src/gatepkg/shipping.py" for m in data["mutants"])
    assert not any(m["reused"] for m in data["mutants"]), "a changed test must re-run"
    assert {m["status"] for m in data["mutants"]} == {"killed"}
    gate = sh(repo, "mutgate", "gate", "--diff", "HEAD~1")
    assert gate.returncode == 0, gate.stdout + gate.stderr
    assert "new surviving mutants" not in gate.stdout


# -- docs/ci.md: the workflows it shows must work ------------------------------------------------


def ci_doc() -> tuple[dict, dict, dict]:
    """The GitHub workflow, the sharded GitHub workflow and the GitLab pipeline of docs/ci.md."""
    blocks = re.findall(r"```yaml\n(.*?)```", CI_DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 3, "docs/ci.md should hold three YAML blocks"
    github, sharded, gitlab = (yaml.safe_load(block) for block in blocks)
    return github, sharded, gitlab


def commands(job: dict) -> list[str]:
    """The shell lines of a GitHub job (``run:``) or a GitLab job (``script:``)."""
    if "steps" in job:
        return [line for step in job["steps"] if "run" in step
                for line in step["run"].splitlines()]
    return [line for key in ("script", "after_script") for line in job.get(key, [])]


def test_ci_doc_workflows_have_the_required_parts():
    github, sharded, gitlab = ci_doc()
    pr = github["jobs"]["pr-check"]
    checkout = next(s for s in pr["steps"] if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    for job in (pr, github["jobs"]["nightly"]):
        cache = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/cache"))
        assert cache["with"]["path"] == ".mutgate/"
    assert "mutgate run --diff origin/${{ github.base_ref }}" in commands(pr)
    nightly = commands(github["jobs"]["nightly"])
    assert 'mutgate run --sample 2000 --seed "$(date +%F)"' in nightly
    assert "mutgate baseline" in nightly
    assert sharded["jobs"]["shard"]["strategy"]["matrix"]["shard"] == [1, 2, 3, 4]
    assert "mutgate run --shard ${{ matrix.shard }}/4" in commands(sharded["jobs"]["shard"])
    assert "mutgate merge shards/*.sqlite" in commands(sharded["jobs"]["merge"])
    assert gitlab["mutgate-mr"]["variables"]["GIT_DEPTH"] == 0
    assert gitlab[".mutgate"]["cache"]["paths"][0] == ".mutgate/"
    # Every mutgate command and option the doc uses exists.
    jobs = [*github["jobs"].values(), *sharded["jobs"].values(),
            *(job for name, job in gitlab.items() if name.startswith(("mutgate", ".")))]
    used: dict[str, set[str]] = {}
    for line in (line for job in jobs for line in commands(job)):
        for sub, rest in re.findall(r"\bmutgate ([a-z]+)([^;|&]*)", line):
            used.setdefault(sub, set()).update(re.findall(r"(?<!\S)(--[a-z-]+)", rest))
    assert set(used) == {"run", "gate", "baseline", "report", "merge"}
    for sub, options in used.items():
        helptext = ok(sh(CI_DOC.parent, "mutgate", sub, "--help")).stdout
        for option in options:
            assert re.search(rf"(?<![\w-]){option}(?![\w-])", helptext), f"mutgate {sub} {option}"


def test_ci_doc_pr_jobs_work_on_a_pull_request(base):
    """The doc's PR commands, GitHub's and GitLab's, on a branch with a survivor."""
    repo = base["repo"]
    ok(sh(repo, "git", "remote", "add", "origin", str(repo)))
    ok(sh(repo, "git", "fetch", "-q", "origin", "main"))
    main_sha = ok(sh(repo, "git", "rev-parse", "origin/main")).stdout.strip()
    open_pr(repo, "pr-doc", "pr_survivor")
    ok(sh(repo, "git", "commit", "-q", "--allow-empty", "--no-gpg-sign", "-m", "two commits"))
    github, _, gitlab = ci_doc()
    summary = repo.parent / "doc-summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary),
           "CI_MERGE_REQUEST_DIFF_BASE_SHA": main_sha}
    for job in (github["jobs"]["pr-check"], gitlab["mutgate-mr"]):
        lines = [c.replace("${{ github.base_ref }}", "main") for c in commands(job)
                 if c.startswith("mutgate ")]
        run, gate = lines[0], lines[1]
        assert run.startswith("mutgate run --diff ") and gate.startswith("mutgate gate")
        ok(sh(repo, "bash", "-c", run, **env))
        data = results(repo)
        assert {(m["line"], m["status"]) for m in data["mutants"]} == {
            (18, "survived"), (18, "killed")}
        judged = sh(repo, "bash", "-c", gate, **env)
        assert judged.returncode == 1, judged.stdout + judged.stderr
        assert f"::error file={PRICING},line=18," in judged.stdout
        for line in lines[2:]:
            ok(sh(repo, "bash", "-c", line, **env))
    assert summary.read_text().count("### mutgate: mutation score **25.0%**") == 2


def test_annotations_name_files_from_the_repository_root(base, tmp_path):
    """A project in a subdirectory of its repository (a monorepo): GitHub wants repo paths."""
    mono = tmp_path / "mono"
    project = mono / "services" / "shop"
    shutil.copytree(FIXTURE, project, ignore=shutil.ignore_patterns(
        ".mutgate", "__pycache__", ".pytest_cache", ".coverage*"))
    shutil.copytree(FIXTURE / "_steps" / "C", project, dirs_exist_ok=True)
    shutil.copy(base["repo"] / "mutgate-baseline.json", project)  # same project, same settings
    (mono / "README.md").write_text("other services live here\n")
    ok(sh(mono, "git", "init", "-q", "-b", "main"))
    commit(mono, "monorepo")
    shutil.copytree(FIXTURE / "_steps" / "pr_survivor", project, dirs_exist_ok=True)
    commit(mono, "with_tax rejects high rates")
    ok(sh(project, "mutgate", "run", "-j", "2", "--diff", "HEAD~1"))
    for cwd, env in ((project, {}), (mono, {"GITHUB_WORKSPACE": str(mono)})):
        gate = sh(cwd, "mutgate", "-C", str(project), "gate", GITHUB_ACTIONS="true", **env)
        assert gate.returncode == 1, gate.stdout + gate.stderr
        files = {line.split(",")[0] for line in gate.stdout.splitlines()
                 if line.startswith("::")}
        assert files == {f"::error file=services/shop/{PRICING}"}
