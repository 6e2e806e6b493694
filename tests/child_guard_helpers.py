"""Process entry points for tests/test_gui_child_guard.py, in a module of their own so spawned
children import nothing heavy (no Qt, no torch)."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

from app.child_guard import exit_with_parent


def orphan(pid_file: str) -> None:
    """A grandchild that would sleep for a minute unless ``exit_with_parent`` ends it."""
    exit_with_parent()
    with open(pid_file, "w") as file:
        file.write(str(os.getpid()))
    time.sleep(60)


def middle(pid_file: str) -> None:
    """Start the grandchild, wait until it runs, then die abruptly like a crashed window."""
    child = multiprocessing.get_context("spawn").Process(target=orphan, args=(pid_file,))
    child.start()
    while not os.path.exists(pid_file) or not Path(pid_file).read_text():
        time.sleep(0.05)
    os._exit(1)
