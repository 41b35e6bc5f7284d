"""Atomic writes: the target holds the old or the new content, never a mix, and no litter."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mutgate.atomic import write_bytes_atomic, write_text_atomic

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def test_creates_a_new_file(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    write_text_atomic(target, '{"a": 1}\n')
    assert target.read_text(encoding="utf-8") == '{"a": 1}\n'
    assert leftovers(tmp_path) == []


def test_replaces_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old content that is longer than the new one\n")
    write_text_atomic(target, "new\n")
    assert target.read_text() == "new\n"
    assert leftovers(tmp_path) == []


def test_accepts_a_string_path(tmp_path: Path) -> None:
    write_text_atomic(str(tmp_path / "s.txt"), "x")  # type: ignore[arg-type]
    assert (tmp_path / "s.txt").read_text() == "x"


def test_newlines_are_written_exactly(tmp_path: Path) -> None:
    target = tmp_path / "nl.txt"
    write_text_atomic(target, "a\nb\r\nc")
    assert target.read_bytes() == b"a\nb\r\nc"


def test_text_is_utf8_by_default(tmp_path: Path) -> None:
    target = tmp_path / "u.txt"
    write_text_atomic(target, "naïve — ✓")
    assert target.read_bytes() == "naïve — ✓".encode()


def test_other_encodings(tmp_path: Path) -> None:
    target = tmp_path / "l1.txt"
    write_text_atomic(target, "é", encoding="latin-1")
    assert target.read_bytes() == b"\xe9"


def test_empty_text(tmp_path: Path) -> None:
    target = tmp_path / "empty.txt"
    target.write_text("something")
    write_text_atomic(target, "")
    assert target.read_bytes() == b""


def test_write_bytes(tmp_path: Path) -> None:
    target = tmp_path / "b.bin"
    write_bytes_atomic(target, b"\x00\xff")
    assert target.read_bytes() == b"\x00\xff"


def test_unencodable_text_leaves_the_old_file_intact(tmp_path: Path) -> None:
    target = tmp_path / "keep.txt"
    target.write_bytes(b"original")
    with pytest.raises(UnicodeEncodeError):
        write_text_atomic(target, "lone surrogate \ud800")
    assert target.read_bytes() == b"original"
    assert leftovers(tmp_path) == []


def test_failed_replace_removes_the_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "a-directory"
    (target / "inside").mkdir(parents=True)
    with pytest.raises(OSError):
        write_text_atomic(target, "cannot replace a non-empty directory")
    assert target.is_dir()
    assert (target / "inside").is_dir()
    assert leftovers(tmp_path) == []


def test_missing_directory_raises_and_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_text_atomic(tmp_path / "nope" / "out.txt", "x")
    assert list(tmp_path.iterdir()) == []


@posix_only
def test_keeps_the_permissions_of_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "script.sh"
    target.write_text("#!/bin/sh\n")
    os.chmod(target, 0o754)
    write_text_atomic(target, "#!/bin/sh\necho hi\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o754


@posix_only
def test_new_file_gets_ordinary_permissions(tmp_path: Path) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    target = tmp_path / "atomic.txt"
    write_text_atomic(target, "x")
    assert stat.S_IMODE(target.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode)


@posix_only
def test_symlink_is_kept_and_its_target_replaced(tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    write_text_atomic(link, "new")
    assert link.is_symlink()
    assert real.read_text() == "new"


def test_repeated_writes_leave_exactly_one_file(tmp_path: Path) -> None:
    target = tmp_path / "many.txt"
    for i in range(20):
        write_text_atomic(target, f"version {i}\n")
    assert target.read_text() == "version 19\n"
    assert [p.name for p in tmp_path.iterdir()] == ["many.txt"]


@settings(max_examples=50, deadline=None)
@given(text=st.text())
def test_round_trip(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    target = tmp_path_factory.mktemp("rt") / "f.txt"
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError:
        with pytest.raises(UnicodeEncodeError):
            write_text_atomic(target, text)
        assert not target.exists()
        return
    write_text_atomic(target, text)
    assert target.read_bytes() == encoded
