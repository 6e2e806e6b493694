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
