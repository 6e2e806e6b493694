"""The window's child processes (CRF, batch) do not outlive a crashed window."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

from tests.child_guard_helpers import middle


def _alive(pid: int) -> bool:
    """Running (a zombie that no init process has reaped yet counts as ended)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return not Path("/proc").is_dir()


def test_a_child_ends_when_its_parent_dies(tmp_path):
    pid_file = tmp_path / "grandchild.pid"
    parent = multiprocessing.get_context("spawn").Process(target=middle, args=(str(pid_file),))
    parent.start()
    parent.join(30)
    assert parent.exitcode == 1
    grandchild = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(grandchild)
