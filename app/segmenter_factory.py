"""How the window gets a segmenter: which model to load, and the factory that loads it.

No Qt here: the compute process (``fcn_core.compute.server``) unpickles the factory and calls
it, and importing this module must stay cheap there (torch is imported inside the factory).
Tests inject their own factory (a stub, or a tiny random-weight FCN); the product's
``default_segmenter_factory`` only ever loads real weights.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from fcn_core import ClassSet
from fcn_core.pipeline import SegmenterLike

ProgressCallback = Callable[[int, "int | None"], None]


class AppSegmenter(SegmenterLike, Protocol):
    """What the window needs from a segmenter: the pipeline's protocol plus a name and classes."""

    model_name: str
    classes: ClassSet


@dataclass(frozen=True)
class ModelRequest:
    """Which model to load: a registry name, an explicit weights file, whether a download is agreed."""

    name: str
    weights: Path | None = None
    allow_download: bool = False


SegmenterFactory = Callable[[ModelRequest, ProgressCallback, Callable[[], bool]], AppSegmenter]
"""Builds the segmenter for a request; gets a download progress callback and a cancel check."""


def default_segmenter_factory(
    request: ModelRequest, progress: ProgressCallback, cancel: Callable[[], bool]
) -> AppSegmenter:
    """Real weights through ``fcn_core.weights.store.load_model``: never random weights in the product."""
    from fcn_core.segmenter import Segmenter
    from fcn_core.weights.store import load_model

    loaded = load_model(
        request.name, request.weights, allow_download=request.allow_download, progress=progress, cancel=cancel
    )
    return Segmenter(loaded)
