"""Initialise an FCN from the ImageNet VGG16 classifier (the paper's starting point).

The thirteen 3×3 convolutions copy over unchanged (``features.N`` → ``conv1_1`` … ``conv5_3``).
The first two dense layers become convolutions: ``classifier.0`` (4096×25088) is reshaped to
``fc6`` 4096×512×7×7 and ``classifier.3`` (4096×4096) to ``fc7`` 4096×4096×1×1. torchvision
flattens pool5 (512×7×7) in C, H, W order, which is exactly the order of a 7×7 convolution
kernel's weights, so on a 224×224 input (pool5 = 7×7) ``fc6`` computes the dense layer
exactly, and on larger inputs slides it over the image ("convolutionalization").

The scoring layers are left to the caller (the reference recipe zero-initialises them). The
torchvision weights were trained on RGB input with ImageNet mean/std (``IMAGENET_RGB``), not
Caffe's BGR; training (``fcn_core.training.staging``) re-expresses conv1_1 for Caffe input with
``fcn_core.training.input_fold`` so the reference learning rates apply.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path

import torch

from fcn_core.models.vgg_fcn import VGG16_STAGES, VGG16FCNBase
from fcn_core.weights.checkpoint import safe_torch_load
from fcn_core.weights.download import ProgressCallback, download_file
from fcn_core.weights.errors import WeightsError, WeightsNotFoundError
from fcn_core.weights.sources import vgg16_imagenet_source
from fcn_core.weights.store import source_path

logger = logging.getLogger(__name__)

FC_LAYERS = (("classifier.0", "fc6"), ("classifier.3", "fc7"))
"""torchvision's dense layers → our convolutional ones (the ReLU/dropout in between have no weights)."""


def vgg16_conv_names() -> list[tuple[str, str]]:
    """(torchvision ``features`` index prefix, our layer name) for the 13 convolutions.

    In torchvision's VGG16 ``features`` every conv is followed by a ReLU and every stage by a
    max-pool, so the conv indices are 0, 2, 5, 7, 10, … — derived here from the stage table
    rather than written out.
    """
    names: list[tuple[str, str]] = []
    index = 0
    for stage_number, stage in enumerate(VGG16_STAGES, start=1):
        for conv_number in range(1, len(stage) + 1):
            names.append((f"features.{index}", f"conv{stage_number}_{conv_number}"))
            index += 2  # conv, ReLU
        index += 1  # max-pool
    return names


def vgg16_to_fcn_state_dict(
    vgg_state: Mapping[str, torch.Tensor], shapes: Mapping[str, torch.Size]
) -> dict[str, torch.Tensor]:
    """Rename and reshape a torchvision VGG16 state dict into FCN trunk parameters.

    ``shapes`` are the target parameter shapes (``model.state_dict()``). Convolutions must
    match exactly; a dense layer is reshaped when its element count matches. Otherwise the
    error names the layer and both shapes (e.g. a reduced-width model).
    """
    result: dict[str, torch.Tensor] = {}
    dense = dict(FC_LAYERS)
    for source, target in vgg16_conv_names() + list(FC_LAYERS):
        for suffix in ("weight", "bias"):
            key, new_key = f"{source}.{suffix}", f"{target}.{suffix}"
            if key not in vgg_state:
                raise WeightsError(f"the VGG16 weights lack '{key}' (needed for {new_key})")
            tensor = vgg_state[key]
            wanted = tuple(shapes[new_key])
            fits = tensor.numel() == torch.Size(wanted).numel() if source in dense else tuple(tensor.shape) == wanted
            if not fits:
                raise WeightsError(f"VGG16 '{key}' has shape {list(tensor.shape)}, which cannot become {new_key} {list(wanted)}")
            result[new_key] = tensor.detach().reshape(wanted).clone()
    return result


def init_from_vgg16(model: VGG16FCNBase, vgg_state: Mapping[str, torch.Tensor]) -> None:
    """Copy VGG16's convolutions and convolutionalized fc6/fc7 into ``model`` (width 1.0 only;
    the scoring head and upsampling layers keep their values)."""
    own = model.state_dict()
    trunk = vgg16_to_fcn_state_dict(vgg_state, {name: tensor.shape for name, tensor in own.items()})
    model.load_state_dict({**own, **trunk}, strict=True)
    logger.info("initialised %s from VGG16 ImageNet weights", type(model).__name__)


def vgg16_imagenet_path(
    *, allow_download: bool = False, progress: ProgressCallback | None = None, cancel: Callable[[], bool] | None = None
) -> Path:
    """torchvision's ``VGG16_Weights.IMAGENET1K_V1`` file in torchvision's own cache
    (``$TORCH_HOME/hub/checkpoints``), downloaded (sha256 prefix checked) when allowed."""
    source = vgg16_imagenet_source()
    path = source_path(source)
    if path.is_file():
        return path
    if not allow_download:
        raise WeightsNotFoundError(
            f"VGG16 ImageNet weights are not in {path.parent}; allow the download, or put {source.filename} "
            f"(from {source.url}) there"
        )
    return download_file(source.url, path, sha256_prefix=source.sha256_prefix, progress=progress, cancel=cancel)


def load_vgg16_imagenet_state_dict(
    *, allow_download: bool = False, progress: ProgressCallback | None = None, cancel: Callable[[], bool] | None = None
) -> dict[str, torch.Tensor]:
    """The ImageNet VGG16 state dict, from the cache or downloaded (see ``vgg16_imagenet_path``)."""
    state = safe_torch_load(vgg16_imagenet_path(allow_download=allow_download, progress=progress, cancel=cancel))
    if not isinstance(state, dict):
        raise WeightsError("the VGG16 ImageNet file does not hold a state dict")
    return state
