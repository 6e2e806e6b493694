"""Ctrl-C during training: finish the update, save a checkpoint, then stop.

Killing a run in the middle of ``optimizer.step()`` could leave half-updated weights; instead
the first Ctrl-C only raises a flag that the loop reads between iterations. A second Ctrl-C
aborts at once, for a run that hangs. Data loader workers ignore Ctrl-C (the terminal sends it
to the whole process group): a worker dying of it would make the main process fail before it
could save.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

logger = logging.getLogger(__name__)


class StopRequest:
    """First Ctrl-C: ask the loop to stop after the current iteration; second: abort now."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self, signum: int, frame: object) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        logger.warning("stopping after this iteration and saving a checkpoint (Ctrl-C again to abort without saving)")


def ignore_ctrl_c(worker_id: int) -> None:
    """Loader workers leave Ctrl-C to the main process; one that died of it would break the save."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def ctrl_c_stops_after_iteration() -> Iterator[StopRequest]:
    stop = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield stop  # handlers can only be installed in the main thread; elsewhere Ctrl-C is the host's business
        return
    previous = signal.signal(signal.SIGINT, stop)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)
