"""Confidence intervals for mutation scores measured on a sample of mutants.

A nightly run scores a random sample of the mutants, so its score is an estimate. The gate
judges such a run by an interval instead of the point estimate: it fails only on a drop the
sample shows with confidence. The Wilson score interval is used because it behaves well where
mutation scores live — near 100% and with small samples — unlike the normal approximation,
which can leave 0-100 and collapses to a single point at 0% or 100%.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from mutgate.outcome import KILLED, SURVIVED, TIMEOUT


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of ``successes`` out of ``n``, in percent (0-100).

    With ``n == 0`` nothing is known and the interval is ``(0.0, 100.0)``. Raises
    ``ValueError`` for negative counts, ``successes > n``, or a negative or non-finite ``z``.
    """
    if isinstance(successes, bool) or isinstance(n, bool):
        raise ValueError("successes and n must be integers, not booleans")
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"need 0 <= successes <= n, got successes={successes}, n={n}")
    if not math.isfinite(z) or z < 0:
        raise ValueError(f"z must be a finite number >= 0, got {z}")
    if n == 0:
        return (0.0, 100.0)
    p = successes / n
    z2 = z * z
    denominator = 1.0 + z2 / n
    center = (p + z2 / (2 * n)) / denominator
    half_width = z * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denominator
    low = 0.0 if successes == 0 else max(0.0, center - half_width)
    high = 1.0 if successes == n else min(1.0, center + half_width)
    return (100.0 * low, 100.0 * high)


def score_interval(counts: Mapping[str, int], z: float = 1.96) -> tuple[float, float]:
    """The Wilson interval of a mutation score from outcome counts (see ``outcome.score``)."""
    detected = counts.get(KILLED, 0) + counts.get(TIMEOUT, 0)
    return wilson_interval(detected, detected + counts.get(SURVIVED, 0), z)
