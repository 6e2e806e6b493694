"""Faults of DESIGN §11 that the kernel or the disk cause, made to happen in tests that run as
root too: root reads and writes any file, and a full disk needs a mount root may not have.

- ``as_ordinary_user``: the block runs with the effective user ``nobody`` when the tests run as
  root, so file permissions are enforced by the kernel as for a real user (the folder the test
  works in is made searchable for that user, and everything is restored afterwards).
- ``disk_full_on_write``: files one module writes raise ``ENOSPC`` on the first write, after the
  file was created, as a full disk does.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any, BinaryIO

import pytest

from fcn_core import atomic_file

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


def _write_to_a_full_disk(file: BinaryIO) -> None:
    raise OSError(errno.ENOSPC, "No space left on device", file.name)


def disk_full_on_write(monkeypatch: pytest.MonkeyPatch, module: ModuleType) -> None:
    """Make every file ``module`` writes (through ``fcn_core.atomic_file``) fail with ENOSPC on the
    first write, after the file was created, as a full disk does; other modules write as usual."""
    real_write_atomically = atomic_file.write_atomically

    def on_a_full_disk(path: Any, write: Any, **options: Any) -> Path:
        return real_write_atomically(path, _write_to_a_full_disk, **options)

    monkeypatch.setattr(module, "write_atomically", on_a_full_disk)
