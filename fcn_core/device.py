"""Which torch device runs the network: the one chooser the segmenter, evaluation and training share.

An explicitly requested device that is not there is an error that says what to use instead,
never a quiet CPU run (a user who typed ``--device cuda`` wants to know their GPU is not used).
Without a request: CUDA, else Apple's MPS, else the CPU.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


class DeviceUnavailableError(ValueError):
    """The requested device does not exist here (e.g. ``--device cuda`` without CUDA); the message says what to use."""


def best_device(local_rank: int | None = None) -> torch.device:
    """CUDA if there is a GPU (device ``local_rank`` under torchrun), else MPS, else the CPU."""
    import torch  # here: naming DeviceUnavailableError (the CLI's error mapper) must not cost a torch import

    if torch.cuda.is_available():
        return torch.device("cuda", local_rank) if local_rank is not None else torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def choose_device(requested: str | torch.device | None, local_rank: int | None = None) -> torch.device:
    """``requested`` if given and present, else :func:`best_device`; ``cuda`` without an index
    becomes ``cuda:<local_rank>`` when a rank is given (one GPU per process under torchrun)."""
    import torch

    if requested is None or requested == "":
        return best_device(local_rank)
    try:
        device = torch.device(requested)
    except RuntimeError:
        raise DeviceUnavailableError(f"unknown device {requested!r}; use cuda, cuda:N, mps or cpu") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise DeviceUnavailableError(f"--device {requested} was asked for but no CUDA device is available; use --device cpu")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise DeviceUnavailableError(f"--device {requested} was asked for but Apple MPS is not available; use --device cpu")
    if device.type == "cuda" and device.index is None and local_rank is not None:
        device = torch.device("cuda", local_rank)
    return device
