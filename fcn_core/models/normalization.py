"""Input normalisation, which travels with the weights.

Caffe-trained FCN weights (and the pytorch-fcn ports of them) expect BGR, 0–255 pixels minus
the ILSVRC mean; torchvision weights expect RGB in 0–1 with ImageNet mean/std. Feeding one
the other's input is the classic cause of garbage segmentations in FCN ports, so the
normalisation is stored in every checkpoint and read back by the segmenter.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class Normalization:
    """How an RGB uint8 photo becomes a network input: ``(pixel * scale - mean) / std`` per channel
    in ``channel_order`` (mean/std are given in that order)."""

    channel_order: Literal["RGB", "BGR"]
    scale: float
    mean: tuple[float, float, float]
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Normalization:
        order = data["channel_order"]
        if order not in ("RGB", "BGR"):
            raise ValueError(f"normalization channel_order must be RGB or BGR, got {order!r}")
        return cls(
            channel_order=order,
            scale=float(data["scale"]),
            mean=tuple(float(v) for v in data["mean"]),  # type: ignore[arg-type]
            std=tuple(float(v) for v in data.get("std", (1.0, 1.0, 1.0))),  # type: ignore[arg-type]
        )

    def to_tensor(self, rgb: np.ndarray) -> torch.Tensor:
        """Turn an ``H×W×3`` uint8 RGB array into a normalised ``1×3×H×W`` float32 tensor."""
        import torch  # here, not at the top: the registry reads these constants without torch

        return self.normalize(torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1)[None])

    def normalize(self, rgb_batch: torch.Tensor) -> torch.Tensor:
        """Normalise an ``N×3×H×W`` RGB batch (uint8 or float 0–255) on whatever device it lives."""
        import torch

        batch = rgb_batch.float()
        if self.channel_order == "BGR":
            batch = batch.flip(1)
        mean = torch.tensor(self.mean, dtype=batch.dtype, device=batch.device).view(1, 3, 1, 1)
        std = torch.tensor(self.std, dtype=batch.dtype, device=batch.device).view(1, 3, 1, 1)
        return (batch * self.scale - mean) / std


CAFFE_BGR = Normalization(
    channel_order="BGR",
    scale=1.0,
    mean=(104.00698793, 116.66876762, 122.67891434),
)
"""The original FCN release and pytorch-fcn: BGR, 0–255, ILSVRC mean (no std)."""

IMAGENET_RGB = Normalization(
    channel_order="RGB",
    scale=1.0 / 255.0,
    mean=(0.485, 0.456, 0.406),
    std=(0.229, 0.224, 0.225),
)
"""torchvision weights: RGB in 0–1, ImageNet mean and std."""
