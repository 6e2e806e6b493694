"""Write a file whole or not at all — the one writer for every file the project writes — and say in
plain words why a write failed.

Stickers, reports, overlays, masks, checkpoints, downloads, pack files, training logs and
evaluation JSON all go through :func:`write_atomically`: the content goes to a hidden temporary
file with a random name in the same folder, created exclusively (``"xb"``: never someone else's
file, never a half-written one from an earlier crash), flushed and fsynced, optionally verified,
and only then moved over the target with ``os.replace``. An interrupted run (Ctrl-C, a full disk,
a crash) therefore leaves the old file or the new one, never half of one, and the temporary file
is removed on the way out.

A failure names the file the user asked for, its folder and the reason (``describe_write_error``),
never the temporary file: that name means nothing to the user, and the fix is always about the
folder (another one, more space, the right permissions).
"""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import BinaryIO

_REASONS: dict[int, str] = {
    errno.EACCES: "permission denied (choose a folder you can write to)",
    errno.EPERM: "permission denied (choose a folder you can write to)",
    errno.EROFS: "the folder is on a read-only disk (choose another folder)",
    errno.ENOSPC: "the disk is full (free some space or choose another disk)",
    errno.EDQUOT: "the disk quota is used up (free some space or choose another disk)",
}


class FileWriteError(OSError):
    """Writing a file failed; ``str()`` is the plain-words message, ``errno`` the system's code."""

    def __init__(self, path: Path, error: OSError) -> None:
        super().__init__(error.errno, describe_write_error(error, path))
        self.path = path

    def __str__(self) -> str:
        return str(self.strerror)


def file_in_the_way(path: Path) -> Path | None:
    """The file that stands where ``path`` needs a folder (``notes.txt`` in ``notes.txt/a.png``), if any."""
    return next((parent for parent in Path(path).parents if parent.is_file()), None)


def describe_write_error(error: OSError, path: Path) -> str:
    """Why ``path`` could not be written, naming it and its folder, not the file the error names."""
    path = Path(path)
    if error.errno == errno.ENOTDIR:
        return f"cannot write {path.name}: {file_in_the_way(path) or path.parent} is a file, not a folder"
    if error.errno == errno.EISDIR or path.is_dir():
        return f"cannot write {path}: {path.name} is a folder"
    if error.errno == errno.ENOENT and not path.parent.is_dir():
        return f"cannot write {path.name}: the folder {path.parent} does not exist"
    reason = _REASONS.get(error.errno or 0, (error.strerror or str(error)).lower())
    return f"cannot write {path.name} into {path.parent}: {reason}"


def write_atomically(
    path: str | Path,
    write: Callable[[BinaryIO], object],
    *,
    verify: Callable[[Path], None] | None = None,
) -> Path:
    """Call ``write(file)`` on a fresh temporary file beside ``path``, fsync it, ``verify(temporary)``
    if given, then rename it to ``path``; returns ``path``. An ``OSError`` becomes a
    ``FileWriteError`` about ``path``; any other error propagates unchanged; neither leaves a
    temporary file behind."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        with open(temporary, "xb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        if verify is not None:
            verify(temporary)
        os.replace(temporary, path)
    except BaseException as error:
        with suppress(OSError):  # a folder that is missing, a file or read-only holds no temporary file
            temporary.unlink(missing_ok=True)
        if isinstance(error, OSError) and not isinstance(error, FileWriteError):
            raise FileWriteError(path, error) from error
        raise
    return path


def write_bytes_atomically(path: str | Path, data: bytes) -> Path:
    """:func:`write_atomically` for bytes already encoded (stickers, pack files)."""
    return write_atomically(path, lambda file: file.write(data))


def write_text_atomically(path: str | Path, text: str) -> Path:
    """:func:`write_atomically` for UTF-8 text (reports, JSON, CSV logs)."""
    return write_bytes_atomically(path, text.encode("utf-8"))
