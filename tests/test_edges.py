"""refine_edges (none | crf | matting) and the canvases (sticker | emoji | photo)."""

from __future__ import annotations

import numpy as np
import pytest

from fcn_core import matting
from fcn_core.edges import EdgeOptions, refine_edges
from fcn_core.edits import MaskEdits, Stroke
from fcn_core.photo import photo_from_array
from fcn_core.pipeline import StickerRequest, sticker_from_mask
from fcn_core.sticker import MaskPatch, StickerStyle, alpha_levels, make_sticker_from_patch
from tests.sticker_helpers import ellipse, iou
from tests.voc_helpers import voc_labels, voc_photo_path

SIZE = (120, 160)
RED, GREEN = (220, 30, 30), (30, 200, 40)


@pytest.fixture(scope="module")
def disc_photo() -> tuple[np.ndarray, np.ndarray]:
    """A red disc with a soft (blurred) edge on green, and the disc's true mask."""
    truth = ellipse(SIZE, (60, 80), (35, 45))
    from scipy import ndimage

    weight = ndimage.gaussian_filter(truth.astype(np.float64), 1.0)[..., None]
    pixels = np.rint(weight * RED + (1 - weight) * GREEN).astype(np.uint8)
    return pixels, truth


def coarse(truth: np.ndarray) -> np.ndarray:
    """The truth with a blobby edge 3 px off: shrunk on the left half, grown on the right."""
    from scipy import ndimage

    shrunk = ndimage.binary_erosion(truth, iterations=3)
    grown = ndimage.binary_dilation(truth, iterations=3)
    result = shrunk.copy()
    result[:, 80:] = grown[:, 80:]
    return result


def test_none_keeps_the_mask(disc_photo) -> None:
    pixels, truth = disc_photo
    patch = MaskPatch(truth)
    assert refine_edges(pixels, patch, EdgeOptions("none")) is patch


@pytest.mark.parametrize(("method", "least_iou"), [("matting", 0.95), ("crf", 0.92)])
def test_refinement_pulls_a_wrong_edge_to_the_true_one(disc_photo, method, least_iou) -> None:
    pixels, truth = disc_photo
    mask = coarse(truth)
    refined = refine_edges(pixels, MaskPatch(mask), EdgeOptions(method, band=0.06))
    alpha = refined.mask
    assert alpha.dtype == np.float32 and alpha.shape == SIZE
    assert iou(alpha >= 0.5, truth) > iou(mask, truth) + 0.03
    assert iou(alpha >= 0.5, truth) > least_iou
    assert np.all(alpha[~ellipse(SIZE, (60, 80), (50, 60))] == 0) and np.all(alpha[ellipse(SIZE, (60, 80), (25, 35))] == 1)


def test_matting_gives_a_soft_edge_in_the_object_s_own_colour(disc_photo) -> None:
    pixels, truth = disc_photo
    refined = refine_edges(pixels, MaskPatch(truth), EdgeOptions("matting", band=0.06))
    soft = (refined.mask > 0.1) & (refined.mask < 0.9)
    assert soft.sum() > 100
    assert refined.foreground is not None
    # The photo mixes red and green along the edge; the estimated foreground is red there.
    assert pixels[soft, 1].mean() > 60
    assert refined.foreground[soft, 1].mean() < 60 and refined.foreground[soft, 0].mean() > 180
    style = StickerStyle(canvas_size=128, margin=8, contour_width=0)
    sticker = make_sticker_from_patch(photo_from_array(pixels), refined, style)
    edge = (sticker.rgba[..., 3] > 20) & (sticker.rgba[..., 3] < 235)
    assert edge.sum() > 50 and sticker.rgba[edge, 1].mean() < 70  # no green fringe


def test_refinement_runs_on_a_crop_no_larger_than_max_side(monkeypatch) -> None:
    seen: list[tuple[int, ...]] = []
    real = matting.matte

    def spy(image: np.ndarray, mask: np.ndarray, band: float, solver: matting.MattingSolver) -> matting.Matte:
        seen.append(image.shape)
        return real(image, mask, band, solver)

    monkeypatch.setattr(matting, "matte", spy)
    pixels = np.zeros((1500, 2000, 3), dtype=np.uint8)
    truth = ellipse((1500, 2000), (750, 1000), (600, 900))
    pixels[truth] = RED
    refined = refine_edges(pixels, MaskPatch(truth), EdgeOptions("matting", max_side=300))
    assert max(seen[0][:2]) == 300
    assert refined.mask.shape == truth.shape and iou(refined.mask >= 0.5, truth) > 0.98


def test_photo_canvas_alpha_is_the_refined_alpha_at_photo_size(disc_photo) -> None:
    pixels, truth = disc_photo
    photo = photo_from_array(pixels)
    style = StickerStyle(canvas="photo", contour_width=0)
    plain = sticker_from_mask(photo, truth, StickerRequest(style=style), ["disc"])
    assert plain.size == SIZE
    np.testing.assert_array_equal(plain.rgba[..., 3], truth * 255)
    np.testing.assert_array_equal(plain.rgba[truth, :3], pixels[truth])
    request = StickerRequest(style=style, edges=EdgeOptions("matting", band=0.06))
    matted = sticker_from_mask(photo, truth, request, ["disc"])
    expected = refine_edges(pixels, MaskPatch(truth), request.edges)
    np.testing.assert_array_equal(matted.rgba[..., 3], alpha_levels(expected.mask))


def test_emoji_canvas_is_100_square(disc_photo) -> None:
    pixels, truth = disc_photo
    sticker = sticker_from_mask(photo_from_array(pixels), truth, StickerRequest(style=StickerStyle(canvas="emoji", margin=4)), [])
    assert sticker.size == (100, 100)
    _, cols = np.nonzero(sticker.rgba[..., 3])
    assert cols.min() == 4 and cols.max() == 95


def test_edits_are_applied_before_the_edges_and_win(disc_photo) -> None:
    pixels, truth = disc_photo
    style = StickerStyle(canvas="photo", contour_width=0)
    eraser = Stroke(((80.5, 0.5), (80.5, 119.5)), radius=6, add=False)
    request = StickerRequest(style=style, edits=MaskEdits((eraser,)), edges=EdgeOptions("matting", band=0.06))
    sticker = sticker_from_mask(photo_from_array(pixels), truth, request, [])
    assert np.all(sticker.rgba[:, 78:83, 3] == 0)


def test_matting_on_a_real_voc_photo_stays_near_the_true_person() -> None:
    from PIL import Image

    name = "2007_000392"
    pixels = np.asarray(Image.open(voc_photo_path(name)).convert("RGB"))
    labels = voc_labels(name)
    truth = labels == 15
    from scipy import ndimage

    blobby = ndimage.binary_dilation(ndimage.binary_erosion(truth, iterations=4), iterations=4)
    refined = refine_edges(pixels, MaskPatch(blobby), EdgeOptions("matting"))
    valid = labels != 255
    assert iou((refined.mask >= 0.5) & valid, truth) > 0.85
    assert 0 < ((refined.mask > 0) & (refined.mask < 1)).sum() < truth.sum()


def test_canvas_controls_scale_move_turn_and_mirror_the_object(disc_photo) -> None:
    pixels, truth = disc_photo
    photo = photo_from_array(pixels)
    half = np.zeros(SIZE, dtype=bool)
    half[:, :80] = truth[:, :80]  # the left half of the disc: not symmetric left-right

    def alpha(**style: object) -> np.ndarray:
        request = StickerRequest(style=StickerStyle(canvas_size=128, margin=8, contour_width=0, **style))
        return sticker_from_mask(photo, half, request, []).rgba[..., 3]

    plain = alpha()
    small = alpha(object_scale=0.5)
    assert 0.2 < (small > 0).sum() / (plain > 0).sum() < 0.3  # half the side: a quarter of the area
    moved = alpha(offset=(10, -5))
    np.testing.assert_array_equal(moved[8:120, 18:128], plain[13:125, 8:118])
    np.testing.assert_array_equal(alpha(flip=True), plain[:, ::-1])
    np.testing.assert_array_equal(alpha(rotation=90), np.rot90(plain))
    with pytest.raises(ValueError, match="rotation"):
        StickerStyle(rotation=45)
