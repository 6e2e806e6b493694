"""Joint image/mask augmentation for training: random scale, crop with padding, horizontal flip.

Every transform takes and returns ``(image, mask)`` — an ``H×W×3`` uint8 RGB array and an
``H×W`` uint8 label map — and draws its randomness from the ``numpy.random.Generator`` it is
handed, never from a global generator. The training loop gives each sample a generator seeded
from (run seed, sample position), so a resumed or multi-worker run augments every sample exactly
as an uninterrupted one would.

Masks are label indices: they are only ever resampled by nearest neighbour (interpolating
labels invents classes at boundaries) and padded with 255, which the loss and metrics ignore.
Normalisation is not done here: the uint8 batch goes to the device and the model spec's
``Normalization.normalize`` runs there (a quarter of the bytes to copy).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from PIL import Image

from fcn_core.classes import VOID_LABEL
from fcn_core.models.normalization import Normalization


class JointTransform(Protocol):
    def __call__(self, image: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]: ...


def resize_pair(image: np.ndarray, mask: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Resize to ``size`` (H, W): bilinear for the image, nearest neighbour for the mask."""
    height, width = size
    resized_image = np.asarray(Image.fromarray(image).resize((width, height), Image.Resampling.BILINEAR))
    resized_mask = np.asarray(Image.fromarray(mask).resize((width, height), Image.Resampling.NEAREST))
    return resized_image, resized_mask


@dataclass(frozen=True)
class RandomScale:
    """Scale both by one factor drawn uniformly from ``[min_scale, max_scale]``."""

    min_scale: float = 0.5
    max_scale: float = 2.0

    def __post_init__(self) -> None:
        if not 0 < self.min_scale <= self.max_scale:
            raise ValueError(f"scale range must satisfy 0 < min <= max, got {self.min_scale}..{self.max_scale}")

    def __call__(self, image: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        factor = rng.uniform(self.min_scale, self.max_scale)
        height, width = mask.shape
        return resize_pair(image, mask, (max(1, round(height * factor)), max(1, round(width * factor))))


@dataclass(frozen=True)
class RandomCrop:
    """Cut a ``size`` (H, W) window at a random place, padding first where the sample is smaller.

    Padding goes on the bottom and right: the image with ``image_fill`` (the normalisation mean,
    so padded pixels become zeros at the network input, as Caffe's padding would), the mask with
    255 so padded pixels never count in the loss.
    """

    size: tuple[int, int]
    image_fill: tuple[int, int, int] = (0, 0, 0)

    def __call__(self, image: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        crop_h, crop_w = self.size
        height, width = mask.shape
        pad_h, pad_w = max(0, crop_h - height), max(0, crop_w - width)
        if pad_h or pad_w:
            padded_image = np.empty((height + pad_h, width + pad_w, 3), dtype=np.uint8)
            padded_image[:] = np.asarray(self.image_fill, dtype=np.uint8)
            padded_image[:height, :width] = image
            padded_mask = np.full((height + pad_h, width + pad_w), VOID_LABEL, dtype=np.uint8)
            padded_mask[:height, :width] = mask
            image, mask = padded_image, padded_mask
            height, width = mask.shape
        top = int(rng.integers(0, height - crop_h + 1))
        left = int(rng.integers(0, width - crop_w + 1))
        return image[top : top + crop_h, left : left + crop_w], mask[top : top + crop_h, left : left + crop_w]


@dataclass(frozen=True)
class RandomHorizontalFlip:
    """Mirror both left-right with probability ``p``."""

    p: float = 0.5

    def __call__(self, image: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        if rng.random() < self.p:
            return image[:, ::-1], mask[:, ::-1]
        return image, mask


@dataclass(frozen=True)
class Compose:
    """Apply transforms in order, all drawing from the same generator."""

    transforms: tuple[JointTransform, ...]

    def __call__(self, image: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        for transform in self.transforms:
            image, mask = transform(image, mask, rng)
        return image, mask


def padding_fill(normalization: Normalization) -> tuple[int, int, int]:
    """The RGB 0–255 colour that ``normalization`` maps to (about) zero: its mean, in RGB order."""
    mean = np.asarray(normalization.mean, dtype=np.float64) / normalization.scale
    if normalization.channel_order == "BGR":
        mean = mean[::-1]
    return tuple(int(v) for v in np.clip(np.rint(mean), 0, 255))  # type: ignore[return-value]


def training_transform(
    *, crop_size: int | None, scale_range: Sequence[float] | None, flip: bool, normalization: Normalization
) -> Compose:
    """The augmentation a recipe asks for; an empty ``Compose`` means whole images as they are."""
    steps: list[JointTransform] = []
    if scale_range is not None:
        steps.append(RandomScale(float(scale_range[0]), float(scale_range[1])))
    if crop_size is not None:
        steps.append(RandomCrop((crop_size, crop_size), padding_fill(normalization)))
    if flip:
        steps.append(RandomHorizontalFlip())
    return Compose(tuple(steps))


def pair_to_tensors(image: np.ndarray, mask: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """``3×H×W`` uint8 image tensor and ``H×W`` int64 label tensor (fresh, writable copies)."""
    image_t = torch.from_numpy(np.array(image)).permute(2, 0, 1).contiguous()
    mask_t = torch.from_numpy(np.array(mask)).long()
    return image_t, mask_t
