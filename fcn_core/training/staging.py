"""Where a training run starts: the paper's staged initialisation.

FCN-32s and FCN-8s-at-once start from the ImageNet VGG16 classifier; FCN-16s starts from a
trained FCN-32s and FCN-8s from a trained FCN-16s. "Surgery" (the FCN release's ``transplant``)
copies every layer the two nets share by name — the trunk, ``score_fr``, and for 8s also
``score_pool4`` and ``upscore2`` — and the layers the new net adds start fresh: score layers at
zero, so the new skip contributes nothing until it has learned something and the net begins
exactly where its predecessor ended; deconvolutions bilinear.

Scoring layers of a net initialised from VGG16 are zero too (the paper found random
initialisation no better). ``scratch`` (no ImageNet weights, for own data or tests) uses He
initialisation for the trunk.

A checkpoint for another class set can seed a run as well (fine-tuning to one's own classes):
then the class-dependent layers (score and upscore) are started fresh; any other shape
mismatch is an error.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from fcn_core.models.bilinear import init_bilinear_
from fcn_core.models.normalization import CAFFE_BGR, Normalization
from fcn_core.models.registry import get_model_spec
from fcn_core.models.vgg_fcn import VGG16FCNBase
from fcn_core.training.input_fold import refold_first_conv_
from fcn_core.training.recipes import INIT_SCRATCH, INIT_VGG16
from fcn_core.training.vgg_init import init_from_vgg16, load_vgg16_imagenet_state_dict
from fcn_core.weights.checkpoint import load_checkpoint
from fcn_core.weights.errors import WeightsError
from fcn_core.weights.sources import vgg16_imagenet_source

logger = logging.getLogger(__name__)


CLASS_DEPENDENT_PREFIXES = ("score", "upscore")


@dataclass(frozen=True, eq=False)
class InitialModel:
    """A freshly initialised trainable model with the input normalisation its weights expect."""

    model: VGG16FCNBase
    normalization: Normalization
    description: str


def initial_model(
    arch: str, num_classes: int, width: float, init: str, *, caffe_input: bool = False, allow_download: bool = False
) -> InitialModel:
    """Build ``arch`` and initialise it from ``"vgg16"``, ``"scratch"`` or a checkpoint path.

    ``caffe_input``: re-express a VGG16 start's conv1_1 for Caffe's BGR 0–255 input (what the
    reference recipe's learning rates assume); otherwise it keeps torchvision's normalised input.
    """
    spec = get_model_spec(arch)
    if spec.family != "vgg-fcn":
        raise ValueError(f"training covers the VGG16 FCN family; {arch} is a {spec.family} model")
    model = spec.build(num_classes=num_classes, width=width)
    assert isinstance(model, VGG16FCNBase)
    zero_score_layers(model)
    if init == INIT_VGG16:
        if width != 1.0:
            raise ValueError(f"ImageNet VGG16 weights exist for width 1.0 only (got {width}); use --init scratch")
        init_from_vgg16(model, load_vgg16_imagenet_state_dict(allow_download=allow_download))
        imagenet = vgg16_imagenet_source().normalization
        if not caffe_input:
            return InitialModel(model, imagenet, "VGG16 ImageNet (torchvision IMAGENET1K_V1)")
        assert isinstance(model.conv1_1, nn.Conv2d)
        refold_first_conv_(model.conv1_1, imagenet, CAFFE_BGR)
        return InitialModel(model, CAFFE_BGR, "VGG16 ImageNet (torchvision IMAGENET1K_V1, conv1_1 refolded to Caffe BGR input)")
    if init == INIT_SCRATCH:
        he_init_trunk(model)
        return InitialModel(model, spec.normalization, "scratch (He initialisation)")
    checkpoint = load_checkpoint(Path(init))
    if get_model_spec(checkpoint.arch).family != "vgg-fcn":
        raise WeightsError(f"{init} holds a {checkpoint.arch} model; only VGG16 FCN checkpoints can seed {arch}")
    fresh = transplant(model, checkpoint.state_dict)
    logger.info("initialised %s from %s (%s); new layers: %s", arch, init, checkpoint.arch, ", ".join(fresh) or "none")
    return InitialModel(model, checkpoint.normalization, f"{checkpoint.arch} checkpoint {init}")


def score_layers(model: nn.Module) -> dict[str, nn.Conv2d]:
    return {name: module for name, module in model.named_children() if name.startswith("score") and isinstance(module, nn.Conv2d)}


@torch.no_grad()
def zero_score_layers(model: nn.Module, names: list[str] | None = None) -> None:
    """Zero the weights and biases of the scoring convolutions (all, or those named)."""
    for name, layer in score_layers(model).items():
        if names is None or name in names:
            layer.weight.zero_()
            if layer.bias is not None:
                layer.bias.zero_()


@torch.no_grad()
def he_init_trunk(model: VGG16FCNBase) -> None:
    """He (Kaiming) normal weights and zero biases for every trunk convolution (conv1_1 … fc7)."""
    scores = set(score_layers(model).values())
    for module in model.modules():
        if isinstance(module, nn.Conv2d) and module not in scores:
            nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")
            if module.bias is not None:
                module.bias.zero_()


@torch.no_grad()
def transplant(model: nn.Module, source: Mapping[str, torch.Tensor]) -> list[str]:
    """Copy every parameter ``source`` shares with ``model`` (same name); start the rest fresh.

    Returns the names of the layers that start fresh. Score layers start at zero and upscore
    layers bilinear; a shared trunk layer of a different shape (another width) is an error.
    """
    own = model.state_dict()
    fresh_layers: list[str] = []
    for key, tensor in own.items():
        layer = key.rsplit(".", 1)[0]
        if key in source and tuple(source[key].shape) == tuple(tensor.shape):
            tensor.copy_(source[key])
            continue
        if not layer.startswith(CLASS_DEPENDENT_PREFIXES):
            found = list(source[key].shape) if key in source else "nothing"
            raise WeightsError(f"cannot initialise '{key}' {list(tensor.shape)} from a checkpoint holding {found}")
        if layer not in fresh_layers:
            fresh_layers.append(layer)
    for layer in fresh_layers:
        module = model.get_submodule(layer)
        if isinstance(module, nn.ConvTranspose2d):
            init_bilinear_(module)
    zero_score_layers(model, [layer for layer in fresh_layers if layer.startswith("score")])
    dropped = sorted({key.rsplit(".", 1)[0] for key in source if key not in own})
    if dropped:
        logger.info("layers of the source net not used here: %s", ", ".join(dropped))
    return fresh_layers
