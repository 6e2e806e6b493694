"""EditReplay: the window's cached replay of the person's edits gives the very pixels of a full
replay — after new strokes, undo, redo, edits that depend on the mask (component edits) and when
the mask under the edits changes — and so the very same sticker."""

from __future__ import annotations

import numpy as np

from fcn_core.edits import ComponentEdit, EditReplay, Lasso, MaskEdits, Stroke
from fcn_core.mask import MaskCleanup
from fcn_core.pipeline import StickerRequest, cut_out, sticker_from_patch
from fcn_core.sticker import StickerStyle
from tests.test_sticker_mask import CASES, WORKING, smooth_segmentation, textured_photo

CAT = CASES["large"][0][0]
PHOTO_SIZE = (480, 640)
STROKES = [Stroke(((100.0 + 40 * i, 60.0 + 9 * i), (180.0 + 40 * i, 90.0)), radius=12 + i, add=i % 3 != 2) for i in range(6)]
LASSO = Lasso(((420.0, 300.0), (600.0, 320.0), (560.0, 450.0)), add=True)
ERASE_LASSO = Lasso(((200.0, 200.0), (300.0, 210.0), (260.0, 300.0)), add=False)
SPECK = Stroke(((40.0, 440.0),), radius=10)
KEEP = ComponentEdit((320.0, 260.0), keep=True)


def edit_session() -> list[MaskEdits]:
    """The edit lists a person goes through: strokes one by one, undo twice, redo once, a new
    branch (lasso), a speck and a keep-this-component that removes it, undo, a lasso eraser."""
    states = [MaskEdits()]
    for stroke in STROKES:
        states.append(states[-1].with_edit(stroke))
    branch = states[-2]
    states += [states[-2], states[-3], states[-2], branch.with_edit(LASSO)]
    speck = states[-1].with_edit(SPECK)
    states += [speck, speck.with_edit(KEEP), speck, speck.with_edit(ERASE_LASSO)]
    return states


def test_the_cached_replay_equals_the_full_replay_on_every_step_and_grid() -> None:
    rng = np.random.default_rng(3)
    base = np.zeros(PHOTO_SIZE, dtype=bool)
    base[150:380, 160:520] = True
    replay = EditReplay()
    for step, origin in ((1, (0, 0)), (3, (6, 9))):
        grid_mask = base[origin[0] :: step, origin[1] :: step]
        for edits in edit_session():
            expected = edits.replay_on_grid(grid_mask, origin, step)
            got = replay.replay_on_grid(edits, grid_mask, origin, step)
            np.testing.assert_array_equal(got[0], expected[0])
            np.testing.assert_array_equal(got[1], expected[1])
    # The mask under the edits changes on the same grid (the CRF, the clean-up): the states kept are not reused.
    changed = grid_mask.copy()
    changed[rng.integers(0, changed.shape[0], 500), rng.integers(0, changed.shape[1], 500)] ^= True
    for edits in edit_session()[-3:]:
        expected = edits.apply_on_grid(changed, origin, step)
        np.testing.assert_array_equal(replay.replay_on_grid(edits, changed, origin, step)[0], expected)


def test_the_cached_replay_returns_arrays_the_caller_may_change() -> None:
    base = np.zeros((60, 80), dtype=bool)
    edits = MaskEdits((Stroke(((10.0, 10.0), (40.0, 20.0)), radius=4),))
    replay = EditReplay()
    first, decided = replay.replay_on_grid(edits, base, (0, 0), 1)
    first[:] = False
    decided[:] = 0
    again, decided_again = replay.replay_on_grid(edits, base, (0, 0), 1)
    np.testing.assert_array_equal(again, edits.apply(base))
    assert decided_again.any()


def test_a_small_memory_bound_still_gives_the_full_replay() -> None:
    base = np.zeros(PHOTO_SIZE, dtype=bool)
    replay = EditReplay(max_bytes=1)  # keeps one state only
    for edits in edit_session():
        np.testing.assert_array_equal(replay.replay_on_grid(edits, base, (0, 0), 1)[0], edits.apply(base))


def test_stickers_with_the_cached_replay_equal_the_full_replay_pixel_for_pixel() -> None:
    seg = smooth_segmentation(CASES["large"], PHOTO_SIZE)
    photo = textured_photo(PHOTO_SIZE)
    replay = EditReplay()
    assert seg.working_size == WORKING
    for style in (StickerStyle(canvas_size=128, margin=8), StickerStyle(canvas="photo")):
        for edits in edit_session():
            request = StickerRequest(classes=(CAT,), edits=edits, style=style, cleanup=MaskCleanup(fill_holes=True))
            cached, full = cut_out(photo, seg, request, replay), cut_out(photo, seg, request)
            np.testing.assert_array_equal(cached.patch.mask, full.patch.mask)
            np.testing.assert_array_equal(
                sticker_from_patch(photo, cached.patch, request, cached.class_names).rgba,
                sticker_from_patch(photo, full.patch, request, full.class_names).rgba,
            )
