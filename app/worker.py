"""The one long-lived worker that owns the model, living on its own ``QThread``.

Everything slow happens here — loading or downloading weights, decoding a photo, running the
network — or is driven from here: the CRF and batch exports run in child processes
(``crf_process``, ``batch_process``) because their libraries hold the GIL, which would freeze
the window even from this thread. So the window's event loop never waits. Requests arrive as
queued signal calls carrying a request id; results leave as signals with the same id. Ids come
from :class:`RequestIds`, shared with the GUI side: a request that is no longer the latest of its
kind when the worker gets to it is skipped without doing the work, and the GUI side drops any
result that went stale while it was being computed.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Literal

from PySide6.QtCore import QObject, Signal, Slot

from app.batch_process import BatchJob, run_batch_in_child
from app.crf_process import refine_binary
from app.imaging import display_image
from app.segmenter_factory import AppSegmenter, ModelRequest, SegmenterFactory
from fcn_core.photo import Photo, load_photo
from fcn_core.segmentation import Segmentation

logger = logging.getLogger(__name__)

RequestKind = Literal["model", "open", "refine", "batch"]


class NoModelError(RuntimeError):
    """A photo was to be segmented before any model was loaded."""


class RequestIds:
    """Request ids per kind, shared by the GUI thread (issues them) and the worker (checks them)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counter = 0
        self._latest: dict[str, int] = {}

    def issue(self, kind: RequestKind) -> int:
        with self._lock:
            self._counter += 1
            self._latest[kind] = self._counter
            return self._counter

    def is_latest(self, kind: RequestKind, request_id: int) -> bool:
        with self._lock:
            return self._latest.get(kind) == request_id


class Worker(QObject):
    """Does the slow work; call its slots only through queued signals (it lives on another thread)."""

    modelLoaded = Signal(int, object)  # request id, the segmenter
    downloadProgress = Signal(int, object, object)  # request id, bytes done, bytes total or None
    photoLoaded = Signal(int, object, object)  # request id, Photo, its display QImage
    segmented = Signal(int, object)  # request id, Segmentation
    refined = Signal(int, object)  # request id, Segmentation
    batchProgress = Signal(int, int, int, str)  # request id, done, total, current file
    batchFinished = Signal(int, object)  # request id, BatchReport
    failed = Signal(int, str, object)  # request id, request kind, the exception

    def __init__(self, ids: RequestIds, factory: SegmenterFactory) -> None:
        super().__init__()
        self._ids = ids
        self._factory = factory
        self._segmenter: AppSegmenter | None = None
        self._model_request: ModelRequest | None = None

    @Slot(int, object, object)
    def load_model(self, request_id: int, request: ModelRequest, cancel: threading.Event) -> None:
        if not self._ids.is_latest("model", request_id):
            return
        try:
            segmenter = self._factory(
                request, lambda done, total: self.downloadProgress.emit(request_id, done, total), cancel.is_set
            )
        except Exception as exc:  # reported to the user as a dialog by the GUI side
            logger.info("loading %s failed: %s", request.name, exc)
            self.failed.emit(request_id, "model", exc)
            return
        self._segmenter, self._model_request = segmenter, request
        self.modelLoaded.emit(request_id, segmenter)

    @Slot(int, object)
    def open_photo(self, request_id: int, source: Path | Photo) -> None:
        """Decode a path (announcing the photo with ``photoLoaded``), then segment it; a ``Photo``
        is the open photo again (e.g. for a new model) and is only segmented."""
        if not self._ids.is_latest("open", request_id):
            return
        try:
            if isinstance(source, Photo):
                photo = source
            else:
                photo = load_photo(source)
                self.photoLoaded.emit(request_id, photo, display_image(photo.pixels))
            if self._segmenter is None:
                raise NoModelError("no model is loaded")
            if not self._ids.is_latest("open", request_id):
                return
            self.segmented.emit(request_id, self._segmenter.segment(photo))
        except Exception as exc:
            self.failed.emit(request_id, "open", exc)

    @Slot(int, object, str, object)
    def refine(self, request_id: int, segmentation: Segmentation, preset: str, targets: tuple[int, ...]) -> None:
        """Binary CRF of the selected classes (what the sticker needs, and the fast mode), run in the
        CRF child process because pydensecrf would hold the GIL and freeze the window."""
        if not self._ids.is_latest("refine", request_id):
            return
        try:
            self.refined.emit(request_id, refine_binary(segmentation, preset, targets))
        except Exception as exc:
            self.failed.emit(request_id, "refine", exc)

    @Slot(int, object, object)
    def run_batch(self, request_id: int, job: BatchJob, cancel: threading.Event) -> None:
        """The ``run_batch`` of ``fcn-sticker batch``, in a child process with the current model
        (see ``app.batch_process``); this thread relays its progress."""
        try:
            if self._model_request is None:
                raise NoModelError("no model is loaded")
            report = run_batch_in_child(
                self._factory,
                self._model_request,
                job,
                progress=lambda done, total, path: self.batchProgress.emit(request_id, done, total, path),
                cancel=cancel,
            )
        except Exception as exc:
            self.failed.emit(request_id, "batch", exc)
            return
        self.batchFinished.emit(request_id, report)
