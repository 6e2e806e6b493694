"""Make a model fast for inference on its device (DESIGN §10 budgets).

The segmenter calls ``optimize_for_inference`` once after loading weights; the benchmark in
``bench/forward.py`` measures what each step buys against the plain module.
"""

from __future__ import annotations

import torch
from torch import nn


def optimize_for_inference(model: nn.Module, device: torch.device) -> nn.Module:
    """Eval mode, moved to ``device``, channels-last memory format (faster oneDNN/cuDNN convolutions)."""
    return model.eval().to(device=device, memory_format=torch.channels_last)
