"""The mask a sticker needs, only where and only as fine as the sticker needs it (DESIGN §2, §10).

A sticker shows the object's box at most ``canvas`` pixels wide, so a photo-size mask of a 12-MP
photo (and its clean-up) is mostly wasted work: it cost 160–300 ms per class pick, against a
100 ms budget. Instead:

1. ``Selection.possible_cells`` bounds, at working size, where the chosen classes can win at any resolution;
   the clean-up's component rule drops far specks there already, as it would on the full mask.
2. That box, in photo pixels, fixes the sticker's scale and so the step: one mask sample per
   ``reduction_step(scale)`` photo pixels, the block Pillow would box-reduce a photo-size mask
   to anyway before its final resize (1 when the object is enlarged: then the patch is the
   photo-size mask, pixel for pixel).
3. ``Selection.window`` evaluates the usual rule (bilinear on probabilities, then threshold) on
   that grid inside the box plus the resize filter's reach; the clean-up runs on this patch, so
   ``min_component_fraction`` compares pieces inside the window and ``fill_holes`` fills holes at
   the patch's step.

The person's ``MaskEdits`` are replayed on the patch after the clean-up (the window first grows to
hold what they add), and the window keeps ``edge_margin`` of the object's size around it so an
edge refinement has the sure background it needs (``fcn_core.edges``). The ``photo`` canvas
always gets step 1: its alpha is the mask's at photo size.

With step 1 the sticker is the one ``make_sticker`` cuts from ``clean_mask(select_mask(...))``; with
a coarser step it differs only along the anti-aliased edge (tests/test_sticker_mask.py measures
how much).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from fcn_core.edits import NO_EDITS, EditReplay, MaskEdits
from fcn_core.mask import MaskCleanup, MaskWindow, Selection, clean_mask
from fcn_core.segmentation import Segmentation
from fcn_core.sticker import MaskPatch, StickerStyle, filter_reach, reduction_step


def sticker_mask(
    seg: Segmentation,
    class_ids: Sequence[int],
    cleanup: MaskCleanup,
    style: StickerStyle,
    edits: MaskEdits = NO_EDITS,
    edge_margin: float = 0.0,
    replay: EditReplay | None = None,
) -> MaskPatch:
    """The cleaned, edited mask of ``class_ids`` around the object, at the step ``style``'s canvas needs.

    Raises ``mask.EmptyMaskError`` (naming the classes and what was found) when nothing is left:
    the window holds every cell where the classes could win and everything the edits add.
    ``replay`` (the window's) reuses what it replayed of the edits before: same pixels, less work.
    """
    selection = Selection(seg, class_ids)
    photo_height, photo_width = seg.photo_size
    top, bottom, left, right = _object_box(selection, cleanup)
    if (added := edits.added_box()) is not None:
        top, bottom = max(0, min(top, added[0])), min(photo_height, max(bottom, added[1]))
        left, right = max(0, min(left, added[2])), min(photo_width, max(right, added[3]))
    side = max(bottom - top, right - left, 1)
    step = 1 if style.canvas == "photo" else reduction_step(style.fitted_side / side)
    reach = filter_reach(style.fitted_side / side * step) + math.ceil(edge_margin * side / step)
    window_top = max(0, top // step - reach)
    window_left = max(0, left // step - reach)
    window_bottom = min(-(-photo_height // step), -(-bottom // step) + reach)
    window_right = min(-(-photo_width // step), -(-right // step) + reach)
    window = MaskWindow(window_top, window_left, window_bottom - window_top, window_right - window_left, step)
    cleaned = clean_mask(selection.window(window), cleanup)
    if replay is not None and edits:
        mask, decided = replay.replay_on_grid(edits, cleaned, window.origin, step)
    else:
        mask, decided = edits.replay_on_grid(cleaned, window.origin, step)
    if not mask.any():
        raise selection.empty_error()
    if not edits:
        return MaskPatch(mask, window.origin, step, _exact_box(selection, mask, window) if step > 1 else None)
    return MaskPatch(mask, window.origin, step, decided=decided)


def _exact_box(selection: Selection, mask: np.ndarray, window: MaskWindow) -> tuple[int, int, int, int]:
    """The object's box to the photo pixel, from photo-pixel strips along the patch's box edges.

    A box only as exact as the step would shift the object on the canvas by a fraction of a
    pixel, and every edge pixel's alpha with it. The true edge lies in the patch's first (last)
    occupied block or the one before (after); the strips keep only pixels in or next to a kept
    block, so pieces the clean-up dropped do not widen the box.
    """
    from scipy import ndimage  # lazily: scipy costs `fcn-sticker CMD --help` 0.3 s
    step = window.step
    kept = ndimage.binary_dilation(mask, structure=np.ones((3, 3), dtype=bool))
    rows = np.flatnonzero(kept.any(axis=1))
    cols = np.flatnonzero(kept.any(axis=0))
    origin_y, origin_x = window.origin
    photo_height, photo_width = selection.seg.photo_size
    # Photo-pixel span of the kept blocks: every selected pixel that survives lies inside it.
    span_top, span_bottom = origin_y + rows[0] * step, min(photo_height, origin_y + (rows[-1] + 1) * step)
    span_left, span_right = origin_x + cols[0] * step, min(photo_width, origin_x + (cols[-1] + 1) * step)
    edge = 3 * step  # the occupied block and its two neighbours

    def strip(top: int, bottom: int, left: int, right: int) -> np.ndarray:
        fine = selection.window(MaskWindow(top, left, bottom - top, right - left))
        block_rows = (np.arange(top, bottom) - origin_y) // step
        block_cols = (np.arange(left, right) - origin_x) // step
        return fine & kept[np.ix_(block_rows, block_cols)]

    top_rows = np.asarray(strip(span_top, min(span_bottom, span_top + edge), span_left, span_right).any(axis=1))
    bottom_rows = np.asarray(strip(max(span_top, span_bottom - edge), span_bottom, span_left, span_right).any(axis=1))
    left_cols = np.asarray(strip(span_top, span_bottom, span_left, min(span_right, span_left + edge)).any(axis=0))
    right_cols = np.asarray(strip(span_top, span_bottom, max(span_left, span_right - edge), span_right).any(axis=0))
    return (
        span_top + int(np.argmax(top_rows)),
        span_bottom - int(np.argmax(bottom_rows[::-1])),
        span_left + int(np.argmax(left_cols)),
        span_right - int(np.argmax(right_cols[::-1])),
    )


def _object_box(selection: Selection, cleanup: MaskCleanup) -> tuple[int, int, int, int]:
    """Photo-pixel box ``(top, bottom, left, right)`` that holds every pixel the selection can take.

    Cell ``i`` spans photo rows from working pixel centre ``i`` to centre ``i + 1``, i.e. within
    ``[i, i + 2)·H/h``; the box rounds outwards. Only the component rule runs here: filling holes
    never moves the box.
    """
    cells = selection.possible_cells()
    if cleanup.min_component_fraction > 0.0:
        cells = clean_mask(cells, MaskCleanup(min_component_fraction=cleanup.min_component_fraction))
    rows = np.flatnonzero(cells.any(axis=1))
    cols = np.flatnonzero(cells.any(axis=0))
    (working_height, working_width), (photo_height, photo_width) = selection.seg.working_size, selection.seg.photo_size
    row_scale, col_scale = photo_height / working_height, photo_width / working_width
    top = math.floor(rows[0] * row_scale)
    bottom = min(photo_height, math.ceil((rows[-1] + 2) * row_scale))
    left = math.floor(cols[0] * col_scale)
    right = min(photo_width, math.ceil((cols[-1] + 2) * col_scale))
    return top, bottom, left, right
