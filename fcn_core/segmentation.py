"""The value a segmenter returns: per-class probabilities at the working size, and helpers that
upsample to whatever resolution a later stage needs (DESIGN §2)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from fcn_core.classes import ClassSet


@dataclass(frozen=True, eq=False)
class Segmentation:
    """Per-class probabilities of one photo.

    ``probabilities`` is float32 ``C×h×w`` at the working size (long side ≤ the segmenter's
    ``max_side``), ``image`` the RGB uint8 ``h×w×3`` the network saw (the CRF needs it),
    ``photo_size`` the ``(height, width)`` of the photo it came from. ``refined_by`` names the
    refinement applied (e.g. ``"crf:deeplab:binary"``), empty for the raw network output.
    """

    probabilities: np.ndarray
    image: np.ndarray
    classes: ClassSet
    model_name: str
    photo_size: tuple[int, int]
    refined_by: str = ""

    def __post_init__(self) -> None:
        if self.probabilities.ndim != 3 or self.probabilities.shape[0] != self.classes.num_classes:
            raise ValueError(
                f"probabilities must be C×h×w with C={self.classes.num_classes}, got {self.probabilities.shape}"
            )
        if self.image.shape[:2] != self.probabilities.shape[1:]:
            raise ValueError(f"image {self.image.shape[:2]} and probabilities {self.probabilities.shape[1:]} differ in size")
        self.probabilities.setflags(write=False)
        self.image.setflags(write=False)

    @property
    def working_size(self) -> tuple[int, int]:
        """``(height, width)`` of the probability maps."""
        return self.probabilities.shape[1], self.probabilities.shape[2]

    @property
    def labels(self) -> np.ndarray:
        """Arg-max label map at the working size (uint8 for ≤256 classes, else int32)."""
        dtype = np.uint8 if self.classes.num_classes <= 256 else np.int32
        return self.probabilities.argmax(axis=0).astype(dtype)

    def class_shares(self) -> dict[int, float]:
        """Share of working-size pixels per class present, largest first."""
        counts = np.bincount(self.labels.ravel(), minlength=self.classes.num_classes)
        total = counts.sum()
        present = [(index, count / total) for index, count in enumerate(counts) if count > 0]
        return dict(sorted(present, key=lambda item: item[1], reverse=True))

    def with_probabilities(self, probabilities: np.ndarray, refined_by: str) -> Segmentation:
        """A copy with new probabilities (same image, classes, model), e.g. after the CRF."""
        return replace(self, probabilities=probabilities.astype(np.float32, copy=False), refined_by=refined_by)
