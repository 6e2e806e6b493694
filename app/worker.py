"""The one long-lived worker that owns the model, living on its own ``QThread``.

Everything slow happens here — loading or downloading weights, decoding a photo, running the
network, the CRF, a batch export — so the window's event loop never waits. Requests arrive as
queued signal calls carrying a request id; results leave as signals with the same id. Ids come
from :class:`RequestIds`, shared with the GUI side: a request that is no longer the latest of its
kind when the worker gets to it is skipped without doing the work, and the GUI side drops any
result that went stale while it was being computed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from PySide6.QtCore import QObject, Signal, Slot

from fcn_core.batch import run_batch
from fcn_core.classes import ClassSet
from fcn_core.crf import refine_crf
from fcn_core.photo import Photo, load_photo
from fcn_core.pipeline import SegmenterLike, StickerRequest
from fcn_core.segmentation import Segmentation

logger = logging.getLogger(__name__)

RequestKind = Literal["model", "open", "refine", "batch"]
ProgressCallback = Callable[[int, "int | None"], None]


class AppSegmenter(SegmenterLike, Protocol):
    """What the window needs from a segmenter: the pipeline's protocol plus a name and classes."""

    model_name: str
    classes: ClassSet


@dataclass(frozen=True)
class ModelRequest:
    """Which model to load: a registry name, an explicit weights file, whether a download is agreed."""

    name: str
    weights: Path | None = None
    allow_download: bool = False


SegmenterFactory = Callable[[ModelRequest, ProgressCallback, Callable[[], bool]], AppSegmenter]
"""Builds the segmenter for a request; gets a download progress callback and a cancel check."""


def default_segmenter_factory(request: ModelRequest, progress: ProgressCallback, cancel: Callable[[], bool]) -> AppSegmenter:
    """Real weights through ``fcn_core.weights.load_model``: never random weights in the product."""
    from fcn_core.segmenter import Segmenter
    from fcn_core.weights import load_model

    loaded = load_model(
        request.name, request.weights, allow_download=request.allow_download, progress=progress, cancel=cancel
    )
    return Segmenter(loaded)


@dataclass(frozen=True)
class BatchJob:
    """One batch export, as the dialog set it up (the CLI's ``run_batch`` arguments)."""

    input_dir: Path
    output_dir: Path
    request: StickerRequest
    overwrite: bool = False
    recursive: bool = False


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
    photoLoaded = Signal(int, object)  # request id, Photo
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
        self._segmenter = segmenter
        self.modelLoaded.emit(request_id, segmenter)

    @Slot(int, object)
    def open_photo(self, request_id: int, source: Path | Photo) -> None:
        """Decode ``source`` (unless it is already a Photo), then segment it."""
        if not self._ids.is_latest("open", request_id):
            return
        try:
            photo = source if isinstance(source, Photo) else load_photo(source)
            self.photoLoaded.emit(request_id, photo)
            if self._segmenter is None:
                raise NoModelError("no model is loaded")
            if not self._ids.is_latest("open", request_id):
                return
            self.segmented.emit(request_id, self._segmenter.segment(photo))
        except Exception as exc:
            self.failed.emit(request_id, "open", exc)

    @Slot(int, object, str, object)
    def refine(self, request_id: int, segmentation: Segmentation, preset: str, targets: tuple[int, ...]) -> None:
        """Binary CRF of the selected classes (what the sticker needs, and the fast mode)."""
        if not self._ids.is_latest("refine", request_id):
            return
        try:
            self.refined.emit(request_id, refine_crf(segmentation, preset, mode="binary", target_classes=targets))
        except Exception as exc:
            self.failed.emit(request_id, "refine", exc)

    @Slot(int, object, object)
    def run_batch(self, request_id: int, job: BatchJob, cancel: threading.Event) -> None:
        """The same ``run_batch`` the ``fcn-sticker batch`` command runs."""
        try:
            if self._segmenter is None:
                raise NoModelError("no model is loaded")
            report = run_batch(
                self._segmenter,
                job.input_dir,
                job.output_dir,
                job.request,
                overwrite=job.overwrite,
                recursive=job.recursive,
                progress=lambda done, total, path: self.batchProgress.emit(request_id, done, total, str(path)),
                cancel=cancel.is_set,
            )
        except Exception as exc:
            self.failed.emit(request_id, "batch", exc)
            return
        self.batchFinished.emit(request_id, report)
