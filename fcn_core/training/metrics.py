"""The FCN paper's four segmentation metrics, all read off one confusion matrix.

Long et al. (2015, §5) report pixel accuracy, mean (class) accuracy, mean IU and
frequency-weighted IU. The reference code (``score.py`` of the FCN release) accumulates a single
``n × n`` histogram over the whole set (rows = ground truth, columns = prediction), skipping
pixels whose label is outside ``0..n-1`` (VOC's 255 "void"), and derives every number from it.
Computing per-image scores and averaging them gives different (wrong) numbers, so we do the same.

Classes that never occur make the per-class ratios ``0 / 0``; those are ``NaN`` and left out of
the means, exactly as the reference's ``np.nanmean``:

- per-class accuracy is ``NaN`` for a class absent from the ground truth (even when predicted);
- per-class IU is ``NaN`` only for a class absent from both ground truth and prediction; a class
  predicted but never present gets IU 0 and pulls the mean down, as it should.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch


def confusion_counts(labels: torch.Tensor, predictions: torch.Tensor, num_classes: int) -> torch.Tensor:
    """``num_classes × num_classes`` int64 counts on the inputs' device, rows = ground truth, columns = prediction.

    Pixels whose ground-truth label is not in ``0..num_classes-1`` (255 = void) are ignored; a
    prediction outside that range is a bug in the caller and raises.
    """
    labels = labels.reshape(-1).long()
    predictions = predictions.reshape(-1).long().to(labels.device)
    if labels.shape != predictions.shape:
        raise ValueError(f"labels and predictions differ in size: {labels.numel()} vs {predictions.numel()}")
    valid = (labels >= 0) & (labels < num_classes)
    labels, predictions = labels[valid], predictions[valid]
    if bool(((predictions < 0) | (predictions >= num_classes)).any()):
        raise ValueError(f"a prediction lies outside 0..{num_classes - 1}")
    counts = torch.bincount(labels * num_classes + predictions, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


@dataclass(frozen=True)
class SegmentationScores:
    """The paper's table row plus the per-class detail; fractions in 0..1, ``NaN`` = class absent."""

    pixel_accuracy: float
    mean_accuracy: float
    mean_iu: float
    frequency_weighted_iu: float
    per_class_iu: tuple[float, ...]
    per_class_accuracy: tuple[float, ...]

    def to_dict(self, class_names: tuple[str, ...] | None = None) -> dict[str, Any]:
        """JSON-ready: ``NaN`` becomes ``None`` (JSON has no NaN); per-class values keyed by name if given."""
        names = class_names or tuple(str(i) for i in range(len(self.per_class_iu)))
        if len(names) != len(self.per_class_iu):
            raise ValueError(f"{len(names)} class names for {len(self.per_class_iu)} classes")
        return {
            "pixel_accuracy": _json_float(self.pixel_accuracy),
            "mean_accuracy": _json_float(self.mean_accuracy),
            "mean_iu": _json_float(self.mean_iu),
            "frequency_weighted_iu": _json_float(self.frequency_weighted_iu),
            "per_class_iu": {name: _json_float(v) for name, v in zip(names, self.per_class_iu, strict=False)},
            "per_class_accuracy": {name: _json_float(v) for name, v in zip(names, self.per_class_accuracy, strict=False)},
        }


def _json_float(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _nanmean(values: np.ndarray) -> float:
    """Mean of the non-NaN entries; NaN when there are none (an empty set has no score)."""
    present = values[~np.isnan(values)]
    return float(present.mean()) if present.size else math.nan


def scores_from_confusion(hist: np.ndarray) -> SegmentationScores:
    """Derive the four metrics and per-class IU/accuracy from a confusion matrix."""
    hist = np.asarray(hist, dtype=np.float64)
    if hist.ndim != 2 or hist.shape[0] != hist.shape[1]:
        raise ValueError(f"a confusion matrix must be square, got shape {hist.shape}")
    true_positive = np.diag(hist)
    gt_pixels = hist.sum(axis=1)
    predicted_pixels = hist.sum(axis=0)
    total = hist.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        per_class_accuracy = true_positive / gt_pixels
        per_class_iu = true_positive / (gt_pixels + predicted_pixels - true_positive)
    if total == 0:
        pixel_accuracy = fw_iu = math.nan
    else:
        pixel_accuracy = float(true_positive.sum() / total)
        frequency = gt_pixels / total
        present = frequency > 0
        fw_iu = float((frequency[present] * per_class_iu[present]).sum())
    return SegmentationScores(
        pixel_accuracy=pixel_accuracy,
        mean_accuracy=_nanmean(per_class_accuracy),
        mean_iu=_nanmean(per_class_iu),
        frequency_weighted_iu=fw_iu,
        per_class_iu=tuple(float(v) for v in per_class_iu),
        per_class_accuracy=tuple(float(v) for v in per_class_accuracy),
    )
