"""The `mutgate` command line: parse options, call the modules that do the work, print.

Exit codes: 0 success, 1 gate failure, 2 usage/configuration/input error, 3 the unmutated test
suite fails or cannot be collected, 4 internal error (a bug in mutgate), 130 interrupted.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

import click

from mutgate import __version__, cli_gate
from mutgate.cli_project import open_store, project_config
from mutgate.config import Config
from mutgate.errors import ConfigError, MutgateError
from mutgate.outcome import ERROR, NO_TESTS, STATUSES, SURVIVED, count_statuses, score
from mutgate.progress import Progress
from mutgate.text import one_line_change

EXIT_INTERNAL = 4
EXIT_INTERRUPTED = 130


RESUME_HINT = "interrupted; finished results are kept — run `mutgate run` again to resume"


def main() -> None:
    threading.excepthook = _quiet_thread_error
    try:
        code = cli.main(standalone_mode=False, prog_name="mutgate")
    except click.exceptions.Abort:
        _fail(RESUME_HINT, EXIT_INTERRUPTED)
    except click.ClickException as exc:
        _fail(exc.format_message(), exc.exit_code)
    except MutgateError as exc:
        _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        _fail(RESUME_HINT, EXIT_INTERRUPTED)
    except Exception as exc:  # a bug in mutgate: one line, unless asked for the traceback
        if os.environ.get("MUTGATE_DEBUG"):
            raise
        _fail(f"internal error: {type(exc).__name__}: {exc} (set MUTGATE_DEBUG=1 for details)",
              EXIT_INTERNAL)
    sys.exit(code if isinstance(code, int) else 0)


def _quiet_thread_error(args: threading.ExceptHookArgs) -> None:
    """Pool bookkeeping threads may fail while a run is torn down; that is not news."""
    if os.environ.get("MUTGATE_DEBUG"):
        threading.__excepthook__(args)


def _fail(message: str, code: int) -> None:
    click.echo(f"mutgate: error: {message}", err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mutgate")
@click.option("-C", "--project", "project", default=".", show_default=True,
              type=click.Path(file_okay=False),
              help="Run in DIR: the project is the nearest folder from there up with a "
                   "pyproject.toml, setup.cfg or setup.py.")
@click.pass_context
def cli(ctx: click.Context, project: str) -> None:
    """mutgate: a mutation-testing gate for Python projects tested with pytest."""
    ctx.obj = Path(project)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-j", "--jobs", type=click.IntRange(min=0), help="Worker processes (0 = CPUs).")
@click.option("--operators", help="Comma-separated families or operators to use.")
@click.option("--timeout-factor", type=float, help="Time limit = factor × tests' duration + c.")
@click.option("--timeout-constant", type=float, help="The constant c of the time limit (s).")
@click.option("--isolation", type=click.Choice(["auto", "fork", "subprocess"]),
              help="fork: warm workers (auto); subprocess: a fresh pytest per mutant.")
@click.option("--pytest-args", help="Extra arguments for pytest, as one string.")
@click.option("-q", "--quiet", is_flag=True, help="No progress and no notes: the summary.")
@click.option("--mutate-excluded", is_flag=True,
              help="Also mutate code the project's coverage configuration excludes.")
@click.option("--confirm", type=click.Choice(["module", "suite", "off"]),
              help="Re-run survivors against every test of their module (default) or suite.")
@click.option("--diff", "diff_ref", metavar="REF", help="Only lines changed since REF.")
@click.option("--sample", metavar="N|P%", help="Run a reproducible random sample.")
@click.option("--seed", default="0", show_default=True, help="Seed of --sample.")
@click.option("--shard", metavar="K/N", help="Run the K-th of N deterministic parts.")
@click.option("--no-reuse", is_flag=True, help="Re-run every mutant, re-measure coverage.")
@click.option("--backend", type=click.Choice(["loky", "dask"]), help="Where workers run.")
@click.option("--scheduler", metavar="ADDRESS", help="dask scheduler, e.g. tcp://host:8786.")
@click.pass_context
def run(ctx: click.Context, paths: tuple[str, ...], jobs: int | None, operators: str | None,
        timeout_factor: float | None, timeout_constant: float | None, isolation: str | None,
        pytest_args: str | None, diff_ref: str | None, sample: str | None, seed: str,
        shard: str | None, no_reuse: bool, backend: str | None, scheduler: str | None,
        confirm: str | None, mutate_excluded: bool, quiet: bool) -> None:
    """Mutate covered lines, run the covering tests, record the results."""
    from mutgate.runner import Selection
    from mutgate.runner import run as do_run
    from mutgate.sample import parse_sample
    from mutgate.shard import parse_shard

    config = project_config(
        ctx, jobs=jobs, timeout_factor=timeout_factor, timeout_constant=timeout_constant,
        isolation=isolation, backend=backend, scheduler=scheduler, confirm=confirm,
        mutate_excluded=True if mutate_excluded else None,
        operators=[o.strip() for o in operators.split(",") if o.strip()] if operators else None,
        pytest_args=pytest_args.split() if pytest_args else None)
    selection = Selection(
        paths=list(paths), diff_ref=diff_ref,
        sample=parse_sample(sample) if sample is not None else None, seed=seed,
        shard=parse_shard(shard) if shard else None, reuse=not no_reuse)
    with Progress(sys.stderr, tty=sys.stderr.isatty(), heartbeat=not quiet) as shown:
        # Notes go through the progress display: on a terminal they never land on its bar.
        outcome = do_run(config, selection, echo=(lambda _: None) if quiet else shown.say,
                         progress=None if quiet else shown.update)
    store = open_store(config)
    results = store.results_dict(outcome.run_id)
    store.close()
    click.echo(render_summary(results))


def render_summary(results: dict[str, Any], survivors: int = 10) -> str:
    run_info = results["run"]
    counts = results["counts"]
    lines = ["", "  ".join(f"{status}: {counts.get(status, 0)}" for status in STATUSES)]
    score = results["score"]
    text = "n/a (nothing scored)" if score is None else f"{score:.1f}%"
    if run_info.get("ci95"):
        low, high = run_info["ci95"]
        text += f" (95% CI {low:.1f}–{high:.1f}%, sampled)"
    lines.append(f"mutation score: {text}")
    lines.append(f"{results['total']} mutants in {run_info['wall_s']:.1f}s, "
                 f"{run_info['mutants_per_s']:.1f} mutants/s, {run_info['jobs']} job(s)"
                 + (f", {run_info['reused']} reused" if run_info.get("reused") else ""))
    if run_info.get("on_changed_lines") is not None and results["mutants"]:
        lines += _diff_groups(results)
    flaky = run_info.get("flaky_tests") or []
    if flaky:
        lines.append(f"{len(flaky)} test(s) failed when re-run unmutated (flaky or "
                      "order-dependent) and were not used to kill mutants:")
        lines += [f"  {test}" for test in flaky[:10]]
    alive = [m for m in results["mutants"] if m["status"] == SURVIVED]
    if alive:
        unconfirmed = sum(1 for m in alive if not m.get("confirmed"))
        lines.append(f"\nsurvivors ({len(alive)}"
                     + (f", {unconfirmed} not confirmed against the wider tests"
                        if unconfirmed else ", each confirmed against the wider tests")
                     + "):")
        for m in alive[:survivors]:
            lines.append(f"  {m['id']}  {m['file']}:{m['line']}  {m['operator']}  "
                         f"{one_line_change(m['original'], m['replacement'], 40)}"
                         + ("" if m.get("confirmed") else "  (unconfirmed)"))
        if len(alive) > survivors:
            lines.append(f"  ... and {len(alive) - survivors} more: "
                         "mutgate results --status survived")
        lines.append("see one with: mutgate show ID")
    unexplained = [m for m in results["mutants"] if m["status"] in (ERROR, NO_TESTS)]
    if unexplained:
        lines.append(f"\nnot scored ({len(unexplained)}):")
    for m in unexplained[:survivors]:
        lines.append(f"  {m['id']}  {m['status']}  {m['file']}:{m['line']}  "
                     f"{m.get('detail') or 'no reason recorded'}")
    return "\n".join(lines)


def _diff_groups(results: dict[str, Any]) -> list[str]:
    """A diff run's two kinds of mutants, each with its count and score."""
    on_changed = set(results["run"]["on_changed_lines"])
    groups = {"on changed lines": [], "covered by a changed test file": []}
    for m in results["mutants"]:
        groups["on changed lines" if m["id"] in on_changed
               else "covered by a changed test file"].append(m["status"])
    shown = []
    for name, statuses in groups.items():
        value = score(count_statuses(statuses))
        shown.append(f"  {name}: {len(statuses)} mutant(s), score "
                     + ("n/a" if value is None else f"{value:.1f}%"))
    return shown


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--status", type=click.Choice(STATUSES), help="Only mutants with this status.")
@click.option("--run", "run_id", type=int, help="A run id (default: the latest).")
@click.pass_context
def results(ctx: click.Context, as_json: bool, status: str | None, run_id: int | None) -> None:
    """Show the results of the latest run."""
    store = open_store(project_config(ctx))
    data = store.results_dict(store.require_run(run_id), status)
    store.close()
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    for m in data["mutants"]:
        why = f"  ({m['detail']})" if m.get("detail") and m["status"] in (ERROR, NO_TESTS) else ""
        click.echo(f"{m['id']}  {m['status']:<9} {m['file']}:{m['line']}  {m['operator']}  "
                   f"{one_line_change(m['original'], m['replacement'], 40)}{why}")
    click.echo(render_summary({**data, "mutants": []}))
    if data["run"].get("on_changed_lines") is not None and data["mutants"]:
        click.echo("\n".join(_diff_groups(data)))


def _find_mutant(config: Config, mutant_id: str, run: int | None = None) -> dict[str, Any]:
    store = open_store(config)
    try:
        run_id = store.require_run(run)
        matches = [m for m in store.mutants(run_id) if m["id"].startswith(mutant_id)]
    finally:
        store.close()
    if len(matches) != 1:
        problem = "no mutant" if not matches else f"{len(matches)} mutants"
        where = "the latest run" if run is None else f"run {run}"
        raise ConfigError(f"{problem} with id {mutant_id!r} in {where}")
    return matches[0]


#: How many covering tests `show` lists before "... and N more".
TESTS_SHOWN = 10


@cli.command()
@click.argument("mutant_id")
@click.option("--run", "run_id", type=int, help="A run id (default: the latest).")
@click.option("--all-tests", is_flag=True, help="List every covering test.")
@click.pass_context
def show(ctx: click.Context, mutant_id: str, run_id: int | None, all_tests: bool) -> None:
    """Show a mutant's diff, status and the tests that cover it."""
    from mutgate.report.diff import mutant_diff
    from mutgate.sources import read_source

    config = project_config(ctx)
    m = _find_mutant(config, mutant_id, run_id)
    click.echo(f"mutant {m['id']}: {m['status']}  ({m['operator']} in {m['qualname']})")
    if m.get("killed_by") and m["killed_by"] != m.get("detail"):
        click.echo(f"killed by: {m['killed_by']}")
    if m.get("detail"):
        click.echo(f"why: {m['detail']}")
    if m["status"] == SURVIVED:
        click.echo("confirmed: every other test of its module passed too" if m.get("confirmed")
                   else "not confirmed against the wider tests (see `confirm`)")
    click.echo(mutant_diff(read_source(config.root, m["file"]), m).rstrip("\n"))
    tests = m["covered_by"]
    click.echo(f"covered by {len(tests)} test(s):")
    shown = tests if all_tests else tests[:TESTS_SHOWN]
    for test in shown:
        killed = m.get("killers") is not None and test in m["killers"]
        click.echo(f"  {test}" + ("  (kills it)" if killed else ""))
    if len(shown) < len(tests):
        click.echo(f"  ... and {len(tests) - len(shown)} more (--all-tests lists them)")


@cli.command()
@click.argument("mutant_id")
@click.pass_context
def apply(ctx: click.Context, mutant_id: str) -> None:
    """Write a mutant into the working tree (for debugging; undo with git)."""
    from mutgate.atomic import write_text_atomic
    from mutgate.mutant import Mutant
    from mutgate.sources import read_source

    config = project_config(ctx)
    data = _find_mutant(config, mutant_id)
    mutant = Mutant.from_dict(data)
    source = read_source(config.root, mutant.file)
    try:
        mutated = mutant.apply_to(source)
    except ValueError:
        raise ConfigError(f"{mutant.file}: changed since the run; cannot apply "
                          f"{mutant.id}") from None
    write_text_atomic(config.root / mutant.file, mutated)
    in_git = any((folder / ".git").exists() for folder in (config.root, *config.root.parents))
    undo = (f" (undo: git checkout -- {mutant.file})" if in_git
            else " (not in a git checkout: undo it by hand)")
    click.echo(f"applied {mutant.id} to {mutant.file}:{mutant.line}{undo}")


for _command in cli_gate.COMMANDS:  # baseline, gate, report, merge
    cli.add_command(_command)

if __name__ == "__main__":
    main()
