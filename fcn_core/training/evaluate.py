"""Score a model on a labelled set the way the FCN paper does, and report it in the paper's table.

Images go through the network one at a time at their own size (no resizing, no crop: the VGG
FCNs produce an output of exactly the input size), the arg-max label map is compared with the
ground truth, and one confusion matrix is summed over the whole set (see ``metrics``). Under
``torchrun`` each rank scores every W-th image and the matrices are summed across ranks.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from fcn_core.atomic_file import write_text_atomically
from fcn_core.classes import ClassSet
from fcn_core.models.normalization import Normalization
from fcn_core.training.data import SegmentationDataset
from fcn_core.training.distributed import DistributedContext, all_reduce_sum
from fcn_core.training.metrics import SegmentationScores, confusion_counts, scores_from_confusion


@dataclass(frozen=True)
class Evaluation:
    scores: SegmentationScores
    confusion: np.ndarray
    num_images: int


@torch.no_grad()
def evaluate(
    model: nn.Module,
    dataset: SegmentationDataset,
    normalization: Normalization,
    device: torch.device,
    *,
    limit: int | None = None,
    context: DistributedContext | None = None,
    progress: bool = False,
) -> Evaluation:
    """Confusion matrix and scores of ``model`` (put in eval mode) over the first ``limit`` images."""
    num_classes = dataset.classes.num_classes
    count = len(dataset) if limit is None else min(limit, len(dataset))
    rank, world = (context.rank, context.world_size) if context else (0, 1)
    was_training = model.training
    model.eval()
    confusion = torch.zeros(num_classes, num_classes, dtype=torch.int64, device=device)
    indices = range(rank, count, world)
    for index in tqdm(indices, desc="evaluating", unit="img", disable=not progress or rank != 0, leave=False):
        image, mask = dataset[index]
        logits = model(normalization.to_tensor(image).to(device))
        if logits.shape[1] != num_classes:
            raise ValueError(f"the model predicts {logits.shape[1]} classes but {dataset.name} has {num_classes}")
        confusion += confusion_counts(torch.from_numpy(mask).to(device), logits.argmax(1)[0], num_classes)
    model.train(was_training)
    if context is not None:
        all_reduce_sum(confusion, context)
    matrix = confusion.cpu().numpy()
    return Evaluation(scores_from_confusion(matrix), matrix, count)


def _percent(value: float) -> str:
    return "  —" if math.isnan(value) else f"{100 * value:5.1f}"


def format_table(label: str, scores: SegmentationScores, class_names: Sequence[str]) -> str:
    """The paper's Table 3 layout (percent, one decimal), then IU per class (— = class absent)."""
    name_width = max(len(label), max((len(name) for name in class_names), default=0), 8)
    lines = [
        f"{'':{name_width}}  pixel acc.  mean acc.  mean IU  f.w. IU",
        (
            f"{label:{name_width}}  {_percent(scores.pixel_accuracy):>10}  {_percent(scores.mean_accuracy):>9}"
            f"  {_percent(scores.mean_iu):>7}  {_percent(scores.frequency_weighted_iu):>7}"
        ),
        "",
        f"{'class':{name_width}}  IU",
    ]
    lines += [f"{name:{name_width}}  {_percent(iu)}" for name, iu in zip(class_names, scores.per_class_iu, strict=False)]
    return "\n".join(lines)


def evaluation_report(evaluation: Evaluation, classes: ClassSet, meta: dict[str, Any]) -> dict[str, Any]:
    """JSON-ready report: ``meta`` (model, weights, dataset), the scores, and the confusion matrix."""
    return {
        **meta,
        "num_images": evaluation.num_images,
        "classes": list(classes.names),
        **evaluation.scores.to_dict(classes.names),
        "confusion_matrix": evaluation.confusion.tolist(),
    }


def write_report(path: Path, report: dict[str, Any]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomically(path, json.dumps(report, indent=2))
    return path
