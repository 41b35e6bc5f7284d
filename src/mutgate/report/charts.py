"""Geometry of the report's two charts, computed here and drawn as inline SVG by the templates.

The per-file chart puts one labelled bar per scored file, worst on top (the weakest
``MAX_FILE_BARS`` when there are more), so a glance shows which files are weak and how weak.
The trend chart draws the score of each run, oldest first. Both are plain numbers in a fixed
coordinate space (the SVG ``viewBox``); the browser scales them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mutgate.report.palette import score_color
from mutgate.report.summary import FileSummary, format_score, plural, short_names

WIDTH = 600.0
_LEFT, _RIGHT, _TOP, _BOTTOM = 34.0, 10.0, 10.0, 26.0
_THRESHOLDS = (60.0, 80.0)
_TICKS = (0.0, 20.0, 40.0, 60.0, 80.0, 100.0)
#: The per-file chart: at most this many bars, a row of this height each, names this wide.
MAX_FILE_BARS = 20
_ROW, _BAR = 22.0, 14.0
_NAME_W, _VALUE_W = 180.0, 52.0
_NAME_CHARS = 28


@dataclass(frozen=True)
class Mark:
    """A bar or a point: its box (x, y, width, height), color, tooltip and link; a bar of the
    per-file chart also has its file's ``name`` and its ``value`` as text."""

    x: float
    y: float
    width: float
    height: float
    color: str
    title: str
    href: str = ""
    name: str = ""
    value: str = ""


@dataclass(frozen=True)
class Gridline:
    """A line from (x1, y1) to (x2, y2), its label at (label_x, label_y) anchored ``anchor``."""

    x1: float
    y1: float
    x2: float
    y2: float
    label: str = ""
    label_x: float = 0.0
    label_y: float = 0.0
    anchor: str = "end"
    threshold: bool = False


@dataclass
class Chart:
    """Everything a template needs to draw one chart."""

    width: float
    height: float
    marks: list[Mark] = field(default_factory=list)
    gridlines: list[Gridline] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # SVG polyline point lists
    xlabels: list[tuple[float, str]] = field(default_factory=list)
    caption: str = ""

    @property
    def plot_left(self) -> float:
        return _LEFT

    @property
    def plot_right(self) -> float:
        return self.width - _RIGHT


def _y(score: float, height: float) -> float:
    plot = height - _TOP - _BOTTOM
    return _TOP + plot * (1.0 - min(100.0, max(0.0, score)) / 100.0)


def _gridlines(height: float) -> list[Gridline]:
    """Horizontal lines at the score ticks, labelled on the left, and the two thresholds."""
    right = WIDTH - _RIGHT
    lines = [Gridline(_LEFT, _y(v, height), right, _y(v, height), f"{v:.0f}", _LEFT - 8,
                      _y(v, height) + 4) for v in _TICKS]
    lines += [Gridline(_LEFT, _y(v, height), right, _y(v, height), threshold=True)
              for v in _THRESHOLDS]
    return lines


def file_score_chart(
    files: Sequence[FileSummary], pages: Mapping[str, str], limit: int = MAX_FILE_BARS
) -> Chart:
    """A bar per scored file, lowest score on top, named by the shortest tail of its path
    that tells it from the others; only the ``limit`` lowest when there are more.
    ``pages`` maps a file to its page."""
    scored = sorted((f for f in files if f.score is not None), key=lambda f: (f.score, f.path))
    names = short_names([f.path for f in files])
    shown = scored[: max(1, limit)]
    plot_left, plot_right = _NAME_W, WIDTH - _VALUE_W
    height = _TOP + _ROW * max(1, len(shown)) + _BOTTOM
    bottom = height - _BOTTOM
    chart = Chart(WIDTH, height)
    for v in _TICKS:
        x = plot_left + (plot_right - plot_left) * v / 100.0
        chart.gridlines.append(Gridline(x, _TOP, x, bottom, f"{v:.0f}", x, height - 8, "middle"))
    for v in _THRESHOLDS:
        x = plot_left + (plot_right - plot_left) * v / 100.0
        chart.gridlines.append(Gridline(x, _TOP, x, bottom, threshold=True))
    if not scored:
        chart.caption = "No file has a score yet."
        return chart
    for index, summary in enumerate(shown):
        value = float(summary.score or 0.0)
        name = names[summary.path]
        chart.marks.append(
            Mark(
                x=plot_left,
                y=_TOP + index * _ROW + (_ROW - _BAR) / 2,
                width=max(1.5, (plot_right - plot_left) * value / 100.0),
                height=_BAR,
                color=score_color(value),
                title=f"{summary.path}: {format_score(value)} "
                f"({summary.survived} survived of {summary.total})",
                href=pages.get(summary.path, ""),
                name=name if len(name) <= _NAME_CHARS else "…" + name[1 - _NAME_CHARS :],
                value=format_score(value, 0),
            )
        )
    if len(shown) < len(scored):
        caption = f"the {len(shown)} lowest of {plural(len(scored), 'scored file')}"
    else:
        caption = plural(len(scored), "file") + (", lowest score first" if len(scored) > 1 else "")
    unscored = len(files) - len(scored)
    chart.caption = caption + (f"; {unscored} without a score" if unscored else "")
    return chart


def trend_chart(history: Sequence[Mapping[str, Any]], height: float = 230.0) -> Chart:
    """The score of each run in ``history`` (oldest first), a point per run.

    Full runs are the line: each measured every mutant. A sampled run (``sampled`` true) is a
    point off the line with its 95% interval (``ci95``) drawn as a whisker: its score is an
    estimate, and a lucky or unlucky sample must not look like a move of the trend. An entry
    without ``sampled`` counts as a full run.
    """
    chart = Chart(WIDTH, height, gridlines=_gridlines(height))
    if not history:
        chart.caption = "No runs recorded yet."
        return chart
    plot_w = WIDTH - _LEFT - _RIGHT
    step = plot_w / (len(history) - 1) if len(history) > 1 else 0.0
    every = max(1, -(-len(history) // 12))
    segment: list[str] = []
    whiskers: list[str] = []
    for index, run in enumerate(history):
        x = _LEFT + (index * step if len(history) > 1 else plot_w / 2)
        if index % every == 0 or index == len(history) - 1:
            chart.xlabels.append((x, f"#{run.get('run_id', index + 1)}"))
        value = run.get("score")
        sampled = bool(run.get("sampled"))
        if value is None:
            if not sampled:  # an unscored full run breaks the line
                if len(segment) > 1:
                    chart.lines.append(" ".join(segment))
                segment = []
            continue
        y = _y(float(value), height)
        what = format_score(float(value))
        if sampled:
            ci95 = run.get("ci95")
            if _is_interval(ci95):
                low, high = float(ci95[0]), float(ci95[1])
                whiskers.append(_whisker(x, _y(high, height), _y(low, height)))
                what += f" (95% CI {format_score(low)}–{format_score(high)})"
            what = f"sampled: {what}"
        else:
            segment.append(f"{x:.1f},{y:.1f}")
            what = f"full run: {what}"
        chart.marks.append(
            Mark(
                x=x,
                y=y,
                width=0.0,
                height=0.0,
                color=score_color(float(value)),
                title=f"run {run.get('run_id', '?')} · {run.get('started_at', '')} · {what}",
            )
        )
    if len(segment) > 1:
        chart.lines.append(" ".join(segment))
    chart.lines.extend(whiskers)
    full = sum(1 for run in history if run.get("score") is not None and not run.get("sampled"))
    samples = sum(1 for run in history if run.get("score") is not None and run.get("sampled"))
    runs = f"{len(history)} run" + ("s, oldest first" if len(history) > 1 else "")
    if samples:
        chart.caption = (f"{runs}; the line joins full runs, sampled runs are points with "
                         "their 95% interval" + ("" if full > 1 else
                                                 " (a line needs two scored full runs)"))
    else:
        chart.caption = runs if full > 1 else f"{runs}; a trend needs two scored runs"
    return chart


def _whisker(x: float, top: float, bottom: float, cap: float = 3.0) -> str:
    """An interval as one polyline: a cap at ``top``, the stem, a cap at ``bottom``."""
    return " ".join(f"{px:.1f},{py:.1f}" for px, py in (
        (x - cap, top), (x + cap, top), (x, top), (x, bottom), (x - cap, bottom),
        (x + cap, bottom)))


def _is_interval(value: Any) -> bool:
    return (isinstance(value, (list, tuple)) and len(value) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
            and 0.0 <= value[0] <= value[1] <= 100.0)
