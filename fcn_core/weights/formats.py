"""Recognise a weight file and bring its contents into our models' naming.

Formats (checked in this order):
- a Caffe ``.caffemodel`` (protobuf; anything that is not a PyTorch file is tried as one),
- the project checkpoint (``.pt``; see ``checkpoint.py``),
- a pytorch-fcn file: a bare state dict with Caffe layer names (``conv1_1.weight`` …), or a
  pytorch-fcn training checkpoint (``model_state_dict``),
- a torchvision segmentation state dict (``backbone.*``, ``classifier.*``, ``aux_classifier.*``).

The architecture is read from the keys (FCN-8s has ``upscore8``, FCN-16s ``upscore16``,
FCN-32s ``upscore``; torchvision heads differ in their classifier keys), the channel width
from ``conv1_1`` and the class count from the scoring layer, so a file is matched against
the model the user named before anything is built, and a wrong pairing fails with a message
that says which model the file is for.

FCN-8s and FCN-8s-at-once have identical parameters: at-once scales pool4 and pool3 by fixed
constants in its forward pass. The Caffe at-once release carries those constants as layers;
a pytorch-fcn file does not, so what the file says about itself decides: the architecture
pytorch-fcn's trainer records (``arch``), else the file's checksum against the published ones.
A file that says nothing stays a candidate for both, and loading it needs the model named
(``WeightsFile.arch`` refuses to guess). The weight values are no evidence: both nets are
trained from the same initialisation and no threshold on them is published.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from fcn_core.classes import ClassSet
from fcn_core.models.normalization import CAFFE_BGR, IMAGENET_RGB, Normalization
from fcn_core.models.registry import VGG_FCN_CLASS_NAMES, all_model_specs
from fcn_core.models.vgg_fcn import VGG16_STAGES
from fcn_core.weights.caffe import CaffeFormatError, caffe_layers_to_state_dict, constant_scales, read_caffemodel
from fcn_core.weights.checkpoint import checkpoint_from_dict, is_project_checkpoint, safe_torch_load
from fcn_core.weights.errors import AmbiguousWeightsError, WeightsError
from fcn_core.weights.sources import WeightFormat

TORCHVISION_PREFIX = "model."
"""Our ``LogitsOnly`` wrapper keeps the torchvision net at ``.model``."""

_ZIP_MAGIC = b"PK\x03\x04"
_PICKLE_PROTOCOL_MARK = 0x80

_VGG_FCN_ARCHS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("upscore8.weight", ("fcn8s", "fcn8s-atonce")),
    ("upscore16.weight", ("fcn16s",)),
    ("upscore.weight", ("fcn32s",)),
)
_LAYER3_BLOCK = re.compile(r"^backbone\.layer3\.(\d+)\.")
_RESNET_DEPTH_BY_LAYER3_BLOCKS = {6: "resnet50", 23: "resnet101"}


@dataclass(frozen=True, eq=False)
class WeightsFile:
    """What a weight file holds, in our naming, before it meets a model.

    ``classes`` is None where the file does not say (then the registry's class set applies,
    provided ``num_classes`` matches). ``scales`` holds fixed constants the file insists on
    (FCN-8s-at-once's ``pool4_scale``/``pool3_scale``).
    """

    path: Path
    format: WeightFormat
    archs: tuple[str, ...]
    state_dict: dict[str, torch.Tensor]
    normalization: Normalization
    num_classes: int
    width: float = 1.0
    classes: ClassSet | None = None
    scales: dict[str, float] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        return f"{self.format} weights for {' / '.join(self.archs)}"

    @property
    def arch(self) -> str:
        """The one architecture this file holds; ``AmbiguousWeightsError`` where it fits several and
        says nothing that tells them apart (the caller must name the model)."""
        if len(self.archs) > 1:
            raise AmbiguousWeightsError(
                f"cannot tell whether {self.path} holds {' or '.join(self.archs)} weights: they have the same layers "
                f"and the file does not say (no recorded architecture, not a published file); "
                f"name it with {' or '.join(f'--model {arch}' for arch in self.archs)}",
                self.archs,
            )
        return self.archs[0]


def read_weights_file(path: str | Path) -> WeightsFile:
    """Open any supported weight file; ``WeightsError`` says what it is not."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"weights file {path} does not exist" if not path.exists() else f"{path} is not a file")
    if _looks_like_torch_file(path):
        return _from_torch_object(safe_torch_load(path), path)
    try:
        return _from_caffemodel(path)
    except CaffeFormatError as error:
        if path.suffix.lower() == ".caffemodel":
            raise
        raise WeightsError(
            f"{path} is not a weights file: neither a PyTorch file (.pt, .pth) nor a Caffe model (.caffemodel)"
        ) from error


def _looks_like_torch_file(path: Path) -> bool:
    """PyTorch files are zip archives (current) or raw pickles (legacy); protobuf has no magic."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    return head.startswith(_ZIP_MAGIC) or (len(head) > 0 and head[0] == _PICKLE_PROTOCOL_MARK and path.suffix != ".caffemodel")


def _from_caffemodel(path: Path) -> WeightsFile:
    layers = read_caffemodel(path)
    state_dict = caffe_layers_to_state_dict(layers, str(path))
    scales = constant_scales(layers, str(path))
    archs, num_classes, width = _vgg_fcn_layout(state_dict, path)
    if scales:
        archs = ("fcn8s-atonce",)
    elif archs == ("fcn8s", "fcn8s-atonce"):
        archs = ("fcn8s",)  # the at-once release always carries its scale layers
    return WeightsFile(path, "caffemodel", archs, state_dict, CAFFE_BGR, num_classes, width, scales=scales)


def _from_torch_object(obj: object, path: Path) -> WeightsFile:
    if is_project_checkpoint(obj):
        checkpoint = checkpoint_from_dict(obj, path)
        return WeightsFile(
            path, "checkpoint", (checkpoint.arch,), checkpoint.state_dict, checkpoint.normalization,
            checkpoint.num_classes, checkpoint.width, checkpoint.classes, provenance=dict(checkpoint.provenance),
        )
    provenance: dict[str, Any] = {}
    if isinstance(obj, Mapping) and isinstance(obj.get("model_state_dict"), Mapping):
        # pytorch-fcn's trainer saves {"model_state_dict", "optim_state_dict", "iteration", "best_mean_iu", …}
        provenance = {key: obj[key] for key in ("arch", "epoch", "iteration", "best_mean_iu") if key in obj}
        obj = obj["model_state_dict"]
    state_dict = _tensor_dict(obj, path)
    if "conv1_1.weight" in state_dict:
        archs, num_classes, width = _vgg_fcn_layout(state_dict, path)
        archs = _narrowed_by_what_the_file_says(archs, provenance, path)
        return WeightsFile(path, "pytorch-fcn", archs, state_dict, CAFFE_BGR, num_classes, width, provenance=provenance)
    if any(key.startswith("backbone.") for key in state_dict):
        return _from_torchvision(state_dict, path)
    if "features.0.weight" in state_dict and "classifier.0.weight" in state_dict:
        raise WeightsError(
            f"{path} is an ImageNet VGG16 classifier, not a segmentation model; it initialises "
            f"FCN training (fcn_core.training.vgg_init) but cannot segment photos by itself"
        )
    sample = ", ".join(list(state_dict)[:4])
    raise WeightsError(f"{path}: unrecognised weights (layers {sample}, …); expected FCN, pytorch-fcn or torchvision weights")


def _narrowed_by_what_the_file_says(archs: tuple[str, ...], provenance: Mapping[str, Any], path: Path) -> tuple[str, ...]:
    """Pick one of several architectures with the same layers by the trainer's recorded ``arch``
    or by the file's published checksum; leave them all where the file says neither."""
    if len(archs) == 1:
        return archs
    recorded = provenance.get("arch")
    if recorded is not None:
        named = VGG_FCN_CLASS_NAMES.get(str(recorded))
        if named is None or named not in archs:
            raise WeightsError(f"{path} says it is {recorded}, but its layers are those of {' / '.join(archs)}")
        return (named,)
    published = _published_md5s().get(_md5(path))
    return (published,) if published in archs else archs


def _published_md5s() -> dict[str, str]:
    """md5 → model name, for every registry source with a published md5."""
    return {source.md5: spec.name for spec in all_model_specs() for source in spec.weight_sources if source.md5}


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _tensor_dict(obj: object, path: Path) -> dict[str, torch.Tensor]:
    if not isinstance(obj, Mapping) or not obj:
        raise WeightsError(f"{path} holds a {type(obj).__name__}, not a state dict of named tensors")
    bad = [key for key, value in obj.items() if not isinstance(key, str) or not isinstance(value, torch.Tensor)]
    if bad:
        raise WeightsError(f"{path} is not a state dict: entry {bad[0]!r} is not a named tensor")
    return dict(obj)


def _vgg_fcn_layout(state_dict: Mapping[str, torch.Tensor], path: Path) -> tuple[tuple[str, ...], int, float]:
    """(candidate archs, classes, width) of an FCN state dict in Caffe naming."""
    archs = next((names for key, names in _VGG_FCN_ARCHS if key in state_dict), None)
    if archs is None or "conv1_1.weight" not in state_dict or "score_fr.weight" not in state_dict:
        raise WeightsError(
            f"{path}: not an FCN net (expected conv1_1, score_fr and one of upscore8 / upscore16 / upscore layers)"
        )
    width = state_dict["conv1_1.weight"].shape[0] / VGG16_STAGES[0][0]
    return archs, int(state_dict["score_fr.weight"].shape[0]), width


def _from_torchvision(state_dict: dict[str, torch.Tensor], path: Path) -> WeightsFile:
    if "classifier.cbr.0.weight" in state_dict:
        arch, scorer = "lraspp_mobilenet_v3_large", "classifier.high_classifier.weight"
    else:
        head = "deeplabv3" if "classifier.0.convs.0.0.weight" in state_dict else "fcn"
        blocks = {int(m.group(1)) for key in state_dict if (m := _LAYER3_BLOCK.match(key))}
        if blocks:
            depth = _RESNET_DEPTH_BY_LAYER3_BLOCKS.get(len(blocks))
            if depth is None:
                raise WeightsError(f"{path}: a ResNet backbone with {len(blocks)} layer3 blocks is not one we know")
            arch = f"{head}_{depth}"
        else:
            arch = f"{head}_mobilenet_v3_large"
        scorer = "classifier.4.weight"
    if scorer not in state_dict:
        raise WeightsError(f"{path}: torchvision {arch} weights without their '{scorer}' layer")
    kept = {TORCHVISION_PREFIX + key: value for key, value in state_dict.items() if not key.startswith("aux_classifier.")}
    return WeightsFile(path, "torchvision", (arch,), kept, IMAGENET_RGB, int(state_dict[scorer].shape[0]))
