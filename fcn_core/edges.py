"""``refine_edges``: how the cut-out's edge is drawn (DESIGN §2): ``none``, ``crf`` or ``matting``.

The stage takes the final boolean mask (selection, clean-up and the person's edits already
applied) as a ``MaskPatch`` and returns a patch with a soft alpha (float 0–1) and, for matting,
the object's own colour along the edge:

* ``none`` keeps the hard mask (the resize to the canvas still anti-aliases it).
* ``crf``: a binary dense CRF (``fcn_core.crf``, DeepLab's preset) inside a band around the edge, with
  the mask as soft evidence (blurred, clipped) as its unary; its foreground marginal is the alpha.
  Unlike ``--crf`` it needs no network probabilities, so it also refines a mask the user brought.
* ``matting``: closed-form alpha matting in the same band, then foreground colour estimation
  (``fcn_core.matting``).

Pixels the person's edits decided (``MaskPatch.decided``) keep the edit's value: edits win.

The work is split in two so the window can run the costly half elsewhere: ``edge_matte`` (the
refinement itself, in the compute process for the window) and ``apply_edge_matte`` (cheap:
paste the result into the patch, edits win); ``refine_edges`` is the two in a row.

Both work on the crop around the object only, resampled so its longer side is at most
``EdgeOptions.max_side`` pixels: working size or finer, never a 12-MP photo. The band's
half-width is ``EdgeOptions.band`` times the object's longer side (at least 1.5 px), because an
FCN's error along the edge grows with the object. ``bench/edges.py`` measures the methods on real
photos and decides the default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from PIL import Image

from fcn_core import matting
from fcn_core.crf import CRF_PRESETS, CRFKernels
from fcn_core.sticker import MaskPatch

EdgeMethod = Literal["none", "crf", "matting"]
EDGE_METHODS: tuple[str, ...] = ("none", "crf", "matting")
MIN_BAND_PX = 1.5
CRF_EVIDENCE_CLIP = 0.05
"""The blurred mask is clipped to [0.05, 0.95] before ``-log``: evidence, not certainty."""


@dataclass(frozen=True)
class EdgeOptions:
    """The edge method and its advanced settings (see the module doc)."""

    method: EdgeMethod = "none"
    band: float = 0.02
    max_side: int = 640
    crf_preset: str = "deeplab"
    matting_solver: matting.MattingSolver = "cf"

    def __post_init__(self) -> None:
        if self.method not in EDGE_METHODS:
            raise ValueError(f"unknown edge method {self.method!r}; methods: {', '.join(EDGE_METHODS)}")
        if not 0.0 < self.band <= 0.5:
            raise ValueError(f"edge band must be a fraction of the object in (0, 0.5], got {self.band}")
        if self.crf_preset not in CRF_PRESETS:
            raise ValueError(f"unknown CRF preset {self.crf_preset!r}; presets: {', '.join(CRF_PRESETS)}")
        if self.max_side < 16:
            raise ValueError(f"edge max_side must be at least 16 px, got {self.max_side}")


@dataclass(frozen=True)
class _Crop:
    """Where the refinement works: a block of the patch, and its size on the refinement grid."""

    rows: slice
    cols: slice
    size: tuple[int, int]  # (width, height) on the refinement grid
    band: float  # band half-width on the refinement grid, pixels


@dataclass(frozen=True, eq=False)
class EdgeMatte:
    """A refinement's result on the crop around the object, on the patch's grid: the soft alpha
    (float32) and, for matting, the object's own colour (uint8 RGB) of the patch block
    ``[top : top + height, left : left + width]``. It is all the window needs back from the
    compute process, which runs the refinement (DESIGN §7: matting runs where the CRF runs)."""

    top: int
    left: int
    alpha: np.ndarray
    foreground: np.ndarray | None = None


def refine_edges(pixels: np.ndarray, patch: MaskPatch, options: EdgeOptions) -> MaskPatch:
    """The patch with a refined soft alpha (module doc); ``pixels`` is the photo (uint8 RGB)."""
    matte = edge_matte(pixels, patch, options)
    return patch if matte is None else apply_edge_matte(patch, matte)


def edge_matte(pixels: np.ndarray, patch: MaskPatch, options: EdgeOptions) -> EdgeMatte | None:
    """The costly half of ``refine_edges``: the refined alpha around the object (``None`` when
    ``options`` keep the hard mask or the mask is empty). Only ``patch``'s mask, origin and step count."""
    if options.method == "none":
        return None
    mask = np.asarray(patch.mask) >= 0.5
    if not mask.any():
        return None
    crop = _crop(mask, options)
    image = _photo_crop(pixels, patch, crop)
    binary = _resize_mask(mask[crop.rows, crop.cols], crop.size)
    if options.method == "matting":
        result = matting.matte(image, binary, crop.band, options.matting_solver)
        alpha, foreground = result.alpha, result.foreground
    else:
        alpha, foreground = _crf_alpha(image, binary, crop.band, options.crf_preset), None
    crop_size = (crop.cols.stop - crop.cols.start, crop.rows.stop - crop.rows.start)
    return EdgeMatte(
        crop.rows.start, crop.cols.start, np.asarray(_resize(alpha, crop_size, "F"), dtype=np.float32),
        None if foreground is None else np.asarray(_resize(foreground, crop_size, "RGB"), dtype=np.uint8),
    )


def apply_edge_matte(patch: MaskPatch, matte: EdgeMatte) -> MaskPatch:
    """The cheap half of ``refine_edges``: ``patch`` with ``matte``'s soft alpha (zero outside the
    crop) and colours, and the pixels the person's edits decided put back as they decided."""
    height, width = patch.mask.shape
    rows = slice(matte.top, matte.top + matte.alpha.shape[0])
    cols = slice(matte.left, matte.left + matte.alpha.shape[1])
    full_alpha = np.zeros((height, width), dtype=np.float32)
    full_alpha[rows, cols] = matte.alpha
    full_foreground = None
    if matte.foreground is not None:
        full_foreground = np.zeros((height, width, 3), dtype=np.uint8)
        full_foreground[rows, cols] = matte.foreground
    if patch.decided is not None:  # the person's edits win over the refinement
        full_alpha[patch.decided > 0] = 1.0
        full_alpha[patch.decided < 0] = 0.0
    return replace(patch, mask=full_alpha, foreground=full_foreground, box=None)


def _crop(mask: np.ndarray, options: EdgeOptions) -> _Crop:
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    object_side = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
    band_patch = max(MIN_BAND_PX, options.band * object_side)
    margin = math.ceil(2 * band_patch) + 2
    top, bottom = max(0, rows[0] - margin), min(mask.shape[0], rows[-1] + 1 + margin)
    left, right = max(0, cols[0] - margin), min(mask.shape[1], cols[-1] + 1 + margin)
    scale = min(1.0, options.max_side / max(bottom - top, right - left))
    size = (max(1, round((right - left) * scale)), max(1, round((bottom - top) * scale)))
    return _Crop(slice(top, bottom), slice(left, right), size, max(MIN_BAND_PX, band_patch * scale))


def _photo_crop(pixels: np.ndarray, patch: MaskPatch, crop: _Crop) -> np.ndarray:
    """The photo under the crop, resampled to the refinement grid (a patch's last block may run
    past the photo's edge; the photo's own edge is used there)."""
    origin_y, origin_x = patch.origin
    step = patch.step
    top, bottom = origin_y + crop.rows.start * step, min(pixels.shape[0], origin_y + crop.rows.stop * step)
    left, right = origin_x + crop.cols.start * step, min(pixels.shape[1], origin_x + crop.cols.stop * step)
    return _resize(np.ascontiguousarray(pixels[top:bottom, left:right]), crop.size, "RGB")


def _resize(array: np.ndarray, size: tuple[int, int], mode: str) -> np.ndarray:
    """Bilinear resize to ``size`` (width, height); a no-op at the same size, so a working-size
    refinement is exact."""
    if (array.shape[1], array.shape[0]) == size:
        return array
    image = Image.fromarray(np.ascontiguousarray(array, dtype=np.float32 if mode == "F" else np.uint8), mode)
    return np.asarray(image.resize(size, Image.Resampling.BILINEAR))


def _resize_mask(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    levels = np.multiply(mask, 255, dtype=np.uint8)
    return _resize(levels, size, "L") >= 128


def _crf_alpha(image: np.ndarray, mask: np.ndarray, band: float, preset: str) -> np.ndarray:
    """Foreground marginal of a binary dense CRF inside the band; the sure sides keep the mask."""
    from scipy import ndimage  # lazily: scipy costs `fcn-sticker CMD --help` 0.3 s

    evidence = ndimage.gaussian_filter(mask.astype(np.float32), sigma=band / 2.0)
    evidence = np.clip(evidence, CRF_EVIDENCE_CLIP, 1.0 - CRF_EVIDENCE_CLIP)
    kernels = CRFKernels(image, CRF_PRESETS[preset], 2)
    foreground = kernels.marginals(np.stack([1.0 - evidence, evidence]))[1]
    tri = matting.trimap(mask, band)
    return np.where(tri == matting.UNKNOWN, foreground, tri).astype(np.float32)
