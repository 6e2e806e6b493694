"""The chosen object on the photo: its outline, and (a view option) the rest of the photo dimmed.

Drawn from the same stages as the sticker — the selection (classes or objects), the clean-up and
the person's edits — on a grid about as fine as the screen needs (``HIGHLIGHT_SIDE`` on the longer
side), so a brush stroke on a 12-MP photo costs a few milliseconds here, and the edits replayed
for the last highlight are kept (``EditReplay``), so a new stroke replays one stroke and an undo
none; the sticker itself is built off this thread. The image is stretched over the photo by the view.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QImage
from scipy import ndimage

from app.document import Document
from app.image_view import ImageView
from app.imaging import qimage_from_array
from fcn_core import EmptyMaskError
from fcn_core.edits import EditReplay
from fcn_core.mask import MaskWindow, Selection, clean_mask
from fcn_core.objects import restrict_to_objects

HIGHLIGHT_SIDE = 1024
OUTLINE_RGBA = (255, 214, 0, 255)
DIM_ALPHA = 130


def highlight_mask(document: Document, replay: EditReplay | None = None) -> np.ndarray | None:
    """The chosen object's mask on the highlight grid (``None`` when nothing is chosen); ``replay``
    reuses the edits replayed for an earlier call (same pixels)."""
    seg, photo = document.displayed, document.photo
    if seg is None or photo is None or not document.selection:
        return None
    class_ids = sorted(document.selection)
    try:
        chosen = restrict_to_objects(seg, class_ids, document.objects) if document.objects else seg
    except EmptyMaskError:
        return None
    height, width = photo.size
    step = max(1, math.ceil(max(height, width) / HIGHLIGHT_SIDE))
    window = MaskWindow(0, 0, -(-height // step), -(-width // step), step)
    mask = clean_mask(Selection(chosen, class_ids).window(window), document.cleanup)
    if replay is None or not document.edits:
        return document.edits.apply_on_grid(mask, (0, 0), step)
    return replay.replay_on_grid(document.edits, mask, (0, 0), step)[0]


def highlight_image(mask: np.ndarray, dim: bool) -> QImage:
    """RGBA: an opaque outline along the mask's edge, the outside dimmed when ``dim``."""
    rgba = np.zeros((*mask.shape, 4), dtype=np.uint8)
    if dim:
        rgba[~mask, 3] = DIM_ALPHA
    edge = mask & ~ndimage.binary_erosion(mask, iterations=max(1, round(max(mask.shape) / 400)))
    rgba[edge] = OUTLINE_RGBA
    return qimage_from_array(rgba)


class Highlighter(QObject):
    """Keeps the view's highlight current (coalesced to one repaint per event-loop turn)."""

    def __init__(self, document: Document, view: ImageView, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._doc, self._view = document, view
        self.dim = True
        self._replay = EditReplay()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.refresh)
        for signal in (document.photoChanged, document.segmentationChanged, document.refinedChanged,
                       document.selectionChanged, document.editsChanged, document.styleChanged, document.crfChanged):
            signal.connect(self._timer.start)

    def set_dim(self, dim: bool) -> None:
        self.dim = bool(dim)
        self._timer.start()

    def refresh(self) -> None:
        self._timer.stop()
        mask = highlight_mask(self._doc, self._replay)
        self._view.set_highlight(None if mask is None else highlight_image(mask, self.dim))
