"""Writing report files so that a reader sees the old file or the new one, never half of one.

Each file is written to a temporary file in the same directory and renamed over the target
with ``os.replace``, which is atomic. Unlike ``mutgate.atomic`` (for the committed baseline) it
does not fsync: a report can always be written again, and an HTML report is hundreds of files,
where an fsync each cost seconds.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_report_file(path: Path, text: str) -> Path:
    """Replace ``path`` with ``text`` (UTF-8, newlines as given) atomically; return ``path``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path
