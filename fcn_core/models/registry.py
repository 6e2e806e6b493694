"""The model registry: a name → architecture, class set, input normalisation, weight sources.

Everything that builds or loads a model (segmenter, CLI, GUI, training) looks a name up here,
so a model's normalisation and classes can never drift apart from its weights. Looking a name up
imports no torch: builders import their architecture when a model is built, so the window and
``fcn-sticker --help`` can list models without paying for torch.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from fcn_core.classes import VOC_CLASSES, ClassSet
from fcn_core.models.normalization import CAFFE_BGR, IMAGENET_RGB, Normalization
from fcn_core.weights.sources import WeightSource, torchvision_sources, vgg_fcn_sources

if TYPE_CHECKING:
    from torch import nn

Builder = Callable[..., "nn.Module"]

@dataclass(frozen=True)
class ModelSpec:
    """What the registry knows about one model name."""

    name: str
    description: str
    builder: Builder
    classes: ClassSet
    normalization: Normalization
    family: Literal["vgg-fcn", "torchvision"]
    weight_sources: tuple[WeightSource, ...] = field(default=())

    def build(self, num_classes: int | None = None, width: float = 1.0) -> nn.Module:
        """A fresh, randomly initialised (bilinear upsampling) model in eval mode."""
        model = self.builder(num_classes=num_classes or self.classes.num_classes, width=width)
        return model.eval()


_REGISTRY: dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> ModelSpec:
    if spec.name in _REGISTRY:
        raise ValueError(f"model {spec.name!r} is already registered")
    _REGISTRY[spec.name] = spec
    return spec


class UnknownModelError(KeyError):
    """A model name the registry does not know; ``args[0]`` lists the names that exist."""


def get_model_spec(name: str) -> ModelSpec:
    """Look up a model by name; the error lists the names that exist."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownModelError(f"unknown model {name!r}; available: {', '.join(_REGISTRY)}") from None


def model_names() -> list[str]:
    return list(_REGISTRY)


def all_model_specs() -> list[ModelSpec]:
    return list(_REGISTRY.values())


DEFAULT_MODEL = "fcn8s"

_VGG_FCN_MODELS: tuple[tuple[str, str, str], ...] = (
    ("fcn8s", "FCN8s", "FCN-8s, VGG16 (Long et al. 2015), the paper's best net"),
    ("fcn16s", "FCN16s", "FCN-16s, VGG16"),
    ("fcn32s", "FCN32s", "FCN-32s, VGG16"),
    ("fcn8s-atonce", "FCN8sAtOnce", "FCN-8s trained at once (pool4 x0.01, pool3 x0.0001)"),
)

VGG_FCN_CLASS_NAMES: dict[str, str] = {class_name: name for name, class_name, _ in _VGG_FCN_MODELS}
"""Architecture class name → model name; pytorch-fcn's trainer records the class name (``arch``)."""

_TORCHVISION_MODELS: tuple[tuple[str, str], ...] = (
    ("fcn_resnet50", "FCN, ResNet-50 backbone (torchvision, COCO with VOC labels)"),
    ("fcn_resnet101", "FCN, ResNet-101 backbone (torchvision, COCO with VOC labels)"),
    ("deeplabv3_resnet50", "DeepLabV3, ResNet-50 (torchvision, COCO with VOC labels)"),
    ("deeplabv3_mobilenet_v3_large", "DeepLabV3, MobileNetV3-Large (torchvision, COCO with VOC labels)"),
    ("lraspp_mobilenet_v3_large", "LR-ASPP, MobileNetV3-Large (torchvision, COCO with VOC labels)"),
)


def _vgg_fcn_builder(class_name: str) -> Builder:
    """Build ``fcn_core.models.vgg_fcn.<class_name>``, importing torch only then."""

    def build(num_classes: int = 21, width: float = 1.0) -> nn.Module:
        architecture = getattr(importlib.import_module("fcn_core.models.vgg_fcn"), class_name)
        return architecture(num_classes=num_classes, width=width)

    return build


def _torchvision_builder(builder_name: str) -> Builder:
    """Build torchvision's ``builder_name``, importing torchvision only then."""

    def build(num_classes: int = 21, width: float = 1.0) -> nn.Module:
        torchvision_models = importlib.import_module("fcn_core.models.torchvision_models")
        return torchvision_models.torchvision_builder(builder_name)(num_classes=num_classes, width=width)

    return build


def _register_builtin_models() -> None:
    for name, class_name, description in _VGG_FCN_MODELS:
        register(
            ModelSpec(
                name, description, _vgg_fcn_builder(class_name), VOC_CLASSES, CAFFE_BGR, "vgg-fcn",
                vgg_fcn_sources(name),
            )
        )
    for name, description in _TORCHVISION_MODELS:
        register(
            ModelSpec(
                name, description, _torchvision_builder(name), VOC_CLASSES, IMAGENET_RGB, "torchvision",
                torchvision_sources(name),
            )
        )


_register_builtin_models()
