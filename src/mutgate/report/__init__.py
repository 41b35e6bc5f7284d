"""Reports of a run: HTML, Stryker JSON (mutation-testing-report-schema), JUnit XML, Markdown.

Every reporter takes the results dict of ``docs/CONTRACT.md`` (and, where it shows code, the
sources of the mutated files) and is a pure function of it; the ``write_*`` functions write
their file atomically.
"""

from mutgate.report.diff import mutant_diff
from mutgate.report.html import write_html
from mutgate.report.junit import to_junit, write_junit
from mutgate.report.markdown import to_markdown
from mutgate.report.stryker import to_stryker, write_stryker

__all__ = [
    "mutant_diff",
    "to_junit",
    "to_markdown",
    "to_stryker",
    "write_html",
    "write_junit",
    "write_stryker",
]
