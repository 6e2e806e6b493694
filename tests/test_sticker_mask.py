"""The pipeline's fast sticker mask (fcn_core/sticker_mask.py) against the photo-size reference.

Reference: ``make_sticker(photo, clean_mask(select_mask(seg, ids, size=photo.size), cleanup), style)``.
When the object is enlarged onto the canvas the fast path samples every photo pixel and must give
the same sticker exactly. When it is reduced (step > 1) the mask is sampled once per block, so the
anti-aliased edge differs; measured on these cases: mean |Δalpha| ≤ 0.9 levels over visible
pixels, 3–8 % of visible pixels off by more than one level (max ≈ 50), and the binary
(alpha ≥ 128) outline differs in ≤ 0.5 % of visible pixels. The bounds below leave some room.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from fcn_core.mask import EmptyMaskError, MaskCleanup, clean_mask, select_mask
from fcn_core.photo import photo_from_array
from fcn_core.pipeline import StickerRequest, sticker_from_segmentation
from fcn_core.sticker import StickerStyle, make_sticker
from fcn_core.sticker_mask import sticker_mask
from tests.sticker_helpers import ellipse, make_segmentation

CAT, DOG = 8, 12
WORKING = (48, 64)
SMALL_CANVAS = StickerStyle(canvas_size=128, margin=8)

CASES = {
    "large": [(CAT, ellipse(WORKING, (24, 30), (18, 26)))],
    "small": [(CAT, ellipse(WORKING, (20, 40), (2.5, 3)))],
    "border": [(CAT, ellipse(WORKING, (5, 3), (20, 25)))],
    "two classes": [(CAT, ellipse(WORKING, (24, 22), (14, 16))), (DOG, ellipse(WORKING, (26, 42), (12, 14)))],
}


def smooth_segmentation(regions, photo_size: tuple[int, int], speck: bool = False):
    """FCN-like probabilities: noisy logits favouring each region's class, blurred, softmaxed."""
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 1, (21, *WORKING))
    background = np.ones(WORKING, dtype=bool)
    for class_id, region in regions:
        logits[class_id] += 6 * region
        background &= ~region
    if speck:
        logits[regions[0][0], 42:46, 57:61] += 20
        background[42:46, 57:61] = False
    logits[0] += 6 * background
    logits = ndimage.gaussian_filter(logits, (0, 1.5, 1.5))
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=0)
    return make_segmentation(probabilities, photo_size=photo_size)


def textured_photo(size: tuple[int, int]):
    rng = np.random.default_rng(1)
    noise = rng.integers(0, 256, (*size, 3)).astype(np.float64)
    return photo_from_array(ndimage.gaussian_filter(noise, (3, 3, 0)).astype(np.uint8))


def both_paths(name: str, photo_size: tuple[int, int], style: StickerStyle, cleanup: MaskCleanup, speck: bool = False):
    regions = CASES[name]
    seg = smooth_segmentation(regions, photo_size, speck)
    photo = textured_photo(photo_size)
    class_ids = tuple(class_id for class_id, _ in regions)
    fast, _ = sticker_from_segmentation(photo, seg, StickerRequest(classes=class_ids, style=style, cleanup=cleanup))
    reference = make_sticker(photo, clean_mask(select_mask(seg, class_ids, size=photo_size), cleanup), style)
    return fast, reference, sticker_mask(seg, class_ids, cleanup, style).step


CLEANUPS = [MaskCleanup(), MaskCleanup(min_component_fraction=0.2, fill_holes=True)]


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("cleanup", CLEANUPS)
def test_enlarged_objects_give_the_reference_sticker_exactly(name: str, cleanup: MaskCleanup) -> None:
    fast, reference, step = both_paths(name, (300, 400), StickerStyle(), cleanup)
    assert step == 1
    np.testing.assert_array_equal(fast.rgba, reference.rgba)


@pytest.mark.parametrize("name", ["large", "border", "two classes"])
def test_reduced_objects_differ_only_along_the_anti_aliased_edge(name: str) -> None:
    fast, reference, step = both_paths(name, (900, 1200), SMALL_CANVAS, MaskCleanup())
    assert step > 1, "the case must exercise the coarse grid"
    fast_alpha, reference_alpha = fast.rgba[..., 3].astype(int), reference.rgba[..., 3].astype(int)
    visible = (fast_alpha > 0) | (reference_alpha > 0)
    difference = np.abs(fast_alpha - reference_alpha)
    assert difference[visible].mean() <= 1.5
    assert ((fast_alpha >= 128) != (reference_alpha >= 128)).sum() <= 0.01 * visible.sum()
    # Away from the edge the two stickers are the same pixels.
    solid = ndimage.binary_erosion(reference_alpha == 255, iterations=3)
    clear = ndimage.binary_erosion(reference_alpha == 0, iterations=3)
    np.testing.assert_array_equal(fast.rgba[solid | clear], reference.rgba[solid | clear])


def test_small_object_in_a_big_photo_uses_only_a_small_window() -> None:
    seg = smooth_segmentation(CASES["small"], (1500, 2000))
    patch = sticker_mask(seg, (CAT,), MaskCleanup(), StickerStyle())
    assert patch.step == 1 and patch.mask.size < 0.02 * 1500 * 2000


def test_cleanup_drops_a_far_speck_like_the_reference() -> None:
    cleanup = MaskCleanup(min_component_fraction=0.2)
    fast, reference, _ = both_paths("large", (300, 400), StickerStyle(), cleanup, speck=True)
    specky, _, _ = both_paths("large", (300, 400), StickerStyle(), MaskCleanup(), speck=True)
    np.testing.assert_array_equal(fast.rgba, reference.rgba)
    assert not np.array_equal(specky.rgba, fast.rgba), "without clean-up the speck stretches the sticker"


def test_empty_selection_names_the_class_and_what_was_found() -> None:
    seg = smooth_segmentation(CASES["large"], (600, 800))
    with pytest.raises(EmptyMaskError, match=r"no pixel of dog.*background"):
        sticker_from_segmentation(textured_photo((600, 800)), seg, StickerRequest(classes=("dog",)))
