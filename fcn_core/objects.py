"""One object instead of a whole class: the connected region of the chosen classes under a point (DESIGN §6).

A semantic segmentation knows "person", not "this person", so one person is taken out of a group
as the connected region (8-connected, at the working size) of the chosen classes' label under the
clicked point. Several points give the union of their regions (Ctrl+click adds an object).

The result is a ``Segmentation`` whose chosen-class probability outside the regions has been moved
to the background class, so every later stage (the cell-bounded upsampling of ``fcn_core.mask``,
the sticker's window, the CRF) treats the object exactly as it treats a whole class: bilinear on
probabilities, then threshold, at whatever resolution the stage needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fcn_core.mask import BACKGROUND_INDEX, EmptyMaskError
from fcn_core.segmentation import Segmentation

_EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


@dataclass(frozen=True)
class PhotoPoint:
    """A point in photo pixels: ``x`` to the right, ``y`` down, pixel ``(row, col)`` spanning
    ``[col, col + 1) × [row, row + 1)`` (the convention of Qt's scene and of ``MaskEdits``)."""

    x: float
    y: float


def object_regions(seg: Segmentation, class_ids: Sequence[int], points: Sequence[PhotoPoint]) -> np.ndarray:
    """Working-size boolean map of the connected regions of ``class_ids`` under ``points``.

    Raises ``EmptyMaskError`` naming the point when no chosen class is under one of them.
    """
    from scipy import ndimage  # lazily: scipy costs `fcn-sticker CMD --help` 0.3 s

    if not points:
        raise ValueError("object_regions needs at least one point")
    chosen = np.isin(seg.labels, np.asarray(class_ids))
    regions, _ = ndimage.label(chosen, structure=_EIGHT_CONNECTED)
    keep = np.zeros(int(regions.max()) + 1, dtype=bool)
    for point in points:
        row, col = working_pixel(seg, point)
        region = regions[row, col]
        if region == 0:
            wanted = " + ".join(seg.classes.names[index] for index in class_ids)
            found = seg.classes.names[int(seg.labels[row, col])]
            raise EmptyMaskError(f"no {wanted} under the point ({point.x:.0f}, {point.y:.0f}): the network found {found} there")
        keep[region] = True
    return keep[regions]


def working_pixel(seg: Segmentation, point: PhotoPoint) -> tuple[int, int]:
    """The working-size pixel ``(row, col)`` that holds the photo point (clamped to the image)."""
    (working_height, working_width), (photo_height, photo_width) = seg.working_size, seg.photo_size
    row = min(working_height - 1, max(0, int(point.y * working_height / photo_height)))
    col = min(working_width - 1, max(0, int(point.x * working_width / photo_width)))
    return row, col


def restrict_to_objects(seg: Segmentation, class_ids: Sequence[int], points: Sequence[PhotoPoint]) -> Segmentation:
    """``seg`` with the chosen classes kept only inside the objects under ``points`` (module doc).

    Outside those regions the chosen classes' probability is added to the background class (or,
    when background is itself chosen, to the best unchosen class), so their argmax there is no
    longer a chosen class and no upsampled pixel there joins the mask.
    """
    regions = object_regions(seg, class_ids, points)
    chosen = np.zeros(seg.classes.num_classes, dtype=bool)
    chosen[np.asarray(class_ids)] = True
    probabilities = np.array(seg.probabilities, dtype=np.float32, copy=True)
    outside = ~regions
    moved = probabilities[chosen][:, outside].sum(axis=0)
    for index in np.flatnonzero(chosen):
        probabilities[index][outside] = 0.0
    if chosen[BACKGROUND_INDEX]:
        others = np.flatnonzero(~chosen)
        if others.size == 0:
            raise ValueError("one object needs at least one class that is not chosen")
        receiver = others[probabilities[others][:, outside].argmax(axis=0)]
        rows, cols = np.nonzero(outside)
        probabilities[receiver, rows, cols] += moved
    else:
        probabilities[BACKGROUND_INDEX][outside] += moved
    tag = "objects:" + ";".join(f"{point.x:.0f},{point.y:.0f}" for point in points)
    refined_by = f"{seg.refined_by}+{tag}" if seg.refined_by else tag
    return seg.with_probabilities(probabilities, refined_by=refined_by)
