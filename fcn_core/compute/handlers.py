"""What the compute process does for each request, and the state it keeps between them.

It holds the one segmenter of the program, the latest segmentations it made (so a CRF toggle
needs only their id and the selected classes) and the binary-CRF kernels of the latest one per
preset (the costly part of a CRF; picking one class after another pays only mean field). Batch
export runs ``fcn_core.batch.run_batch`` — the code of ``fcn-sticker batch`` — with this very
segmenter, so the program never holds a second copy of the model.

Edge refinement (matting, the CRF band) runs here too, on the photo kept with its segmentation:
pymatting's import and its numba kernels cost ~1.5 s on first use, and that import, run in the
window, stalled its event loop. Once the first model has loaded and the queue is empty
(``idle``, called by the server: a photo waiting to be segmented goes first), a thread loads them
(``matting.warm_up``), so the first matting a person asks for pays only the matting. A request
that arrives meanwhile runs at once, sharing the CPU with the rest of that ~1 s import
(``bench/warm_up_contention.py`` measures what that costs a forward pass).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from fcn_core import matting
from fcn_core.batch import BatchReport, run_batch
from fcn_core.compute.protocol import (
    ImportedWeights,
    ImportWeights,
    LoadModel,
    ModelInfo,
    NoModelError,
    Payload,
    PrepareCrf,
    Refine,
    RefineEdges,
    RunBatch,
    Segment,
    SegmentationGone,
)
from fcn_core.crf import CRFKernels, crf_kernels_for, refine_crf
from fcn_core.edges import EdgeMatte, edge_matte
from fcn_core.photo import Photo
from fcn_core.segmentation import Segmentation

logger = logging.getLogger(__name__)

KEPT_SEGMENTATIONS = 3
"""Segmentations (and their photos) kept for CRF and edge requests: the photo on screen and the
ones just before it (a request for an older one fails with ``SegmentationGone`` and the window
asks again)."""

Progress = Callable[[Any], None]
Cancelled = Callable[[], bool]
BetweenPhotos = Callable[[], None]


class ComputeState:
    """The process's state; ``handle`` runs one request's payload and returns its result."""

    def __init__(self, factory: Callable[..., Any]) -> None:
        self._factory = factory
        self._segmenter: Any = None
        self._segmentations: OrderedDict[int, Segmentation] = OrderedDict()
        self._photos: dict[int, Photo] = {}
        self._kernels: dict[tuple[int, str], CRFKernels] = {}
        self.warm_up: threading.Thread | None = None
        """Loads pymatting's kernels once, when idle after the first model loaded (module doc)."""

    def handle(
        self, request_id: int, payload: Payload, progress: Progress, cancelled: Cancelled, between_photos: BetweenPhotos
    ) -> object:
        if isinstance(payload, LoadModel):
            return self.load_model(payload, progress, cancelled)
        if isinstance(payload, ImportWeights):
            return self.import_weights(payload)
        if isinstance(payload, Segment):
            return self.segment(request_id, payload)
        if isinstance(payload, PrepareCrf):
            self._kernels_of(payload.segmentation_id, payload.preset)
            return None
        if isinstance(payload, Refine):
            return self.refine(payload)
        if isinstance(payload, RefineEdges):
            return self.refine_edges(payload)
        if isinstance(payload, RunBatch):
            return self.batch(payload, progress, cancelled, between_photos)
        raise TypeError(f"unknown request {type(payload).__name__}")

    def load_model(self, payload: LoadModel, progress: Progress, cancelled: Cancelled) -> ModelInfo:
        """Load through the factory (with download progress); the model loaded before stays in
        use when this fails."""
        segmenter = self._factory(payload.model_request, lambda done, total: progress((done, total)), cancelled)
        self._segmenter = segmenter
        return ModelInfo(segmenter.model_name, segmenter.classes, getattr(segmenter, "device_message", ""))

    @staticmethod
    def import_weights(payload: ImportWeights) -> ImportedWeights:
        """The library's own import (whatever the factory): the file is checked by loading it,
        then stored where ``load_model`` and ``fcn-sticker`` look first. The model in use is
        untouched; the window loads the imported one next."""
        from fcn_core.weights.store import import_weights  # torch: only in this process, only when asked

        checkpoint = import_weights(payload.path, payload.model_name)
        return ImportedWeights(checkpoint.stem, checkpoint)  # the cache names it <model>.pt

    def idle(self) -> None:
        """Nothing is queued: warm matting up now if a model is loaded and it has not been done."""
        if self.warm_up is None and self._segmenter is not None:
            self.warm_up = threading.Thread(target=_warm_up_matting, name="matting-warm-up", daemon=True)
            self.warm_up.start()

    def segment(self, request_id: int, payload: Segment) -> Segmentation:
        if self._segmenter is None:
            raise NoModelError("no model is loaded")
        segmentation: Segmentation = self._segmenter.segment(payload.photo)
        self._segmentations[request_id] = segmentation
        self._photos[request_id] = payload.photo
        while len(self._segmentations) > KEPT_SEGMENTATIONS:
            gone, _ = self._segmentations.popitem(last=False)
            del self._photos[gone]
        return segmentation

    def refine(self, payload: Refine) -> Segmentation:
        kernels = self._kernels_of(payload.segmentation_id, payload.preset)
        segmentation = self._segmentations[payload.segmentation_id]
        return refine_crf(segmentation, payload.preset, mode="binary", target_classes=payload.targets, kernels=kernels)

    def refine_edges(self, payload: RefineEdges) -> EdgeMatte | None:
        """The edge refinement of the window's mask patch over a held segmentation's photo."""
        photo = self._photos.get(payload.segmentation_id)
        if photo is None:
            raise SegmentationGone(f"segmentation {payload.segmentation_id} is no longer held by the compute process")
        return edge_matte(photo.pixels, payload.patch, payload.options)

    def _kernels_of(self, segmentation_id: int, preset: str) -> CRFKernels:
        """The binary-CRF kernels of a held segmentation, built on first use; other
        segmentations' kernels are dropped (they are large and the window has moved on)."""
        segmentation = self._segmentations.get(segmentation_id)
        if segmentation is None:
            raise SegmentationGone(f"segmentation {segmentation_id} is no longer held by the compute process")
        kernels = self._kernels.get((segmentation_id, preset))
        if kernels is None:
            self._kernels = {key: value for key, value in self._kernels.items() if key[0] == segmentation_id}
            kernels = self._kernels[(segmentation_id, preset)] = crf_kernels_for(segmentation, preset, mode="binary")
        return kernels

    def batch(self, payload: RunBatch, progress: Progress, cancelled: Cancelled, between_photos: BetweenPhotos) -> BatchReport:
        """``run_batch`` with the loaded segmenter; after each photo it reports progress and
        lets queued interactive requests run (``between_photos``)."""
        if self._segmenter is None:
            raise NoModelError("no model is loaded")
        job = payload.job

        def after_photo(done: int, total: int, path: object) -> None:
            progress((done, total, str(path)))
            between_photos()

        return run_batch(
            self._segmenter, job.input_dir, job.output_dir, job.request, overwrite=job.overwrite,
            recursive=job.recursive, progress=after_photo, cancel=cancelled,
        )


def _warm_up_matting() -> None:
    """On its own thread: a failure here only means the first matting pays (and reports) it."""
    try:
        matting.warm_up()
    except Exception:
        logger.warning("warming up matting failed; the first matting will load it", exc_info=True)
