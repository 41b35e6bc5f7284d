"""The HTML report: a summary page, a page per source file and a page of the tests that cover
survivors; static and self-contained.

Every page carries its CSS and JavaScript inline and loads nothing from the network, so the
report opens from disk, from a CI artifact, or offline. Text that comes from the project under
test (source, test names, paths) reaches the pages only through Jinja2's autoescaping or
``script_json``; it is shown, never run.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from mutgate import __version__
from mutgate.report.highlight import highlight_css
from mutgate.report.output import write_report_file
from mutgate.report.pages import TESTS_PAGE, file_context, index_context, ranking_context
from mutgate.report.palette import STATUS_LABELS, score_color
from mutgate.report.summary import format_score, plural, summarize_files

INDEX = "index.html"
_RUN_KEYS = (
    "id", "started_at", "wall_s", "mutants_per_s", "jobs", "seed", "ci95", "diff_ref", "shard",
    "operators",
)
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")
_SCRIPT_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def write_html(
    results: Mapping[str, Any],
    sources: Mapping[str, str],
    history: Sequence[Mapping[str, Any]],
    out_dir: Path,
) -> Path:
    """Write the report into ``out_dir`` (created if needed) and return the index page's path.

    ``sources`` maps the results' file paths to their text; ``history`` lists earlier runs as
    ``{"run_id", "started_at", "score"}``, oldest first (the current run is added if missing).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    env = _environment()
    files = summarize_files(results)
    pages = {summary.path: page_name(summary.path) for summary in files}
    common = _common_context(results)
    file_template = env.get_template("file.html")
    for summary in files:
        context = file_context(summary, sources.get(summary.path))
        text = file_template.render(**common, **context, title=summary.path)
        write_report_file(out_dir / pages[summary.path], text)
    tests_template = env.get_template("tests.html")
    text = tests_template.render(**common, **ranking_context(results, pages),
                                 title="Tests to strengthen")
    write_report_file(out_dir / TESTS_PAGE, text)
    index_template = env.get_template("index.html")
    context = index_context(results, files, pages, history)
    index = out_dir / INDEX
    write_report_file(index, index_template.render(**common, **context, title="Mutation report"))
    return index


def page_name(path: str) -> str:
    """The file name of a source file's page: readable, and unique even when slugs collide."""
    slug = _UNSAFE_NAME.sub("_", path).strip("_")[-80:] or "file"
    digest = hashlib.sha1(path.encode("utf-8")).hexdigest()[:8]
    return f"{slug}_{digest}.html"


def script_json(value: Any) -> Markup:
    """``value`` as JSON that is safe inside ``<script>``: no ``</script>``, no ``<!--``."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return Markup(text.translate(_SCRIPT_ESCAPES))


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("mutgate.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["score_color"] = score_color
    env.filters["pct"] = format_score
    env.filters["script_json"] = script_json
    env.filters["plural"] = plural
    return env


def _static(name: str) -> Markup:
    """A file of ``report/static`` for inlining; ours, so it is trusted markup."""
    text = resources.files("mutgate.report").joinpath("static", name).read_text("utf-8")
    return Markup(text)


def _common_context(results: Mapping[str, Any]) -> dict[str, Any]:
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return {
        "css": Markup(highlight_css(".src")) + _static("report.css"),
        "js": _static("report.js"),
        "version": __version__,
        "generated": generated,
        "run": {key: None for key in _RUN_KEYS} | dict(results.get("run") or {}),
        "status_labels": STATUS_LABELS,
        "index": INDEX,
        "tests_page": TESTS_PAGE,
    }
