"""One-object selection: the connected region of the chosen class under a point."""

from __future__ import annotations

import numpy as np
import pytest

from fcn_core.mask import EmptyMaskError, select_mask
from fcn_core.objects import PhotoPoint, restrict_to_objects
from fcn_core.photo import photo_from_array
from fcn_core.pipeline import StickerRequest, sticker_from_segmentation
from fcn_core.sticker import StickerStyle
from tests.sticker_helpers import make_segmentation, one_hot_probabilities

PERSON, DOG = 15, 12


def two_people() -> np.ndarray:
    labels = np.zeros((30, 40), dtype=np.uint8)
    labels[5:25, 3:13] = PERSON
    labels[8:28, 25:37] = PERSON
    labels[20:28, 14:22] = DOG
    return labels


def test_a_point_picks_only_the_person_under_it_at_any_resolution() -> None:
    seg = make_segmentation(one_hot_probabilities(two_people()), photo_size=(90, 120))
    whole = select_mask(seg, [PERSON])
    left = select_mask(restrict_to_objects(seg, [PERSON], [PhotoPoint(20.0, 40.0)]), [PERSON])
    right = select_mask(restrict_to_objects(seg, [PERSON], [PhotoPoint(90.0, 50.0)]), [PERSON])
    assert left.any() and right.any() and not (left & right).any()
    np.testing.assert_array_equal(left | right, whole)  # the same upsampling, split in two
    assert left[:, 60:].sum() == 0 and right[:, :60].sum() == 0
    both = select_mask(restrict_to_objects(seg, [PERSON], [PhotoPoint(20.0, 40.0), PhotoPoint(90.0, 50.0)]), [PERSON])
    np.testing.assert_array_equal(both, whole)


def test_other_classes_keep_their_probabilities_and_background_takes_the_rest() -> None:
    seg = make_segmentation(one_hot_probabilities(two_people()))
    one = restrict_to_objects(seg, [PERSON], [PhotoPoint(5.0, 10.0)])
    np.testing.assert_array_equal(one.probabilities[DOG], seg.probabilities[DOG])
    np.testing.assert_allclose(one.probabilities.sum(axis=0), seg.probabilities.sum(axis=0), rtol=1e-6)
    assert one.labels[15, 30] == 0 and one.labels[15, 5] == PERSON


def test_a_point_off_the_class_is_an_error_that_says_what_is_there() -> None:
    seg = make_segmentation(one_hot_probabilities(two_people()))
    with pytest.raises(EmptyMaskError, match="no person under the point .* found dog"):
        restrict_to_objects(seg, [PERSON], [PhotoPoint(16.0, 22.0)])


def test_the_pipeline_cuts_one_object_when_given_a_point() -> None:
    seg = make_segmentation(one_hot_probabilities(two_people()))
    photo = photo_from_array(np.full((30, 40, 3), 90, dtype=np.uint8))
    style = StickerStyle(canvas_size=64, margin=2, contour_width=0)
    one, _ = sticker_from_segmentation(photo, seg, StickerRequest(classes=("person",), objects=(PhotoPoint(5, 10),), style=style))
    whole, _ = sticker_from_segmentation(photo, seg, StickerRequest(classes=("person",), style=style))
    rows, cols = np.nonzero(one.rgba[..., 3] >= 128)
    assert (rows.max() - rows.min()) > 2 * (cols.max() - cols.min())  # one tall person, not two side by side
    assert not np.array_equal(one.rgba, whole.rgba)
