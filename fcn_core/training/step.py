"""One optimiser update: the loss, the parameter groups and the step itself.

Shared by the training loop and ``bench/train.py``, so the benchmark times exactly what
training runs.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from fcn_core.classes import VOID_LABEL
from fcn_core.training.recipes import Recipe


def segmentation_loss(logits: torch.Tensor, labels: torch.Tensor, reduction: str) -> torch.Tensor:
    """Pixel-wise cross-entropy ignoring 255: summed (Caffe ``normalize: false``) or averaged over valid pixels."""
    total = F.cross_entropy(logits.float(), labels, ignore_index=VOID_LABEL, reduction="sum")
    if reduction == "sum":
        return total
    return total / (labels != VOID_LABEL).sum().clamp(min=1)


def training_step(
    network: nn.Module,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    reduction: str,
    amp_dtype: torch.dtype | None,
) -> torch.Tensor:
    """One update on a normalised batch; returns the (detached) loss. ``amp_dtype`` None = full precision."""
    with torch.autocast(device_type=inputs.device.type, dtype=amp_dtype or torch.float32, enabled=amp_dtype is not None):
        logits = network(inputs)
    loss = segmentation_loss(logits, labels, reduction)
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    return loss.detach()


def parameter_groups(model: nn.Module, recipe: Recipe) -> list[dict[str, Any]]:
    """Weights and biases as two groups: Caffe's ``lr_mult``/``decay_mult`` on biases."""
    weights = [p for name, p in model.named_parameters() if p.requires_grad and not name.endswith(".bias")]
    biases = [p for name, p in model.named_parameters() if p.requires_grad and name.endswith(".bias")]
    return [
        {"params": weights, "lr_multiplier": 1.0, "weight_decay": recipe.weight_decay},
        {"params": biases, "lr_multiplier": recipe.bias_lr_multiplier,
         "weight_decay": recipe.weight_decay if recipe.bias_weight_decay else 0.0},
    ]


def make_optimizer(model: nn.Module, recipe: Recipe) -> torch.optim.Optimizer:
    groups = parameter_groups(model, recipe)
    if recipe.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=recipe.learning_rate, momentum=recipe.momentum)
    return torch.optim.Adam(groups, lr=recipe.learning_rate, betas=(recipe.momentum, 0.999))
