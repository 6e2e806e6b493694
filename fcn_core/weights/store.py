"""Turn a model name (and maybe a file) into a ready model with the right classes and input.

Resolution order (DESIGN §4): an explicit file, then the cache, then a download the user
agreed to. Nothing falls back silently: no weights is an error that says how to get them,
and a random-weight model only comes from ``random_model`` (tests, training from scratch).

Cache layout, under ``cache_dir()`` (platformdirs' user cache dir, or ``$FCN_STICKER_HOME``):

    checkpoints/<model>.pt    project checkpoints made by ``import_weights`` (checked first)
    downloads/<file>          Caffe and pytorch-fcn files fetched from a model's sources

torchvision files go where torchvision itself looks, ``$TORCH_HOME/hub/checkpoints``, so the
two never download the same file twice.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import platformdirs
import torch
from torch import nn

from fcn_core.classes import ClassSet
from fcn_core.models.normalization import Normalization
from fcn_core.models.registry import DEFAULT_MODEL, ModelSpec, get_model_spec
from fcn_core.weights.checkpoint import load_state_dict_checked, save_checkpoint
from fcn_core.weights.download import DownloadCancelled, DownloadError, ProgressCallback, download_file
from fcn_core.weights.errors import WeightsError, WeightsNotFoundError
from fcn_core.weights.formats import WeightsFile, read_weights_file
from fcn_core.weights.sources import WeightSource

__all__ = [
    "DownloadCancelled", "DownloadError", "LoadedModel", "ProgressCallback", "WeightsError", "WeightsNotFoundError",
    "cache_dir", "cached_source_path", "download_weights", "import_weights", "imported_checkpoint_path",
    "load_model", "load_weights_file", "random_model", "source_path",
]

logger = logging.getLogger(__name__)

APP_NAME = "fcn-sticker-studio"
HOME_ENV = "FCN_STICKER_HOME"
SCALE_TOLERANCE = 1e-6
"""Relative tolerance when a file's fixed scale (stored as float32) is compared with the model's."""


@dataclass(frozen=True)
class LoadedModel:
    """A model in eval mode with the classes and input normalisation its weights expect."""

    model: nn.Module
    spec: ModelSpec
    classes: ClassSet
    normalization: Normalization
    source: str


def cache_dir() -> Path:
    """Where weights are kept: ``$FCN_STICKER_HOME`` if set, else the user cache dir."""
    override = os.environ.get(HOME_ENV)
    return Path(override) if override else Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def imported_checkpoint_path(model_name: str) -> Path:
    """Where ``import_weights`` stores a model's checkpoint (and where loading looks first)."""
    return cache_dir() / "checkpoints" / f"{model_name}.pt"


def source_path(source: WeightSource) -> Path:
    """Where a source's file lives once downloaded."""
    if source.format == "torchvision":
        return Path(torch.hub.get_dir()) / "checkpoints" / source.filename
    return cache_dir() / "downloads" / source.filename


def cached_source_path(source: WeightSource) -> Path | None:
    """The downloaded file of ``source`` if it is on disk."""
    path = source_path(source)
    return path if path.is_file() else None


def _spec(model_name: str) -> ModelSpec:
    try:
        return get_model_spec(model_name)
    except KeyError as error:
        raise WeightsError(error.args[0]) from None


def load_weights_file(path: str | Path, model_name: str | None = None) -> LoadedModel:
    """Load any supported weight file into the registry model ``model_name``, or (None) into
    the architecture the file holds.

    The file's architecture, class count and (for our checkpoints) classes and normalisation
    are read from the file and must agree with the model; a mismatch names both. A file that
    fits several architectures and does not say which is refused unless the model is named.
    """
    weights = read_weights_file(path)
    return _load(weights, _spec(model_name or weights.arch))


def _load(weights: WeightsFile, spec: ModelSpec) -> LoadedModel:
    if spec.name not in weights.archs:
        options = " or ".join(f"--model {arch}" for arch in weights.archs)
        raise WeightsError(f"{weights.path} holds {weights.describe()}, not {spec.name}; load it with {options}")
    classes = weights.classes or spec.classes
    if classes.num_classes != weights.num_classes:
        raise WeightsError(
            f"{weights.path} scores {weights.num_classes} classes but {spec.name} uses "
            f"{spec.classes.name} ({spec.classes.num_classes}); a checkpoint of our own training records its classes"
        )
    model = _build(spec, weights)
    load_state_dict_checked(model, weights.state_dict)
    _check_scales(model, weights)
    logger.info("loaded %s from %s (%s)", spec.name, weights.path, weights.format)
    return LoadedModel(model.eval(), spec, classes, weights.normalization, str(weights.path))


def _build(spec: ModelSpec, weights: WeightsFile) -> nn.Module:
    try:
        return spec.build(num_classes=weights.num_classes, width=weights.width)
    except ValueError as error:
        raise WeightsError(f"{weights.path}: cannot build {spec.name} for these weights: {error}") from error


def _check_scales(model: nn.Module, weights: WeightsFile) -> None:
    for attribute, value in weights.scales.items():
        wanted = getattr(model, attribute, None)
        if wanted is None or abs(value - wanted) > SCALE_TOLERANCE * abs(wanted):
            raise WeightsError(f"{weights.path}: fixed {attribute} is {value:g} in the file but {wanted} in the model")


def load_model(
    model_name: str | None,
    weights: Path | None = None,
    *,
    allow_download: bool = False,
    progress: ProgressCallback | None = None,
    cancel: Callable[[], bool] | None = None,
) -> LoadedModel:
    """An explicit file, else the cache, else a download if allowed; else ``WeightsNotFoundError``.

    ``model_name`` None means the explicit file's own architecture (see ``load_weights_file``),
    or ``DEFAULT_MODEL`` when there is no file.

    A cached file that fails to load is an error (naming the file), not a reason to try the
    next one: a silently different model would be worse than a clear message.
    """
    if weights is not None:
        return load_weights_file(weights, model_name)
    model_name = model_name or DEFAULT_MODEL
    spec = _spec(model_name)
    cached = _cached_files(spec)
    if cached:
        try:
            return load_weights_file(cached[0], model_name)
        except WeightsError as error:
            raise WeightsError(
                f"{error} — the cached file {cached[0]} is unusable; delete it and download or import again"
            ) from error
    if allow_download and spec.weight_sources:
        return load_weights_file(download_weights(model_name, progress=progress, cancel=cancel), model_name)
    raise WeightsNotFoundError(_not_found_message(spec))


def _cached_files(spec: ModelSpec) -> list[Path]:
    """Imported checkpoint first (the user's explicit choice), then downloads in source order."""
    candidates = [imported_checkpoint_path(spec.name)] + [source_path(source) for source in spec.weight_sources]
    return [path for path in candidates if path.is_file()]


def _not_found_message(spec: ModelSpec) -> str:
    lines = [f"no weights for {spec.name} on this computer (looked in {cache_dir()})."]
    if spec.weight_sources:
        lines.append(f"Download them: `fcn-sticker weights download {spec.name}` (or allow the download in the app).")
    lines.append(
        f"Or use a file you have: `fcn-sticker weights import PATH --model {spec.name}`, "
        f"`--weights PATH`, or “Load weights…” in the app."
    )
    return " ".join(lines)


def download_weights(
    model_name: str,
    source_key: str | None = None,
    *,
    progress: ProgressCallback | None = None,
    cancel: Callable[[], bool] | None = None,
) -> Path:
    """Download a model's weights (the named source, or each source in turn until one works).

    Returns the file, which is then found by ``load_model`` from the cache. When every source
    fails, the ``DownloadError`` lists each failure; a cancel stops at once.
    """
    spec = _spec(model_name)
    sources = [s for s in spec.weight_sources if source_key in (None, s.key)]
    if not sources:
        known = ", ".join(s.key for s in spec.weight_sources) or "none"
        raise WeightsError(f"{model_name} has no weight source {source_key!r} (sources: {known})")
    failures: list[DownloadError] = []
    for source in sources:
        target = source_path(source)
        if target.is_file():
            return target
        try:
            return download_file(
                source.url, target, sha256=source.sha256, sha256_prefix=source.sha256_prefix, md5=source.md5,
                progress=progress, cancel=cancel, model_name=model_name,
            )
        except DownloadCancelled:
            raise
        except DownloadError as error:
            logger.info("source %s of %s failed: %s", source.key, model_name, error.reason)
            failures.append(error)
    if len(failures) == 1:
        raise failures[0]
    listing = "\n".join(f"[{source.key}] {error.reason}" for source, error in zip(sources, failures, strict=False))
    raise DownloadError(f"every source of {model_name} failed:\n{listing}", failures[-1].hint)


def import_weights(path: str | Path, model_name: str | None = None) -> Path:
    """Convert any supported file into a project checkpoint in the cache, where ``load_model``
    finds it first from now on. ``model_name`` None: the model the file holds (see
    ``load_weights_file``). Returns the checkpoint path (``imported_checkpoint_path``)."""
    weights = read_weights_file(path)
    loaded = _load(weights, _spec(model_name or weights.arch))
    model_name = loaded.spec.name
    provenance = {
        "source": "imported",
        "imported_from": str(weights.path.resolve()),
        "format": weights.format,
        "original": weights.provenance,
    }
    target = save_checkpoint(
        imported_checkpoint_path(model_name), loaded.model, arch=model_name, classes=loaded.classes,
        normalization=loaded.normalization, provenance=provenance,
    )
    logger.info("imported %s as %s", path, target)
    return target


def random_model(model_name: str, width: float = 1.0, num_classes: int | None = None) -> LoadedModel:
    """A randomly initialised model (bilinear upsampling) for tests and training from scratch.

    Never used as a fallback when weights are missing: a random model segments nothing.
    """
    spec = _spec(model_name)
    model = spec.build(num_classes=num_classes, width=width)
    classes = spec.classes
    if num_classes is not None and num_classes != spec.classes.num_classes:
        classes = ClassSet(f"{num_classes} classes", tuple(f"class {index}" for index in range(num_classes)))
    return LoadedModel(model, spec, classes, spec.normalization, "random init")

