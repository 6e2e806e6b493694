"""From a segmentation to the boolean mask of the chosen classes (DESIGN §2, §6).

Three steps, each a plain function: resolve what the user asked for into class indices
(``resolve_classes``), cut the mask at the resolution a later stage needs (``select_mask``), and
optionally clean it up (``clean_mask``).

``select_mask`` follows the pipeline rule "bilinear on probabilities, then threshold": a pixel
belongs to the mask when, after bilinear upsampling, the chosen classes' summed probability is at
least that of the best other class. For one class that is exactly "argmax is this class"; for
several it is the argmax with the chosen classes merged into one label, so a pixel split between
"cat" and "dog" still counts when the user asked for both. Ties go to the selection.

Upsampling all ``C`` maps to a 12-MP photo would take seconds and a gigabyte, so the rule is
evaluated cell by cell instead (see ``_CellBounds``): between four working-size pixels a bilinear
value lies between their minimum and maximum, which decides whole cells inside and outside the
object at working-size cost; only the cells along the boundary are interpolated pixel by pixel.
The result is the mask that upsampling everything would give (up to float rounding at exact
ties). The same evaluation serves a window of the photo sampled once per block of pixels
(``MaskWindow``, ``Selection.window``), so a sticker pays only for the pixels it shows, and
``Selection.possible_cells`` bounds where the selection can lie at any resolution.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from fcn_core.segmentation import Segmentation

AUTO = "auto"
BACKGROUND_INDEX = 0
"""Index of the class that is never a sticker by itself ("background" in VOC, "other" in ADE20K)."""


class EmptyMaskError(ValueError):
    """The chosen classes cover no pixel; the message names them and lists what the network found."""


class UnknownClassError(KeyError, ValueError):
    """A class name or index the model does not know (a ``KeyError`` and a ``ValueError``)."""

    def __str__(self) -> str:
        # KeyError would quote the message; this one is meant to be read by people.
        return str(self.args[0])


def found_classes_text(seg: Segmentation) -> str:
    """``"background 71.2%, cat 28.8%"``: what the network found, largest first."""
    names = seg.classes.names
    return ", ".join(f"{names[index]} {share:.1%}" for index, share in seg.class_shares().items())


def empty_mask_error(seg: Segmentation, class_ids: Sequence[int]) -> EmptyMaskError:
    """The error for a selection that covers nothing, in plain words."""
    wanted = " + ".join(seg.classes.names[index] for index in class_ids)
    return EmptyMaskError(f"no pixel of {wanted} in this photo; the network found: {found_classes_text(seg)}")


def resolve_classes(seg: Segmentation, class_refs: Sequence[str | int] | str) -> tuple[int, ...]:
    """Class indices for names or indices (one or several), or ``"auto"``.

    ``"auto"`` picks the non-background class with the largest share of pixels and raises
    ``EmptyMaskError`` when the network found only background. Duplicates are dropped, order kept.
    Unknown names or indices raise ``UnknownClassError`` that lists the known ones.
    """
    if isinstance(class_refs, str) and class_refs.strip().lower() == AUTO:
        candidates = [index for index in seg.class_shares() if index != BACKGROUND_INDEX]
        if not candidates:
            background = seg.classes.names[BACKGROUND_INDEX]
            raise EmptyMaskError(
                f"no object to cut out: the network found only {background} ({found_classes_text(seg)})"
            )
        return (candidates[0],)
    refs = [class_refs] if isinstance(class_refs, (str, int)) else list(class_refs)
    if not refs:
        raise ValueError("no class given: name at least one class, or use 'auto'")
    resolved: list[int] = []
    for ref in refs:
        try:
            index = seg.classes.index_of(ref)
        except KeyError as error:
            raise UnknownClassError(error.args[0]) from error
        if index not in resolved:
            resolved.append(index)
    return tuple(resolved)


def select_mask(seg: Segmentation, class_ids: Sequence[int], size: tuple[int, int] | None = None) -> np.ndarray:
    """Boolean ``size`` (default: the photo's size) mask of the chosen classes (module doc).

    Raises ``EmptyMaskError`` when no pixel is selected.
    """
    height, width = seg.photo_size if size is None else (int(size[0]), int(size[1]))
    if height < 1 or width < 1:
        raise ValueError(f"mask size must be positive, got {(height, width)}")
    chosen = _chosen_vector(seg, class_ids)
    rows = _Axis.sample(seg.working_size[0], height, 0, height)
    cols = _Axis.sample(seg.working_size[1], width, 0, width)
    mask = _evaluate(seg, chosen, rows, cols)
    if not mask.any():
        raise empty_mask_error(seg, [int(index) for index in np.flatnonzero(chosen)])
    return mask


@dataclass(frozen=True)
class MaskWindow:
    """A rectangle of the photo sampled once per ``step``×``step`` block of photo pixels.

    Mask pixel ``(i, j)`` stands for the block whose top-left photo pixel is
    ``((top + i)·step, (left + j)·step)`` and takes the rule's value at the block's centre, so
    ``step=1`` gives exactly the pixels of ``select_mask`` at photo size. A sticker needs its mask
    only around the object and only somewhat finer than the canvas (``fcn_core.sticker_mask``).
    ``top``, ``left``, ``height`` and ``width`` count blocks.
    """

    top: int
    left: int
    height: int
    width: int
    step: int = 1

    def __post_init__(self) -> None:
        if self.step < 1 or self.height < 1 or self.width < 1 or self.top < 0 or self.left < 0:
            raise ValueError(f"a mask window needs a positive size and step and a non-negative origin, got {self}")

    @property
    def origin(self) -> tuple[int, int]:
        """Photo pixel ``(row, column)`` of the window's top-left block."""
        return self.top * self.step, self.left * self.step


class Selection:
    """The chosen classes of one segmentation, ready to be sampled at any grid, many times.

    Building the cell bounds costs a pass over all ``C`` working-size maps; the sticker's fast path
    samples one selection several times (bounding cells, window, edge strips), so it pays once.
    """

    def __init__(self, seg: Segmentation, class_ids: Sequence[int]) -> None:
        self.seg = seg
        self.chosen = _chosen_vector(seg, class_ids)
        self._bounds = None if self.chosen.all() else _CellBounds(seg.probabilities, self.chosen)

    def empty_error(self) -> EmptyMaskError:
        """The error for "these classes cover no pixel"."""
        return empty_mask_error(self.seg, [int(index) for index in np.flatnonzero(self.chosen)])

    def window(self, window: MaskWindow) -> np.ndarray:
        """``window.height×window.width`` boolean mask (may be empty): the rule and sample
        positions of ``select_mask``, evaluated only inside ``window``."""
        photo_height, photo_width = self.seg.photo_size
        working_height, working_width = self.seg.working_size
        rows = _Axis.sample(working_height, photo_height, window.top, window.top + window.height, window.step)
        cols = _Axis.sample(working_width, photo_width, window.left, window.left + window.width, window.step)
        if self._bounds is None:
            return np.ones((window.height, window.width), dtype=bool)
        return self._bounds.mask(rows, cols)

    def possible_cells(self) -> np.ndarray:
        """Working-size map of the cells where the chosen classes may win at some resolution.

        Cell ``(i, j)`` is the square between working pixel centres ``i..i+1`` and ``j..j+1`` (see
        ``_CellBounds``); outside these cells no upsampled pixel is ever selected, so their box
        safely bounds the object at any size. Raises ``EmptyMaskError`` when there is none.
        """
        if self._bounds is None:
            return np.ones(self.seg.working_size, dtype=bool)
        cells = self._bounds.inside | self._bounds.undecided
        if not cells.any():
            raise self.empty_error()
        return cells


def _evaluate(seg: Segmentation, chosen: np.ndarray, rows: _Axis, cols: _Axis) -> np.ndarray:
    if chosen.all():
        return np.ones((rows.low.size, cols.low.size), dtype=bool)
    return _CellBounds(seg.probabilities, chosen).mask(rows, cols)


def _chosen_vector(seg: Segmentation, class_ids: Sequence[int]) -> np.ndarray:
    num_classes = seg.classes.num_classes
    if len(class_ids) == 0:
        raise ValueError("select_mask needs at least one class")
    chosen = np.zeros(num_classes, dtype=bool)
    for index in class_ids:
        if not 0 <= int(index) < num_classes:
            raise ValueError(f"class index {index} is out of range 0..{num_classes - 1} for {seg.classes.name}")
        chosen[int(index)] = True
    return chosen


class _Axis(NamedTuple):
    """Bilinear sampling along one axis, as ``torch.nn.functional.interpolate`` does it
    (``align_corners=False``): output ``i`` mixes source ``low[i]`` and ``high[i]`` with weight
    ``frac[i]`` on ``high``. ``low`` never decreases, so output indices group into runs per cell."""

    low: np.ndarray
    high: np.ndarray
    frac: np.ndarray
    cell_start: np.ndarray  # first output index of each source cell
    cell_count: np.ndarray  # number of output indices in each source cell

    @classmethod
    def sample(cls, source: int, photo: int, start: int, stop: int, step: int = 1) -> _Axis:
        """Outputs ``start..stop-1`` of a photo axis of ``photo`` pixels cut into ``step``-pixel
        blocks, each sampled at its centre, from a ``source``-pixel working axis."""
        centres = (np.arange(start, stop) + 0.5) * step
        position = np.maximum(centres * (source / photo) - 0.5, 0.0)
        low = np.minimum(position.astype(np.int64), source - 1)
        high = np.minimum(low + 1, source - 1)
        count = np.bincount(low, minlength=source)
        return cls(low, high, position - low, np.cumsum(count) - count, count)


class _CellBounds:
    """Decide the mask per cell of 2×2 working-size pixels, then exactly on undecided cells.

    A cell is the set of output pixels whose bilinear neighbours are the same four source pixels.
    With ``S`` the chosen probability sum and ``O_c`` each other class there, every output pixel
    of the cell has ``min S ≤ S ≤ max S`` and ``min O_c ≤ O_c ≤ max O_c`` over the four corners, so
    ``min S ≥ max_c max O_c`` puts the whole cell inside and ``max S < max_c min O_c`` outside.
    """

    def __init__(self, probabilities: np.ndarray, chosen: np.ndarray) -> None:
        self.selected = probabilities[chosen].sum(axis=0, dtype=np.float64)
        others = probabilities[~chosen]
        selected_low = _corner_reduce(self.selected, np.minimum)
        selected_high = _corner_reduce(self.selected, np.maximum)
        best_other_high = _corner_reduce(others.max(axis=0), np.maximum)
        best_other_low = np.max([_corner_reduce(other, np.minimum) for other in others], axis=0)
        self.inside = selected_low >= best_other_high
        self.undecided = ~self.inside & (selected_high >= best_other_low)
        # Only classes that reach the best other's lower bound in some undecided cell can win there.
        cell_rows, cell_cols = np.nonzero(self.undecided)
        next_rows = np.minimum(cell_rows + 1, others.shape[1] - 1)
        next_cols = np.minimum(cell_cols + 1, others.shape[2] - 1)
        reach = np.maximum.reduce([others[:, r, c] for r in (cell_rows, next_rows) for c in (cell_cols, next_cols)])
        contenders = (reach >= best_other_low[cell_rows, cell_cols]).any(axis=1)
        self.others = others[contenders]
        self.cells = cell_rows, cell_cols

    def mask(self, rows: _Axis, cols: _Axis) -> np.ndarray:
        """The mask at the output pixels that ``rows`` and ``cols`` sample."""
        mask = np.take(np.take(self.inside, rows.low, axis=0), cols.low, axis=1)
        ys, xs = self._undecided_pixels(rows, cols)
        if ys.size:
            best_other = _interpolate(self.others, rows, cols, ys, xs).max(axis=0, initial=-np.inf)
            mask[ys, xs] = _interpolate(self.selected[None], rows, cols, ys, xs)[0] >= best_other
        return mask

    def _undecided_pixels(self, rows: _Axis, cols: _Axis) -> tuple[np.ndarray, np.ndarray]:
        """Output coordinates of every pixel in an undecided cell, without a full-size scan."""
        cell_rows, cell_cols = self.cells
        heights = rows.cell_count[cell_rows]
        widths = cols.cell_count[cell_cols]
        sizes = heights * widths
        cell_of_pixel = np.repeat(np.arange(sizes.size), sizes)
        offset = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        pixel_widths = widths[cell_of_pixel]
        ys = rows.cell_start[cell_rows][cell_of_pixel] + offset // pixel_widths
        xs = cols.cell_start[cell_cols][cell_of_pixel] + offset % pixel_widths
        return ys, xs


def _interpolate(maps: np.ndarray, rows: _Axis, cols: _Axis, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Bilinear values (float64) of ``maps`` (K×h×w) at output pixels ``(ys, xs)``."""
    wy, wx = rows.frac[ys], cols.frac[xs]
    top = maps[:, rows.low[ys], cols.low[xs]] * (1 - wx) + maps[:, rows.low[ys], cols.high[xs]] * wx
    bottom = maps[:, rows.high[ys], cols.low[xs]] * (1 - wx) + maps[:, rows.high[ys], cols.high[xs]] * wx
    return top * (1 - wy) + bottom * wy


def _corner_reduce(values: np.ndarray, reduce: np.ufunc) -> np.ndarray:
    """``reduce`` (min or max) of an h×w map over each cell's corners ``(i..i+1, j..j+1)``,
    the last row and column pairing with themselves as bilinear sampling clamps there."""
    pairs = values.copy()
    reduce(pairs[:-1], values[1:], out=pairs[:-1])
    result = pairs.copy()
    reduce(result[:, :-1], pairs[:, 1:], out=result[:, :-1])
    return result


@dataclass(frozen=True)
class MaskCleanup:
    """Optional clean-up of a mask (both off by default).

    ``min_component_fraction`` drops connected pieces (8-connected) smaller than this fraction of
    the largest piece: FCN masks often carry specks elsewhere in the photo that would otherwise
    stretch the sticker's bounding box. ``fill_holes`` fills background enclosed by the object.
    """

    min_component_fraction: float = 0.0
    fill_holes: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_component_fraction <= 1.0:
            raise ValueError(f"min_component_fraction must be in [0, 1], got {self.min_component_fraction}")


_EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


def clean_mask(mask: np.ndarray, cleanup: MaskCleanup) -> np.ndarray:
    """Apply ``cleanup`` to a boolean mask; returns a new array (the input is left alone)."""
    from scipy import ndimage  # on first use: importing scipy costs the window's start-up ~0.3 s
    result = np.asarray(mask, dtype=bool).copy()
    if cleanup.min_component_fraction > 0.0 and result.any():
        labels, count = ndimage.label(result, structure=_EIGHT_CONNECTED)
        sizes = np.bincount(labels.ravel(), minlength=count + 1)
        sizes[0] = 0
        keep = sizes >= cleanup.min_component_fraction * sizes.max()
        keep[0] = False
        result = keep[labels]
    if cleanup.fill_holes:
        result = _fill_holes(result)
    return result


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    """``scipy.ndimage.binary_fill_holes`` by one labelling: background pieces (4-connected, as
    there) that do not touch the border are holes. About 3× faster on a 12-MP mask than the
    iterated dilation scipy uses, which matters when the GUI re-cuts a sticker per click."""
    from scipy import ndimage  # on first use: importing scipy costs the window's start-up ~0.3 s
    background, count = ndimage.label(~mask)
    touches_border = np.zeros(count + 1, dtype=bool)
    touches_border[np.concatenate([background[0], background[-1], background[:, 0], background[:, -1]])] = True
    return mask | ~touches_border[background]
