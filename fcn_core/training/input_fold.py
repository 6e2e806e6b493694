"""Re-express a network's first convolution for a different input normalisation.

torchvision's VGG16 was trained on RGB in 0–1 with ImageNet mean/std; the FCN reference recipe
(and its learning rates of 1e-10 … 1e-14, tuned for unnormalised 0–255 input) assumes Caffe's
BGR, 0–255, mean-subtracted input. Since both normalisations are per-channel affine maps of the
same pixel, ``conv(normalise_a(p))`` can be rewritten as ``conv'(normalise_b(p))`` exactly:
with ``x_a = k · x_b + d`` per channel, the weights of channel ``c`` are scaled by ``k_c`` and
``d_c · Σ W[:, c]`` moves into the bias. Only the zero padding differs (zero means "mean
pixel" in each convention, and the means differ by < 1 grey level), so outputs within the image
are identical and a 1-kernel-wide border differs slightly.
"""

from __future__ import annotations

import torch
from torch import nn

from fcn_core.models.normalization import Normalization

RGB_INDEX = {"RGB": (0, 1, 2), "BGR": (2, 1, 0)}
"""For each convention, the RGB channel that input channel 0, 1, 2 carries."""


@torch.no_grad()
def refold_first_conv_(conv: nn.Conv2d, trained_on: Normalization, wanted: Normalization) -> None:
    """Rewrite ``conv`` (3 input channels), trained on ``trained_on`` inputs, to take ``wanted`` inputs."""
    if conv.in_channels != 3:
        raise ValueError(f"the first convolution must take 3 channels, not {conv.in_channels}")
    old_weight = conv.weight.detach().clone()
    new_weight = torch.empty_like(old_weight)
    bias_shift = torch.zeros(conv.out_channels, dtype=old_weight.dtype)
    for old_channel, rgb in enumerate(RGB_INDEX[trained_on.channel_order]):
        new_channel = RGB_INDEX[wanted.channel_order].index(rgb)
        # x_old = (p·s_old − m_old)/σ_old with p = (x_new·σ_new + m_new)/s_new  ⇒  x_old = k·x_new + d
        ratio = trained_on.scale / wanted.scale
        k = ratio * wanted.std[new_channel] / trained_on.std[old_channel]
        d = (ratio * wanted.mean[new_channel] - trained_on.mean[old_channel]) / trained_on.std[old_channel]
        new_weight[:, new_channel] = old_weight[:, old_channel] * k
        bias_shift += d * old_weight[:, old_channel].sum(dim=(1, 2))
    conv.weight.copy_(new_weight)
    if conv.bias is None:
        raise ValueError("refolding needs a first convolution with a bias")
    conv.bias.add_(bias_shift)
