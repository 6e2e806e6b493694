"""Where a training run keeps its checkpoints, and how to find the latest one.

A run folder holds ``checkpoint_iterNNNNNN.pt`` files (zero-padded, so they sort by name too),
``log.csv`` and ``curves.png``. Commands accept either a checkpoint file or the run folder,
meaning its latest checkpoint.
"""

from __future__ import annotations

import re
from pathlib import Path

CHECKPOINT_PATTERN = re.compile(r"checkpoint_iter(\d+)\.pt$")


def checkpoint_path(out_dir: Path, iteration: int) -> Path:
    return Path(out_dir) / f"checkpoint_iter{iteration:06d}.pt"


def checkpoints_in(folder: Path) -> list[tuple[int, Path]]:
    """(iteration, path) of the run's checkpoints in ``folder``, oldest first."""
    found = []
    for path in Path(folder).glob("checkpoint_iter*.pt"):
        match = CHECKPOINT_PATTERN.search(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


def latest_checkpoint(path: Path) -> Path:
    """``path`` itself, or the latest checkpoint of the run folder ``path``."""
    path = Path(path)
    if path.is_dir():
        found = checkpoints_in(path)
        if not found:
            raise FileNotFoundError(f"{path} holds no checkpoint_iter*.pt files")
        return found[-1][1]
    return path
