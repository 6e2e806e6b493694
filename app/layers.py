"""What the view shows for a document state: the colour layer of each view mode, and the class
under a photo pixel. Pure functions of the document, so the main window only wires them up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from app.document import Document, ViewMode
from app.imaging import crf_diff_layer, labels_layer, probability_layer, selection_mask, selection_probability
from fcn_core import Segmentation


@dataclass(frozen=True)
class Layer:
    """``image`` is RGBA at the working size (None: nothing to paint); ``key`` names the colour key
    to show under the view and ``note`` says what the layer shows or why it is empty."""

    image: np.ndarray | None
    photo_visible: bool = True
    use_opacity: bool = True
    key: Literal["none", "probability", "crf"] = "none"
    note: str = ""


def selection_names(doc: Document) -> str:
    """``person + dog`` (largest class id last is fine: the order has no meaning)."""
    seg = doc.segmentation
    if seg is None:
        return ""
    return " + ".join(seg.classes.names[class_id] for class_id in sorted(doc.selection))


def layer_inputs(doc: Document) -> tuple[object, ...]:
    """Everything ``render_layer`` reads, so a caller can skip re-rendering an unchanged layer
    (segmentations compare by identity). The overlay and label map ignore the selection, so a
    class pick in those modes repaints nothing."""
    mode = doc.view_mode
    selection = doc.selection if mode in (ViewMode.PROBABILITY, ViewMode.CRF_DIFF) else None
    crf = (doc.crf, doc.crf_pending, doc.refined, doc.segmentation) if mode is ViewMode.CRF_DIFF else None
    return mode, doc.displayed, selection, crf


def render_layer(doc: Document) -> Layer:
    seg = doc.displayed
    if seg is None:
        return Layer(None)
    mode = doc.view_mode
    if mode is ViewMode.OVERLAY:
        return Layer(labels_layer(seg, paint_background=False))
    if mode is ViewMode.LABELS:
        return Layer(labels_layer(seg, paint_background=True), photo_visible=False, use_opacity=False)
    if not doc.selection:
        return Layer(None, key="none", note="Select a class (click it in the photo or the list) to see this view.")
    if mode is ViewMode.PROBABILITY:
        title = f"P({selection_names(doc)})"
        return Layer(probability_layer(selection_probability(seg, doc.selection)), key="probability", note=title)
    return _crf_layer(doc)


def _crf_layer(doc: Document) -> Layer:
    if not doc.crf.enabled:
        return Layer(None, note="Tick “CRF” beside Edges in the Sticker panel to compare before and after.")
    if doc.crf_pending or doc.refined is None or doc.segmentation is None:
        return Layer(None, note="Refining with the CRF…")
    before = selection_mask(doc.segmentation, doc.selection)
    after = selection_mask(doc.refined, doc.selection)
    return Layer(crf_diff_layer(before, after), key="crf", note=f"{selection_names(doc)}, {doc.crf.preset} CRF:")


def class_at(seg: Segmentation, x: int, y: int) -> tuple[int, float]:
    """The most probable class at photo pixel ``(x, y)`` and its probability."""
    photo_h, photo_w = seg.photo_size
    work_h, work_w = seg.working_size
    row = min(int(y * work_h / photo_h), work_h - 1)
    col = min(int(x * work_w / photo_w), work_w - 1)
    column = seg.probabilities[:, row, col]
    class_id = int(column.argmax())
    return class_id, float(column[class_id])
