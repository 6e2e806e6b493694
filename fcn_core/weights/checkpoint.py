"""The project's checkpoint file (``.pt``) and safe loading of any PyTorch weight file.

A checkpoint is a plain dict, so it can be read with ``torch.load(weights_only=True)`` (no
code in the file ever runs):

    format          "fcn-sticker-checkpoint"
    version         1
    arch            registry name (``fcn8s``, ``fcn_resnet50``, …)
    model_kwargs    {"num_classes": int, "width": float}: what to pass to the registry builder
    classes         {"name": str, "names": [str, …]}
    normalization   Normalization.to_dict(): the input the weights expect
    state_dict      the model's state dict
    provenance      {"source", "dataset", "recipe", "iteration", "metrics", "created", …}
    extra           optional dict (e.g. optimizer state for resuming), plain values and tensors

``width`` is stored rather than inferred because rounding channel counts is not invertible
for every width (0.3 × 64 rounds to 19, and 19 / 64 × 4096 is not 0.3 × 4096).
"""

from __future__ import annotations

import datetime as _dt
import logging
import pickle
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from fcn_core.atomic_file import write_atomically
from fcn_core.classes import ClassSet
from fcn_core.models.normalization import Normalization
from fcn_core.weights.errors import WeightsError

logger = logging.getLogger(__name__)

CHECKPOINT_FORMAT = "fcn-sticker-checkpoint"
CHECKPOINT_VERSION = 1
_REQUIRED_KEYS = ("arch", "classes", "normalization", "state_dict")
_FORBIDDEN_GLOBAL = re.compile(r"GLOBAL ([A-Za-z_][\w.]*\w)")
"""How PyTorch's weights-only unpickler names the object it refused ("GLOBAL posix.system")."""


@dataclass(frozen=True, eq=False)
class Checkpoint:
    """A loaded project checkpoint (tensors on the CPU)."""

    arch: str
    classes: ClassSet
    normalization: Normalization
    state_dict: dict[str, torch.Tensor]
    provenance: dict[str, Any]
    extra: dict[str, Any] | None = None
    width: float = 1.0

    @property
    def num_classes(self) -> int:
        return self.classes.num_classes


def safe_torch_load(path: str | Path) -> Any:
    """``torch.load`` restricted to tensors and plain containers, on the CPU.

    A ``.pt``/``.pth`` file is a pickle, and unpickling can run arbitrary code; with
    ``weights_only=True`` PyTorch refuses every object that is not a tensor or a plain value.
    Every failure becomes a ``WeightsError`` naming the file.
    """
    path = Path(path)
    try:
        return torch.load(path, weights_only=True, map_location="cpu")
    except pickle.UnpicklingError as error:
        raise WeightsError(
            f"refused to load {path}: it contains Python objects other than tensors and plain values "
            f"(a pickle like this can run code when opened, so it is never unpickled). "
            f"Only weight files are accepted (a whole model saved with torch.save(model) is refused too: "
            f"save model.state_dict() instead){_forbidden_object(error)}"
        ) from error
    except FileNotFoundError as error:
        raise WeightsError(f"weights file {path} does not exist") from error
    except IsADirectoryError as error:
        raise WeightsError(f"{path} is a folder, not a weights file") from error
    except PermissionError as error:
        raise WeightsError(f"cannot read {path}: permission denied") from error
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError, OSError, AttributeError) as error:
        logger.info("torch.load(%s) failed: %s", path, _first_line(error))  # PyTorch's words, for -v
        raise WeightsError(
            f"{path} is incomplete or damaged: it is not a whole PyTorch weights file "
            "(was the download or copy cut short? get the file again)"
        ) from error


def _forbidden_object(error: BaseException) -> str:
    """``; it holds a NAME`` for the first object PyTorch refused, else nothing. PyTorch's own
    text is not passed on: it explains how to load the file unsafely."""
    match = _FORBIDDEN_GLOBAL.search(str(error))
    return f"; it holds a {match.group(1)}" if match else ""


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def is_project_checkpoint(obj: object) -> bool:
    """Whether a loaded object looks like one of our checkpoints (vs. a bare state dict)."""
    return isinstance(obj, Mapping) and (
        obj.get("format") == CHECKPOINT_FORMAT or all(key in obj for key in _REQUIRED_KEYS)
    )


def save_checkpoint(
    path: str | Path,
    model: nn.Module,
    *,
    arch: str,
    classes: ClassSet,
    normalization: Normalization,
    provenance: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write ``model``'s weights and everything needed to use them again, atomically.

    ``provenance`` and ``extra`` must hold only plain values and tensors (what
    ``weights_only`` loading accepts); anything else is refused here rather than producing a
    file that cannot be opened later. ``provenance["created"]`` is filled in when missing.
    """
    path = Path(path)
    provenance = dict(provenance)
    provenance.setdefault("created", _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"))
    _check_plain(provenance, "provenance")
    if extra is not None:
        _check_plain(extra, "extra")
    payload = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "arch": arch,
        "model_kwargs": {"num_classes": classes.num_classes, "width": float(getattr(model, "width", 1.0))},
        "classes": {"name": classes.name, "names": list(classes.names)},
        "normalization": normalization.to_dict(),
        "state_dict": {name: tensor.detach().cpu() for name, tensor in model.state_dict().items()},
        "provenance": provenance,
        "extra": extra,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, lambda file: torch.save(payload, file))
    logger.info("saved %s checkpoint to %s", arch, path)
    return path


def _check_plain(value: Any, where: str) -> None:
    """Refuse values that ``weights_only`` loading would reject (numpy arrays, objects, …)."""
    if value is None or isinstance(value, (str, int, float, bool, torch.Tensor)):
        return
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _check_plain(item, f"{where}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, (str, int)):
                raise WeightsError(f"checkpoint {where} has a key of type {type(key).__name__}; use str keys")
            _check_plain(item, f"{where}[{key!r}]")
        return
    raise WeightsError(
        f"checkpoint {where} holds a {type(value).__name__}; only plain values (str, int, float, bool, "
        f"None, lists, dicts) and tensors can be stored so that the file loads safely"
    )


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Read a project checkpoint; a bare state dict or a damaged file raises ``WeightsError``."""
    path = Path(path)
    return checkpoint_from_dict(safe_torch_load(path), path)


def checkpoint_from_dict(data: object, path: Path) -> Checkpoint:
    """Validate an already loaded checkpoint dict (see the module docstring for the fields)."""
    if not is_project_checkpoint(data):
        raise WeightsError(
            f"{path} is not an FCN Sticker Studio checkpoint (it lacks {', '.join(_REQUIRED_KEYS)}); "
            f"import other weight files with `fcn-sticker weights import`"
        )
    assert isinstance(data, Mapping)
    version = data.get("version", CHECKPOINT_VERSION)
    if not isinstance(version, int) or version > CHECKPOINT_VERSION:
        raise WeightsError(f"{path} is a checkpoint of version {version}; this program reads up to {CHECKPOINT_VERSION}")
    try:
        arch = str(data["arch"])
        classes = ClassSet(str(data["classes"]["name"]), tuple(str(name) for name in data["classes"]["names"]))
        normalization = Normalization.from_dict(dict(data["normalization"]))
        width = float((data.get("model_kwargs") or {}).get("width", 1.0))
    except (KeyError, TypeError, ValueError) as error:
        raise WeightsError(f"{path} has a malformed checkpoint header: {error!r}") from error
    state_dict = data["state_dict"]
    if not isinstance(state_dict, Mapping) or not all(
        isinstance(key, str) and isinstance(value, torch.Tensor) for key, value in state_dict.items()
    ):
        raise WeightsError(f"{path}: 'state_dict' must map layer names to tensors")
    provenance = data.get("provenance") or {}
    extra = data.get("extra")
    if not isinstance(provenance, dict) or (extra is not None and not isinstance(extra, dict)):
        raise WeightsError(f"{path}: 'provenance' and 'extra' must be dicts")
    return Checkpoint(arch, classes, normalization, dict(state_dict), provenance, extra, width)


@dataclass(frozen=True)
class StateDictMismatch:
    """The first difference between a state dict and a model, for the error message."""

    layer: str
    file_shape: tuple[int, ...] | None = None
    model_shape: tuple[int, ...] | None = None
    others: list[str] = field(default_factory=list)

    def message(self) -> str:
        if self.file_shape is None:
            text = f"the weights lack layer '{self.layer}' (the model expects shape {list(self.model_shape or ())})"
        elif self.model_shape is None:
            text = f"the weights have layer '{self.layer}' (shape {list(self.file_shape)}) that the model does not"
        else:
            text = (
                f"layer '{self.layer}' has shape {list(self.file_shape)} in the weights "
                f"but {list(self.model_shape)} in the model"
            )
        if self.others:
            text += f" ({len(self.others)} more mismatching: {', '.join(self.others[:5])}{'…' if len(self.others) > 5 else ''})"
        return text


def find_mismatch(model: nn.Module, state_dict: Mapping[str, torch.Tensor]) -> StateDictMismatch | None:
    """Compare names and shapes in the model's own order; ``None`` when they agree exactly."""
    expected = model.state_dict()
    problems: list[StateDictMismatch] = []
    for name, tensor in expected.items():
        if name not in state_dict:
            problems.append(StateDictMismatch(name, None, tuple(tensor.shape)))
        elif not isinstance(state_dict[name], torch.Tensor):
            raise WeightsError(f"layer '{name}' in the weights is a {type(state_dict[name]).__name__}, not a tensor")
        elif tuple(state_dict[name].shape) != tuple(tensor.shape):
            problems.append(StateDictMismatch(name, tuple(state_dict[name].shape), tuple(tensor.shape)))
    for name, tensor in state_dict.items():
        if name not in expected:
            shape = tuple(tensor.shape) if isinstance(tensor, torch.Tensor) else ()
            problems.append(StateDictMismatch(name, shape, None))
    if not problems:
        return None
    first = problems[0]
    return StateDictMismatch(first.layer, first.file_shape, first.model_shape, [p.layer for p in problems[1:]])


def load_state_dict_checked(model: nn.Module, state_dict: Mapping[str, torch.Tensor]) -> None:
    """``model.load_state_dict(strict=True)`` with an error that names the first bad layer and both
    shapes (PyTorch's own message lists every key and is hard to read for a user)."""
    mismatch = find_mismatch(model, state_dict)
    if mismatch is not None:
        raise WeightsError(f"weights do not fit {type(model).__name__}: {mismatch.message()}")
    model.load_state_dict(dict(state_dict), strict=True)
