"""Real PASCAL VOC photos made into pack stickers without a network: the ground-truth masks of
``../shared/voc_dev`` stand in for the segmentation (``GroundTruthSegmenter``), so the stickers
are real photos cut along real object outlines. Qt-free (the window's child processes may
unpickle the factory)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fcn_core.classes import VOC_CLASSES
from fcn_core.packs.model import Pack, add_sticker, create_pack
from fcn_core.packs.render import render_for_pack
from fcn_core.photo import Photo, load_photo
from fcn_core.pipeline import StickerRequest
from fcn_core.segmentation import Segmentation
from tests.sticker_helpers import one_hot_probabilities

VOC_DEV = Path(__file__).resolve().parents[1].parent / "shared" / "voc_dev"
PACK_PHOTOS = ("2009_003466", "2007_000464", "2007_000676", "2008_000853")
"""A dog, a cow, sheep and a cat."""
PACK_EMOJIS = (("🐶",), ("🐮", "🥛"), ("🐑",), ("😺", "😻", "🐱"))

needs_voc = pytest.mark.skipif(not (VOC_DEV / "JPEGImages").is_dir(), reason=f"the VOC photos are not at {VOC_DEV}")


def voc_photo_path(stem: str) -> Path:
    return VOC_DEV / "JPEGImages" / f"{stem}.jpg"


def ground_truth_segmentation(photo: Photo) -> Segmentation:
    """The photo's VOC ground truth as a confident segmentation (void border → background)."""
    assert photo.path is not None
    labels = np.array(Image.open(VOC_DEV / "SegmentationClass" / f"{photo.path.stem}.png"))
    labels[labels == 255] = 0
    probabilities = one_hot_probabilities(labels, VOC_CLASSES.num_classes, confidence=0.95)
    return Segmentation(probabilities, photo.pixels, VOC_CLASSES, "voc-ground-truth", photo.size)


class GroundTruthSegmenter:
    """Quacks like ``Segmenter`` for VOC photos: answers with the ground truth."""

    classes = VOC_CLASSES
    model_name = "voc-ground-truth"
    device_message = ""

    def segment(self, photo: Photo) -> Segmentation:
        return ground_truth_segmentation(photo)

    def segment_batch(self, photos: Sequence[Photo]) -> list[Segmentation]:
        return [self.segment(photo) for photo in photos]


class GroundTruthFactory:
    """A window segmenter factory handing out a ``GroundTruthSegmenter``."""

    def __call__(self, request: object, progress: object, cancel: object) -> GroundTruthSegmenter:
        return GroundTruthSegmenter()


def make_voc_pack(folder: Path, target: str = "whatsapp", stems: Sequence[str] = PACK_PHOTOS,
                  emojis: Sequence[tuple[str, ...]] = PACK_EMOJIS, request: StickerRequest | None = None) -> Pack:
    """A pack of stickers cut from real VOC photos (largest object of each)."""
    pack = create_pack(folder, "Farm friends", "FCN Sticker Studio tests", target=target)
    for stem, chosen in zip(stems, emojis, strict=True):
        photo = load_photo(voc_photo_path(stem))
        sticker, source = render_for_pack(pack, photo, ground_truth_segmentation(photo), request or StickerRequest())
        pack = add_sticker(folder, sticker.rgba, chosen, source)
    return pack
