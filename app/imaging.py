"""numpy arrays → ``QImage``/``QPixmap``, and the colour layers the view paints.

Layers are made at the segmentation's working size (≤ 512 px on the long side) and scaled by
the view, so switching layers costs milliseconds whatever the photo's resolution.
"""

from __future__ import annotations

import sys
from functools import cache, lru_cache

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap

from fcn_core import EmptyMaskError, Segmentation
from fcn_core.mask import select_mask
from fcn_core.overlay import overlay_rgba

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


def display_image(pixels: np.ndarray) -> QImage:
    """An owning ``QImage`` of an RGB photo in the format the screen paints without converting
    (RGB32, i.e. native-endian 0xffRRGGBB words), so the decode thread makes it and the GUI thread only
    wraps it in a pixmap. Built with numpy rather than ``QImage.convertToFormat``, which holds the
    GIL for the whole conversion and would stall the event loop on a 12-MP photo."""
    height, width, _ = pixels.shape
    red, green, blue, pad = (2, 1, 0, 3) if sys.byteorder == "little" else (1, 2, 3, 0)
    words = np.empty((height, width, 4), dtype=np.uint8)
    words[..., red] = pixels[..., 0]
    words[..., green] = pixels[..., 1]
    words[..., blue] = pixels[..., 2]
    words[..., pad] = 255
    return QImage(words.data, width, height, width * 4, QImage.Format.Format_RGB32).copy()


@lru_cache(maxsize=8)
def labels_of(seg: Segmentation) -> np.ndarray:
    """``seg.labels``, computed once per segmentation (the legend, layers and clicks all need it)."""
    return seg.labels


@lru_cache(maxsize=8)
def shares_of(seg: Segmentation) -> dict[int, float]:
    """``seg.class_shares()``, computed once per segmentation."""
    return seg.class_shares()


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
    """256×3 uint8 colour scale (matplotlib's perceptually uniform 'viridis'); matplotlib is
    imported on the first probability view, not at start-up (0.7 s)."""
    from matplotlib import colormaps

    return (colormaps["viridis"](np.linspace(0.0, 1.0, 256))[:, :3] * 255.0).round().astype(np.uint8)


def labels_layer(seg: Segmentation, *, paint_background: bool) -> np.ndarray:
    """VOC-coloured label map (RGBA); the background class is see-through unless asked for."""
    layer = overlay_rgba(labels_of(seg), seg.classes)
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
