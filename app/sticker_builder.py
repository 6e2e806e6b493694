"""Keeps the sticker of the document's current state, built and saved off the GUI thread.

The preview *is* the file: the sticker shown is the very object that Save writes, made by the
pipeline's ``sticker_from_segmentation`` (the code path of ``fcn-sticker make``) from the
segmentation on screen. Building takes tens of milliseconds, so it runs on a private one-thread
pool: the event loop never waits, bursts of changes coalesce into one build (a zero-delay timer),
and a build that finishes after the state moved on is dropped by its generation number.

While a new sticker is on its way (a build, or the CRF for a new selection) the builder is
``updating``; a Save asked for then is kept and carried out with the new sticker, so the window
can leave Save enabled and the last preview in view instead of blanking both on every click.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

from app.document import Document
from fcn_core import Photo, Segmentation, Sticker, StickerRequest, save_sticker, sticker_from_segmentation
from fcn_core.save import sticker_format, target_for_canvas

logger = logging.getLogger(__name__)


class StickerBuilder(QObject):
    """``sticker`` is the current sticker, or None while building or when there is nothing to build."""

    built = Signal(object)  # Sticker, or None when there is nothing to build
    buildFailed = Signal(object)  # exception
    saved = Signal(object)  # SavedSticker
    saveFailed = Signal(object, object)  # path, exception

    _buildDone = Signal(int, object, object)  # generation, sticker, exception (from the pool thread)
    _saveDone = Signal(object, object, object)  # path, SavedSticker, exception (from the pool thread)

    def __init__(self, document: Document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._generation = 0
        self._settled = 0  # the generation whose build (or lack of one) was last reported
        self._queued_save: tuple[Path, bool] | None = None
        self._closed = False
        self.sticker: Sticker | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._start_build)
        self._buildDone.connect(self._on_build_done)
        self._saveDone.connect(self._on_save_done)
        for signal in (
            document.photoChanged, document.segmentationChanged, document.refinedChanged,
            document.selectionChanged, document.styleChanged, document.crfChanged, document.editsChanged,
        ):
            signal.connect(self.schedule)

    def request(self) -> StickerRequest | None:
        """The pipeline request for the current state, or None when no sticker can be made yet."""
        doc = self._document
        if doc.photo is None or doc.displayed is None or not doc.selection or doc.crf_pending:
            return None
        return StickerRequest(
            classes=tuple(sorted(doc.selection)), crf=None, cleanup=doc.cleanup, style=doc.style,
            objects=doc.objects, edits=doc.edits, edges=doc.edges, fmt=doc.output_format, target=doc.output_target,  # type: ignore[arg-type]
        )

    @property
    def updating(self) -> bool:
        """A new sticker is on its way: being built, or waiting for the CRF of the selection."""
        return self.sticker is None and (self._settled != self._generation or self._document.crf_pending)

    def schedule(self) -> None:
        """The state changed: the current sticker is outdated; build a new one soon."""
        if self._closed:
            return
        self._generation += 1
        self.sticker = None
        self._timer.start()

    def _start_build(self) -> None:
        request = self.request()
        if request is None:
            self._settled = self._generation
            self.built.emit(None)
            if not self.updating:
                self._fail_queued_save(RuntimeError("there is no sticker to save: pick an object first"))
            return
        generation = self._generation
        photo, segmentation = self._document.photo, self._document.displayed
        assert photo is not None and segmentation is not None
        self._pool.start(lambda: self._build(generation, photo, segmentation, request))

    def _build(self, generation: int, photo: Photo, segmentation: Segmentation, request: StickerRequest) -> None:
        """Runs on the pool thread."""
        if generation != self._generation:
            return  # superseded before it started
        try:
            sticker, _ = sticker_from_segmentation(photo, segmentation, request)
        except Exception as exc:
            self._buildDone.emit(generation, None, exc)
        else:
            self._buildDone.emit(generation, sticker, None)

    def _on_build_done(self, generation: int, sticker: Sticker | None, exc: Exception | None) -> None:
        if generation != self._generation:
            return
        self._settled = generation
        if exc is not None:
            logger.info("sticker preview failed: %s", exc)
            self.buildFailed.emit(exc)
            self._fail_queued_save(exc)
        else:
            self.sticker = sticker
            self.built.emit(sticker)
            if self._queued_save is not None:
                path, overwrite = self._queued_save
                self._queued_save = None
                self.save(path, overwrite=overwrite)

    def save(self, path: Path, *, overwrite: bool = False) -> bool:
        """Write the current sticker to ``path`` in the background, or the one on its way as soon
        as it is ready (``updating``); False when there is none."""
        if self.sticker is None:
            if not self.updating:
                return False
            self._queued_save = (Path(path), overwrite)
            return True
        doc = self._document
        sticker, fmt, target = self.sticker, doc.output_format, target_for_canvas(doc.style.canvas, doc.output_target)
        self._pool.start(lambda: self._save(sticker, Path(path), fmt, target, overwrite))
        return True

    def _fail_queued_save(self, exc: Exception) -> None:
        if self._queued_save is not None:
            path, _ = self._queued_save
            self._queued_save = None
            self.saveFailed.emit(path, exc)

    def _save(self, sticker: Sticker, path: Path, fmt: str, target: str, overwrite: bool) -> None:
        """Runs on the pool thread."""
        try:
            result = save_sticker(sticker, path, fmt=sticker_format(fmt), target=target, overwrite=overwrite)
        except Exception as exc:
            self._saveDone.emit(path, None, exc)
        else:
            self._saveDone.emit(path, result, None)

    def _on_save_done(self, path: Path, result: object, exc: Exception | None) -> None:
        if exc is not None:
            self.saveFailed.emit(path, exc)
        else:
            self.saved.emit(result)

    def shutdown(self) -> None:
        """Wait for a running build or save (a save must never be cut off)."""
        self._closed = True
        self._timer.stop()
        self._generation += 1
        self._pool.waitForDone()
