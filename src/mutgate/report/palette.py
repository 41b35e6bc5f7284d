"""The colors of the HTML report's scores, and the names it gives the statuses.

Scores use the thresholds of the Stryker format (below 60 is poor, 80 and above is good), so the
same number has the same color in mutgate's report and in Stryker's dashboard. The colors of
the statuses live in the stylesheet (``--st-<status>``), the only place that draws them.
"""

from __future__ import annotations

from itertools import pairwise

#: Score → RGB stops, interpolated linearly in between. The jumps at 60 and 80 make the three
#: bands (poor, fair, good) tell apart at a glance; within a band the shade still moves.
_SCORE_STOPS = (
    (0.0, (176, 36, 36)),
    (59.99, (222, 84, 60)),
    (60.0, (214, 128, 24)),
    (79.99, (196, 150, 20)),
    (80.0, (92, 160, 66)),
    (100.0, (28, 138, 78)),
)
NO_SCORE = "#9aa1ab"

STATUS_LABELS = {
    "survived": "Survived",
    "timeout": "Timeout",
    "killed": "Killed",
    "no-tests": "No tests",
    "error": "Error",
    "skipped": "Skipped",
}


def score_color(score: float | None) -> str:
    """The color of a score on the scale, as ``#rrggbb``; grey for no score."""
    if score is None:
        return NO_SCORE
    value = min(100.0, max(0.0, float(score)))
    for (lo, lo_rgb), (hi, hi_rgb) in pairwise(_SCORE_STOPS):
        if value <= hi:
            t = (value - lo) / (hi - lo)
            rgb = (round(a + (b - a) * t) for a, b in zip(lo_rgb, hi_rgb, strict=True))
            return "#{:02x}{:02x}{:02x}".format(*rgb)
    return "#{:02x}{:02x}{:02x}".format(*_SCORE_STOPS[-1][1])
