"""Errors of the weights layer, in a module of their own so that the checkpoint, Caffe,
download and resolution modules can share them without importing each other.

Every message is meant to be shown to a user as is: it names the file, what is wrong, and
where possible what to do instead.
"""

from __future__ import annotations


class WeightsError(RuntimeError):
    """Weights could not be read, converted, or matched to a model."""


class WeightsNotFoundError(WeightsError):
    """No weights for a model on disk, and downloading was not allowed."""


class AmbiguousWeightsError(WeightsError):
    """A file fits several architectures (``candidates``) and says nothing that tells them
    apart: the caller must name the model (the command line asks for ``--model``, the window
    asks which one it is)."""

    def __init__(self, message: str, candidates: tuple[str, ...]) -> None:
        super().__init__(message)
        self.candidates = candidates

    def __reduce__(self) -> tuple[type[AmbiguousWeightsError], tuple[str, tuple[str, ...]]]:
        return type(self), (str(self), self.candidates)  # crosses to the window from the compute process


OFFLINE_HINT = (
    "Without internet access: download the file on another machine, then run "
    "`fcn-sticker weights import PATH --model {model}` or use “Load weights…” in the app."
)
"""How to get weights without this machine reaching the internet; ``{model}`` is filled in."""


def offline_hint(model_name: str | None = None) -> str:
    """The offline alternative, naming the model when it is known."""
    return OFFLINE_HINT.format(model=model_name or "NAME")
