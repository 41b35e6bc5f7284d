"""Writing files so that a reader never sees a half-written one.

mutgate writes files people commit (the baseline) and files other tools read while mutgate may
be interrupted (reports). Either the old content or the complete new content must be on disk at
any moment: the text goes to a temporary file in the same directory, is flushed and fsynced, and
then renamed over the target with ``os.replace``, which is atomic on POSIX and Windows.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

#: Permission bits of a new file before the umask applies (what ``open(path, "w")`` gives).
_NEW_FILE_MODE = 0o666


def write_text_atomic(path: Path, text: str, encoding: str = "utf-8") -> None:
    """Replace the content of ``path`` with ``text``, all at once or not at all.

    Newlines are written exactly as given (no ``\\r\\n`` translation), so the bytes on disk are
    the same on every platform. An existing file keeps its permission bits; a new one gets the
    ones ``open()`` would give it. When ``path`` is a symbolic link, the file it points to is
    replaced and the link is kept. On any error the target is untouched and no temporary file
    is left behind; the error propagates (an encoding error included).
    """
    write_bytes_atomic(path, text.encode(encoding))


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Replace the content of ``path`` with ``data``, all at once or not at all."""
    target = Path(os.path.realpath(path))
    directory = target.parent
    mode = _existing_mode(target)
    tmp = directory / f".{target.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                 _NEW_FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def _existing_mode(path: Path) -> int | None:
    """The permission bits of ``path``, or None when it does not exist yet."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return None


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable; best effort (not possible on Windows or some filesystems)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
