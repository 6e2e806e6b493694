"""FCN Sticker Studio's library: photo → segmentation → mask → sticker, plus the FCN family's
models, weights, training and evaluation. No Qt here, ever.

The names a script or the window needs are importable from here, e.g.::

    from fcn_core import Segmenter, StickerRequest, load_photo, photo_to_sticker, save_sticker

    segmenter = Segmenter.from_name("fcn8s")           # the cached weights (see `fcn-sticker weights`)
    photo = load_photo("cat.jpg")
    sticker, _ = photo_to_sticker(segmenter, photo, StickerRequest(classes=("cat",)))
    save_sticker(sticker, "cat.sticker.png")

Each name is imported on first use (PEP 562), so ``import fcn_core`` costs nothing and asking for
``load_photo`` never imports torch; only the names that run the network (``Segmenter``,
``load_model``) do.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

PUBLIC_API: dict[str, str] = {
    # the pipeline, in order
    "load_photo": "fcn_core.photo",
    "Photo": "fcn_core.photo",
    "PhotoError": "fcn_core.photo",
    "Segmenter": "fcn_core.segmenter",
    "Segmentation": "fcn_core.segmentation",
    "refine_crf": "fcn_core.crf",
    "CRF_PRESETS": "fcn_core.crf",
    "MaskCleanup": "fcn_core.mask",
    "EmptyMaskError": "fcn_core.mask",
    "StickerStyle": "fcn_core.sticker",
    "Sticker": "fcn_core.sticker",
    "StickerRequest": "fcn_core.pipeline",
    "photo_to_sticker": "fcn_core.pipeline",
    "sticker_from_segmentation": "fcn_core.pipeline",
    "save_sticker": "fcn_core.save",
    "StickerSaveError": "fcn_core.save",
    "TARGETS": "fcn_core.save",
    "run_batch": "fcn_core.batch",
    "BatchReport": "fcn_core.batch",
    # models and weights
    "ClassSet": "fcn_core.classes",
    "VOC_CLASSES": "fcn_core.classes",
    "DEFAULT_MODEL": "fcn_core.models.registry",
    "get_model_spec": "fcn_core.models.registry",
    "model_names": "fcn_core.models.registry",
    "load_model": "fcn_core.weights.store",
    "WeightsError": "fcn_core.weights.errors",
}

__all__ = [
    "CRF_PRESETS",
    "DEFAULT_MODEL",
    "TARGETS",
    "VOC_CLASSES",
    "BatchReport",
    "ClassSet",
    "EmptyMaskError",
    "MaskCleanup",
    "Photo",
    "PhotoError",
    "Segmentation",
    "Segmenter",
    "Sticker",
    "StickerRequest",
    "StickerSaveError",
    "StickerStyle",
    "WeightsError",
    "get_model_spec",
    "load_model",
    "load_photo",
    "model_names",
    "photo_to_sticker",
    "refine_crf",
    "run_batch",
    "save_sticker",
    "sticker_from_segmentation",
]


def __getattr__(name: str) -> Any:
    """Import the module that defines ``name`` the first time it is asked for."""
    module = PUBLIC_API.get(name)
    if module is None:
        raise AttributeError(f"module 'fcn_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *PUBLIC_API])


if TYPE_CHECKING:
    from fcn_core.batch import BatchReport, run_batch
    from fcn_core.classes import VOC_CLASSES, ClassSet
    from fcn_core.crf import CRF_PRESETS, refine_crf
    from fcn_core.mask import EmptyMaskError, MaskCleanup
    from fcn_core.models.registry import DEFAULT_MODEL, get_model_spec, model_names
    from fcn_core.photo import Photo, PhotoError, load_photo
    from fcn_core.pipeline import StickerRequest, photo_to_sticker, sticker_from_segmentation
    from fcn_core.save import TARGETS, StickerSaveError, save_sticker
    from fcn_core.segmentation import Segmentation
    from fcn_core.segmenter import Segmenter
    from fcn_core.sticker import Sticker, StickerStyle
    from fcn_core.weights.errors import WeightsError
    from fcn_core.weights.store import load_model
