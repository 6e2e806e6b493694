"""Skip the arithmetic FCN spends on its own 100-px zero padding (DESIGN §3 layout, §10 budget).

``conv1_1`` pads the photo with 100 zero pixels on every side. Every ``conv1_1`` output whose
3×3 window lies in that padding sees only zeros, so it equals ``relu(bias)``; every later layer
maps a region of identical pixels to identical pixels again (a convolution to
``relu(W·c + b)``, a max-pool to ``c``). That constant "frame" shrinks layer by layer as the
photo's influence spreads and as zero padding at the tensor's outer edge eats in from outside,
but on a 500×375 photo it is still about half of conv1–conv3, where most of the work is.

The planner follows, per input size, the region each layer's output is known to hold one value
per channel: a rectangle minus a rectangle (``Frame``: ``outer`` minus ``inner``). The executor
fills that region with the constant, precomputed once from the weights, and runs the layer only
on the rectangles left (the photo's neighbourhood and the thin ring at the tensor border), each
from a slice of its input with the same zero padding the full layer would see. Every value that
is computed sees the same inputs and weights as in the plain net, so results agree with it to
float rounding (oneDNN may sum in another order on a slice); nothing is approximated. Once the
frame is too small to pay for the extra calls the remaining layers run whole.

Plans depend only on the input size and the layer geometry, take milliseconds in Python and are
cached per size, so a new photo size costs no compilation.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import torch
import torch.nn.functional as F
from torch import nn

MIN_CONSTANT_SHARE = 0.05
"""Frames smaller than this share of a layer's output are not worth up to eight extra calls
(four border strips, the centre, four fills); the layer and all later ones run whole."""

PLAN_CACHE_SIZE = 256
"""Input sizes whose plans are kept: each plan is a few dozen small tuples."""


@dataclass(frozen=True)
class Span:
    """Half-open index range ``[start, stop)`` along one axis; may reach into padding (< 0)."""

    start: int
    stop: int

    @property
    def length(self) -> int:
        return max(0, self.stop - self.start)

    def clip(self, other: Span) -> Span:
        return Span(max(self.start, other.start), min(self.stop, other.stop))


@dataclass(frozen=True)
class Rect:
    """A rectangle of positions: rows × columns."""

    rows: Span
    cols: Span

    @property
    def area(self) -> int:
        return self.rows.length * self.cols.length

    def clip(self, other: Rect) -> Rect:
        return Rect(self.rows.clip(other.rows), self.cols.clip(other.cols))

    def minus(self, hole: Rect) -> list[Rect]:
        """``self`` without ``hole`` as at most four non-empty rectangles (top, bottom, left, right)."""
        hole = hole.clip(self)
        if hole.area == 0:
            return [self] if self.area else []
        pieces = [
            Rect(Span(self.rows.start, hole.rows.start), self.cols),
            Rect(Span(hole.rows.stop, self.rows.stop), self.cols),
            Rect(hole.rows, Span(self.cols.start, hole.cols.start)),
            Rect(hole.rows, Span(hole.cols.stop, self.cols.stop)),
        ]
        return [piece for piece in pieces if piece.area]


@dataclass(frozen=True)
class Window:
    """A layer's geometry along one axis: which input positions each output position reads.

    ``partial_end``: ceil-mode pooling, whose last window is cut short by the input's end
    (it reads fewer positions) instead of reading zero padding.
    """

    kernel: int
    stride: int
    padding: int
    partial_end: bool

    def output_length(self, length: int) -> int:
        reach = length + 2 * self.padding - self.kernel
        if not self.partial_end:
            return reach // self.stride + 1
        count = -(-reach // self.stride) + 1
        # PyTorch's ceil-mode rule: the last window must start inside the input.
        return count - 1 if (count - 1) * self.stride >= length + self.padding else count

    def reads(self, index: int, length: int) -> Span:
        start = index * self.stride - self.padding
        stop = start + self.kernel
        return Span(start, min(stop, length) if self.partial_end else stop)

    def constant_outputs(self, length: int, constant: Span) -> Span:
        """Outputs whose whole window lies in ``constant`` (which may include padding)."""
        inside = [i for i in range(self.output_length(length)) if _within(self.reads(i, length), constant)]
        return Span(inside[0], inside[-1] + 1) if inside else Span(0, 0)

    def touched_outputs(self, length: int, region: Span) -> Span:
        """Outputs whose window overlaps ``region``."""
        touching = [i for i in range(self.output_length(length)) if _overlaps(self.reads(i, length), region)]
        return Span(touching[0], touching[-1] + 1) if touching else Span(0, 0)


def _within(span: Span, bounds: Span) -> bool:
    return bounds.start <= span.start and span.stop <= bounds.stop


def _overlaps(span: Span, other: Span) -> bool:
    return span.start < other.stop and other.start < span.stop


@dataclass(frozen=True)
class Frame:
    """Where a tensor holds one constant per channel: ``outer`` minus ``inner``.

    For the network's input ``outer`` reaches into the first layer's zero padding, which is
    the constant (zero) region everything else grows from.
    """

    outer: Rect
    inner: Rect

    def after(self, window: Window, height: int, width: int) -> Frame:
        """The frame of a layer's output, given this frame of its input."""
        return Frame(
            Rect(window.constant_outputs(height, self.outer.rows), window.constant_outputs(width, self.outer.cols)),
            Rect(window.touched_outputs(height, self.inner.rows), window.touched_outputs(width, self.inner.cols)),
        )

    def constant_rects(self) -> list[Rect]:
        return self.outer.minus(self.inner)


@dataclass(frozen=True)
class StepPlan:
    """How to run one layer for one input size; ``frame`` None: run it whole."""

    output_size: tuple[int, int]
    frame: Frame | None
    constant_rects: tuple[Rect, ...] = ()
    computed_rects: tuple[Rect, ...] = ()


@functools.lru_cache(maxsize=PLAN_CACHE_SIZE)
def plan_steps(
    windows: tuple[Window, ...], height: int, width: int, min_constant_share: float = MIN_CONSTANT_SHARE
) -> tuple[StepPlan, ...]:
    """Plan every layer for an input of ``height × width``.

    The input's frame is the first layer's zero padding: everything outside the photo, out to
    the padding's edge. A layer keeps a frame while its constant share is at least
    ``min_constant_share``; from the first layer below that on, everything runs whole.
    """
    pad = windows[0].padding
    frame: Frame | None = Frame(
        Rect(Span(-pad, height + pad), Span(-pad, width + pad)), Rect(Span(0, height), Span(0, width))
    )
    plans: list[StepPlan] = []
    for window in windows:
        out_height, out_width = window.output_length(height), window.output_length(width)
        if frame is not None:
            frame = frame.after(window, height, width)
            constant = frame.constant_rects()
            if sum(rect.area for rect in constant) < min_constant_share * out_height * out_width:
                frame = None
        if frame is None:
            plans.append(StepPlan((out_height, out_width), None))
        else:
            everything = Rect(Span(0, out_height), Span(0, out_width))
            inner = frame.inner.clip(frame.outer)
            computed = everything.minus(frame.outer) + ([inner] if inner.area else [])
            plans.append(StepPlan((out_height, out_width), frame, tuple(constant), tuple(computed)))
        height, width = out_height, out_width
    return tuple(plans)


class Step(Protocol):
    """One trunk layer the executor can run whole or on a slice.

    ``skips_constant``: whether running only the non-constant part pays for the extra calls and
    copies. Measured: yes for VGG's 3×3 convolutions from conv1_2 on; no for max-pooling and
    conv1_1 (few operations per output value: filling and copying cost as much as computing).
    Either way the frame is tracked through the layer for the layers after it.
    """

    name: str
    window: Window
    skips_constant: bool

    def run(self, x: torch.Tensor, whole: bool) -> torch.Tensor:
        """The layer on ``x``: whole (with its own padding) or on a pre-padded slice (none)."""
        ...

    def constant_after(self, value: torch.Tensor) -> torch.Tensor:
        """The output per channel where the whole input window holds ``value``."""
        ...


class MaxPoolStep:
    """Max-pooling without padding (VGG's 2×2/2, ceil mode in Caffe's nets)."""

    def __init__(self, name: str, pool: nn.MaxPool2d) -> None:
        kernel, stride = _pair(pool.kernel_size), _pair(pool.stride or pool.kernel_size)
        if kernel[0] != kernel[1] or stride[0] != stride[1] or _pair(pool.padding) != (0, 0) or _pair(pool.dilation) != (1, 1):
            raise ValueError(f"only square max-pooling without padding or dilation is supported, got {pool}")
        self.name = name
        self.window = Window(kernel[0], stride[0], 0, partial_end=pool.ceil_mode)

    skips_constant = False

    def run(self, x: torch.Tensor, whole: bool) -> torch.Tensor:
        # A slice starts on a window boundary, so pooling it yields exactly its outputs.
        return F.max_pool2d(x, self.window.kernel, self.window.stride, ceil_mode=self.window.partial_end)

    def constant_after(self, value: torch.Tensor) -> torch.Tensor:
        return value


def _pair(value: int | tuple[int, ...]) -> tuple[int, ...]:
    return (value, value) if isinstance(value, int) else tuple(value)


def _input_slice(x: torch.Tensor, window: Window, rect: Rect) -> torch.Tensor:
    """The part of ``x`` that ``rect`` of the output reads, zero-padded where it reaches past x."""
    height, width = x.shape[-2:]
    rows = Span(window.reads(rect.rows.start, height).start, window.reads(rect.rows.stop - 1, height).stop)
    cols = Span(window.reads(rect.cols.start, width).start, window.reads(rect.cols.stop - 1, width).stop)
    pads = (max(0, -cols.start), max(0, cols.stop - width), max(0, -rows.start), max(0, rows.stop - height))
    part = x[:, :, max(0, rows.start) : min(height, rows.stop), max(0, cols.start) : min(width, cols.stop)]
    return F.pad(part, pads) if any(pads) else part


class ConstantBorderTrunk:
    """Runs a chain of layers with the constant frame skipped; returns the outputs asked for.

    The constants are computed from the weights here, once: build the trunk after the final
    weights are loaded. ``min_constant_share`` > 1 turns the skipping off (the benchmark's
    ablation: the same kernels, every layer run whole).
    """

    def __init__(
        self, steps: Sequence[Step], in_channels: int, taps: Sequence[int], min_constant_share: float = MIN_CONSTANT_SHARE
    ) -> None:
        self.steps = tuple(steps)
        self.taps = tuple(taps)
        self.min_constant_share = min_constant_share
        self._windows = tuple(step.window for step in self.steps)
        with torch.no_grad():
            value = torch.zeros(in_channels)  # the first layer's zero padding
            self._constants: list[torch.Tensor] = []
            for step in self.steps:
                value = step.constant_after(value)
                self._constants.append(value.reshape(1, -1, 1, 1))

    def plan(self, height: int, width: int) -> tuple[StepPlan, ...]:
        """How each layer runs for an input of ``height × width`` (cached per size)."""
        return plan_steps(self._windows, height, width, self.min_constant_share)

    @torch.no_grad()
    def __call__(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        if x.dtype != torch.float32 or x.device.type != "cpu":
            raise TypeError(f"the CPU inference trunk takes float32 CPU tensors, got {x.dtype} on {x.device}")
        plans = self.plan(*x.shape[-2:])
        tapped: dict[int, torch.Tensor] = {}
        for index, plan in enumerate(plans):
            x = self.run_step(index, plan, x, skip_constant=self.steps[index].skips_constant)
            if index in self.taps:
                tapped[index] = x  # only these stay alive: conv1's outputs alone are 100 MB each
        return tuple(tapped[index] for index in self.taps)

    def run_step(self, index: int, plan: StepPlan, x: torch.Tensor, skip_constant: bool) -> torch.Tensor:
        """Layer ``index`` on its input ``x``: whole, or (where the plan has a frame and
        ``skip_constant``) computed outside the frame only. Public for the per-layer benchmark."""
        step = self.steps[index]
        if plan.frame is None or not skip_constant:
            return step.run(x, whole=True)
        constant = self._constants[index]
        out = torch.empty((x.shape[0], constant.shape[1], *plan.output_size), memory_format=torch.channels_last)
        for rect in plan.constant_rects:
            out[:, :, rect.rows.start : rect.rows.stop, rect.cols.start : rect.cols.stop] = constant
        for rect in plan.computed_rects:
            part = step.run(_input_slice(x, step.window, rect), whole=False)
            out[:, :, rect.rows.start : rect.rows.stop, rect.cols.start : rect.cols.stop] = part
        return out
