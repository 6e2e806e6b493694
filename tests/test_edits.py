"""MaskEdits: strokes, lassos and component edits in photo coordinates, replayable on any grid."""

from __future__ import annotations

import numpy as np
import pytest

from fcn_core.edits import ComponentEdit, Lasso, MaskEdits, Stroke

SIZE = (60, 80)


def empty() -> np.ndarray:
    return np.zeros(SIZE, dtype=bool)


def test_brush_paints_a_round_tipped_band_and_the_eraser_removes_it() -> None:
    stroke = Stroke(((10.5, 30.5), (50.5, 30.5)), radius=5)
    painted = MaskEdits((stroke,)).apply(empty())
    rows, cols = np.nonzero(painted)
    assert (rows.min(), rows.max()) == (25, 35)  # radius 5 around row 30
    assert (cols.min(), cols.max()) == (5, 55)  # round tips reach 5 px beyond the ends
    assert painted[30, 30] and not painted[24, 30] and not painted[25, 5]  # a corner of the tip is not painted
    erased = MaskEdits((stroke, Stroke(((30.5, 10.5), (30.5, 50.5)), radius=2, add=False))).apply(empty())
    assert not erased[30, 29:32].any() and erased[30, 27] and erased[30, 33]


def test_lasso_adds_and_removes_a_polygon() -> None:
    square = Lasso(((10, 10), (40, 10), (40, 40), (10, 40)))
    added = MaskEdits((square,)).apply(empty())
    assert added[11:39, 11:39].all() and not added[:, 42:].any() and not added[:9].any()
    cut = MaskEdits((square, Lasso(((20, 20), (30, 20), (30, 30), (20, 30)), add=False))).apply(empty())
    assert not cut[22:28, 22:28].any() and cut[12:18, 12:38].all()


def test_component_edits_keep_or_remove_the_piece_under_the_point() -> None:
    mask = empty()
    mask[5:15, 5:15] = True
    mask[30:50, 40:70] = True
    kept = MaskEdits((ComponentEdit((10, 10), keep=True),)).apply(mask)
    assert kept[5:15, 5:15].all() and not kept[30:50, 40:70].any()
    removed = MaskEdits((ComponentEdit((10, 10), keep=False),)).apply(mask)
    assert not removed[5:15, 5:15].any() and removed[30:50, 40:70].all()
    outside = MaskEdits((ComponentEdit((2, 55), keep=True),)).apply(mask)
    np.testing.assert_array_equal(outside, mask)


def test_edits_win_in_order_and_leave_the_input_alone() -> None:
    mask = np.ones(SIZE, dtype=bool)
    edits = MaskEdits((Stroke(((40, 30),), radius=8, add=False), Stroke(((40, 30),), radius=3)))
    result = edits.apply(mask)
    assert mask.all()
    assert result[30, 40] and not result[30, 46] and result[30, 60]


def test_a_patch_at_a_coarser_step_gets_the_value_at_each_block_centre() -> None:
    photo_size = (120, 160)
    edits = MaskEdits((Lasso(((20, 20), (100, 20), (100, 80), (20, 80))), Stroke(((120, 100), (150, 100)), radius=6)))
    full = edits.apply(np.zeros(photo_size, dtype=bool))
    origin, step = (8, 12), 4
    patch = edits.apply_on_grid(np.zeros((25, 35), dtype=bool), origin, step)
    centres_y = origin[0] + step * np.arange(25) + step // 2
    centres_x = origin[1] + step * np.arange(35) + step // 2
    expected = full[np.ix_(centres_y, centres_x)]
    assert (patch != expected).mean() < 0.02  # only pixels whose centre lies on a drawn edge differ


def test_undo_is_dropping_the_last_edit_and_added_box_covers_what_is_added() -> None:
    first = Stroke(((10, 10), (20, 12)), radius=3)
    edits = MaskEdits().with_edit(first).with_edit(Lasso(((30, 30), (50, 30), (40, 45)), add=False))
    assert len(edits) == 2 and edits.without_last() == MaskEdits((first,))
    assert edits.added_box() == (7, 16, 7, 24)  # the lasso removes, so only the stroke counts
    assert MaskEdits().added_box() is None


@pytest.mark.parametrize("bad", [lambda: Stroke((), 3), lambda: Stroke(((1, 1),), 0), lambda: Lasso(((0, 0), (1, 1)))])
def test_malformed_edits_are_refused(bad) -> None:
    with pytest.raises(ValueError):
        bad()


def test_replay_reports_what_the_edits_decided_last() -> None:
    mask = empty()
    mask[5:15, 5:15] = True
    brush, eraser = Stroke(((40, 30),), radius=4), Stroke(((42, 30),), radius=2, add=False)
    edits = MaskEdits((brush, eraser, ComponentEdit((10, 10), keep=False)))
    result, decided = edits.replay_on_grid(mask, (0, 0), 1)
    assert decided[30, 42] == -1 and decided[30, 37] == 1 and decided[10, 10] == -1 and decided[50, 70] == 0
    np.testing.assert_array_equal(result, decided > 0)


def test_edits_replay_on_a_mask_the_crf_changed() -> None:
    """The same edits win on the network's mask and on the CRF's: they are replayed, not baked in."""
    from fcn_core.photo import photo_from_array
    from fcn_core.pipeline import StickerRequest, sticker_from_segmentation
    from fcn_core.sticker import StickerStyle
    from tests.sticker_helpers import ellipse, make_segmentation, one_hot_probabilities

    labels = np.where(ellipse(SIZE, (30, 40), (20, 28)), 8, 0).astype(np.uint8)
    image = np.where(labels[..., None] > 0, 200, 40).astype(np.uint8).repeat(3, axis=2)
    seg = make_segmentation(one_hot_probabilities(labels, confidence=0.6), image=image)
    eraser = Stroke(((40.5, 0.5), (40.5, 59.5)), radius=3, add=False)
    style = StickerStyle(canvas="photo", contour_width=0)
    for crf in (None, "deeplab"):
        request = StickerRequest(classes=("cat",), crf=crf, edits=MaskEdits((eraser,)), style=style)
        sticker, _ = sticker_from_segmentation(photo_from_array(image), seg, request)
        assert np.all(sticker.rgba[:, 38:43, 3] == 0) and sticker.rgba[30, 25, 3] == 255
