"""A mask the person already has, instead of the network's (``fcn-sticker make --mask``, DESIGN §8).

Accepted files and what counts as the object:

* a VOC label PNG (palette, or a greyscale index PNG when classes are named): the pixels whose
  label is one of the chosen classes (``-c``), or by default the non-background class with the
  most pixels; 255 is VOC's "void" border and never counts;
* a black/white (or greyscale) PNG: every non-zero pixel;
* an image with alpha (LA, RGBA, PA): every pixel whose alpha is non-zero.

The mask must have the photo's size after the photo's EXIF orientation is applied (a mask file's
own orientation tag is ignored: label files have none and are drawn on the upright photo).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from fcn_core.classes import ClassSet
from fcn_core.mask import AUTO, BACKGROUND_INDEX, EmptyMaskError, UnknownClassError

VOID = 255


class MaskFileError(ValueError):
    """A mask file that cannot be used; the message names the file and the reason."""


@dataclass(frozen=True, eq=False)
class LoadedMask:
    """The boolean object mask and the names of the classes it stands for (empty for a plain mask)."""

    mask: np.ndarray
    class_names: tuple[str, ...]


def load_mask(path: Path, photo_size: tuple[int, int], classes: ClassSet,
              class_refs: Sequence[str | int] | str = AUTO) -> LoadedMask:
    """Read ``path`` as described in the module doc; ``photo_size`` is ``(height, width)``."""
    try:
        with Image.open(path) as image:
            image.load()
            mode, size = image.mode, (image.height, image.width)
            if size != tuple(photo_size):
                raise MaskFileError(
                    f"{path}: the mask is {size[1]}×{size[0]} px but the photo is {photo_size[1]}×{photo_size[0]} px; "
                    "a mask must have the photo's size (after its EXIF rotation)"
                )
            if mode in ("LA", "RGBA", "PA"):
                return LoadedMask(np.asarray(image.convert("RGBA"))[..., 3] > 0, ())
            values = np.asarray(image if mode in ("P", "L", "I", "I;16", "1") else image.convert("L"))
    except OSError as error:
        raise MaskFileError(f"{path}: cannot read the mask ({error})") from error
    is_label_map = mode == "P" or (class_refs != AUTO and mode in ("L", "I", "I;16"))
    if not is_label_map:
        return LoadedMask(values > 0, ())
    return _classes_of(path, values.astype(np.int64), classes, class_refs)


def _classes_of(path: Path, labels: np.ndarray, classes: ClassSet, class_refs: Sequence[str | int] | str) -> LoadedMask:
    counts = np.bincount(labels[labels != VOID].ravel(), minlength=classes.num_classes)
    if isinstance(class_refs, str) and class_refs == AUTO:
        candidates = [index for index in np.argsort(-counts, kind="stable") if index != BACKGROUND_INDEX and counts[index] > 0]
        if not candidates:
            raise EmptyMaskError(f"{path}: the label mask holds only background; nothing to cut out")
        ids = [int(candidates[0])]
    else:
        refs = [class_refs] if isinstance(class_refs, (str, int)) else list(class_refs)
        try:
            ids = [classes.index_of(ref) for ref in refs]
        except KeyError as error:
            raise UnknownClassError(error.args[0]) from error
    mask = np.isin(labels, ids)
    names = tuple(classes.names[index] for index in ids)
    if not mask.any():
        present = ", ".join(classes.names[i] if i < classes.num_classes else str(i) for i in np.flatnonzero(counts))
        raise EmptyMaskError(f"{path}: no pixel of {' + '.join(names)} in the label mask; it holds: {present}")
    return LoadedMask(mask, names)
