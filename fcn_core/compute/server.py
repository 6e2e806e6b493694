"""The compute process's entry point: ``python -m fcn_core.compute.server --fd N``.

The window starts this with one end of a socket pair as file descriptor ``N`` and sends
:class:`~fcn_core.compute.protocol.Start` first. Three threads:

- the main thread runs requests one at a time, in the order of ``WorkQueue``;
- a reader thread receives requests and cancels (so a cancel reaches a running download or
  batch) and ends the process when the window's end of the socket closes — however the window
  ended, even killed — so the process never outlives it;
- a heartbeat thread tells the window every ``HEARTBEAT_S`` that the process is alive.

Nothing here imports torch: the segmenter factory does, on the first model request. The
process-wide malloc tuning for CPU inference is switched on here, at the entry point.
"""

from __future__ import annotations

import argparse
import logging
import os
import threading
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

from fcn_core.compute.handlers import ComputeState
from fcn_core.compute.protocol import HEARTBEAT_S, Cancel, Heartbeat, Reply, Request, Shutdown, Start, sendable
from fcn_core.compute.work_queue import WorkQueue

logger = logging.getLogger(__name__)


class Server:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._send_lock = threading.Lock()
        self._queue = WorkQueue(on_drop=lambda request: self.send(Reply(request.id, "dropped")))

    def send(self, message: object) -> None:
        try:
            with self._send_lock:
                self._connection.send(message)
        except OSError:  # the window is gone
            os._exit(0)

    def receive(self) -> Any:
        try:
            return self._connection.recv()
        except (EOFError, OSError):
            logger.info("the window closed the connection; exiting")
            os._exit(0)

    def serve(self) -> None:
        start = self.receive()
        if not isinstance(start, Start):
            raise TypeError(f"expected Start first, got {type(start).__name__}")
        state = ComputeState(start.factory)
        threading.Thread(target=self._read, name="compute-reader", daemon=True).start()
        threading.Thread(target=self._beat, name="compute-heartbeat", daemon=True).start()
        while True:
            self._run(state, self._queue.take())
            if self._queue.empty():
                state.idle()

    def _run(self, state: ComputeState, request: Request) -> None:
        flag = self._queue.cancel_flag(request.id)
        self.send(Reply(request.id, "started"))
        try:
            result = state.handle(
                request.id, request.payload,
                progress=lambda value: self.send(Reply(request.id, "progress", value)),
                cancelled=flag.is_set,
                between_photos=lambda: self._serve_interactive(state),
            )
        except Exception as exc:  # every failure goes back to the window, which explains it
            logger.info("request %d (%s) failed: %s", request.id, request.kind, exc)
            self.send(Reply(request.id, "failed", sendable(exc)))
        else:
            self.send(Reply(request.id, "done", result))
        finally:
            self._queue.done(request.id)

    def _serve_interactive(self, state: ComputeState) -> None:
        while (request := self._queue.take_interactive()) is not None:
            self._run(state, request)

    def _read(self) -> None:
        while True:
            message = self.receive()
            if isinstance(message, Request):
                self._queue.put(message)
            elif isinstance(message, Cancel):
                self._queue.cancel(message.id)
            elif isinstance(message, Shutdown):
                os._exit(0)

    def _beat(self) -> None:
        while True:
            self.send(Heartbeat(time.time()))
            time.sleep(HEARTBEAT_S)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The compute process of the window (started by the window).")
    parser.add_argument("--fd", type=int, required=True, help="file descriptor of the window's socket")
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, format="compute: %(levelname)s: %(message)s")
    from fcn_core.models.cpu.allocator import keep_freed_memory

    keep_freed_memory()
    Server(Connection(args.fd)).serve()


if __name__ == "__main__":
    main()
