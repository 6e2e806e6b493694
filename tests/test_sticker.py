"""make_sticker: fit, contour (the original recipe at output scale), alpha, stroke, shadow."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from fcn_core.mask import EmptyMaskError
from fcn_core.photo import photo_from_array
from fcn_core.sticker import Sticker, StickerStyle, make_sticker
from tests.sticker_helpers import ellipse

PHOTO_SIZE = (120, 200)
SMALL = StickerStyle(canvas_size=128, margin=8)


@pytest.fixture(scope="module")
def photo():
    """Smooth colour gradients in 30..180: no pixel is near the contour or stroke colours."""
    rows, cols = np.mgrid[: PHOTO_SIZE[0], : PHOTO_SIZE[1]]
    pixels = np.stack([30 + cols * 150 // PHOTO_SIZE[1], 30 + rows * 150 // PHOTO_SIZE[0], 100 + 0 * rows], axis=2)
    return photo_from_array(pixels.astype(np.uint8))


@pytest.fixture(scope="module")
def blob() -> np.ndarray:
    return ellipse(PHOTO_SIZE, centre=(60, 90), radii=(40, 60))


def rectangle(top: int, left: int, height: int, width: int) -> np.ndarray:
    mask = np.zeros(PHOTO_SIZE, dtype=bool)
    mask[top : top + height, left : left + width] = True
    return mask


def visible_box(sticker: Sticker) -> tuple[int, int, int, int]:
    """``(top, bottom, left, right)`` (exclusive ends) of pixels with any alpha."""
    rows = np.flatnonzero(sticker.rgba[..., 3].any(axis=1))
    cols = np.flatnonzero(sticker.rgba[..., 3].any(axis=0))
    return rows[0], rows[-1] + 1, cols[0], cols[-1] + 1


@pytest.mark.parametrize(("top", "left", "height", "width"), [(10, 50, 30, 60), (5, 20, 100, 40), (50, 60, 3, 4)])
def test_fit_keeps_aspect_and_centres_the_object(photo, top: int, left: int, height: int, width: int) -> None:
    sticker = make_sticker(photo, rectangle(top, left, height, width), SMALL)
    assert sticker.size == (128, 128)
    box_top, box_bottom, box_left, box_right = visible_box(sticker)
    out_h, out_w = box_bottom - box_top, box_right - box_left
    assert max(out_h, out_w) == 128 - 2 * 8
    assert min(out_h, out_w) == round(min(height, width) * 112 / max(height, width))
    centre = (128 - 1) / 2
    assert abs((box_top + box_bottom - 1) / 2 - centre) <= 1
    assert abs((box_left + box_right - 1) / 2 - centre) <= 1
    # The box's outermost pixels are only partly covered (the resize sees the photo around the
    # box, where the mask is 0): an anti-aliased edge, opaque more than one source pixel inside.
    alpha = sticker.rgba[box_top:box_bottom, box_left:box_right, 3]
    for edge in (alpha[0], alpha[-1], alpha[:, 0], alpha[:, -1]):
        assert np.all((edge > 0) & (edge < 255))
    inset = int(np.ceil(112 / max(height, width))) + 1
    assert np.all(alpha[inset:-inset, inset:-inset] == 255)


def test_alpha_is_the_resized_mask(photo, blob) -> None:
    sticker = make_sticker(photo, blob, SMALL)
    alpha = sticker.rgba[..., 3]
    # The ellipse's 81×121 px box (rows 20..100, columns 30..150) becomes 75×112 px at rows
    # 26..100, columns 8..119, so its centre (60, 90) lands on (63.0, 63.5).
    expected = ellipse((128, 128), centre=(63.0, 63.5), radii=(40 * 75 / 81, 60 * 112 / 121))
    deep_inside = ndimage.binary_erosion(expected, iterations=2)
    far_outside = ~ndimage.binary_dilation(expected, iterations=2)
    assert np.all(alpha[deep_inside] == 255)
    assert np.all(alpha[far_outside] == 0)
    edge = ~deep_inside & ~far_outside
    assert np.any((alpha[edge] > 0) & (alpha[edge] < 255)), "the edge is anti-aliased"
    assert np.all(sticker.rgba[alpha == 0, :3] == 0), "transparent pixels are transparent black"


@pytest.mark.parametrize("width", [2, 4, 5])
def test_contour_is_exactly_the_eroded_ring(photo, blob, width: int) -> None:
    style = StickerStyle(canvas_size=128, margin=8, contour_width=width, contour_color=(248, 247, 246))
    with_contour = make_sticker(photo, blob, style)
    plain = make_sticker(photo, blob, StickerStyle(canvas_size=128, margin=8, contour_width=0))
    alpha = with_contour.rgba[..., 3]
    np.testing.assert_array_equal(alpha, plain.rgba[..., 3])
    binary = alpha >= 128
    eroded = ndimage.binary_erosion(binary, structure=np.ones((width, width), dtype=bool))
    ring = binary & ~eroded
    fringe = (alpha > 0) & ~binary
    painted = np.all(with_contour.rgba[..., :3] == (248, 247, 246), axis=2)
    np.testing.assert_array_equal(painted, ring | fringe)
    changed = np.any(with_contour.rgba != plain.rgba, axis=2)
    np.testing.assert_array_equal(changed, ring | fringe)
    assert ring.sum() > 0


def test_default_style_is_the_original_recipe() -> None:
    style = StickerStyle()
    assert (style.canvas_size, style.margin, style.contour_width, style.contour_color) == (512, 16, 5, (248, 248, 248))
    assert (style.stroke_width, style.shadow) == (0, False)


def test_default_sticker_is_512_with_a_5_px_contour(photo, blob) -> None:
    sticker = make_sticker(photo, blob, class_names=("cat",))
    assert sticker.size == (512, 512) and sticker.class_names == ("cat",)
    binary = sticker.rgba[..., 3] >= 128
    ring = binary & ~ndimage.binary_erosion(binary, structure=np.ones((5, 5), dtype=bool))
    assert np.all(sticker.rgba[ring, :3] == 248)
    assert not sticker.rgba.flags.writeable


def test_stroke_is_an_anti_aliased_ring_of_equal_width_laid_under_the_object(photo, blob) -> None:
    stroked = make_sticker(photo, blob, StickerStyle(canvas_size=128, margin=8, stroke_width=3, stroke_color=(255, 0, 255)))
    # Same object size and place without the stroke: the margin takes the stroke's room.
    plain = make_sticker(photo, blob, StickerStyle(canvas_size=128, margin=11))
    opaque = plain.rgba[..., 3] == 255
    np.testing.assert_array_equal(stroked.rgba[opaque], plain.rgba[opaque])
    distance = ndimage.distance_transform_edt(plain.rgba[..., 3] < 128)
    inner_ring = (plain.rgba[..., 3] == 0) & (distance <= 2)
    assert inner_ring.sum() > 50
    assert np.all(stroked.rgba[inner_ring] == (255, 0, 255, 255))
    assert np.all(stroked.rgba[distance > 4.5] == 0)
    # Anti-aliased: the outer edge has partial alpha, and every direction reaches equally far.
    edge = (distance > 2.5) & (distance <= 4)
    assert np.any((stroked.rgba[edge, 3] > 0) & (stroked.rgba[edge, 3] < 255))
    reach = stroked.rgba[..., 3] >= 128
    rows, cols = np.nonzero(reach)
    object_rows, object_cols = np.nonzero(plain.rgba[..., 3] >= 128)
    widths = [object_rows.min() - rows.min(), rows.max() - object_rows.max(),
              object_cols.min() - cols.min(), cols.max() - object_cols.max()]
    assert max(widths) - min(widths) <= 1 and 2 <= min(widths) <= 4


def test_shadow_is_soft_black_below_right_and_off_by_default(photo, blob) -> None:
    plain = make_sticker(photo, blob, SMALL)
    shaded = make_sticker(photo, blob, StickerStyle(canvas_size=128, margin=8, shadow=True, shadow_offset=(4, 6)))
    opaque = plain.rgba[..., 3] == 255
    np.testing.assert_array_equal(shaded.rgba[opaque], plain.rgba[opaque])
    only_shadow = (plain.rgba[..., 3] == 0) & (shaded.rgba[..., 3] > 0)
    assert only_shadow.sum() > 100
    assert np.all(shaded.rgba[only_shadow, :3] == 0)
    assert shaded.rgba[only_shadow, 3].max() <= round(0.45 * 255)
    rows, cols = np.nonzero(only_shadow)
    object_rows, object_cols = np.nonzero(opaque)
    assert rows.mean() > object_rows.mean() and cols.mean() > object_cols.mean()


def test_object_pixels_come_from_the_photo(blob) -> None:
    """Inside, the sticker shows the photo (resized), not something else."""
    pixels = np.zeros((*PHOTO_SIZE, 3), dtype=np.uint8)
    pixels[blob] = (20, 140, 60)
    pixels[~blob] = (200, 30, 30)
    sticker = make_sticker(photo_from_array(pixels), blob, StickerStyle(canvas_size=128, margin=8, contour_width=3))
    deep = ndimage.binary_erosion(sticker.rgba[..., 3] == 255, iterations=4)
    assert np.all(sticker.rgba[deep, :3] == (20, 140, 60))


def test_empty_mask_is_an_error(photo) -> None:
    with pytest.raises(EmptyMaskError, match="mask of dog is empty"):
        make_sticker(photo, np.zeros(PHOTO_SIZE, dtype=bool), SMALL, class_names=("dog",))


def test_mask_must_match_the_photo(photo) -> None:
    with pytest.raises(ValueError, match="differ in size"):
        make_sticker(photo, np.ones((10, 10), dtype=bool), SMALL)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"canvas_size": 40, "margin": 20}, "no room"),
        ({"margin": 250, "stroke_width": 10}, "no room"),
        ({"contour_width": -1}, "contour_width"),
        ({"contour_color": (0, 0, 256)}, "contour_color"),
        ({"shadow_opacity": 1.5}, "shadow_opacity"),
    ],
)
def test_impossible_styles_are_refused(changes: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        StickerStyle(**changes)


def _with_alpha(pixels: np.ndarray, alpha: np.ndarray):
    return photo_from_array(np.dstack([pixels, alpha]).astype(np.uint8))


def test_a_transparent_pixel_of_the_photo_is_never_part_of_the_sticker(photo) -> None:
    """Issue #12 item 11: a hole of alpha 0 in the photo stays a hole, though the mask covers it."""
    alpha = np.full(PHOTO_SIZE, 255, dtype=np.uint8)
    alpha[50:70, 80:100] = 0
    mask = rectangle(20, 40, 80, 100)
    sticker = make_sticker(_with_alpha(photo.pixels, alpha), mask, SMALL)
    plain = make_sticker(photo, mask, SMALL)
    assert visible_box(sticker) == visible_box(plain)  # the rest of the object is where it was
    hole = sticker.rgba[..., 3][64 - 8 : 64 + 8, 64 - 8 : 64 + 8]  # the hole is in the object's middle
    assert (hole == 0).all() and plain.rgba[64, 64, 3] == 255


def test_transparent_border_of_the_photo_does_not_shrink_the_object(photo) -> None:
    """The object is fitted to its opaque part: a mask reaching into transparency does not count there."""
    alpha = np.zeros(PHOTO_SIZE, dtype=np.uint8)
    alpha[20:100, 40:140] = 255
    sticker = make_sticker(_with_alpha(photo.pixels, alpha), np.ones(PHOTO_SIZE, dtype=bool), SMALL)
    expected = make_sticker(photo, rectangle(20, 40, 80, 100), SMALL)
    assert visible_box(sticker) == visible_box(expected)
    assert np.abs(sticker.rgba[..., 3].astype(int) - expected.rgba[..., 3]).max() <= 1


def test_soft_photo_alpha_scales_the_sticker_alpha(photo) -> None:
    alpha = np.full(PHOTO_SIZE, 128, dtype=np.uint8)
    sticker = make_sticker(_with_alpha(photo.pixels, alpha), rectangle(20, 40, 80, 100), StickerStyle(
        canvas_size=128, margin=8, contour_width=0))
    inside = sticker.rgba[40:90, 30:100, 3]
    assert inside.min() >= 127 and inside.max() <= 129
