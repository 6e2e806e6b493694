"""Cut a sticker out of a photo with a mask (DESIGN §6).

Order of work, chosen so a 12-MP photo costs no more than a small one:

1. **Fit.** The mask's bounding box is scaled so the object's longer side fills the canvas less
   the margin (and less the stroke, so an outline never touches the edge); the photo and the mask
   are cropped to that box (plus the resampling filter's reach) *before* resizing, so only the
   object's pixels are ever resampled. The mask may cover only part of the photo, sampled once
   per block of pixels (``MaskPatch``, built by ``fcn_core.sticker_mask``). Colours use Lanczos; the mask is resized with a
   triangle
   filter as a float (0–255), which gives an anti-aliased edge without ringing.
2. **Contour** (the original recipe, at output scale): the binary mask ``alpha ≥ 128`` is eroded
   with a ``contour_width``-wide square and the ring ``mask & ~eroded`` is painted in the contour
   colour. The anti-aliased fringe just outside the binary mask takes the contour colour too, so
   the edge fades from the contour colour to transparent instead of showing a dark halo of
   photo pixels.
3. **Stroke** (optional): pixels outside the binary mask within ``stroke_width`` (Euclidean, i.e.
   dilation by a disk, which rounds the corners like hand-cut stickers) become opaque
   ``stroke_color``.
4. **Shadow** (optional): the sticker's alpha, offset and blurred, as semi-transparent black
   composited under everything.

Fully transparent pixels are stored as transparent black, which also keeps files small.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from fcn_core.mask import EmptyMaskError
from fcn_core.photo import Photo

RGB = tuple[int, int, int]

OPAQUE = 255
BINARY_ALPHA = 128
"""Output pixels at least half covered by the resized mask count as the object."""

LANCZOS_SUPPORT = 3
REDUCING_GAP = 2.0
"""Pillow first box-reduces by an integer factor while the remaining reduction stays ≥ this
factor (the value ``Image.thumbnail`` uses): a 12-MP crop resizes in tens of milliseconds instead
of a hundred, with no visible difference at sticker size."""


@dataclass(frozen=True)
class StickerStyle:
    """How a sticker looks; sizes are pixels of the output canvas.

    ``contour_width`` is the side of the square the mask is eroded with (the original recipe), so
    the painted ring is about ``(contour_width - 1) / 2`` px wide: 2 px for the default 5.
    ``contour_width=0`` turns the contour off, ``stroke_width=0`` the stroke. The shadow is
    offset by ``shadow_offset`` = (right, down), blurred with a Gaussian of ``shadow_blur`` sigma
    and drawn at ``shadow_opacity``.
    """

    canvas_size: int = 512
    margin: int = 16
    contour_width: int = 5
    contour_color: RGB = (248, 248, 248)
    stroke_width: int = 0
    stroke_color: RGB = (255, 255, 255)
    shadow: bool = False
    shadow_offset: tuple[int, int] = (4, 6)
    shadow_blur: float = 4.0
    shadow_opacity: float = 0.45

    def __post_init__(self) -> None:
        for name in ("canvas_size", "margin", "contour_width", "stroke_width"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")
        if self.object_side < 1:
            raise ValueError(
                f"canvas {self.canvas_size} px leaves no room for the object with margin {self.margin} "
                f"and stroke {self.stroke_width} on each side"
            )
        for name in ("contour_color", "stroke_color"):
            color = getattr(self, name)
            if len(color) != 3 or not all(0 <= int(value) <= 255 for value in color):
                raise ValueError(f"{name} must be three values 0..255, got {color}")
        if not 0.0 <= self.shadow_opacity <= 1.0 or self.shadow_blur < 0:
            raise ValueError(
                f"shadow_opacity must be in [0, 1] and shadow_blur ≥ 0, got {self.shadow_opacity}, {self.shadow_blur}"
            )

    @property
    def object_side(self) -> int:
        """Length of the object's longer side on the canvas."""
        return self.canvas_size - 2 * (self.margin + self.stroke_width)


@dataclass(frozen=True, eq=False)
class Sticker:
    """A finished sticker: ``canvas×canvas×4`` uint8 RGBA (straight alpha) and what it shows."""

    rgba: np.ndarray
    class_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.rgba.dtype != np.uint8 or self.rgba.ndim != 3 or self.rgba.shape[2] != 4:
            raise ValueError(f"sticker must be H×W×4 uint8, got {self.rgba.shape} {self.rgba.dtype}")
        self.rgba.setflags(write=False)

    @property
    def size(self) -> tuple[int, int]:
        """``(height, width)`` in pixels."""
        return self.rgba.shape[0], self.rgba.shape[1]


@dataclass(frozen=True, eq=False)
class MaskPatch:
    """A boolean mask over part of a photo, one value per ``step``×``step`` block of photo pixels.

    ``origin`` is the photo pixel ``(row, column)`` of ``mask[0, 0]``'s block. A full photo-size
    mask is ``MaskPatch(mask)``; the pipeline's fast path (``fcn_core.sticker_mask``) builds one
    around the object, just fine enough for the canvas, so a 12-MP photo costs what a small one does.
    """

    mask: np.ndarray
    origin: tuple[int, int] = (0, 0)
    step: int = 1
    box: tuple[int, int, int, int] | None = None
    """The object's photo-pixel box ``(top, bottom, left, right)`` when known more exactly than
    ``step``; by default the occupied blocks' box."""

    def __post_init__(self) -> None:
        if self.mask.ndim != 2 or self.step < 1 or min(self.origin) < 0:
            raise ValueError(
                f"a mask patch needs a 2-D mask, step ≥ 1 and origin ≥ 0, got {self.mask.shape}, {self.step}, {self.origin}"
            )


def make_sticker(
    photo: Photo, mask: np.ndarray, style: StickerStyle = StickerStyle(), *, class_names: Sequence[str] = ()
) -> Sticker:
    """Cut ``mask`` (boolean, photo size) out of ``photo`` onto a transparent canvas (module doc).

    ``class_names`` are recorded on the sticker (file names, messages); raises ``EmptyMaskError``
    when the mask selects nothing.
    """
    if mask.shape != photo.size:
        raise ValueError(f"mask {mask.shape} and photo {photo.size} differ in size")
    return make_sticker_from_patch(photo, MaskPatch(np.asarray(mask, dtype=bool)), style, class_names=class_names)


def make_sticker_from_patch(
    photo: Photo, patch: MaskPatch, style: StickerStyle = StickerStyle(), *, class_names: Sequence[str] = ()
) -> Sticker:
    """``make_sticker`` for a mask that covers only part of the photo, possibly at a coarser step.

    The patch must hold the object and, around it, the filter's reach (``filter_reach``) or the
    photo's edge, else the anti-aliased edge is cut short.
    """
    from scipy import ndimage  # on first use: importing scipy costs the window's start-up ~0.3 s
    rgb, alpha = _fit(photo.pixels, patch, style, tuple(class_names))
    binary = alpha >= BINARY_ALPHA
    if style.contour_width > 0:
        eroded = ndimage.binary_erosion(binary, structure=np.ones((style.contour_width,) * 2, dtype=bool))
        rgb[(alpha > 0) & ~eroded] = style.contour_color
    if style.stroke_width > 0:
        ring = ~binary & (ndimage.distance_transform_edt(~binary) <= style.stroke_width)
        rgb[ring] = style.stroke_color
        alpha[ring] = OPAQUE
    if style.shadow:
        rgb, alpha = _with_shadow(rgb, alpha, style)
    rgb[alpha == 0] = 0
    return Sticker(np.dstack([rgb, alpha]), tuple(class_names))


def filter_reach(scale: float) -> int:
    """Source pixels to keep beyond the object's box when resizing by ``scale``, so edge pixels
    are resampled like interior ones (Lanczos' support, widened when reducing, plus one)."""
    return math.ceil(LANCZOS_SUPPORT * max(1.0, 1.0 / scale)) + 1


def reduction_step(scale: float) -> int:
    """The integer factor Pillow box-reduces by before a ``scale`` resize (``REDUCING_GAP``): a mask
    sampled once per such block is as fine as the one the resize would have worked on."""
    return max(1, int(1.0 / (scale * REDUCING_GAP)))


def _fit(
    pixels: np.ndarray, patch: MaskPatch, style: StickerStyle, class_names: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Canvas-size RGB and alpha (uint8) with the object's box scaled to fit and centred."""
    mask, step = patch.mask, patch.step
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        wanted = " + ".join(class_names) or "the chosen classes"
        raise EmptyMaskError(f"the mask of {wanted} is empty: nothing to cut out")
    if patch.box is not None:
        top, bottom, left, right = patch.box
    else:
        # The occupied blocks' box in photo pixels (a patch's last blocks may run past the photo).
        cols = np.flatnonzero(mask[rows[0] : rows[-1] + 1].any(axis=0))
        origin_y, origin_x = patch.origin
        top, bottom = origin_y + int(rows[0]) * step, min(pixels.shape[0], origin_y + (int(rows[-1]) + 1) * step)
        left, right = origin_x + int(cols[0]) * step, min(pixels.shape[1], origin_x + (int(cols[-1]) + 1) * step)
    scale = style.object_side / max(bottom - top, right - left)
    size = (max(1, round((right - left) * scale)), max(1, round((bottom - top) * scale)))
    object_rgb = _resized_crop(pixels, (top, bottom, left, right), (0, 0), 1, scale, size, Image.Resampling.LANCZOS)
    # The mask is resized as a float (0–255) with a triangle filter: anti-aliased, no ringing.
    levels = np.multiply(mask, OPAQUE, dtype=np.uint8)
    object_alpha = _resized_crop(levels, (top, bottom, left, right), patch.origin, step, scale, size, Image.Resampling.BILINEAR)

    canvas = style.canvas_size
    out_w, out_h = size
    rgb = np.zeros((canvas, canvas, 3), dtype=np.uint8)
    alpha = np.zeros((canvas, canvas), dtype=np.uint8)
    place = np.s_[(canvas - out_h) // 2 : (canvas - out_h) // 2 + out_h, (canvas - out_w) // 2 : (canvas - out_w) // 2 + out_w]
    rgb[place] = object_rgb
    alpha[place] = object_alpha
    return rgb, alpha


def _resized_crop(
    image: np.ndarray,
    box: tuple[int, int, int, int],
    origin: tuple[int, int],
    step: int,
    scale: float,
    size: tuple[int, int],
    resample: Image.Resampling,
) -> np.ndarray:
    """Photo-pixel ``box`` (top, bottom, left, right) of ``image`` resized to ``size`` (w, h).

    ``image``'s pixel ``(i, j)`` covers the photo block at ``origin + step·(i, j)``. It is cropped
    with the filter's reach *before* resizing, so only the object's pixels are resampled.
    """
    top, bottom, left, right = ((value - origin[index // 2]) / step for index, value in enumerate(box))
    reach = filter_reach(scale * step)
    y0, y1 = max(0, math.floor(top) - reach), min(image.shape[0], math.ceil(bottom) + reach)
    x0, x1 = max(0, math.floor(left) - reach), min(image.shape[1], math.ceil(right) + reach)
    crop = Image.fromarray(np.ascontiguousarray(image[y0:y1, x0:x1]))
    resized = crop.resize(size, resample, box=(left - x0, top - y0, right - x0, bottom - y0), reducing_gap=REDUCING_GAP)
    return np.asarray(resized)


def _with_shadow(rgb: np.ndarray, alpha: np.ndarray, style: StickerStyle) -> tuple[np.ndarray, np.ndarray]:
    """Composite the sticker over its own offset, blurred alpha in black ("over" operator)."""
    from scipy import ndimage  # on first use: importing scipy costs the window's start-up ~0.3 s
    coverage = alpha.astype(np.float32) / OPAQUE
    dx, dy = style.shadow_offset
    shifted = ndimage.shift(coverage, (dy, dx), order=0, mode="constant", cval=0.0)
    shadow = ndimage.gaussian_filter(shifted, style.shadow_blur) * style.shadow_opacity
    combined = coverage + shadow * (1.0 - coverage)
    colour_weight = np.divide(coverage, combined, out=np.zeros_like(combined), where=combined > 0)
    shaded = np.rint(rgb * colour_weight[..., None]).astype(np.uint8)
    return shaded, np.rint(combined * OPAQUE).astype(np.uint8)
