"""Bilinear initialisation of FCN's transposed convolutions.

FCN initialises every ``upscore*`` deconvolution to bilinear interpolation (Caffe's
``surgery.interp``): a ``k×k`` kernel with ``factor = (k + 1) // 2`` and centre
``factor - 1`` (odd k) or ``factor - 0.5`` (even k), placed on the channel diagonal so class
``i`` upsamples only into class ``i``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def bilinear_kernel_2d(size: int) -> np.ndarray:
    """The ``size × size`` bilinear interpolation kernel of Caffe's ``upsample_filt``."""
    factor = (size + 1) // 2
    center = factor - 1 if size % 2 == 1 else factor - 0.5
    rows, cols = np.ogrid[:size, :size]
    return (1 - np.abs(rows - center) / factor) * (1 - np.abs(cols - center) / factor)


@torch.no_grad()
def init_bilinear_(deconv: nn.ConvTranspose2d) -> None:
    """Set ``deconv`` (C→C, square kernel) to per-channel bilinear upsampling, in place."""
    in_channels, out_channels, kernel_h, kernel_w = deconv.weight.shape
    if in_channels != out_channels or kernel_h != kernel_w:
        raise ValueError(f"bilinear init needs a square C→C kernel, got {tuple(deconv.weight.shape)}")
    kernel = torch.from_numpy(bilinear_kernel_2d(kernel_h)).to(deconv.weight.dtype)
    deconv.weight.zero_()
    channels = torch.arange(in_channels)
    deconv.weight[channels, channels] = kernel
    if deconv.bias is not None:
        deconv.bias.zero_()
