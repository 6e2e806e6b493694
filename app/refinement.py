"""Keeps the document's CRF result current: asks the compute process for it, caches it, drops stale ones.

The network result is never recomputed for the CRF: toggling the CRF, changing the preset or the
selection re-runs only the CRF on the cached segmentation, and every result is kept (per photo,
keyed by preset and selection), so going back to an earlier choice is instant.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from app.compute.client import ComputeClient
from app.document import CrfKey, Document
from fcn_core import Segmentation


class Refinement(QObject):
    """Binds the document's CRF settings and selection to CRF runs in the compute process."""

    failed = Signal(object)  # exception; the CRF has been switched off

    def __init__(self, document: Document, service: ComputeClient, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._doc = document
        self._service = service
        self._cache: dict[CrfKey, Segmentation] = {}
        document.segmentationChanged.connect(self._on_new_segmentation)
        document.selectionChanged.connect(self.update)
        document.crfChanged.connect(self.update)
        service.refined.connect(self._on_refined)
        service.refineFailed.connect(self._on_failed)

    def _on_new_segmentation(self) -> None:
        self._cache.clear()
        self._service.cancel_refine()  # a CRF still running is for the old segmentation
        if self._doc.segmentation is not None:
            self._service.prepare_crf(self._doc.segmentation, self._doc.crf.preset)
        self.update()

    def update(self) -> None:
        """Ask for the CRF of the current selection, unless it is shown, cached or unwanted."""
        doc = self._doc
        key = doc.crf_key()
        if key is None or doc.segmentation is None:
            self._service.cancel_refine()
        elif key in self._cache:
            if key != doc.refined_key:
                doc.set_refined(self._cache[key], key)
        else:
            self._service.refine(doc.segmentation, key)

    def _on_refined(self, refined: Segmentation, key: CrfKey) -> None:
        self._cache[key] = refined
        self._doc.set_refined(refined, key)

    def _on_failed(self, exc: Exception) -> None:
        self._doc.set_crf(enabled=False)
        self.failed.emit(exc)
