"""numpy arrays → ``QImage``/``QPixmap``, and the colour layers the view paints.

Layers are made at the segmentation's working size (≤ 512 px on the long side) and scaled by
the view, so switching layers costs milliseconds whatever the photo's resolution.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap

from fcn_core.mask import EmptyMaskError, select_mask
from fcn_core.overlay import overlay_rgba
from fcn_core.segmentation import Segmentation

ADDED_COLOR = (40, 200, 70)
"""CRF view: pixels the CRF added to the selection."""
REMOVED_COLOR = (235, 50, 60)
"""CRF view: pixels the CRF took away from the selection."""
KEPT_COLOR = (255, 255, 255, 70)
"""CRF view: pixels in the selection before and after (a light veil)."""


def qimage_from_array(pixels: np.ndarray) -> QImage:
    """An owning ``QImage`` of an ``H×W×3`` RGB or ``H×W×4`` RGBA uint8 array."""
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] not in (3, 4):
        raise ValueError(f"expected H×W×3 or H×W×4 uint8, got {pixels.dtype} {pixels.shape}")
    data = np.ascontiguousarray(pixels)
    height, width, channels = data.shape
    fmt = QImage.Format.Format_RGB888 if channels == 3 else QImage.Format.Format_RGBA8888
    return QImage(data.data, width, height, width * channels, fmt).copy()


def array_from_qimage(image: QImage) -> np.ndarray:
    """``H×W×4`` RGBA uint8 copy of ``image`` (tests and screenshots read pixels back with it)."""
    converted = image.convertToFormat(QImage.Format.Format_RGBA8888)
    width, height = converted.width(), converted.height()
    buffer = np.frombuffer(converted.constBits(), dtype=np.uint8, count=converted.sizeInBytes())
    return buffer.reshape(height, converted.bytesPerLine())[:, : width * 4].reshape(height, width, 4).copy()


def selection_probability(seg: Segmentation, class_ids: frozenset[int]) -> np.ndarray:
    """P(pixel belongs to any selected class) at the working size: the sticker's foreground."""
    if not class_ids:
        return np.zeros(seg.working_size, dtype=np.float32)
    return seg.probabilities[sorted(class_ids)].sum(axis=0).clip(0.0, 1.0)


def selection_mask(seg: Segmentation, class_ids: frozenset[int]) -> np.ndarray:
    """The sticker's mask rule (``select_mask``) at the working size; empty instead of an error."""
    try:
        return select_mask(seg, sorted(class_ids), size=seg.working_size)
    except EmptyMaskError:
        return np.zeros(seg.working_size, dtype=bool)


@cache
def probability_lut() -> np.ndarray:
    """256×3 uint8 colour scale (matplotlib's perceptually uniform 'viridis')."""
    from matplotlib import colormaps

    return (colormaps["viridis"](np.linspace(0.0, 1.0, 256))[:, :3] * 255.0).round().astype(np.uint8)


def labels_layer(seg: Segmentation, *, paint_background: bool) -> np.ndarray:
    """VOC-coloured label map (RGBA); the background class is see-through unless asked for."""
    layer = overlay_rgba(seg.labels, seg.classes)
    if paint_background:
        layer[..., 3] = 255
    return layer


def probability_layer(probability: np.ndarray) -> np.ndarray:
    """Probabilities in [0, 1] through the colour scale (opaque RGBA)."""
    levels = np.clip(np.rint(probability * 255.0), 0, 255).astype(np.uint8)
    layer = np.empty(probability.shape + (4,), dtype=np.uint8)
    layer[..., :3] = probability_lut()[levels]
    layer[..., 3] = 255
    return layer


def crf_diff_layer(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Where the CRF changed the selection mask: added in green, removed in red (RGBA)."""
    layer = np.zeros(before.shape + (4,), dtype=np.uint8)
    layer[before & after] = KEPT_COLOR
    layer[after & ~before] = (*ADDED_COLOR, 255)
    layer[before & ~after] = (*REMOVED_COLOR, 255)
    return layer


def checkerboard(size: QSize, cell: int = 8) -> QPixmap:
    """The usual light-grey checkerboard that shows transparency."""
    pixmap = QPixmap(size)
    pixmap.fill(QColor(252, 252, 252))
    painter = QPainter(pixmap)
    dark = QColor(214, 214, 214)
    for y in range(0, size.height(), cell):
        for x in range((y // cell) % 2 * cell, size.width(), 2 * cell):
            painter.fillRect(x, y, cell, cell, dark)
    painter.end()
    return pixmap


def on_checkerboard(image: QImage, size: QSize) -> QPixmap:
    """``image`` scaled (smoothly, aspect kept) into ``size`` over a checkerboard."""
    pixmap = checkerboard(size)
    scaled = image.scaled(size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
    painter = QPainter(pixmap)
    painter.drawImage((size.width() - scaled.width()) // 2, (size.height() - scaled.height()) // 2, scaled)
    painter.end()
    return pixmap


def swatch(color: tuple[int, int, int], size: int = 14) -> QPixmap:
    """A filled square with a thin dark border, for legend rows."""
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(*color))
    painter = QPainter(pixmap)
    painter.setPen(QColor(60, 60, 60))
    painter.drawRect(0, 0, size - 1, size - 1)
    painter.end()
    return pixmap
