"""One running compute process and the socket to it; no Qt, no knowledge of requests.

The process is started with ``subprocess`` as ``python -m fcn_core.compute.server`` rather than
with ``multiprocessing``: a spawned multiprocessing child re-imports the parent's main module,
which for the window would load Qt (and whatever else the launcher imported) into the process
that should hold only the model. The socket end is passed as an inherited file descriptor and
wrapped in a ``multiprocessing.connection.Connection`` (length-prefixed pickles).

Sending happens on a writer thread, so a large message (a 12-MP photo is 36 MB) never blocks
the caller; a reader thread hands each message to ``on_message`` and calls ``on_closed`` when
the process has gone (its end of the socket closed: exit, crash or kill).
"""

from __future__ import annotations

import logging
import queue
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection

from fcn_core.compute.protocol import Shutdown

logger = logging.getLogger(__name__)

SERVER_MODULE = "fcn_core.compute.server"
_STOP = object()


class ComputeChannel:
    """Starts the process on construction; ``close`` ends it (kills it after ``grace_s``)."""

    def __init__(self, on_message: Callable[[object], None], on_closed: Callable[[], None]) -> None:
        ours, theirs = socket.socketpair()
        log_level = logging.getLevelName(logging.getLogger().getEffectiveLevel())
        self.process = subprocess.Popen(
            [sys.executable, "-m", SERVER_MODULE, "--fd", str(theirs.fileno()), "--log-level", log_level],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
        )
        theirs.close()
        self._connection = Connection(ours.detach())
        self._outbox: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._on_message = on_message
        self._on_closed = on_closed
        threading.Thread(target=self._write, name="compute-writer", daemon=True).start()
        threading.Thread(target=self._read, name="compute-reader", daemon=True).start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def send(self, message: object) -> None:
        self._outbox.put(message)

    def _write(self) -> None:
        while (message := self._outbox.get()) is not _STOP:
            try:
                self._connection.send(message)
            except OSError:  # the process is gone; the reader reports it
                return

    def _read(self) -> None:
        while True:
            try:
                message = self._connection.recv()
            except (EOFError, OSError):
                break
            self._on_message(message)
        self._connection.close()
        self._on_closed()

    def exit_code(self) -> int | None:
        return self.process.poll()

    def kill(self) -> None:
        """End the process at once (SIGKILL): for a process that hangs, and the end of ``close``."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()

    def close(self, grace_s: float) -> None:
        """Ask the process to end, wait up to ``grace_s``, then kill it."""
        self.send(Shutdown())
        self._outbox.put(_STOP)
        try:
            self.process.wait(grace_s)
        except subprocess.TimeoutExpired:
            logger.warning("the compute process did not end within %.1f s; killing it", grace_s)
            self.kill()
