"""Convolution + ReLU kernels for CPU inference, with the weights prepared once.

``F.conv2d`` on the CPU gives oneDNN the weight in PyTorch's layout, so oneDNN reorders it into
its blocked layout on every call and the ReLU is a second pass over the output. The two kernels
here remove that per-call work without changing the arithmetic (fp32 throughout):

- ``PackedConvReLU`` reorders the weight once (``mkldnn._reorder_convolution_weight``, the step
  Inductor's freezing pass performs) and runs oneDNN's convolution with the ReLU fused in. Used
  for the 3×3 VGG convolutions, whose weights are small (≤ 9.4 MB), so the packed copy is cheap.
- ``GemmConvReLU`` computes a convolution as im2col + one matrix product on the *original*
  weight viewed as a matrix. Used for fc6/fc7: their weights (411 MB + 67 MB) are far larger
  than the activations they see, oneDNN's per-call reorder of them is the slowest part of the
  plain forward, and a packed copy would add half a gigabyte of memory for little extra speed
  (``bench/forward.py`` measures both).

Both apply the ReLU and are ``constant_border.Step`` s: run whole (the layer's own zero padding)
or on a pre-padded slice. ``PackedConvReLU`` keeps its input's memory format (channels-last in
the trunk); ``GemmConvReLU`` returns NCHW, the layout its matrix product yields.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from fcn_core.models.cpu.constant_border import Window

MIN_WORK_TO_SKIP = 100
"""Multiply-adds per output value (input channels × kernel area) from which skipping the
constant frame pays: below it (conv1_1: 3 × 3 × 3 = 27) filling and copying the output costs about
as much as computing it (measured by ``bench/forward_ablations.py``'s per-layer timings)."""


def _skips_constant(conv: nn.Conv2d) -> bool:
    return conv.in_channels * conv.kernel_size[0] * conv.kernel_size[1] >= MIN_WORK_TO_SKIP


def _square_window(conv: nn.Conv2d) -> Window:
    """The window of a plain square stride-1 zero-padded convolution; anything else is rejected
    because the kernels and the constant-border planner assume exactly that geometry."""
    kernel, padding = conv.kernel_size, conv.padding
    if (
        not isinstance(padding, tuple)  # "same" / "valid"
        or kernel[0] != kernel[1]
        or padding[0] != padding[1]
        or conv.stride != (1, 1)
        or conv.dilation != (1, 1)
        or conv.groups != 1
        or conv.padding_mode != "zeros"
    ):
        raise ValueError(f"only square stride-1 zero-padded convolutions are supported, got {conv}")
    return Window(kernel[0], 1, padding[0], partial_end=False)


def _relu_on_constant(conv: nn.Conv2d, value: torch.Tensor) -> torch.Tensor:
    """``conv`` + ReLU on a window filled with ``value``: each output sums the weights over the
    window first (a matrix-vector product, not a 7×7 convolution that would reorder fc6's weight)."""
    weight = conv.weight.detach()
    out = weight.sum(dim=(2, 3)) @ value
    return F.relu(out if conv.bias is None else out + conv.bias.detach())


class _ConvReLUStep:
    """What every conv + ReLU step of the trunk shares: its name, window, whether its constant
    frame is worth skipping, and the value a constant input maps to."""

    def __init__(self, name: str, conv: nn.Conv2d) -> None:
        self.name = name
        self.window = _square_window(conv)
        self.skips_constant = _skips_constant(conv)
        self._conv = conv

    def constant_after(self, value: torch.Tensor) -> torch.Tensor:
        return _relu_on_constant(self._conv, value)


class PackedConvReLU(_ConvReLUStep):
    """oneDNN convolution with the weight reordered once and the ReLU fused (module docstring)."""

    def __init__(self, name: str, conv: nn.Conv2d) -> None:
        super().__init__(name, conv)
        weight = conv.weight.detach()
        self._weight = torch.ops.mkldnn._reorder_convolution_weight(weight.contiguous(), [0, 0], [1, 1], [1, 1], 1)
        self._bias = None if conv.bias is None else conv.bias.detach().contiguous()

    def run(self, x: torch.Tensor, whole: bool) -> torch.Tensor:
        padding = self.window.padding if whole else 0
        return torch.ops.mkldnn._convolution_pointwise(
            x, self._weight, self._bias, [padding, padding], [1, 1], [1, 1], 1, "relu", [], ""
        )


class GemmConvReLU(_ConvReLUStep):
    """im2col + one matrix product on the original weight (module docstring: why for fc6/fc7)."""

    def __init__(self, name: str, conv: nn.Conv2d) -> None:
        super().__init__(name, conv)
        weight = conv.weight.detach()
        self._matrix = weight.reshape(weight.shape[0], -1)  # a view: no copy of 411 MB
        self._bias = None if conv.bias is None else conv.bias.detach()

    def run(self, x: torch.Tensor, whole: bool) -> torch.Tensor:
        padding = self.window.padding if whole else 0
        kernel = self.window.kernel
        batch, channels, height, width = x.shape
        out_height, out_width = height + 2 * padding - kernel + 1, width + 2 * padding - kernel + 1
        if kernel == 1 and padding == 0:
            columns = x.reshape(batch, channels, height * width)  # a view for fc6's NCHW output
        else:
            columns = F.unfold(x, kernel, padding=padding)  # N × (C·k·k) × (output pixels)
        # weight @ columns, not columns @ weightᵀ: measured faster with MKL on this shape.
        out = torch.matmul(self._matrix, columns)
        if self._bias is not None:
            out += self._bias[:, None]
        return out.relu_().reshape(batch, -1, out_height, out_width)
