"""Model architectures and the registry that names them."""

from fcn_core.models.registry import (
    DEFAULT_MODEL,
    ModelSpec,
    WeightSource,
    all_model_specs,
    get_model_spec,
    model_names,
)
from fcn_core.models.vgg_fcn import FCN8s, FCN8sAtOnce, FCN16s, FCN32s, VGG16FCNBase

__all__ = [
    "DEFAULT_MODEL", "FCN8s", "FCN8sAtOnce", "FCN16s", "FCN32s", "ModelSpec", "VGG16FCNBase",
    "WeightSource", "all_model_specs", "get_model_spec", "model_names",
]
