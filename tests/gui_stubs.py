"""Qt-free test stand-ins for the GUI tests: a stub segmenter with known answers and small photos.

The stub finds a disc of ``person`` in the lower middle of every photo and a band of ``sofa`` along
the top (larger than the disc, so the automatic pre-selection is the sofa and clicking the disc
is what selects the person). Probabilities are fixed numbers, so hover texts and masks are exact.
Kept free of Qt because the compute process unpickles the factory and so imports this module.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from app.segmenter_factory import ModelRequest
from fcn_core.classes import VOC_CLASSES
from fcn_core.photo import Photo
from fcn_core.segmentation import Segmentation
from fcn_core.weights.download import DownloadCancelled

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
    """Quacks like ``fcn_core.segmenter.Segmenter``; ``delay`` seconds per photo; a photo whose
    file name is ``hang_on`` never finishes (a hung forward pass). Runs in the compute process,
    so what it did is written to ``log`` (see ``read_log``)."""

    classes = VOC_CLASSES
    device_message = ""

    def __init__(self, model_name: str = "fcn8s", delay: float = 0.0, log: Path | None = None, hang_on: str = "") -> None:
        self.model_name = model_name
        self.delay = delay
        self.log = log
        self.hang_on = hang_on

    def segment(self, photo: Photo) -> Segmentation:
        begin = time.time()
        record(self.log, "start", path=str(photo.path), time=begin)
        if photo.path is not None and photo.path.name == self.hang_on:
            time.sleep(3600)
        time.sleep(self.delay)
        record(self.log, "segment", path=str(photo.path), begin=begin, end=time.time())
        return disc_segmentation(photo, self.model_name)

    def segment_batch(self, photos: Sequence[Photo]) -> list[Segmentation]:
        return [self.segment(photo) for photo in photos]


Outcome = Exception | str
"""What a model request gets: an exception raised, ``"stub"`` (a ``StubSegmenter``) or
``"slow_download"`` (progress until cancelled, then ``DownloadCancelled``)."""


class StubFactory:
    """A picklable segmenter factory for the compute process: answers model requests with the
    scripted ``outcomes`` in turn, then with one ``StubSegmenter``; logs each request."""

    def __init__(
        self, delay: float = 0.0, *, log: Path | None = None, outcomes: Sequence[Outcome] = (), hang_on: str = ""
    ) -> None:
        self.delay = delay
        self.log = log
        self.outcomes = tuple(outcomes)
        self.hang_on = hang_on
        self._calls = 0
        self._segmenter: StubSegmenter | None = None

    def __call__(
        self, request: ModelRequest, progress: Callable[[int, int | None], None], cancel: Callable[[], bool]
    ) -> StubSegmenter:
        record(self.log, "model", name=request.name, weights=str(request.weights or ""), allow_download=request.allow_download)
        outcome = self.outcomes[self._calls] if self._calls < len(self.outcomes) else "stub"
        self._calls += 1
        if isinstance(outcome, Exception):
            raise outcome
        if outcome == "slow_download":
            for done in range(1, 500):
                if cancel():
                    raise DownloadCancelled("download of fcn8s cancelled; nothing was saved")
                progress(done * 1_000_000, 500_000_000)
                time.sleep(0.02)
            raise AssertionError("the download was never cancelled")
        if self._segmenter is None:
            self._segmenter = StubSegmenter(delay=self.delay, log=self.log, hang_on=self.hang_on)
        self._segmenter.model_name = request.name
        return self._segmenter


def tiny_random_factory(request: ModelRequest, progress: object, cancel: object) -> Any:
    """A real ``Segmenter`` on a 1/16-width random-weight model: the whole torch path, fast.
    torch is imported here, in the compute process, never when this module is imported."""
    import torch

    from fcn_core.segmenter import Segmenter
    from fcn_core.weights.store import random_model

    torch.manual_seed(0)
    return Segmenter(random_model(request.name, width=1 / 16), device="cpu")


def record(log: Path | None, event: str, **fields: object) -> None:
    """Append one JSON line to ``log`` (the compute process's account for the test)."""
    if log is not None:
        with open(log, "a", encoding="utf-8") as file:
            file.write(json.dumps({"event": event, **fields}) + "\n")


def read_log(log: Path, event: str) -> list[dict[str, Any]]:
    """The ``event`` lines of ``log`` in order (none when nothing was logged yet)."""
    if not log.exists():
        return []
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line]
    return [line for line in lines if line["event"] == event]


def model_requests(log: Path) -> list[ModelRequest]:
    return [
        ModelRequest(line["name"], Path(line["weights"]) if line["weights"] else None, line["allow_download"])
        for line in read_log(log, "model")
    ]


def segmented_paths(log: Path) -> list[Path]:
    return [Path(line["path"]) for line in read_log(log, "segment")]


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
