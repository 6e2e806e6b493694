"""Faults of DESIGN §11 that the kernel or the disk cause, made to happen in tests that run as
root too: root reads and writes any file, and a full disk needs a mount root may not have.

- ``as_ordinary_user``: the block runs with the effective user ``nobody`` when the tests run as
  root, so file permissions are enforced by the kernel as for a real user (the folder the test
  works in is made searchable for that user, and everything is restored afterwards).
- ``disk_full_on_write``: files opened for writing by one module raise ``ENOSPC`` on the first
  write, after the file was created, as a full disk does.
"""

from __future__ import annotations

import errno
import io
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

NOBODY = 65534
"""The uid and gid of ``nobody``/``nogroup`` on Debian and Ubuntu."""


@contextmanager
def as_ordinary_user(workdir: Path) -> Iterator[None]:
    """Run the block as ``nobody`` if the tests run as root (else as the user they run as)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        yield
        return
    changed: list[tuple[Path, int]] = []
    for folder in (workdir, *workdir.parents):
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            folder.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)
            changed.append((folder, stat.S_IMODE(mode)))
    os.setegid(NOBODY)  # the group too: root's group would be judged by the folders' group bits
    os.seteuid(NOBODY)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)
        for folder, mode in changed:
            folder.chmod(mode)


class _FullDiskFile(io.FileIO):
    def write(self, data: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device", self.name)


def disk_full_on_write(monkeypatch: pytest.MonkeyPatch, module: ModuleType) -> None:
    """Make ``open(..., "wb"/"xb")`` inside ``module`` give files whose writes fail with ENOSPC."""

    def open_on_a_full_disk(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if any(flag in mode for flag in "wxa"):
            return _FullDiskFile(file, mode.replace("b", ""))
        return open(file, mode, *args, **kwargs)

    monkeypatch.setattr(module, "open", open_on_a_full_disk, raising=False)
