"""Generated report input too large to write by hand: the large-file case of the report."""

from __future__ import annotations

import random
from typing import Any

from helpers.results import make_mutant

BIG_STATUSES = ["killed"] * 13 + ["survived"] * 4 + ["timeout", "no-tests", "error"]


def big_module(lines: int = 3000, mutants: int = 1000) -> tuple[dict[str, Any], dict]:
    """A 3,000-line module of small functions with 1,000 mutants on 666 lines: a fifth of
    them survivors, each covered by 1-8 of 150 tests with long parametrized names."""
    rng = random.Random(15)
    path = "src/bigpkg/engine/big_module.py"
    tests = [f"tests/unit/test_big_module_{i // 20}.py::TestEngine{i % 7}::"
             f"test_case_{i}_checks_the_result[{rng.choice(['small', 'large', 'empty'])}]"
             for i in range(150)]
    body: list[str] = []
    spots = []
    for n in range(lines // 9 + 1):
        body += [f"def compute_value_{n}(items, limit=10, scale=1.5):",
                 f'    """Combine the items of batch {n} under the limit."""',
                 "    total = 0", "    for index, item in enumerate(items):",
                 "        if item.weight < limit and index % 2 == 0:",
                 "            total = total + item.weight * scale", "    return total", "", ""]
        spots += [(9 * n + 5, 11, "<"), (9 * n + 6, 21, "+")]
    spots = [s for s in spots if s[0] <= lines]
    found = []
    for i in range(mutants):
        line, col, original = spots[i % len(spots)]
        status = rng.choice(BIG_STATUSES)
        covered = rng.sample(tests, rng.randint(1, 8))
        found.append(make_mutant(
            f"{rng.getrandbits(48):012x}", status, path, line, col=col,
            end_col=col + len(original), original=original,
            replacement={"<": "<=", "+": "-"}[original] if i % 3 else "!=",
            operator=("operator.compare", "boundary.relational", "operator.arith")[i % 3],
            qualname=f"compute_value_{line // 9}", covered_by=covered,
            killed_by=covered[0] if status in ("killed", "timeout") else None,
            tests_run=len(covered), duration_ms=rng.uniform(1, 90),
            detail="every covering test failed when run unmutated in the worker"
            if status in ("no-tests", "error") else None,
            confirmed=True if status == "survived" and i % 2 else None))
    results = {"score": None, "counts": {}, "total": len(found), "run": {}, "mutants": found}
    return results, {path: "\n".join(body[:lines]) + "\n"}
