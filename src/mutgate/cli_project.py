"""What every command starts from: the project around ``-C DIR`` and its results store.

`cli.py` (the group and the run/inspect commands) and `cli_gate.py` (the commands that read
recorded runs) both use these; neither imports the other's commands from here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from mutgate.config import Config, find_root, load_config
from mutgate.store import Store


def project_config(ctx: click.Context, **overrides: Any) -> Config:
    """The configuration of the project around ``-C DIR`` (or the working directory)."""
    return load_config(find_root(Path(ctx.obj)), overrides)


def open_store(config: Config) -> Store:
    """The project's results store, which must exist (a run made it)."""
    return Store.open(config.state_dir, must_exist=True)
