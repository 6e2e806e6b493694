"""Qt-free test stand-ins for the GUI tests: a stub segmenter with known answers and small photos.

The stub finds a disc of ``person`` in the lower middle of every photo and a band of ``sofa`` along
the top (larger than the disc, so the automatic pre-selection is the sofa and clicking the disc
is what selects the person). Probabilities are fixed numbers, so hover texts and masks are exact.
Kept free of Qt because batch export runs in a child process, which unpickles the factory and so
imports this module.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from app.segmenter_factory import ModelRequest
from fcn_core.classes import VOC_CLASSES
from fcn_core.photo import Photo
from fcn_core.segmentation import Segmentation

PERSON = VOC_CLASSES.index_of("person")
SOFA = VOC_CLASSES.index_of("sofa")
BACKGROUND = 0
PERSON_PROBABILITY = 0.9
SOFA_PROBABILITY = 0.8
BACKGROUND_PROBABILITY = 0.85
BAND_FRACTION = 0.22
"""The sofa band covers the top 22 % of rows."""


def disc_geometry(height: int, width: int) -> tuple[float, float, float]:
    """Centre row, centre column and radius of the person disc."""
    return 0.62 * height, 0.5 * width, 0.25 * min(height, width)


def disc_segmentation(photo: Photo, model_name: str = "stub") -> Segmentation:
    """Fixed probabilities at the photo's own size (the stub's working size)."""
    height, width = photo.size
    rows, cols = np.mgrid[0:height, 0:width]
    centre_row, centre_col, radius = disc_geometry(height, width)
    disc = (rows - centre_row) ** 2 + (cols - centre_col) ** 2 <= radius**2
    band = rows < BAND_FRACTION * height
    num_classes = VOC_CLASSES.num_classes
    probabilities = np.empty((num_classes, height, width), dtype=np.float32)
    regions = (
        (~disc & ~band, BACKGROUND, BACKGROUND_PROBABILITY),
        (band, SOFA, SOFA_PROBABILITY),
        (disc, PERSON, PERSON_PROBABILITY),
    )
    for region, class_id, p in regions:
        probabilities[:, region] = (1.0 - p) / (num_classes - 1)
        probabilities[class_id, region] = p
    return Segmentation(probabilities, photo.pixels, VOC_CLASSES, model_name, photo.size)


class StubSegmenter:
    """Quacks like ``fcn_core.segmenter.Segmenter``; ``delay`` seconds per photo, records calls."""

    classes = VOC_CLASSES
    device_message = ""

    def __init__(self, model_name: str = "fcn8s", delay: float = 0.0) -> None:
        self.model_name = model_name
        self.delay = delay
        self.segmented: list[Path | None] = []
        self.started = threading.Event()
        self.busy: list[tuple[float, float]] = []  # perf_counter() at the start and end of each call

    def segment(self, photo: Photo) -> Segmentation:
        self.started.set()
        begin = time.perf_counter()
        time.sleep(self.delay)
        self.busy.append((begin, time.perf_counter()))
        self.segmented.append(photo.path)
        return disc_segmentation(photo, self.model_name)

    def segment_batch(self, photos: Sequence[Photo]) -> list[Segmentation]:
        return [self.segment(photo) for photo in photos]


class StubFactory:
    """A segmenter factory that hands out one ``StubSegmenter`` and records the requests."""

    def __init__(self, delay: float = 0.0) -> None:
        self.segmenter = StubSegmenter(delay=delay)
        self.requests: list[ModelRequest] = []

    def __reduce__(self) -> tuple[type, tuple[float]]:
        """Pickled for the batch child process as a fresh factory with the same delay."""
        return StubFactory, (self.segmenter.delay,)

    def __call__(self, request: ModelRequest, progress: object, cancel: object) -> StubSegmenter:
        self.requests.append(request)
        self.segmenter.model_name = request.name
        return self.segmenter


def write_photo(path: Path, size: tuple[int, int] = (120, 160), color: tuple[int, int, int] = (90, 140, 200)) -> Path:
    """A small photo (``size`` = height, width) with a lighter disc where the stub finds the person."""
    height, width = size
    pixels = np.empty((height, width, 3), dtype=np.uint8)
    pixels[:] = color
    rows, cols = np.mgrid[0:height, 0:width]
    centre_row, centre_col, radius = disc_geometry(height, width)
    pixels[(rows - centre_row) ** 2 + (cols - centre_col) ** 2 <= radius**2] = (230, 190, 160)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return path
