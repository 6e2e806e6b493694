"""Joint transforms keep image and mask aligned and never invent labels."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from fcn_core.models.normalization import CAFFE_BGR, IMAGENET_RGB
from fcn_core.training.transforms import (
    Compose,
    RandomCrop,
    RandomHorizontalFlip,
    RandomScale,
    padding_fill,
    pair_to_tensors,
    resize_pair,
    training_transform,
)

BACKGROUND = (20, 20, 20)
SHAPES = {3: (250, 30, 30), 7: (30, 250, 30)}
"""Labels 3 and 7 (with 0 around them): a bilinear mask would produce values in between."""
PAD_FILL = (200, 200, 200)


def scene() -> tuple[np.ndarray, np.ndarray]:
    """An off-centre rectangle (label 3) touching a disc (label 7) on a dark background, 60×90."""
    image = np.empty((60, 90, 3), np.uint8)
    image[:] = BACKGROUND
    mask = np.zeros((60, 90), np.uint8)
    mask[8:30, 10:40] = 3
    rows, cols = np.mgrid[:60, :90]
    mask[(rows - 38) ** 2 + (cols - 60) ** 2 < 15**2] = 7
    for label, colour in SHAPES.items():
        image[mask == label] = colour
    return image, mask


def assert_aligned(image: np.ndarray, mask: np.ndarray, margin: int = 2) -> None:
    """Every label's pixels have that label's colour, ``margin`` pixels away from its edges
    (bilinear resizing blends colours up to two pixels deep; crops and flips must be exact)."""
    assert image.shape[:2] == mask.shape
    colours = {0: BACKGROUND, 255: PAD_FILL, **SHAPES}
    assert set(np.unique(mask)) <= set(colours), f"invented labels {set(np.unique(mask)) - set(colours)}"
    for label, colour in colours.items():
        inner = ndimage.binary_erosion(mask == label, iterations=margin) if margin else mask == label
        if inner.any():
            difference = np.abs(image[inner].astype(int) - np.array(colour)).max()
            assert difference <= 2, f"label {label}: image colour off by {difference}"


def test_the_scene_itself_is_aligned_and_the_check_catches_a_shift() -> None:
    image, mask = scene()
    assert_aligned(image, mask, margin=0)
    with pytest.raises(AssertionError):
        assert_aligned(image, np.roll(mask, 1, axis=1), margin=0)
    with pytest.raises(AssertionError):
        assert_aligned(image, np.roll(mask, 3, axis=1))


@pytest.mark.parametrize("seed", range(4))
def test_every_transform_keeps_alignment(seed: int) -> None:
    rng = np.random.default_rng(seed)
    image, mask = scene()
    for transform in (RandomScale(0.5, 2.0), RandomCrop((80, 80), PAD_FILL), RandomHorizontalFlip(1.0)):
        image, mask = transform(image, mask, rng)
        assert_aligned(image, mask)


@pytest.mark.parametrize("seed", range(4))
def test_crop_and_flip_keep_exact_alignment(seed: int) -> None:
    rng = np.random.default_rng(seed)
    image, mask = scene()
    for transform in (RandomCrop((50, 100), PAD_FILL), RandomHorizontalFlip(0.5), RandomCrop((30, 30))):
        image, mask = transform(image, mask, rng)
        assert_aligned(image, mask, margin=0)


def test_integer_upscaling_repeats_mask_pixels() -> None:
    image, mask = scene()
    big_image, big_mask = resize_pair(image, mask, (120, 180))
    np.testing.assert_array_equal(big_mask, mask.repeat(2, axis=0).repeat(2, axis=1))
    assert_aligned(big_image, big_mask)


def test_scaling_resizes_by_nearest_neighbour_only() -> None:
    image, mask = scene()
    big_image, big_mask = resize_pair(image, mask, (97, 151))
    assert big_image.shape == (97, 151, 3) and big_mask.shape == (97, 151)
    assert set(np.unique(big_mask)) == {0, 3, 7}
    assert_aligned(big_image, big_mask)


def test_scale_factor_stays_in_range() -> None:
    image, mask = scene()
    for seed in range(10):
        _, scaled = RandomScale(0.5, 2.0)(image, mask, np.random.default_rng(seed))
        assert 30 <= scaled.shape[0] <= 120 and 45 <= scaled.shape[1] <= 180
        assert scaled.shape[1] / scaled.shape[0] == pytest.approx(1.5, abs=0.05)


def test_crop_pads_image_with_fill_and_mask_with_ignore() -> None:
    image, mask = scene()
    cropped_image, cropped_mask = RandomCrop((100, 120), PAD_FILL)(image, mask, np.random.default_rng(0))
    assert cropped_mask.shape == (100, 120)
    assert (cropped_mask[60:] == 255).all() and (cropped_mask[:, 90:] == 255).all()
    assert (cropped_image[60:] == PAD_FILL).all()
    np.testing.assert_array_equal(cropped_mask[:60, :90], mask)


def test_crop_smaller_than_image_cuts_a_window_of_the_original() -> None:
    image, mask = scene()
    offsets = set()
    for seed in range(8):
        _, cropped = RandomCrop((20, 30))(image, mask, np.random.default_rng(seed))
        matches = [
            (top, left)
            for top in range(41)
            for left in range(61)
            if np.array_equal(mask[top : top + 20, left : left + 30], cropped)
        ]
        assert matches
        offsets.add(matches[0])
    assert len(offsets) > 1, "the crop position should vary with the generator"


def test_flip_mirrors_both_and_probability_zero_keeps() -> None:
    image, mask = scene()
    flipped_image, flipped_mask = RandomHorizontalFlip(1.0)(image, mask, np.random.default_rng(0))
    np.testing.assert_array_equal(flipped_mask, mask[:, ::-1])
    np.testing.assert_array_equal(flipped_image, image[:, ::-1])
    kept_image, kept_mask = RandomHorizontalFlip(0.0)(image, mask, np.random.default_rng(0))
    np.testing.assert_array_equal(kept_mask, mask)
    np.testing.assert_array_equal(kept_image, image)


def test_same_generator_seed_gives_the_same_augmentation() -> None:
    transform = training_transform(crop_size=40, scale_range=(0.5, 2.0), flip=True, normalization=CAFFE_BGR)
    image, mask = scene()
    first = transform(image, mask, np.random.default_rng(5))
    second = transform(image, mask, np.random.default_rng(5))
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])


def test_training_transform_follows_the_recipe() -> None:
    full = training_transform(crop_size=32, scale_range=(0.5, 2.0), flip=True, normalization=CAFFE_BGR)
    assert [type(t) for t in full.transforms] == [RandomScale, RandomCrop, RandomHorizontalFlip]
    assert training_transform(crop_size=None, scale_range=None, flip=False, normalization=CAFFE_BGR) == Compose(())


def test_padding_fill_is_the_mean_in_rgb() -> None:
    assert padding_fill(CAFFE_BGR) == (123, 117, 104)  # Caffe's mean is given in BGR order
    assert padding_fill(IMAGENET_RGB) == (124, 116, 104)


def test_tensors_have_the_training_layout() -> None:
    image, mask = scene()
    image_t, mask_t = pair_to_tensors(image[:, ::-1], mask[:, ::-1])
    assert image_t.shape == (3, 60, 90) and image_t.dtype.is_floating_point is False
    assert mask_t.dtype.is_floating_point is False and int(mask_t.max()) == 7
    np.testing.assert_array_equal(image_t.permute(1, 2, 0).numpy(), image[:, ::-1])


def test_bad_scale_range_is_refused() -> None:
    with pytest.raises(ValueError):
        RandomScale(2.0, 0.5)
