"""Alpha matting of a mask's edge with pymatting (DESIGN §2 ``refine_edges``: ``matting``).

A segmentation mask is hard and blobby where a person would cut along hair and fur. Matting solves
for a soft alpha inside a band around the mask's edge (the trimap's "unknown" region) from the
colours of the sure foreground and sure background on either side. We use pymatting's closed-form
matting (Levin, Lischinski & Weiss 2008): ``bench/edges.py`` measures it against the other
pymatting solvers on real VOC photos; the solve touches only the band's pixels, so it stays well
under a second on a working-size crop where KNN, LKM and random-walk matting take seconds.

Colour: a pixel at alpha 0.5 is half object, half background, so cutting it out with the photo's
own colour leaves a fringe of the old background around the sticker. ``estimate_foreground_ml``
(Germer et al. 2020) recovers the object's own colour there.

pymatting compiles its kernels with numba and caches the machine code on disk (``cache=True``),
so only the very first run on a machine pays the compilation; ``warm_up`` runs a tiny matte so
an interactive program pays the import and the kernels' loading before the person asks for it
(the window's compute process does, on a thread, after its first model loads).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

UNKNOWN = 0.5
MattingSolver = Literal["cf", "knn", "lkm", "rw"]
MATTING_SOLVERS: tuple[str, ...] = ("cf", "knn", "lkm", "rw")


@dataclass(frozen=True, eq=False)
class Matte:
    """Soft alpha (float32, 0–1) and the object's estimated colour (uint8 RGB) on the same grid."""

    alpha: np.ndarray
    foreground: np.ndarray


def trimap(mask: np.ndarray, band: float) -> np.ndarray:
    """Float trimap of a boolean mask: 1 deeper than ``band`` pixels inside, 0 beyond ``band``
    outside, ``UNKNOWN`` in between (Euclidean distance, so the band is equally wide all round)."""
    from scipy import ndimage  # lazily: scipy costs `fcn-sticker CMD --help` 0.3 s

    inside = ndimage.distance_transform_edt(mask)
    outside = ndimage.distance_transform_edt(~mask)
    result = np.full(mask.shape, UNKNOWN, dtype=np.float64)
    result[inside > band] = 1.0
    result[outside > band] = 0.0
    return result


def matte(image: np.ndarray, mask: np.ndarray, band: float, solver: MattingSolver = "cf") -> Matte:
    """Alpha matting of ``image`` (uint8 RGB) in a ``band``-pixel band around ``mask`` with one of
    pymatting's solvers (``cf`` closed-form by default; the others for ``bench/edges.py``)."""
    import pymatting.alpha as solvers
    from pymatting.foreground.estimate_foreground_ml import estimate_foreground_ml
    from scipy import ndimage  # lazily: scipy costs `fcn-sticker CMD --help` 0.3 s

    if solver not in MATTING_SOLVERS:
        raise ValueError(f"unknown matting solver {solver!r}; solvers: {', '.join(MATTING_SOLVERS)}")
    estimate_alpha = getattr(solvers, f"estimate_alpha_{solver}")

    pixels = image.astype(np.float64) / 255.0
    inside = ndimage.distance_transform_edt(mask)
    # A part thinner than the band would have no sure inside, and closed-form matting needs both sides.
    tri = trimap(mask, min(band, max(float(inside.max()) / 2.0, 0.5)))
    alpha = estimate_alpha(pixels, tri) if (tri == UNKNOWN).any() else tri
    foreground = estimate_foreground_ml(pixels, alpha)
    return Matte(
        alpha.astype(np.float32),
        np.clip(np.rint(np.asarray(foreground) * 255.0), 0, 255).astype(np.uint8),
    )


def warm_up() -> None:
    """Load (or, the first time on a machine, compile and cache) pymatting's kernels."""
    image = np.zeros((24, 24, 3), dtype=np.uint8)
    image[6:18, 6:18] = 200
    mask = np.zeros((24, 24), dtype=bool)
    mask[7:17, 7:17] = True
    matte(image, mask, 2.0)
