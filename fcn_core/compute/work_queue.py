"""The compute process's queue: interactive requests first, the newest of each kind only.

The reader thread puts requests and cancels in; the main thread takes the next request to run.
Order: interactive kinds (``protocol.INTERACTIVE``) in arrival order, then CRF preparation, then
batch export; a queued request with a newer one of the same kind behind it is dropped unrun (the
window has already moved on). A batch calls :meth:`take_interactive` between its photos, which
is how interactive requests overtake a running batch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from fcn_core.compute.protocol import INTERACTIVE, Request

DropCallback = Callable[[Request], None]
"""Told about each request dropped unrun (the server answers it with ``dropped``)."""


class WorkQueue:
    def __init__(self, on_drop: DropCallback) -> None:
        self._on_drop = on_drop
        self._pending: list[Request] = []
        self._flags: dict[int, threading.Event] = {}
        self._changed = threading.Condition()

    def put(self, request: Request) -> None:
        with self._changed:
            self._pending.append(request)
            self._flags[request.id] = threading.Event()
            self._changed.notify_all()

    def cancel(self, request_id: int) -> None:
        """Set its cancel flag (a running request checks it) and drop it if queued — except a
        batch, which then runs, stops before its first photo and reports that it was stopped."""
        with self._changed:
            queued = [request for request in self._pending if request.id == request_id and request.kind != "batch"]
            self._pending = [request for request in self._pending if request.id != request_id or request.kind == "batch"]
            flag = self._flags.get(request_id)
            if flag is not None:
                flag.set()
        for request in queued:
            self._finish_unrun(request)

    def cancel_flag(self, request_id: int) -> threading.Event:
        """Set when the window cancels ``request_id``."""
        with self._changed:
            return self._flags.setdefault(request_id, threading.Event())

    def done(self, request_id: int) -> None:
        with self._changed:
            self._flags.pop(request_id, None)

    def take(self) -> Request:
        """The next request to run, waiting for one."""
        with self._changed:
            while True:
                request = self._pick(interactive_only=False)
                if request is not None:
                    return request
                self._changed.wait()

    def empty(self) -> bool:
        """Nothing is queued (requests dropped on the way to the next pick count as queued)."""
        with self._changed:
            return not self._pending

    def take_interactive(self) -> Request | None:
        """The next interactive request, without waiting (None when there is none)."""
        with self._changed:
            return self._pick(interactive_only=True)

    def _pick(self, *, interactive_only: bool) -> Request | None:
        """Pop the request to run next, dropping superseded ones on the way."""
        superseded = [
            request for index, request in enumerate(self._pending)
            if any(later.kind == request.kind for later in self._pending[index + 1 :])
        ]
        dropped = {request.id for request in superseded}
        self._pending = [request for request in self._pending if request.id not in dropped]
        for request in superseded:
            self._finish_unrun(request)
        ranks = (INTERACTIVE,) if interactive_only else (INTERACTIVE, ("prepare",), ("batch",))
        for kinds in ranks:
            for request in self._pending:
                if request.kind in kinds:
                    self._pending.remove(request)
                    return request
        return None

    def _finish_unrun(self, request: Request) -> None:
        self._flags.pop(request.id, None)
        self._on_drop(request)
