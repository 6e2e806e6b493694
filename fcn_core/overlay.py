"""Pictures of a segmentation: the VOC-coloured overlay, the palette label PNG, probability maps.

The ``segment`` command writes these and the GUI shows them. Everything here works at the
photo's resolution, which for a 12-MP photo means a ``C×H×W`` float array of about 1 GB if the
probabilities were upsampled in one go; :func:`iter_upsampled` therefore upsamples in horizontal
strips (bilinear, the same values as torch's ``F.interpolate(mode="bilinear", align_corners=False)``) so memory stays bounded
by ``max_strip_bytes`` whatever the photo size.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from fcn_core.atomic_file import write_atomically
from fcn_core.classes import ClassSet, voc_colormap
from fcn_core.segmentation import Segmentation

DEFAULT_OPACITY = 0.5
"""How much of the class colour an overlay pixel shows (the rest is the photo)."""

MAX_STRIP_BYTES = 64 * 1024 * 1024
"""Upper bound on the float32 strip :func:`iter_upsampled` holds at once."""

UNPAINTED_CLASS = 0
"""Class index left unpainted in overlays: ``background`` (VOC) and ``other`` (ADE20K). Painting
it black, as the VOC colormap says, would only darken the photo around what the user looks for."""


def _bilinear_taps(source_len: int, target_len: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices and weights of bilinear resampling along one axis.

    Same convention as ``torch.nn.functional.interpolate(mode="bilinear", align_corners=False)``:
    target pixel ``i`` samples source coordinate ``(i + 0.5) * source/target - 0.5`` clamped at 0.
    Returns ``(lower, upper, weight_of_upper)``.
    """
    coords = (np.arange(target_len, dtype=np.float64) + 0.5) * (source_len / target_len) - 0.5
    coords = np.maximum(coords, 0.0)
    lower = np.minimum(np.floor(coords).astype(np.int64), source_len - 1)
    upper = np.minimum(lower + 1, source_len - 1)
    weight = (coords - lower).astype(np.float32)
    return lower, upper, weight


def iter_upsampled(
    probabilities: np.ndarray, size: tuple[int, int], *, max_strip_bytes: int = MAX_STRIP_BYTES
) -> Iterator[tuple[slice, np.ndarray]]:
    """Yield ``(rows, strip)`` covering ``size = (H, W)``: ``strip`` is the ``C×len(rows)×W``
    bilinear upsampling of ``probabilities`` (``C×h×w``) for those target rows."""
    num_channels, height, width = probabilities.shape
    target_h, target_w = size
    if target_h < 1 or target_w < 1:
        raise ValueError(f"target size must be at least 1×1, got {size}")
    row_lo, row_hi, row_w = _bilinear_taps(height, target_h)
    col_lo, col_hi, col_w = _bilinear_taps(width, target_w)
    rows_per_strip = max(1, max_strip_bytes // (4 * num_channels * target_w))
    for start in range(0, target_h, rows_per_strip):
        rows = slice(start, min(start + rows_per_strip, target_h))
        weight = row_w[rows][None, :, None]
        vertical = probabilities[:, row_lo[rows]] * (1.0 - weight) + probabilities[:, row_hi[rows]] * weight
        strip = vertical[:, :, col_lo] * (1.0 - col_w) + vertical[:, :, col_hi] * col_w
        yield rows, strip.astype(np.float32, copy=False)


def labels_at(seg: Segmentation, size: tuple[int, int] | None = None) -> np.ndarray:
    """Arg-max label map at ``size`` (default: the photo size) from bilinearly upsampled
    probabilities, as the sticker mask is made (DESIGN §2)."""
    target = size or seg.photo_size
    dtype = np.uint8 if seg.classes.num_classes <= 256 else np.int32
    labels = np.empty(target, dtype=dtype)
    for rows, strip in iter_upsampled(seg.probabilities, target):
        labels[rows] = strip.argmax(axis=0)
    return labels


def probability_at(seg: Segmentation, class_id: int, size: tuple[int, int] | None = None) -> np.ndarray:
    """Probability map of one class at ``size`` (default: the photo size), float32 in [0, 1]."""
    target = size or seg.photo_size
    single = seg.probabilities[class_id : class_id + 1]
    result = np.empty(target, dtype=np.float32)
    for rows, strip in iter_upsampled(single, target):
        result[rows] = strip[0]
    return result


def overlay_rgba(labels: np.ndarray, classes: ClassSet) -> np.ndarray:
    """An ``H×W×4`` layer: class colours, opaque except where the label is :data:`UNPAINTED_CLASS`.

    The GUI draws this as its own pixmap with an opacity slider; :func:`blend_overlay` burns it
    into the photo for a file.
    """
    palette = voc_colormap(max(256, classes.num_classes))
    rgba = np.empty(labels.shape + (4,), dtype=np.uint8)
    rgba[..., :3] = palette[labels]
    rgba[..., 3] = np.where(labels == UNPAINTED_CLASS, 0, 255)
    return rgba


def blend_overlay(pixels: np.ndarray, labels: np.ndarray, classes: ClassSet, opacity: float = DEFAULT_OPACITY) -> np.ndarray:
    """The photo with each labelled pixel mixed with its class colour (``opacity`` of the colour)."""
    if pixels.shape[:2] != labels.shape:
        raise ValueError(f"photo {pixels.shape[:2]} and labels {labels.shape} differ in size")
    if not 0.0 <= opacity <= 1.0:
        raise ValueError(f"opacity must be in [0, 1], got {opacity}")
    layer = overlay_rgba(labels, classes)
    alpha = (layer[..., 3:4].astype(np.float32) / 255.0) * opacity
    blended = pixels.astype(np.float32) * (1.0 - alpha) + layer[..., :3].astype(np.float32) * alpha
    return np.clip(np.rint(blended), 0, 255).astype(np.uint8)


def label_image(labels: np.ndarray) -> Image.Image:
    """A mode-"P" image with the VOC palette: the format of VOC ``SegmentationClass`` PNGs, so any
    VOC tool reads the indices back and any viewer shows the colours."""
    if labels.dtype != np.uint8:
        if labels.max(initial=0) > 255:
            raise ValueError("a palette PNG holds at most 256 labels")
        labels = labels.astype(np.uint8)
    image = Image.fromarray(labels)  # mode "L"; putpalette turns it into "P" keeping the indices
    image.putpalette(voc_colormap(256).tobytes())
    return image


def probability_image(probability: np.ndarray) -> Image.Image:
    """An 8-bit grayscale image: 0 = probability 0, 255 = probability 1."""
    levels = np.clip(np.rint(probability * 255.0), 0, 255).astype(np.uint8)
    return Image.fromarray(levels)


def save_png(image: Image.Image, path: Path) -> Path:
    """Write ``image`` as PNG, whole or not at all (see :mod:`fcn_core.atomic_file`)."""
    return write_atomically(path, lambda file: image.save(file, format="PNG"))
