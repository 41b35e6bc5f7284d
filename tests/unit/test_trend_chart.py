"""The report's trend chart: full runs are the line, sampled runs points with their interval."""

from __future__ import annotations

from mutgate.report.charts import _y, trend_chart

HEIGHT = 230.0


def points(polyline: str) -> list[tuple[float, float]]:
    return [tuple(float(v) for v in pair.split(",")) for pair in polyline.split()]


def run(run_id: int, score: float | None, ci95: list[float] | None = None,
        sampled: bool | None = None) -> dict:
    entry = {"run_id": run_id, "started_at": f"2026-11-{run_id:02d}", "score": score}
    if sampled is not None:
        entry.update(sampled=sampled, ci95=ci95)
    return entry


NIGHTS = [run(1, 80.71, sampled=False), run(2, 86.0, [73.81, 93.05], sampled=True),
          run(3, 74.0, [60.4, 84.1], sampled=True), run(4, 81.5, sampled=False)]


def test_the_line_joins_the_full_runs_only() -> None:
    chart = trend_chart(NIGHTS, HEIGHT)
    marks = {int(m.title.split()[1]): m for m in chart.marks}
    line = points(chart.lines[0])
    assert line == [(round(marks[1].x, 1), round(marks[1].y, 1)),
                    (round(marks[4].x, 1), round(marks[4].y, 1))]
    assert all((round(marks[n].x, 1), round(marks[n].y, 1)) not in line for n in (2, 3))


def test_each_sampled_run_is_a_point_with_its_interval() -> None:
    chart = trend_chart(NIGHTS, HEIGHT)
    assert len(chart.marks) == 4
    whiskers = [points(p) for p in chart.lines[1:]]
    assert len(whiskers) == 2
    for whisker, entry in zip(whiskers, NIGHTS[1:3], strict=True):
        mark = next(m for m in chart.marks if m.title.startswith(f"run {entry['run_id']} "))
        xs = {x for x, _ in whisker}
        assert min(xs) < mark.x < max(xs)  # capped, around the point
        ys = [y for _, y in whisker]
        low, high = entry["ci95"]
        assert (min(ys), max(ys)) == (round(_y(high, HEIGHT), 1), round(_y(low, HEIGHT), 1))
        assert min(ys) < mark.y < max(ys)
    assert "sampled: 86.0% (95% CI 73.8%–93.0%)" in chart.marks[1].title
    assert "full run: 80.7%" in chart.marks[0].title
    assert chart.caption == ("4 runs, oldest first; the line joins full runs, sampled runs are "
                             "points with their 95% interval")


def test_a_sample_between_full_runs_does_not_break_the_line() -> None:
    chart = trend_chart([run(1, 70.0, sampled=False), run(2, None, sampled=True),
                         run(3, 72.0, [60.0, 80.0], sampled=True), run(4, 71.0, sampled=False)])
    assert len(points(chart.lines[0])) == 2
    assert len(chart.lines) == 2  # the line and run 3's interval; run 2 scored nothing


def test_an_unscored_full_run_breaks_the_line() -> None:
    chart = trend_chart([run(1, 40.0), run(2, None), run(3, 50.0), run(4, 70.0)])
    assert len(chart.marks) == 3
    assert [len(points(line)) for line in chart.lines] == [2]  # runs 3-4; run 1 alone
    assert chart.caption == "4 runs, oldest first"


def test_only_samples_make_no_line() -> None:
    chart = trend_chart([run(1, 80.0, [49.0, 94.3], sampled=True),
                         run(2, 70.0, None, sampled=True)])
    assert len(chart.lines) == 1  # run 1's interval; run 2 recorded none
    assert all(len(points(line)) == 6 for line in chart.lines)
    assert chart.caption.endswith("(a line needs two scored full runs)")


def test_entries_without_the_sampled_flag_are_full_runs() -> None:
    chart = trend_chart([run(1, 60.0), run(2, 65.0)])
    assert [len(points(line)) for line in chart.lines] == [2]
    assert trend_chart([]).caption == "No runs recorded yet."
