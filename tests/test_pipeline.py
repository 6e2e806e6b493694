"""photo_to_sticker: the one path from a photo to a sticker (fcn_core/pipeline.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fcn_core import pipeline
from fcn_core.classes import VOC_CLASSES
from fcn_core.crf import refine_crf
from fcn_core.mask import EmptyMaskError, MaskCleanup, found_classes_text, select_mask
from fcn_core.models.normalization import CAFFE_BGR
from fcn_core.models.registry import get_model_spec
from fcn_core.models.vgg_fcn import FCN8s
from fcn_core.photo import photo_from_array
from fcn_core.pipeline import StickerRequest, class_slug, is_sticker_file, photo_to_sticker, sticker_file_name
from fcn_core.segmenter import Segmenter
from fcn_core.sticker import StickerStyle, make_sticker
from fcn_core.weights.store import LoadedModel
from tests.cli_helpers import DOG, PERSON, DiscSegmenter, photo_pixels


@pytest.fixture
def photo():
    return photo_from_array(photo_pixels((60, 80), seed=1))


def test_auto_cuts_out_the_disc(photo) -> None:
    sticker, seg = photo_to_sticker(DiscSegmenter(), photo, StickerRequest())
    assert sticker.class_names == ("person",)
    assert sticker.size == (512, 512)
    assert seg.refined_by == ""
    alpha = sticker.rgba[..., 3]
    ys, xs = np.nonzero(alpha)
    # A disc stays round: its box is square and centred on the canvas.
    assert abs((ys.max() - ys.min()) - (xs.max() - xs.min())) <= 2
    assert abs((ys.max() + ys.min()) / 2 - 255.5) <= 2 and abs((xs.max() + xs.min()) / 2 - 255.5) <= 2
    assert alpha[0, 0] == 0 and alpha[256, 256] == 255


@pytest.mark.parametrize("crf", [None, "deeplab"])
def test_pipeline_is_the_stages_in_order(photo, crf: str | None) -> None:
    """The pipeline adds nothing of its own: same pixels as calling the stages by hand."""
    style = StickerStyle(contour_width=3, stroke_width=4, shadow=True)
    request = StickerRequest(classes=("person",), crf=crf, style=style)
    sticker, seg = photo_to_sticker(DiscSegmenter(), photo, request)

    raw = DiscSegmenter().segment(photo)
    expected_seg = raw if crf is None else refine_crf(raw, crf, mode="binary", target_classes=(PERSON,))
    mask = select_mask(expected_seg, (PERSON,), size=photo.size)
    expected = make_sticker(photo, mask, style, class_names=("person",))
    np.testing.assert_array_equal(sticker.rgba, expected.rgba)
    np.testing.assert_array_equal(seg.probabilities, expected_seg.probabilities)
    assert seg.refined_by == ("" if crf is None else "crf:deeplab:binary")


def test_full_crf_mode_is_passed_on(photo) -> None:
    _, seg = photo_to_sticker(DiscSegmenter(), photo, StickerRequest(crf="original", crf_mode="full"))
    assert seg.refined_by == "crf:original:full"


def test_cleanup_drops_the_speck(photo) -> None:
    """A speck far from the object stretches the sticker unless the clean-up removes it."""
    clean, _ = photo_to_sticker(DiscSegmenter(), photo, StickerRequest())
    specky, _ = photo_to_sticker(DiscSegmenter(speck=True), photo, StickerRequest())
    cleaned, _ = photo_to_sticker(
        DiscSegmenter(speck=True), photo, StickerRequest(cleanup=MaskCleanup(min_component_fraction=0.5))
    )
    assert not np.array_equal(specky.rgba, clean.rgba)
    np.testing.assert_array_equal(cleaned.rgba, clean.rgba)


def test_classes_by_index_and_several(photo) -> None:
    sticker, _ = photo_to_sticker(DiscSegmenter(), photo, StickerRequest(classes=(str(PERSON), "dog")))
    assert sticker.class_names == ("person", "dog")


def test_missing_class_names_what_was_found(photo) -> None:
    with pytest.raises(EmptyMaskError, match=r"dog.*person"):
        photo_to_sticker(DiscSegmenter(), photo, StickerRequest(classes=("dog",)))


@pytest.mark.parametrize("mode", ["binary", "full"])
def test_class_removed_by_the_crf_names_the_crf_and_the_networks_shares(
    photo, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The network found a little dog; the CRF removed it. The message must say so, with the
    network's shares, not the CRF's (which have no dog)."""
    raw = DiscSegmenter().segment(photo)
    probabilities = raw.probabilities.copy()
    probabilities[DOG, :3, :3] = 0.95  # a weak dog in a corner
    probabilities /= probabilities.sum(axis=0, keepdims=True)
    weak_dog = raw.with_probabilities(probabilities, "")

    class Stub(DiscSegmenter):
        def segment(self, photo):
            return weak_dog

    def crf_without_dog(seg, preset, *, mode, target_classes):
        refined = seg.probabilities.copy()
        refined[DOG] = 0.0
        return seg.with_probabilities(refined / refined.sum(axis=0, keepdims=True), f"crf:{preset}:{mode}")

    monkeypatch.setattr(pipeline, "refine_crf", crf_without_dog)
    with pytest.raises(EmptyMaskError) as error:
        photo_to_sticker(Stub(), photo, StickerRequest(classes=("dog",), crf="deeplab", crf_mode=mode))
    message = str(error.value)
    assert message.startswith(f"after the CRF (deeplab, {mode}) nothing of dog is left; the network itself found: ")
    assert found_classes_text(weak_dog) in message and "dog" in found_classes_text(weak_dog)
    assert "try without --crf" in message
    assert ("--crf-mode full" in message) == (mode == "binary")


def test_class_the_network_never_found_is_not_blamed_on_the_crf(photo) -> None:
    with pytest.raises(EmptyMaskError) as error:
        photo_to_sticker(DiscSegmenter(), photo, StickerRequest(classes=("dog",), crf="deeplab"))
    message = str(error.value)
    assert message.startswith("no pixel of dog in this photo; the network found: ")
    assert found_classes_text(DiscSegmenter().segment(photo)) in message


def test_only_background_is_an_empty_mask_for_auto(photo) -> None:
    with pytest.raises(EmptyMaskError, match="background"):
        photo_to_sticker(DiscSegmenter(disc_class=0), photo, StickerRequest())


def test_with_a_real_tiny_network(photo) -> None:
    """Random weights decide the classes, so the test asks for whichever class the net found most."""
    torch_model = FCN8s(num_classes=21, width=1 / 16).eval()
    segmenter = Segmenter(LoadedModel(torch_model, get_model_spec("fcn8s"), VOC_CLASSES, CAFFE_BGR, "random init"), device="cpu")
    top_class = next(iter(segmenter.segment(photo).class_shares()))
    sticker, seg = photo_to_sticker(segmenter, photo, StickerRequest(classes=(top_class,)))
    assert sticker.class_names == (VOC_CLASSES.names[top_class],)
    assert sticker.rgba[..., 3].any()
    assert seg.model_name == "fcn8s" and seg.photo_size == photo.size


def test_file_names() -> None:
    assert sticker_file_name("IMG_1", ["person", "dog"], "png") == "IMG_1.person+dog.sticker.png"
    assert class_slug(["chest of drawers"]) == "chest-of-drawers"
    assert is_sticker_file(Path("a/IMG_1.person.sticker.png"))
    assert is_sticker_file(Path("IMG_1.STICKER.WEBP"))
    assert not is_sticker_file(Path("sticker.png"))
    assert not is_sticker_file(Path("IMG_1.sticker.jpg"))
    assert VOC_CLASSES.index_of("dog") == DOG


@pytest.mark.parametrize("size", [(48, 64), (1200, 1600)])  # the second is cut at a coarser step (sticker_mask)
def test_transparent_hole_in_the_photo_stays_a_hole_in_the_sticker(size: tuple[int, int]) -> None:
    """Issue #12 item 11: the network labels the whole disc person; the photo's hole is transparent."""
    height, width = size
    rgba = np.dstack([photo_pixels(size), np.full(size, 255, dtype=np.uint8)])
    rgba[height * 9 // 20 : height * 11 // 20, width * 9 // 20 : width * 11 // 20, 3] = 0
    sticker, _ = photo_to_sticker(DiscSegmenter(), photo_from_array(rgba), StickerRequest(classes=("person",)))
    opaque = photo_to_sticker(DiscSegmenter(), photo_from_array(rgba[..., :3]), StickerRequest(classes=("person",)))[0]
    centre = sticker.rgba[240:272, 240:272, 3]
    assert (centre == 0).all() and (opaque.rgba[240:272, 240:272, 3] == 255).all()
    assert (sticker.rgba[..., 3] > 0).sum() > 0.8 * (opaque.rgba[..., 3] > 0).sum()
