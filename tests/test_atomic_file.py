"""write_atomically: whole file or nothing, and failures that name the file, its folder and the
reason in plain words, never the hidden temporary file (issue #12 items 13 and 22)."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import BinaryIO

import pytest

from fcn_core.atomic_file import FileWriteError, write_atomically


def test_writes_the_file_and_leaves_nothing_else(tmp_path: Path) -> None:
    target = write_atomically(tmp_path / "report.json", lambda file: file.write(b"{}"))
    assert target.read_text() == "{}" and [p.name for p in tmp_path.iterdir()] == ["report.json"]


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (errno.EACCES, "permission denied"),
        (errno.EROFS, "read-only"),
        (errno.ENOSPC, "the disk is full"),
    ],
)
def test_a_refused_write_names_the_folder_and_the_reason(tmp_path: Path, code: int, reason: str) -> None:
    """Injected: as root no folder refuses a write, and a full disk needs a mount."""

    def refuse(file: BinaryIO) -> None:
        file.write(b"half")
        raise OSError(code, "the system's words", file.name)

    with pytest.raises(FileWriteError) as raised:
        write_atomically(tmp_path / "report.json", refuse)
    message = str(raised.value)
    assert f"report.json into {tmp_path}" in message and reason in message
    assert ".tmp" not in message and "the system's words" not in message
    assert raised.value.errno == code and list(tmp_path.iterdir()) == []


def test_a_path_under_a_regular_file_is_explained(tmp_path: Path) -> None:
    """Real, also as root: a 'folder' that is a file."""
    (tmp_path / "notes.txt").write_text("not a folder")
    with pytest.raises(FileWriteError, match=r"notes.txt is a file, not a folder"):
        write_atomically(tmp_path / "notes.txt" / "report.json", lambda file: file.write(b"{}"))


def test_a_folder_given_as_the_file_is_explained(tmp_path: Path) -> None:
    """Real, also as root: the output name is taken by a folder."""
    (tmp_path / "report.json").mkdir()
    with pytest.raises(FileWriteError, match=r"report.json is a folder"):
        write_atomically(tmp_path / "report.json", lambda file: file.write(b"{}"))
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
