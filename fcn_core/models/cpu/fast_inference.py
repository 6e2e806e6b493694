"""Make a model fast for inference on its device (DESIGN §10 budgets).

The segmenter calls ``optimize_for_inference`` once after loading weights and feeds channels-last
inputs under ``torch.inference_mode`` (with its autocast on CUDA). ``bench/forward.py`` measures
the result against the plain way, ``bench/forward_ablations.py`` what each part buys. Kept is
what measurably helped:

- VGG FCNs (FCN-32s/16s/8s/8s-at-once) on the CPU get a trunk that skips the constant frame made
  by ``conv1_1``'s 100-px padding (``constant_border``: about half of conv1–conv3 on a 500×375
  photo) and runs its convolutions with weights prepared once and the ReLU fused (``cpu_conv``).
  Results equal the plain module's up to float rounding (~1e-6), for every input size, and a new
  photo size costs only a plan of a few milliseconds, no compilation.
  Whether that trunk is used is decided per machine (``path_choice``): it must pass a self-check
  against the plain module, and be measurably faster here (timed once, cached per CPU model and
  PyTorch version), else the plain module runs.
- The process-wide malloc tuning (``allocator``: ~8 % faster) is not switched on here: a library
  call must not change the whole process. The entry points that run inference (the compute
  process, the CLI) call ``allocator.keep_freed_memory`` themselves.
- Everything else (torchvision models, CUDA, MPS): eval mode and channels-last weights, which
  oneDNN and cuDNN run fastest with channels-last inputs; on CUDA the segmenter's autocast is the
  main win.

Measured and dropped: TorchScript trace + freeze + ``torch.jit.optimize_for_inference`` (slower
than this trunk, ~20 s of tracing per photo size) and ``torch.compile`` with freezing (as fast as
this trunk once compiled, but 9–14 s to compile for every new photo size: a desktop app cannot
make the first photo of each size wait that long).
"""

from __future__ import annotations

import copy
import logging
from typing import TypeGuard

import torch
from torch import nn

from fcn_core.models.cpu.constant_border import MIN_CONSTANT_SHARE, ConstantBorderTrunk, MaxPoolStep, Step
from fcn_core.models.cpu.cpu_conv import GemmConvReLU, PackedConvReLU
from fcn_core.models.cpu.path_choice import CACHE_FILE, choose_cpu_path
from fcn_core.models.vgg_fcn import VGG16_STAGES, VGG16FCNBase

logger = logging.getLogger(__name__)


def optimize_for_inference(model: nn.Module, device: torch.device | str) -> nn.Module:
    """An inference-ready version of ``model`` on ``device`` (eval mode; moved in place).

    The returned module shares its parameters with ``model`` and never changes their values. On
    the CPU a VGG FCN comes back as a shallow copy whose ``features`` is the fast trunk: that
    trunk holds weights prepared from the parameters as they are now, so call this after loading
    weights (again after loading others), and use the result for inference only (no gradients).
    An optimised module may be optimised again, e.g. for another device.
    """
    device = torch.device(device)
    model = _without_fast_trunk(model).eval()
    if device.type == "cpu" and _is_plain_vgg_fcn(model):
        # The plain forward as the reference port runs it: default layout, NCHW inputs. fc6/fc7
        # of the fast trunk need that layout too (a channels-last fc6 would be copied: 411 MB).
        model.to(device).to(memory_format=torch.contiguous_format)  # in place: Module.to returns self
        plain = model
        if not torch.backends.mkldnn.is_available():
            logger.info("oneDNN is not available in this PyTorch build: FCN runs its plain CPU forward")
            return plain
        from fcn_core.weights.store import cache_dir  # not at import: store imports the model registry

        return choose_cpu_path(plain, lambda: fast_vgg_fcn(plain), cache_dir() / CACHE_FILE)
    return model.to(device).to(memory_format=torch.channels_last)


def input_memory_format(model: nn.Module) -> torch.memory_format:
    """The layout to feed ``model`` (as returned by ``optimize_for_inference``) its inputs in:
    channels-last, except for the plain CPU forward of a VGG FCN, which runs NCHW."""
    if "features" in vars(model) or not _is_plain_vgg_fcn(model):
        return torch.channels_last
    weight = next(model.parameters())  # conv1_1's, the first layer registered
    return torch.channels_last if weight.is_contiguous(memory_format=torch.channels_last) else torch.contiguous_format


def _is_plain_vgg_fcn(model: nn.Module) -> TypeGuard[VGG16FCNBase]:
    """A VGG FCN whose ``features`` is the stock VGG16 trunk (ReLUs, dropout, fc6/fc7); a
    subclass that changes any of that keeps its own forward rather than getting a wrong one."""
    if not isinstance(model, VGG16FCNBase) or type(model).features is not VGG16FCNBase.features:
        return False
    relus = [f"relu{stage}_{index}" for stage, convs in enumerate(VGG16_STAGES, 1) for index in range(1, len(convs) + 1)]
    return all(type(getattr(model, name)) is nn.ReLU for name in [*relus, "relu6", "relu7"]) and all(
        type(getattr(model, name)) in (nn.Dropout, nn.Dropout2d) for name in ("drop6", "drop7")
    )


def fast_vgg_fcn(model: VGG16FCNBase, min_constant_share: float = MIN_CONSTANT_SHARE) -> VGG16FCNBase:
    """A shallow copy of a CPU ``model`` (same parameters, same class and forward) whose
    ``features`` is the fast trunk; the FCN heads call ``self.features``, so their own forward
    runs unchanged. ``min_constant_share``: see ``ConstantBorderTrunk`` (the benchmark's ablation)."""
    fast = copy.copy(model)
    fast.features = _vgg_fcn_trunk(model, min_constant_share)  # type: ignore[method-assign,assignment]
    return fast


def _vgg_fcn_trunk(model: VGG16FCNBase, min_constant_share: float) -> ConstantBorderTrunk:
    """conv1_1 … pool5, fc6, fc7 (dropout is the identity at inference) tapping pool3, pool4, fc7."""
    steps: list[Step] = []
    for stage, convs in enumerate(VGG16_STAGES, start=1):
        for index in range(1, len(convs) + 1):
            steps.append(PackedConvReLU(f"conv{stage}_{index}", getattr(model, f"conv{stage}_{index}")))
        steps.append(MaxPoolStep(f"pool{stage}", getattr(model, f"pool{stage}")))
    steps += [GemmConvReLU("fc6", model.fc6), GemmConvReLU("fc7", model.fc7)]
    names = [step.name for step in steps]
    taps = (names.index("pool3"), names.index("pool4"), names.index("fc7"))
    first = model.conv1_1
    assert isinstance(first, nn.Conv2d)
    return ConstantBorderTrunk(steps, first.in_channels, taps, min_constant_share)


def _without_fast_trunk(model: nn.Module) -> nn.Module:
    """``model`` without a fast trunk set by ``fast_vgg_fcn`` (it is tied to the CPU and to
    the weights it was built from), so a module can be optimised again, e.g. moved to the CPU."""
    if "features" not in vars(model):
        return model
    plain = copy.copy(model)
    del plain.features
    return plain
