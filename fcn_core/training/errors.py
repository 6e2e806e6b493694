"""The errors training and evaluation raise for a user to act on. Kept free of torch so the
command line's one error mapper can name them without importing the training stack."""

from __future__ import annotations


class TrainingError(RuntimeError):
    """Training cannot go on (diverged, or a resume that would not be exact); the message says why."""


class DatasetError(ValueError):
    """A dataset tree or file that cannot be used; the message names the path and what is expected."""
