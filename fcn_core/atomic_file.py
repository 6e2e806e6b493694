"""Write a file whole or not at all — the one writer for every file the project writes.

Stickers, reports, overlays, masks, checkpoints, downloads, training logs and evaluation JSON all
go through :func:`write_atomically`: the content goes to a hidden temporary file with a random
name in the same folder, created exclusively (``"xb"``: never someone else's file, never a
half-written one from an earlier crash), flushed and fsynced, optionally verified, and only then
moved over the target with ``os.replace``. An interrupted run (Ctrl-C, a full disk, a crash)
therefore leaves the old file or the new one, never half of one, and the temporary file is
removed on the way out.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def write_atomically(
    path: str | Path,
    write: Callable[[BinaryIO], object],
    *,
    verify: Callable[[Path], None] | None = None,
) -> Path:
    """Call ``write(file)`` on a fresh temporary file beside ``path``, fsync it, ``verify(temporary)``
    if given, then rename it to ``path``; returns ``path``. Errors propagate unchanged (callers turn
    ``OSError`` into their own plain message) and leave no temporary file behind."""
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
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def write_bytes_atomically(path: str | Path, data: bytes) -> Path:
    """:func:`write_atomically` for bytes already encoded (stickers, pack files)."""
    return write_atomically(path, lambda file: file.write(data))


def write_text_atomically(path: str | Path, text: str) -> Path:
    """:func:`write_atomically` for UTF-8 text (reports, JSON, CSV logs)."""
    return write_bytes_atomically(path, text.encode("utf-8"))
