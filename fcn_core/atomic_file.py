"""Write a file whole or not at all.

Every file this project writes for a user (stickers aside, which ``sticker_io`` verifies as
well) goes through :func:`write_atomically`: the content goes to a hidden temporary file in the
same folder, which is renamed over the target only once complete. An interrupted run (Ctrl-C, a
full disk, a crash) therefore leaves the old file or the new one, never half of one, and the
temporary file is removed on the way out.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def write_atomically(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(temporary_path)``, then rename the result to ``path``; returns ``path``."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.partial")
    try:
        write(temporary)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
    return path
