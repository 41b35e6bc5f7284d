"""Errors mutgate reports to the user as one line, and the exit codes they map to.

Exit codes: 0 success, 1 the gate failed, 2 usage / configuration / input error,
3 the unmutated test suite fails or cannot be collected.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_USAGE = 2
EXIT_SUITE = 3


class MutgateError(Exception):
    """An error with a one-line message for the user and an exit code."""

    exit_code = EXIT_USAGE


class ConfigError(MutgateError):
    """Bad configuration, option or input file."""


class SuiteError(MutgateError):
    """The unmutated test suite fails or cannot be collected."""

    exit_code = EXIT_SUITE
