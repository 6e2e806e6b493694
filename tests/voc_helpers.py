"""Real PASCAL VOC photos with ground-truth masks from ``../shared/voc_dev`` (beside the repo root)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

VOC_DEV = Path(__file__).resolve().parents[1].parent / "shared" / "voc_dev"
VOID = 255


def voc_photo_path(name: str) -> Path:
    """Path of a VOC photo; skips the test (saying why) when the folder is not there."""
    path = VOC_DEV / "JPEGImages" / f"{name}.jpg"
    if not path.is_file():
        pytest.skip(f"real VOC photos not found at {VOC_DEV} (../shared/voc_dev beside the repo root)")
    return path


def voc_labels(name: str) -> np.ndarray:
    """The ground-truth label map (class indices, 255 = void border)."""
    voc_photo_path(name)
    with Image.open(VOC_DEV / "SegmentationClass" / f"{name}.png") as image:
        return np.asarray(image)


def truth_probabilities(labels: np.ndarray, num_classes: int = 21, confidence: float = 0.9) -> np.ndarray:
    """One-hot-like ``C×h×w`` probabilities of a VOC label map; void counts as background."""
    index = np.where(labels == VOID, 0, labels).astype(np.int64)
    probabilities = np.full((num_classes, *labels.shape), (1.0 - confidence) / (num_classes - 1), dtype=np.float32)
    np.put_along_axis(probabilities, index[None], confidence, axis=0)
    return probabilities


class TruthSegmenter:
    """A stub segmenter whose answer is the VOC ground truth of the photo (found by file name)."""

    def __init__(self) -> None:
        from fcn_core.classes import VOC_CLASSES

        self.classes = VOC_CLASSES
        self.model_name = "voc-truth"
        self.device_message = ""

    def segment(self, photo):  # type: ignore[no-untyped-def]
        from fcn_core.segmentation import Segmentation

        labels = voc_labels(photo.path.stem)
        return Segmentation(truth_probabilities(labels), photo.pixels, self.classes, self.model_name, photo.size)

    def segment_batch(self, photos):  # type: ignore[no-untyped-def]
        return [self.segment(photo) for photo in photos]


class TruthFactory:
    """Segmenter factory for the window: always the ``TruthSegmenter``."""

    def __init__(self) -> None:
        self.segmenter = TruthSegmenter()

    def __call__(self, request, progress, cancel):  # type: ignore[no-untyped-def]
        return self.segmenter
