"""Class resolution, mask selection (bilinear on probabilities, then threshold) and clean-up."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from fcn_core.mask import (
    AUTO,
    EmptyMaskError,
    MaskCleanup,
    UnknownClassError,
    clean_mask,
    resolve_classes,
    select_mask,
)
from tests.sticker_helpers import make_segmentation, one_hot_probabilities, torch_bilinear

BACKGROUND, CAT, DOG, PERSON = 0, 8, 12, 15


@pytest.fixture
def scene():
    """8×8 labels: background 40 px, cat 16 px, dog 8 px (cat is the largest object)."""
    labels = np.zeros((8, 8), dtype=np.int64)
    labels[0:2, :] = CAT
    labels[6, :] = DOG
    return make_segmentation(one_hot_probabilities(labels), photo_size=(16, 16))


# --- resolve_classes -------------------------------------------------------------------------


def test_names_and_indices_resolve_in_order_without_duplicates(scene) -> None:
    assert resolve_classes(scene, ["Dog", 8, "12", "cat"]) == (DOG, CAT)
    assert resolve_classes(scene, "person") == (PERSON,)
    assert resolve_classes(scene, 3) == (3,)


def test_auto_picks_the_largest_non_background_class(scene) -> None:
    assert resolve_classes(scene, AUTO) == (CAT,)
    assert resolve_classes(scene, " Auto ") == (CAT,)


def test_auto_on_background_only_lists_what_was_found() -> None:
    seg = make_segmentation(one_hot_probabilities(np.zeros((4, 4), dtype=np.int64)))
    with pytest.raises(EmptyMaskError, match=r"only background \(background 100\.0%\)"):
        resolve_classes(seg, AUTO)


def test_unknown_class_is_a_key_and_value_error_listing_known_names(scene) -> None:
    with pytest.raises(UnknownClassError) as caught:
        resolve_classes(scene, ["cat", "unicorn"])
    assert isinstance(caught.value, KeyError) and isinstance(caught.value, ValueError)
    assert str(caught.value).startswith("unknown class 'unicorn'") and "tvmonitor" in str(caught.value)
    with pytest.raises(UnknownClassError, match="out of range 0..20"):
        resolve_classes(scene, [21])


def test_no_class_at_all_is_refused(scene) -> None:
    with pytest.raises(ValueError, match="no class given"):
        resolve_classes(scene, [])


# --- select_mask -----------------------------------------------------------------------------


def test_mask_at_working_size_is_the_label_map(scene) -> None:
    np.testing.assert_array_equal(select_mask(scene, [CAT], size=(8, 8)), scene.labels == CAT)
    np.testing.assert_array_equal(select_mask(scene, [CAT, DOG], size=(8, 8)), np.isin(scene.labels, [CAT, DOG]))


def test_default_size_is_the_photo_size(scene) -> None:
    assert select_mask(scene, [CAT]).shape == (16, 16)


def test_upsampling_is_bilinear_then_threshold() -> None:
    # 1×2 working pixels, cat 0.8 | 0.2. Bilinear (align_corners=False) to 8 columns gives cat
    # 0.8, 0.8, 0.725, 0.575, 0.425, 0.275, 0.2, 0.2: the first four are ≥ 0.5.
    probabilities = np.zeros((21, 1, 2), dtype=np.float32)
    probabilities[CAT] = [[0.8, 0.2]]
    probabilities[BACKGROUND] = [[0.2, 0.8]]
    mask = select_mask(make_segmentation(probabilities), [CAT], size=(3, 8))
    np.testing.assert_array_equal(mask, np.tile([True] * 4 + [False] * 4, (3, 1)))


def test_a_class_that_wins_only_between_working_pixels_still_counts() -> None:
    # Left: cat .5, dog .1, person .4; right: cat .1, dog .5, person .4. Person wins at neither
    # working pixel, but in between (cat .3, dog .3) it does: cat is selected only while
    # cat = .5 - .4t ≥ .4, i.e. t ≤ .25 -- columns 0, 1 (t = 0) and 2 (t = .125), not 3 (t = .375).
    probabilities = np.zeros((21, 1, 2), dtype=np.float32)
    probabilities[[CAT, DOG, PERSON], 0, 0] = [0.5, 0.1, 0.4]
    probabilities[[CAT, DOG, PERSON], 0, 1] = [0.1, 0.5, 0.4]
    mask = select_mask(make_segmentation(probabilities), [CAT], size=(1, 8))
    np.testing.assert_array_equal(mask[0], [True] * 3 + [False] * 5)


def test_ties_go_to_the_selection() -> None:
    probabilities = np.zeros((21, 2, 2), dtype=np.float32)
    probabilities[[CAT, BACKGROUND]] = 0.5
    assert select_mask(make_segmentation(probabilities), [CAT], size=(5, 5)).all()


def test_chosen_classes_count_together_against_the_best_other() -> None:
    probabilities = np.zeros((21, 1, 1), dtype=np.float32)
    probabilities[[CAT, DOG, PERSON], 0, 0] = [0.3, 0.3, 0.4]
    seg = make_segmentation(probabilities)
    assert select_mask(seg, [CAT, DOG], size=(2, 2)).all()
    with pytest.raises(EmptyMaskError):
        select_mask(seg, [CAT], size=(2, 2))


@pytest.mark.parametrize(
    ("working", "size", "blocky"),
    [
        ((7, 9), (40, 31), True),
        ((12, 10), (37, 64), False),
        ((24, 32), (150, 200), False),
        ((24, 32), (97, 131), True),
        ((16, 20), (9, 11), True),
        ((5, 6), (5, 6), False),
        ((1, 3), (4, 17), False),
    ],
)
def test_mask_equals_upsampling_every_class(working, size, blocky: bool) -> None:
    """The cell-bound shortcut gives the mask that upsampling all 21 maps would give."""
    rng = np.random.default_rng(sum(working) + sum(size))
    # Four classes compete closely (many boundaries and near-ties), the other 17 trail far behind.
    scale = np.full((21, 1, 1), 0.3)
    scale[[BACKGROUND, CAT, DOG, PERSON]] = 1.5
    offset = np.full((21, 1, 1), -4.0)
    offset[[BACKGROUND, CAT, DOG, PERSON]] = 0.0
    if blocky:  # large uniform regions: most cells are decided by the bounds alone
        coarse = rng.normal(0, 1, (21, (working[0] + 2) // 3, (working[1] + 2) // 3))
        noise = np.repeat(np.repeat(coarse, 3, axis=1), 3, axis=2)[:, : working[0], : working[1]]
    else:
        noise = rng.normal(0, 1, (21, *working))
    logits = offset + scale * noise
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=0)
    seg = make_segmentation(probabilities.astype(np.float32))
    for chosen in ([CAT], [CAT, DOG, PERSON]):
        upsampled = torch_bilinear(seg.probabilities, size).astype(np.float64)
        others = np.delete(upsampled, chosen, axis=0).max(axis=0)
        margin = upsampled[chosen].sum(axis=0) - others
        expected = margin >= 0
        if not expected.any():
            with pytest.raises(EmptyMaskError):
                select_mask(seg, chosen, size=size)
            continue
        mask = select_mask(seg, chosen, size=size)
        differ = mask != expected
        assert not differ.any() or np.abs(margin[differ]).max() < 1e-6


def test_empty_mask_names_the_class_and_what_was_found(scene) -> None:
    with pytest.raises(EmptyMaskError, match=r"no pixel of person .*background 62\.5%, cat 25\.0%, dog 12\.5%"):
        select_mask(scene, [PERSON])


def test_selecting_every_class_selects_everything(scene) -> None:
    assert select_mask(scene, range(21), size=(3, 4)).all()


@pytest.mark.parametrize(
    ("class_ids", "size", "message"),
    [([], None, "at least one class"), ([21], None, "out of range"), ([CAT], (0, 4), "positive")],
)
def test_bad_selection_arguments(scene, class_ids, size, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        select_mask(scene, class_ids, size=size)


# --- clean_mask ------------------------------------------------------------------------------


def pieces() -> np.ndarray:
    """Components of 100 px (10×10), 30 px (5×6, touching a 1-px diagonal neighbour) and 9 px (3×3)."""
    mask = np.zeros((30, 30), dtype=bool)
    mask[0:10, 0:10] = True
    mask[15:20, 15:21] = True
    mask[20, 21] = True  # diagonal neighbour: joins the 30-px piece under 8-connectivity (31 px)
    mask[25:28, 0:3] = True
    return mask


def test_small_components_are_dropped_relative_to_the_largest() -> None:
    mask = pieces()
    kept = clean_mask(mask, MaskCleanup(min_component_fraction=0.31))
    expected = mask.copy()
    expected[25:28, 0:3] = False
    np.testing.assert_array_equal(kept, expected)
    only_largest = np.zeros_like(mask)
    only_largest[0:10, 0:10] = True
    np.testing.assert_array_equal(clean_mask(mask, MaskCleanup(min_component_fraction=0.32)), only_largest)
    np.testing.assert_array_equal(mask, pieces())  # the input is left alone


def test_holes_are_filled_but_bays_open_to_the_outside_are_not() -> None:
    mask = np.zeros((12, 12), dtype=bool)
    mask[1:8, 1:8] = True
    mask[3:5, 3:5] = False  # enclosed hole
    mask[5:8, 6] = False  # bay reaching the outside (column 6 down to row 7, open at row 8)
    filled = clean_mask(mask, MaskCleanup(fill_holes=True))
    expected = mask.copy()
    expected[3:5, 3:5] = True
    np.testing.assert_array_equal(filled, expected)


def test_hole_filling_matches_scipy_on_ragged_masks() -> None:
    rng = np.random.default_rng(3)
    for _ in range(5):
        mask = ndimage.binary_opening(rng.random((40, 50)) > 0.45)
        np.testing.assert_array_equal(clean_mask(mask, MaskCleanup(fill_holes=True)), ndimage.binary_fill_holes(mask))


def test_default_cleanup_changes_nothing() -> None:
    mask = pieces()
    result = clean_mask(mask, MaskCleanup())
    np.testing.assert_array_equal(result, mask)
    assert result is not mask


def test_component_fraction_must_be_a_fraction() -> None:
    with pytest.raises(ValueError, match="min_component_fraction"):
        MaskCleanup(min_component_fraction=1.5)
