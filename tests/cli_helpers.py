"""Helpers for the pipeline, batch and CLI tests: photos (good and broken), a stub segmenter with
known output, and a tiny random-weight checkpoint the CLI loads with ``--weights``."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from fcn_core.classes import VOC_CLASSES
from fcn_core.models.normalization import CAFFE_BGR
from fcn_core.models.vgg_fcn import FCN8s
from fcn_core.photo import Photo
from fcn_core.segmentation import Segmentation
from fcn_core.weights.checkpoint import save_checkpoint

PERSON = 15
DOG = 12
STUB_WORKING_SIDE = 32


def photo_pixels(size: tuple[int, int] = (48, 64), seed: int = 0) -> np.ndarray:
    """A smooth colour gradient (``seed`` shifts the colours). Smooth on purpose: a noisy
    512×512 sticker takes seconds to PNG-encode with ``optimize`` on a loaded 2-core machine."""
    height, width = size
    ys, xs = np.mgrid[0:height, 0:width]
    base = np.stack([xs * 255 / max(width - 1, 1), ys * 255 / max(height - 1, 1), np.full_like(xs, 40 + 13 * seed)], axis=-1)
    return (base % 256).astype(np.uint8)


def jpeg_bytes(size: tuple[int, int] = (48, 64), seed: int = 0) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(photo_pixels(size, seed)).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def write_photo(path: Path, size: tuple[int, int] = (48, 64), seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(jpeg_bytes(size, seed))
    return path


BROKEN_PHOTOS: dict[str, Callable[[], bytes]] = {
    "zero_bytes.jpg": lambda: b"",
    "text.jpg": lambda: b"these are my holiday notes, not a photo\n" * 20,
    "truncated.jpg": lambda: _first_half(jpeg_bytes((96, 128), seed=7)),
    "truncated.png": lambda: _png_bytes()[:-40],
}
"""Files with an image suffix that no decoder can use, by name."""


def _first_half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(photo_pixels((40, 40), seed=3)).save(buffer, format="PNG")
    return buffer.getvalue()


def make_photo_folder(folder: Path, good: int, broken: Sequence[str] = ()) -> tuple[list[Path], list[Path]]:
    """``good`` JPEG photos (one of them a JPEG named ``.png``, which is not broken) and the
    named broken files; returns (good paths, broken paths)."""
    folder.mkdir(parents=True, exist_ok=True)
    good_paths = []
    for index in range(good):
        suffix = ".png" if index == 1 else ".jpg"  # a JPEG in disguise must still work
        good_paths.append(write_photo(folder / f"photo_{index:02d}{suffix}", seed=index))
    broken_paths = []
    for name in broken:
        path = folder / name
        path.write_bytes(BROKEN_PHOTOS[name]())
        broken_paths.append(path)
    return good_paths, broken_paths


def file_digests(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` by relative path (to prove nothing was lost)."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def stray_files(folder: Path) -> list[str]:
    """Hidden or temporary files a crashed write could leave behind."""
    return [str(p) for p in folder.rglob("*") if p.name.startswith(".") or "partial" in p.name or p.suffix in {".tmp", ".part"}]


class DiscSegmenter:
    """Stub segmenter: a disc of ``disc_class`` (default person) in the middle of every photo,
    background elsewhere; optionally a small speck of the same class in a corner.

    ``on_segment(n)`` is called before the n-th photo (1-based) is segmented, so a test can raise
    or send a signal at an exact point of a batch.
    """

    def __init__(
        self,
        disc_class: int = PERSON,
        *,
        speck: bool = False,
        on_segment: Callable[[int], None] | None = None,
    ) -> None:
        self.classes = VOC_CLASSES
        self.model_name = "stub-disc"
        self.disc_class = disc_class
        self.speck = speck
        self.on_segment = on_segment
        self.calls = 0

    def segment(self, photo: Photo) -> Segmentation:
        self.calls += 1
        if self.on_segment is not None:
            self.on_segment(self.calls)
        height, width = photo.size
        scale = min(1.0, STUB_WORKING_SIDE / max(height, width))
        working = (max(1, round(height * scale)), max(1, round(width * scale)))
        ys, xs = np.mgrid[0 : working[0], 0 : working[1]]
        cy, cx = (working[0] - 1) / 2, (working[1] - 1) / 2
        inside = (ys - cy) ** 2 + (xs - cx) ** 2 <= (0.3 * min(working)) ** 2
        if self.speck:
            inside |= (ys == 1) & (xs == 1)
        probabilities = np.full((VOC_CLASSES.num_classes, *working), 0.005, dtype=np.float32)
        probabilities[0] = 0.9
        probabilities[0][inside] = 0.0
        probabilities[self.disc_class][inside] = 0.9  # disc_class=0 gives a photo of background only
        probabilities /= probabilities.sum(axis=0, keepdims=True)
        image = np.asarray(Image.fromarray(np.asarray(photo.pixels)).resize(working[::-1], Image.BILINEAR))
        return Segmentation(probabilities, image, VOC_CLASSES, self.model_name, photo.size)

    def segment_batch(self, photos: Sequence[Photo]) -> list[Segmentation]:
        return [self.segment(photo) for photo in photos]


def tiny_checkpoint(path: Path, seed: int = 0) -> Path:
    """A width-1/16 FCN-8s with random weights, saved as a project checkpoint."""
    torch.manual_seed(seed)
    model = FCN8s(num_classes=VOC_CLASSES.num_classes, width=1 / 16).eval()
    return save_checkpoint(
        path, model, arch="fcn8s", classes=VOC_CLASSES, normalization=CAFFE_BGR, provenance={"source": "test: random init"}
    )
