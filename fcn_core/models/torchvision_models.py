"""torchvision's segmentation models trained on COCO with the 20 VOC categories.

They output a dict; ``LogitsOnly`` unwraps ``out`` so every registry model maps an image batch
to an ``N×C×H×W`` logit tensor. Builders never download: weights go through
``fcn_core.weights.store`` so the cache, checksum and offline message are ours.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torchvision.models import segmentation


class LogitsOnly(nn.Module):
    """Wrap a torchvision segmentation model so ``forward`` returns the main logits only."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)["out"]


def torchvision_builder(builder_name: str) -> Callable[..., nn.Module]:
    """A builder ``(num_classes, width) -> module`` for a torchvision segmentation constructor.

    ``width`` does not apply to these architectures and must stay 1.0. The auxiliary classifier
    is left out: the VOC-label checkpoints are loaded with ``strict=False`` on ``aux_*`` keys.
    """
    constructor = getattr(segmentation, builder_name)

    def build(num_classes: int = 21, width: float = 1.0) -> nn.Module:
        if width != 1.0:
            raise ValueError(f"{builder_name} has no width option (got width={width})")
        return LogitsOnly(constructor(weights=None, weights_backbone=None, num_classes=num_classes, aux_loss=False))

    return build

