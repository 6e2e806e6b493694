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
3. **Stroke** (optional): an outward band of ``stroke_color`` equally wide all round: its coverage
   is ``stroke_width + ½ − d`` clipped to [0, 1], with ``d`` the Euclidean distance to the binary
   mask on a ``STROKE_SUPERSAMPLING``× finer grid, averaged back down. The disk-shaped reach rounds
   the corners like a hand-cut sticker and the edge is anti-aliased; it is laid under the object.
4. **Shadow** (optional): the sticker's alpha, offset and blurred, as semi-transparent black
   composited under everything.

A photo with transparency (``Photo.alpha``) cuts the mask first: blocks where the photo is fully
transparent leave the mask before the fit, so the object is fitted to what can be seen, and the
photo's alpha, resized like the mask, caps the object's alpha (the minimum of the two, not the
product, which would fade an edge they share twice): a transparent pixel of the photo is never
part of the sticker, however the network labelled it.

Fully transparent pixels are stored as transparent black, which also keeps files small.

Canvas (``StickerStyle.canvas``): ``sticker`` is the fit above on a ``canvas_size`` square,
``emoji`` the same on Telegram's 100×100 custom-emoji square, and ``photo`` keeps the photo's own
size and position (no crop, no fit): the alpha is then the mask's (or refined alpha's) at photo size.

The mask may be soft: a ``MaskPatch`` from ``fcn_core.edges.refine_edges`` holds alpha (0–1) and,
after matting, the object's own colour along the edge (``foreground``), which replaces the
photo's colour wherever the sticker is not fully opaque, so no old background shows in the edge.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from PIL import Image

from fcn_core.mask import EmptyMaskError
from fcn_core.photo import Photo

RGB = tuple[int, int, int]
Canvas = Literal["sticker", "emoji", "photo"]
CANVASES: tuple[str, ...] = ("sticker", "emoji", "photo")
EMOJI_SIDE = 100
"""Telegram custom emoji are 100×100."""
STROKE_SUPERSAMPLING = 2

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
    and drawn at ``shadow_opacity``. ``canvas`` is ``sticker``, ``emoji`` (``EMOJI_SIDE`` square,
    ``canvas_size`` ignored) or ``photo`` (module doc).

    Placement on a square canvas: ``object_scale`` (0.1–1) shrinks the fitted object, ``offset``
    = (right, down) moves it from the centre (what leaves the canvas is cut off), and the finished
    canvas is turned by ``rotation`` (0, 90, 180, 270 degrees counter-clockwise) and mirrored
    left-right with ``flip``.
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
    canvas: Canvas = "sticker"
    object_scale: float = 1.0
    offset: tuple[int, int] = (0, 0)
    rotation: int = 0
    flip: bool = False

    def __post_init__(self) -> None:
        if not 0.1 <= self.object_scale <= 1.0:
            raise ValueError(f"object_scale must be in [0.1, 1], got {self.object_scale}")
        if self.rotation not in (0, 90, 180, 270):
            raise ValueError(f"rotation must be 0, 90, 180 or 270 degrees, got {self.rotation}")
        if self.canvas not in CANVASES:
            raise ValueError(f"unknown canvas {self.canvas!r}; canvases: {', '.join(CANVASES)}")
        for name in ("canvas_size", "margin", "contour_width", "stroke_width"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")
        if self.object_side < 1:
            raise ValueError(
                f"canvas {self.canvas_side} px leaves no room for the object with margin {self.margin} "
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
    def canvas_side(self) -> int:
        """Side of the square canvas (``sticker`` and ``emoji``)."""
        return EMOJI_SIDE if self.canvas == "emoji" else self.canvas_size

    @property
    def object_side(self) -> int:
        """Room for the object's longer side on the canvas."""
        return self.canvas_side - 2 * (self.margin + self.stroke_width)

    @property
    def fitted_side(self) -> int:
        """Length of the object's longer side on the canvas (``object_side`` × ``object_scale``)."""
        return max(1, round(self.object_side * self.object_scale))


TELEGRAM_STYLE = StickerStyle(contour_width=0, stroke_width=10, stroke_color=(255, 255, 255), shadow=True,
                              shadow_offset=(0, 4), shadow_blur=5.0, shadow_opacity=0.5)
"""One-click style: the white outward stroke and soft black shadow of Telegram's own sticker look."""


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
    """A mask over part of a photo, one value per ``step``×``step`` block of photo pixels.

    ``mask`` is boolean, or float alpha in [0, 1] after ``refine_edges``; ``foreground`` (uint8 RGB
    on the same grid, optional) is the object's own colour where alpha is soft. ``origin`` is the
    photo pixel ``(row, column)`` of ``mask[0, 0]``'s block. A full photo-size
    mask is ``MaskPatch(mask)``; the pipeline's fast path (``fcn_core.sticker_mask``) builds one
    around the object, just fine enough for the canvas, so a 12-MP photo costs what a small one does.
    """

    mask: np.ndarray
    origin: tuple[int, int] = (0, 0)
    step: int = 1
    box: tuple[int, int, int, int] | None = None
    """The object's photo-pixel box ``(top, bottom, left, right)`` when known more exactly than
    ``step``; by default the occupied blocks' box."""
    foreground: np.ndarray | None = None
    decided: np.ndarray | None = None
    """Where the person's edits fixed the mask (int8: 1 object, -1 not, 0 free; ``MaskEdits.replay_on_grid``)."""

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
    from scipy import ndimage  # lazily: scipy costs `fcn-sticker CMD --help` 0.3 s

    visible = _visible_part(patch, photo.alpha)
    if style.canvas == "photo":
        rgb, alpha = _on_photo(photo.pixels, visible, tuple(class_names))
        if photo.alpha is not None:
            alpha = np.minimum(alpha, photo.alpha)
    else:
        rgb, alpha = _fit(photo.pixels, visible, style, tuple(class_names), photo.alpha)
    binary = alpha >= BINARY_ALPHA
    if style.contour_width > 0:
        eroded = ndimage.binary_erosion(binary, structure=np.ones((style.contour_width,) * 2, dtype=bool))
        rgb[(alpha > 0) & ~eroded] = style.contour_color
    if style.stroke_width > 0:
        rgb, alpha = _with_stroke(rgb, alpha, style)
    if style.shadow:
        rgb, alpha = _with_shadow(rgb, alpha, style)
    rgb[alpha == 0] = 0
    rgba = np.dstack([rgb, alpha])
    if style.flip:
        rgba = rgba[:, ::-1]
    if style.rotation:
        rgba = np.rot90(rgba, style.rotation // 90)
    return Sticker(np.ascontiguousarray(rgba), tuple(class_names))


def filter_reach(scale: float) -> int:
    """Source pixels to keep beyond the object's box when resizing by ``scale``, so edge pixels
    are resampled like interior ones (Lanczos' support, widened when reducing, plus one)."""
    return math.ceil(LANCZOS_SUPPORT * max(1.0, 1.0 / scale)) + 1


def reduction_step(scale: float) -> int:
    """The integer factor Pillow box-reduces by before a ``scale`` resize (``REDUCING_GAP``): a mask
    sampled once per such block is as fine as the one the resize would have worked on."""
    return max(1, int(1.0 / (scale * REDUCING_GAP)))


def _visible_part(patch: MaskPatch, photo_alpha: np.ndarray | None) -> MaskPatch:
    """``patch`` without the blocks where the photo is fully transparent, its exact box (if any)
    shrunk to the photo's visible pixels inside it."""
    if photo_alpha is None:
        return patch
    visible = photo_alpha > 0
    (rows, cols), step = patch.mask.shape, patch.step
    origin_y, origin_x = patch.origin
    region = visible[origin_y : origin_y + rows * step, origin_x : origin_x + cols * step]
    blocks = np.zeros((rows * step, cols * step), dtype=bool)  # a patch's last blocks may run past the photo
    blocks[: region.shape[0], : region.shape[1]] = region
    kept = blocks.reshape(rows, step, cols, step).any(axis=(1, 3))
    mask = np.where(kept, patch.mask, np.zeros_like(patch.mask))  # boolean or soft alike
    box = patch.box
    if box is not None and mask.any():
        top, bottom, left, right = box
        inside = visible[top:bottom, left:right]
        seen_rows, seen_cols = np.flatnonzero(inside.any(axis=1)), np.flatnonzero(inside.any(axis=0))
        box = (top + int(seen_rows[0]), top + int(seen_rows[-1]) + 1, left + int(seen_cols[0]), left + int(seen_cols[-1]) + 1)
    return replace(patch, mask=mask, box=box)


def _fit(
    pixels: np.ndarray,
    patch: MaskPatch,
    style: StickerStyle,
    class_names: tuple[str, ...],
    photo_alpha: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Canvas-size RGB and alpha (uint8) with the object's box scaled to fit and centred; the
    alpha is the mask's, capped by the photo's own (where it has one)."""
    levels, step = alpha_levels(patch.mask), patch.step
    rows = np.flatnonzero(levels.any(axis=1))
    if rows.size == 0:
        wanted = " + ".join(class_names) or "the chosen classes"
        raise EmptyMaskError(f"the mask of {wanted} is empty: nothing to cut out")
    if patch.box is not None:
        top, bottom, left, right = patch.box
    else:
        # The occupied blocks' box in photo pixels (a patch's last blocks may run past the photo).
        cols = np.flatnonzero(levels[rows[0] : rows[-1] + 1].any(axis=0))
        origin_y, origin_x = patch.origin
        top, bottom = origin_y + int(rows[0]) * step, min(pixels.shape[0], origin_y + (int(rows[-1]) + 1) * step)
        left, right = origin_x + int(cols[0]) * step, min(pixels.shape[1], origin_x + (int(cols[-1]) + 1) * step)
    scale = style.fitted_side / max(bottom - top, right - left)
    size = (max(1, round((right - left) * scale)), max(1, round((bottom - top) * scale)))
    object_rgb = _resized_crop(pixels, (top, bottom, left, right), (0, 0), 1, scale, size, Image.Resampling.LANCZOS)
    # The mask is resized as a float (0–255) with a triangle filter: anti-aliased, no ringing.
    object_alpha = _resized_crop(levels, (top, bottom, left, right), patch.origin, step, scale, size, Image.Resampling.BILINEAR)
    if photo_alpha is not None:
        seen = _resized_crop(photo_alpha, (top, bottom, left, right), (0, 0), 1, scale, size, Image.Resampling.BILINEAR)
        object_alpha = np.minimum(object_alpha, seen)  # not the product: both edges fade at the same pixels
    if patch.foreground is not None:
        edge_rgb = _resized_crop(patch.foreground, (top, bottom, left, right), patch.origin, step, scale, size,
                                 Image.Resampling.BILINEAR)
        object_rgb = np.where((object_alpha < OPAQUE)[..., None], edge_rgb, object_rgb)

    canvas = style.canvas_side
    out_w, out_h = size
    rgb = np.zeros((canvas, canvas, 3), dtype=np.uint8)
    alpha = np.zeros((canvas, canvas), dtype=np.uint8)
    top_left = ((canvas - out_h) // 2 + style.offset[1], (canvas - out_w) // 2 + style.offset[0])
    y0, x0 = max(0, top_left[0]), max(0, top_left[1])
    y1, x1 = min(canvas, top_left[0] + out_h), min(canvas, top_left[1] + out_w)
    if y0 < y1 and x0 < x1:
        source = np.s_[y0 - top_left[0] : y1 - top_left[0], x0 - top_left[1] : x1 - top_left[1]]
        rgb[y0:y1, x0:x1] = object_rgb[source]
        alpha[y0:y1, x0:x1] = object_alpha[source]
    return rgb, alpha


def alpha_levels(mask: np.ndarray) -> np.ndarray:
    """A boolean mask or a float alpha (0–1) as uint8 alpha levels 0–255."""
    if mask.dtype == bool:
        return np.multiply(mask, OPAQUE, dtype=np.uint8)
    return np.rint(np.clip(mask, 0.0, 1.0) * OPAQUE).astype(np.uint8)


def _on_photo(pixels: np.ndarray, patch: MaskPatch, class_names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Photo-size RGB and alpha: the patch's alpha where it lies (resized to its photo pixels when
    its step is coarser than 1), the photo's colours (or the patch's foreground where soft)."""
    height, width = pixels.shape[:2]
    levels = alpha_levels(patch.mask)
    if not levels.any():
        wanted = " + ".join(class_names) or "the chosen classes"
        raise EmptyMaskError(f"the mask of {wanted} is empty: nothing to cut out")
    top, left = patch.origin
    bottom, right = min(height, top + levels.shape[0] * patch.step), min(width, left + levels.shape[1] * patch.step)
    rgb = np.array(pixels, dtype=np.uint8, copy=True)
    alpha = np.zeros((height, width), dtype=np.uint8)
    size = (right - left, bottom - top)
    box = (0.0, 0.0, size[0] / patch.step, size[1] / patch.step)
    alpha[top:bottom, left:right] = _resample(levels, size, box)
    if patch.foreground is not None:
        edge_rgb = _resample(patch.foreground, size, box)
        region = rgb[top:bottom, left:right]
        soft = alpha[top:bottom, left:right] < OPAQUE
        region[soft] = edge_rgb[soft]
    return rgb, alpha


def _resample(image: np.ndarray, size: tuple[int, int], box: tuple[float, float, float, float]) -> np.ndarray:
    if (image.shape[1], image.shape[0]) == size:
        return image
    return np.asarray(Image.fromarray(np.ascontiguousarray(image)).resize(size, Image.Resampling.BILINEAR, box=box))


def _with_stroke(rgb: np.ndarray, alpha: np.ndarray, style: StickerStyle) -> tuple[np.ndarray, np.ndarray]:
    """Lay the anti-aliased outward stroke (module doc) under the sticker ("over" operator)."""
    from scipy import ndimage  # lazily: scipy costs `fcn-sticker CMD --help` 0.3 s

    factor = STROKE_SUPERSAMPLING
    height, width = alpha.shape
    fine = Image.fromarray(alpha).resize((width * factor, height * factor), Image.Resampling.BILINEAR)
    distance = ndimage.distance_transform_edt(np.asarray(fine) < BINARY_ALPHA) / factor
    fine_coverage = np.clip(style.stroke_width + 0.5 - distance, 0.0, 1.0)
    coverage = fine_coverage.reshape(height, factor, width, factor).mean(axis=(1, 3))
    sticker = alpha.astype(np.float64) / OPAQUE
    combined = sticker + coverage * (1.0 - sticker)
    under = coverage * (1.0 - sticker)
    mixed = rgb * sticker[..., None] + np.asarray(style.stroke_color, dtype=np.float64) * under[..., None]
    blended = np.divide(mixed, combined[..., None], out=np.zeros_like(mixed), where=combined[..., None] > 0)
    return np.rint(blended).astype(np.uint8), np.rint(combined * OPAQUE).astype(np.uint8)


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
    from scipy import ndimage  # lazily: scipy costs `fcn-sticker CMD --help` 0.3 s
    coverage = alpha.astype(np.float32) / OPAQUE
    dx, dy = style.shadow_offset
    shifted = ndimage.shift(coverage, (dy, dx), order=0, mode="constant", cval=0.0)
    shadow = ndimage.gaussian_filter(shifted, style.shadow_blur) * style.shadow_opacity
    combined = coverage + shadow * (1.0 - coverage)
    colour_weight = np.divide(coverage, combined, out=np.zeros_like(combined), where=combined > 0)
    shaded = np.rint(rgb * colour_weight[..., None]).astype(np.uint8)
    return shaded, np.rint(combined * OPAQUE).astype(np.uint8)
