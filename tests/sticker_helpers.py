"""Small, exactly known segmentations and photos for the mask, CRF and sticker tests."""

from __future__ import annotations

import numpy as np

from fcn_core.classes import VOC_CLASSES, ClassSet
from fcn_core.segmentation import Segmentation


def one_hot_probabilities(labels: np.ndarray, num_classes: int = 21, confidence: float = 0.9) -> np.ndarray:
    """``C×h×w`` float32 probabilities whose argmax is ``labels``; the rest of the mass is spread evenly."""
    rest = (1.0 - confidence) / (num_classes - 1)
    probabilities = np.full((num_classes, *labels.shape), rest, dtype=np.float32)
    np.put_along_axis(probabilities, labels[None].astype(np.int64), confidence, axis=0)
    return probabilities


def make_segmentation(
    probabilities: np.ndarray,
    image: np.ndarray | None = None,
    photo_size: tuple[int, int] | None = None,
    classes: ClassSet = VOC_CLASSES,
) -> Segmentation:
    """A ``Segmentation`` around given probabilities (grey image and working-size photo by default)."""
    height, width = probabilities.shape[1:]
    if image is None:
        image = np.full((height, width, 3), 128, dtype=np.uint8)
    return Segmentation(
        probabilities=probabilities.astype(np.float32),
        image=image,
        classes=classes,
        model_name="test",
        photo_size=photo_size or (height, width),
    )


def ellipse(size: tuple[int, int], centre: tuple[float, float], radii: tuple[float, float]) -> np.ndarray:
    """Boolean filled ellipse of ``radii = (ry, rx)`` around ``centre = (cy, cx)``."""
    rows, cols = np.mgrid[: size[0], : size[1]]
    return ((rows - centre[0]) / radii[0]) ** 2 + ((cols - centre[1]) / radii[1]) ** 2 <= 1.0


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


def torch_bilinear(probabilities: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The reference upsampling the library's own strip upsampler must match: torch's bilinear
    ``F.interpolate`` (``align_corners=False``) of ``C×h×w`` probabilities to ``size``."""
    import torch
    import torch.nn.functional as F

    if tuple(size) == probabilities.shape[1:]:
        return probabilities
    tensor = torch.from_numpy(probabilities.copy())[None]  # copy: torch wants a writable array
    return F.interpolate(tensor, size=tuple(size), mode="bilinear", align_corners=False)[0].numpy()


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, num_classes: int) -> np.ndarray:
    """``confusion_counts`` for numpy arrays, as an int64 ``num_classes × num_classes`` array."""
    import torch

    from fcn_core.training.metrics import confusion_counts

    counts = confusion_counts(torch.from_numpy(np.asarray(labels)), torch.from_numpy(np.asarray(predictions)), num_classes)
    return counts.numpy().astype(np.int64)
