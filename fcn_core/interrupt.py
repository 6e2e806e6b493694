"""Ctrl-C that stops long work cleanly: the one helper training and batch export share.

Killing a training run in the middle of ``optimizer.step()`` could leave half-updated weights, and
killing a batch mid-photo loses the report; instead the first Ctrl-C only raises a flag that the
loop reads between steps (an iteration, a photo). A second Ctrl-C aborts at once, for work that
hangs. Data loader workers ignore Ctrl-C (the terminal sends it to the whole process group): a
worker dying of it would make the main process fail before it could save.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType


class StopRequest:
    """First Ctrl-C: ask the loop to stop after the current step (and announce it); second: abort now."""

    def __init__(self, announce: Callable[[], None]) -> None:
        self._event = threading.Event()
        self._announce = announce

    @property
    def requested(self) -> bool:
        return self._event.is_set()

    def is_set(self) -> bool:
        """The same as ``requested``, callable: a ``cancel`` callback for ``run_batch``."""
        return self._event.is_set()

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self._event.is_set():
            raise KeyboardInterrupt
        self._event.set()
        self._announce()


def ignore_ctrl_c(worker_id: int) -> None:
    """Loader workers leave Ctrl-C to the main process; one that died of it would break the save."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def first_ctrl_c_stops(announce: Callable[[], None]) -> Iterator[StopRequest]:
    """Install the two-step Ctrl-C handler for the ``with`` block and restore the previous one after.

    Handlers can only be installed in the main thread; elsewhere Ctrl-C is the host's business and
    the request is only ever set by nobody (the loop runs to its end or its own cancel)."""
    stop = StopRequest(announce)
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = signal.signal(signal.SIGINT, stop)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)
