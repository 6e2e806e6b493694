"""Keeps the sticker of the document's current state, built and saved off the GUI thread.

The preview *is* the file: the sticker shown is the very object that Save writes, made by the
pipeline's ``sticker_from_segmentation`` (the code path of ``fcn-sticker make``) from the
segmentation on screen. Building takes tens of milliseconds, so it runs on a private one-thread
pool: the event loop never waits, bursts of changes coalesce into one build (a zero-delay timer),
and a build that finishes after the state moved on is dropped by its generation number.

Edge refinement (matting, the CRF band) is the one stage that does not run here: pymatting and
its numba kernels would cost the window's process 1.5 s of imports that stall its event loop
(DESIGN §7, §10). A build with refined edges is three steps: the pool thread cuts the edited mask
(``pipeline.cut_out``), the compute process refines its edge (``ComputeClient.refine_edges``),
and the pool thread pastes the result in and makes the sticker. The last refinement is kept, so
a change of style or canvas placement that leaves the mask as it was does not ask again, and a
change made while the process works on the same mask waits for that answer instead of a new one.
The pool thread keeps the edits it replayed (``EditReplay``): a new stroke replays one stroke, an
undo none.

While a new sticker is on its way (a build, or the CRF for a new selection) the builder is
``updating``; a Save asked for then is kept and carried out with the new sticker, so the window
can leave Save enabled and the last preview in view instead of blanking both on every click.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

from app.compute.client import ComputeClient, ComputeProcessError
from app.document import Document
from fcn_core import Photo, Segmentation, Sticker, StickerRequest, save_sticker
from fcn_core.edges import EdgeMatte, EdgeOptions, apply_edge_matte
from fcn_core.edits import EditReplay
from fcn_core.pipeline import CutOut, cut_out, sticker_from_patch
from fcn_core.save import sticker_format, target_for_canvas
from fcn_core.sticker import MaskPatch

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Build:
    """A build between its steps: what the pool thread cut, waiting for its refined edge."""

    generation: int
    photo: Photo
    request: StickerRequest
    cut: CutOut


@dataclass(frozen=True, eq=False)
class _Refinement:
    """An edge refinement asked for (``arrived`` False) or received."""

    photo: Photo
    patch: MaskPatch
    options: EdgeOptions
    tag: int
    arrived: bool = False
    matte: EdgeMatte | None = None

    def fits(self, photo: Photo, patch: MaskPatch, options: EdgeOptions) -> bool:
        """Made for this photo, hard mask, grid and options (only they decide the matte)."""
        mine = self.patch
        same_grid = (options, mine.origin, mine.step) == (self.options, patch.origin, patch.step)
        return photo is self.photo and same_grid and np.array_equal(mine.mask, patch.mask)


class StickerBuilder(QObject):
    """``sticker`` is the current sticker, or None while building or when there is nothing to build;
    ``refined`` the edge-refined cut it was made from when the edges are refined (else None), so a
    pack's sticker can be made from the same mask without refining again in this process."""

    built = Signal(object)  # Sticker, or None when there is nothing to build
    buildFailed = Signal(object)  # exception
    saved = Signal(object)  # SavedSticker
    saveFailed = Signal(object, object)  # path, exception

    _buildDone = Signal(int, object, object, object)  # generation, sticker, refined cut, exception (pool thread)
    _cutDone = Signal(object)  # _Build (from the pool thread)
    _saveDone = Signal(object, object, object)  # path, SavedSticker, exception (from the pool thread)

    def __init__(self, document: Document, service: ComputeClient, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._service = service
        self._replay = EditReplay()  # used on the pool thread only
        self._waiting: _Build | None = None  # a build waiting for its edge (GUI thread)
        self._refinement: _Refinement | None = None  # the latest asked for or received (GUI thread)
        self._asks = 0
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._generation = 0
        self._settled = 0  # the generation whose build (or lack of one) was last reported
        self._queued_save: tuple[Path, bool] | None = None
        self._closed = False
        self.sticker: Sticker | None = None
        self.refined: CutOut | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._start_build)
        self._buildDone.connect(self._on_build_done)
        self._cutDone.connect(self._on_cut)
        service.edgesRefined.connect(self._on_matte)
        service.edgesFailed.connect(self._on_matte_failed)
        service.restarted.connect(self._on_restarted)
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
        self.sticker, self.refined = None, None
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
        """Runs on the pool thread: the whole sticker, or (refined edges) the cut for the compute process."""
        if generation != self._generation:
            return  # superseded before it started
        try:
            cut = cut_out(photo, segmentation, request, self._replay)
            if request.edges.method != "none":
                self._cutDone.emit(_Build(generation, photo, request, cut))
                return
            sticker = sticker_from_patch(photo, cut.patch, request, cut.class_names)
        except Exception as exc:
            self._buildDone.emit(generation, None, None, exc)
        else:
            self._buildDone.emit(generation, sticker, None, None)

    def _on_cut(self, build: _Build) -> None:
        """The edited mask is cut: use the refinement made for it, wait for the one on its way, or ask."""
        if build.generation != self._generation:
            return
        patch, options = build.cut.patch, build.request.edges
        known = self._refinement
        if known is not None and known.fits(build.photo, patch, options) and (known.arrived or self._service.is_running("edges")):
            self._waiting = build
            if known.arrived:
                self._finish_waiting(known)
            return
        segmentation = self._document.segmentation
        self._asks += 1
        self._refinement = _Refinement(build.photo, patch, options, self._asks)
        self._waiting = build
        if segmentation is None or not self._service.refine_edges(segmentation, patch, options, self._asks):
            self._refinement = self._waiting = None
            self._on_build_done(build.generation, None, None, ComputeProcessError(
                "The compute process was restarted; the edges are refined again once the photo is segmented again."
            ))

    def _on_restarted(self) -> None:
        """A refinement under way died with the process: build again (the photo's re-segmentation
        rebuilds once more with the new process)."""
        if self._waiting is not None:
            self.schedule()

    def _on_matte(self, matte: EdgeMatte | None, tag: int) -> None:
        known = self._refinement
        if known is None or known.tag != tag:
            return
        self._refinement = known = replace(known, arrived=True, matte=matte)
        self._finish_waiting(known)

    def _finish_waiting(self, refinement: _Refinement) -> None:
        build, self._waiting = self._waiting, None
        if build is None or build.generation != self._generation:
            return
        matte = refinement.matte
        self._pool.start(lambda: self._finish(build, matte))

    def _finish(self, build: _Build, matte: EdgeMatte | None) -> None:
        """Runs on the pool thread."""
        if build.generation != self._generation:
            return
        try:
            refined = replace(build.cut, patch=build.cut.patch if matte is None else apply_edge_matte(build.cut.patch, matte))
            sticker = sticker_from_patch(build.photo, refined.patch, build.request, refined.class_names)
        except Exception as exc:
            self._buildDone.emit(build.generation, None, None, exc)
        else:
            self._buildDone.emit(build.generation, sticker, refined, None)

    def _on_matte_failed(self, exc: Exception, tag: int) -> None:
        known, build = self._refinement, self._waiting
        if known is None or known.tag != tag:
            return
        self._refinement = self._waiting = None
        if build is not None:
            self._on_build_done(build.generation, None, None, exc)

    def _on_build_done(self, generation: int, sticker: Sticker | None, refined: CutOut | None, exc: Exception | None) -> None:
        if generation != self._generation:
            return
        self._settled = generation
        if exc is not None:
            logger.info("sticker preview failed: %s", exc)
            self.buildFailed.emit(exc)
            self._fail_queued_save(exc)
        else:
            self.sticker, self.refined = sticker, refined
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
