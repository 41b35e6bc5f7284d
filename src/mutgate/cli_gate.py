"""`mutgate baseline`, `gate`, `report` and `merge`: the commands that read recorded runs.

They are plain click commands (`COMMANDS`); `cli.py` adds them to the `mutgate` group. This
module never imports `cli.py`: what both need is in `cli_project.py`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from mutgate.cli_project import open_store, project_config
from mutgate.config import Config, project_name
from mutgate.errors import EXIT_GATE_FAILED, ConfigError
from mutgate.text import one_line


def _latest_results(config: Config) -> dict[str, Any]:
    store = open_store(config)
    try:
        return store.results_dict(store.require_run())
    finally:
        store.close()


def _exit_gate_failed() -> None:
    """Exit with 1. Not ``ctx.exit``: ``cli.main`` runs click with ``standalone_mode=False``,
    where click *returns* the code of ``ctx.exit`` and ``main`` then exits with 0."""
    raise SystemExit(EXIT_GATE_FAILED)


def _baseline_path(config: Config, option: str | None) -> Path:
    return config.root / (option or config.baseline)


@contextmanager
def _writing(path: Path | str) -> Iterator[None]:
    """A file or directory the user named cannot be written: an input error, not a crash."""
    try:
        yield
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write: {exc.strerror or exc}") from None


@click.command()
@click.option("--baseline", "baseline_file", metavar="FILE", help="Baseline file to write.")
@click.option("--check", is_flag=True, help="Only say whether the baseline is stale (exit 1).")
@click.option("--allow-decrease", is_flag=True, help="Accept a lower score than before.")
@click.pass_context
def baseline(ctx: click.Context, baseline_file: str | None, check: bool,
             allow_decrease: bool) -> None:
    """Write the committed baseline from the latest run (a ratchet: it only moves up)."""
    from mutgate.atomic import write_text_atomic
    from mutgate.baseline import load_baseline, render_baseline
    from mutgate.ratchet import is_stale, update_baseline

    config = project_config(ctx)
    path = _baseline_path(config, baseline_file)
    results = _latest_results(config)
    name = project_name(config.root)
    if check:
        reasons = is_stale(load_baseline(path, name), results, name)
        if reasons:
            click.echo(f"{path.name} is stale:")
            for reason in reasons:
                click.echo(f"  - {reason}")
            _exit_gate_failed()
        click.echo(f"{path.name} is up to date")
        return
    old = load_baseline(path, name) if path.exists() else None
    data, message = update_baseline(old, results, name, allow_decrease)
    with _writing(path):
        write_text_atomic(path, render_baseline(data))
    click.echo(f"{path.name}: {message}")


@click.command()
@click.option("--baseline", "baseline_file", metavar="FILE", help="Baseline to compare with.")
@click.option("--tolerance", type=float, metavar="PCT", help="Allowed drop in points.")
@click.option("--diff", "diff_ref", metavar="REF", help="Judge new survivors on lines changed "
              "since REF only.")
@click.option("--survivors", "survivor_rule", type=click.Choice(["anywhere", "changed-lines",
              "off"]), help="Where a survivor the baseline does not know fails the gate.")
@click.pass_context
def gate(ctx: click.Context, baseline_file: str | None, tolerance: float | None,
         diff_ref: str | None, survivor_rule: str | None) -> None:
    """Compare the latest run with the baseline; exit 1 when it is worse."""
    from mutgate.baseline import load_baseline
    from mutgate.gate import judge
    from mutgate.gate_report import render_verdict

    config = project_config(ctx, tolerance=tolerance, survivor_rule=survivor_rule)
    results = _latest_results(config)
    data = load_baseline(_baseline_path(config, baseline_file), project_name(config.root))
    ref = diff_ref or results["run"].get("diff_ref")
    rule = config.survivor_rule
    if ref and not survivor_rule and rule == "anywhere":
        rule = "changed-lines"  # with a diff, the default rule judges the changed lines
    changed = None
    if rule == "changed-lines":
        if not ref:
            raise ConfigError("survivor rule 'changed-lines' needs a diff: pass --diff REF")
        from mutgate.in_diff import changed_lines

        changed = changed_lines(config.root, ref)
    partial = bool(results["run"].get("diff_ref"))
    verdict = judge(results, data, config.tolerance, rule, changed, partial=partial)
    click.echo(render_verdict(verdict, results), nl=False)  # it ends with a newline
    if os.environ.get("GITHUB_ACTIONS") == "true":
        # A --diff run's score covers the changed code only: not comparable with the baseline.
        _github_output(results, verdict, None if partial else data["overall"]["score"],
                       _repo_prefix(config.root))
    if not verdict.passed:
        _exit_gate_failed()


def _repo_prefix(root: Path) -> str:
    """The project's directory inside the checked-out repository (``""`` at its top, else
    ``"svc/"``): annotations name files from the repository's root, mutgate from the project's.
    """
    workspace = os.environ.get("GITHUB_WORKSPACE")
    if workspace:
        try:
            rel = root.resolve().relative_to(Path(workspace).resolve()).as_posix()
        except ValueError:
            rel = "."
        return "" if rel == "." else rel + "/"
    import subprocess

    try:
        found = subprocess.run(["git", "rev-parse", "--show-prefix"], cwd=root, text=True,
                               capture_output=True, check=False)
    except OSError:
        return ""
    return found.stdout.strip() if found.returncode == 0 else ""


def _github_output(results: dict[str, Any], verdict: Any, baseline_score: float | None,
                   prefix: str = "") -> None:
    from mutgate.gate import summary_line
    from mutgate.report.markdown import escape_markdown, to_markdown

    # Survivors that do not decide (a sampled run or baseline) are warnings, not errors.
    level = "warning" if verdict.survivors_info else "error"
    for m in verdict.new_survivors:
        tests = ", ".join(m.get("covered_by", [])[:3]) or "no test"
        message = (f"Surviving mutant ({m['operator']}): {m['original']} -> {m['replacement']}"
                   f" — covered by {tests}, none failed")
        click.echo(f"::{level} file={_workflow_property(prefix + m['file'])},line={m['line']},"
                   f"title=mutgate::{_workflow_data(message)}")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        verdict_lines = [f"**{escape_markdown(summary_line(verdict))}**", ""]
        verdict_lines += [f"- {escape_markdown(reason)}" for reason in verdict.reasons]
        with _writing(summary), open(summary, "a", encoding="utf-8") as handle:
            handle.write(to_markdown(results, baseline_score) + "\n"
                         + "\n".join(verdict_lines).rstrip("\n") + "\n\n")


def _workflow_data(text: str) -> str:
    """The message of a GitHub workflow command: one line, ``%`` escaped."""
    return one_line(str(text).replace("%", "%25"))


def _workflow_property(text: str) -> str:
    """A property value (``file=...``) of a workflow command: ``,`` and ``:`` end it."""
    escaped = str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return escaped.replace(":", "%3A").replace(",", "%2C")


@click.command()
@click.option("--html", "html_dir", metavar="DIR", help="Write the HTML report into DIR.")
@click.option("--json", "json_file", metavar="FILE", help="Write mutation-testing-report JSON.")
@click.option("--junit", "junit_file", metavar="FILE", help="Write JUnit XML (survivors fail).")
@click.option("--markdown", "markdown_file", metavar="FILE", help="Write a Markdown summary.")
@click.option("--run", "run_id", type=int, help="A run id (default: the latest).")
@click.pass_context
def report(ctx: click.Context, html_dir: str | None, json_file: str | None,
           junit_file: str | None, markdown_file: str | None, run_id: int | None) -> None:
    """Write reports of the latest run (or of --run N)."""
    from mutgate.sources import read_source

    if not any((html_dir, json_file, junit_file, markdown_file)):
        raise click.UsageError("say what to write: --html DIR, --json FILE, --junit FILE "
                               "or --markdown FILE")
    config = project_config(ctx)
    store = open_store(config)
    try:
        results = store.results_dict(store.require_run(run_id))
        history = store.history()
    finally:
        store.close()
    sources = {}
    for file in sorted({m["file"] for m in results["mutants"]}):
        try:
            sources[file] = read_source(config.root, file)
        except ConfigError:
            continue
    written = []
    if html_dir:
        from mutgate.report.html import write_html

        with _writing(html_dir):
            written.append(write_html(results, sources, history, Path(html_dir)))
    if json_file:
        from mutgate.report.stryker import write_stryker

        with _writing(json_file):
            written.append(write_stryker(results, sources, project_name(config.root),
                                         Path(json_file)))
    if junit_file:
        from mutgate.report.junit import write_junit

        with _writing(junit_file):
            written.append(write_junit(results, sources, Path(junit_file)))
    if markdown_file:
        from mutgate.report.markdown import write_markdown

        with _writing(markdown_file):
            written.append(write_markdown(results, Path(markdown_file)))
    for path in written:
        click.echo(f"wrote {path}")


@click.command()
@click.argument("databases", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.pass_context
def merge(ctx: click.Context, databases: tuple[str, ...]) -> None:
    """Combine the latest runs of shard databases into one run of this project."""
    from mutgate.merge import merge_shards

    config = project_config(ctx)
    run_id, total = merge_shards(config.state_dir, [Path(d) for d in databases])
    click.echo(f"merged {len(databases)} shard(s) into run {run_id}: {total} mutants")
    click.echo(json.dumps(_latest_results(config)["counts"]))


#: The commands `cli.py` adds to the `mutgate` group.
COMMANDS = (baseline, gate, report, merge)
