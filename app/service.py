"""The GUI thread's handle on the worker: starts its thread, sends requests, drops stale results.

Widgets call plain methods here (``open``, ``refine``, …) and listen to result signals that only
ever carry the answer to the latest request of each kind, so a slow result for a photo the user
has already replaced can never reach the document. It also keeps track of what is running, for
the busy indicator.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal

from app.batch_process import BatchJob
from app.document import CrfKey
from app.segmenter_factory import AppSegmenter, ModelRequest, SegmenterFactory
from app.worker import RequestIds, RequestKind, Worker
from fcn_core.photo import Photo
from fcn_core.segmentation import Segmentation

logger = logging.getLogger(__name__)


class WorkerService(QObject):
    """Owns the worker thread; its result signals are emitted on the GUI thread."""

    modelLoaded = Signal(object, object)  # ModelRequest, segmenter
    modelFailed = Signal(object, object)  # ModelRequest, exception
    downloadProgress = Signal(object, object)  # bytes done, bytes total or None
    photoLoaded = Signal(object, object)  # Photo, its display QImage
    segmented = Signal(object)  # Segmentation
    openFailed = Signal(object, object)  # what was opened (path or Photo), exception
    refined = Signal(object, object)  # Segmentation, CrfKey
    refineFailed = Signal(object)  # exception
    batchProgress = Signal(int, int, str)  # done, total, current file
    batchFinished = Signal(object)  # BatchReport
    batchFailed = Signal(object)  # exception
    busyChanged = Signal(str)  # what is running, '' when idle

    # requests, queued to the worker's thread
    _loadModel = Signal(int, object, object)
    _openPhoto = Signal(int, object)
    _refine = Signal(int, object, str, object)
    _runBatch = Signal(int, object, object)

    def __init__(self, factory: SegmenterFactory, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = RequestIds()
        self._thread = QThread(self)
        self._thread.setObjectName("segmentation-worker")
        self._worker = Worker(self._ids, factory)
        self._worker.moveToThread(self._thread)
        self._thread.finished.connect(self._worker.deleteLater)
        self._loadModel.connect(self._worker.load_model)
        self._openPhoto.connect(self._worker.open_photo)
        self._refine.connect(self._worker.refine)
        self._runBatch.connect(self._worker.run_batch)
        self._worker.modelLoaded.connect(self._on_model_loaded)
        self._worker.downloadProgress.connect(self._on_download_progress)
        self._worker.photoLoaded.connect(self._on_photo_loaded)
        self._worker.segmented.connect(self._on_segmented)
        self._worker.refined.connect(self._on_refined)
        self._worker.batchProgress.connect(self._on_batch_progress)
        self._worker.batchFinished.connect(self._on_batch_finished)
        self._worker.failed.connect(self._on_failed)
        self._running: dict[RequestKind, tuple[int, str]] = {}
        self._payloads: dict[int, object] = {}
        self._cancels: dict[RequestKind, threading.Event] = {}
        self.segmenter: AppSegmenter | None = None
        self._thread.start()

    # requests ---------------------------------------------------------------------------------
    def load_model(self, request: ModelRequest) -> None:
        request_id = self._start("model", f"Loading model {request.name}…", request)
        self._loadModel.emit(request_id, request, self._cancel_event("model"))

    def open(self, source: Path | Photo) -> None:
        """Decode (for a path) and segment; a newer ``open`` makes this one stale."""
        name = source.name if isinstance(source, Path) else (source.path.name if source.path else "photo")
        request_id = self._start("open", f"Segmenting {name}…", source)
        self._openPhoto.emit(request_id, source)

    def refine(self, segmentation: Segmentation, key: CrfKey) -> None:
        preset, targets = key
        request_id = self._start("refine", f"Refining with the {preset} CRF…", key)
        self._refine.emit(request_id, segmentation, preset, targets)

    def cancel_refine(self) -> None:
        """Forget the running CRF request (its result will be dropped), e.g. when the CRF is turned off."""
        self._ids.issue("refine")
        self._finish("refine", None)

    def run_batch(self, job: BatchJob) -> None:
        request_id = self._start("batch", "Exporting stickers…", job)
        self._runBatch.emit(request_id, job, self._cancel_event("batch"))

    def cancel(self, kind: RequestKind) -> None:
        """Ask a download or a batch to stop at its next check."""
        event = self._cancels.get(kind)
        if event is not None:
            event.set()

    def is_running(self, kind: RequestKind) -> bool:
        return kind in self._running

    def shutdown(self) -> None:
        """Stop the worker thread (cancelling downloads and batches); safe to call twice."""
        for event in self._cancels.values():
            event.set()
        if self._thread.isRunning():
            self._thread.quit()
            self._thread.wait()

    # bookkeeping ------------------------------------------------------------------------------
    def _start(self, kind: RequestKind, text: str, payload: object) -> int:
        request_id = self._ids.issue(kind)
        previous = self._running.get(kind)
        if previous is not None:
            self._payloads.pop(previous[0], None)
        self._running[kind] = (request_id, text)
        self._payloads[request_id] = payload
        self.busyChanged.emit(self.busy_text())
        return request_id

    def _cancel_event(self, kind: RequestKind) -> threading.Event:
        self.cancel(kind)  # a new download or batch replaces the old one
        event = self._cancels[kind] = threading.Event()
        return event

    def _current(self, kind: RequestKind, request_id: int) -> bool:
        running = self._running.get(kind)
        return running is not None and running[0] == request_id and self._ids.is_latest(kind, request_id)

    def _finish(self, kind: RequestKind, request_id: int | None) -> object:
        running = self._running.pop(kind, None)
        payload = self._payloads.pop(request_id, None) if request_id is not None else None
        if running is not None:
            self._payloads.pop(running[0], None)
        self.busyChanged.emit(self.busy_text())
        return payload

    def busy_text(self) -> str:
        return " ".join(text for _, text in self._running.values())

    # results (GUI thread) ---------------------------------------------------------------------
    def _on_model_loaded(self, request_id: int, segmenter: AppSegmenter) -> None:
        if self._current("model", request_id):
            request = self._finish("model", request_id)
            self.segmenter = segmenter
            self.modelLoaded.emit(request, segmenter)

    def _on_download_progress(self, request_id: int, done: int, total: int | None) -> None:
        if self._current("model", request_id):
            self.downloadProgress.emit(done, total)

    def _on_photo_loaded(self, request_id: int, photo: Photo, image: object) -> None:
        if self._current("open", request_id):
            self.photoLoaded.emit(photo, image)

    def _on_segmented(self, request_id: int, segmentation: Segmentation) -> None:
        if self._current("open", request_id):
            self._finish("open", request_id)
            self.segmented.emit(segmentation)
        else:
            logger.debug("dropped the stale segmentation of request %d", request_id)

    def _on_refined(self, request_id: int, segmentation: Segmentation) -> None:
        if self._current("refine", request_id):
            key = self._finish("refine", request_id)
            self.refined.emit(segmentation, key)

    def _on_batch_progress(self, request_id: int, done: int, total: int, path: str) -> None:
        if self._current("batch", request_id):
            self.batchProgress.emit(done, total, path)

    def _on_batch_finished(self, request_id: int, report: object) -> None:
        if self._current("batch", request_id):
            self._finish("batch", request_id)
            self.batchFinished.emit(report)

    def _on_failed(self, request_id: int, kind: RequestKind, exc: Exception) -> None:
        if not self._current(kind, request_id):
            return
        payload = self._finish(kind, request_id)
        if kind == "model":
            self.modelFailed.emit(payload, exc)
        elif kind == "open":
            self.openFailed.emit(payload, exc)
        elif kind == "refine":
            self.refineFailed.emit(exc)
        else:
            self.batchFailed.emit(exc)
