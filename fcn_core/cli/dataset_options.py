"""Dataset options and error handling shared by ``fcn-sticker train`` and ``fcn-sticker eval``."""

from __future__ import annotations

import argparse
from pathlib import Path

from fcn_core.training.data import (
    DATASET_KINDS,
    DEFAULT_SPLITS,
    SegmentationDataset,
    open_dataset,
)

DATASET_HELP = """datasets (--dataset KIND --data ROOT):
  voc      PASCAL VOC 2012: ROOT holds VOCdevkit/VOC2012 (or is VOC2012), splits train/val/trainval
  voc-aug  train_aug = VOC 2012 train + SBD train/val minus VOC 2012 val (10,582 images); needs
           --sbd benchmark_RELEASE/dataset; validation on VOC 2012 val
  sbd      SBD alone: ROOT = benchmark_RELEASE/dataset (img/, cls/*.mat, train.txt, val.txt)
  folder   your own data: ROOT/images/SPLIT/*.jpg|png, ROOT/masks/SPLIT/NAME.png (index PNG:
           pixel = class index, 255 = ignore), ROOT/classes.txt (line i = name of class i)
  ade20k   ADEChallengeData2016: images/ and annotations/ with training/validation splits,
           150 classes + "other" (0)
"""


def add_dataset_options(parser: argparse.ArgumentParser, *, splits: tuple[str, ...]) -> None:
    """``--dataset``, ``--data``, ``--sbd`` and one ``--<name>-split`` option per entry of ``splits``."""
    group = parser.add_argument_group("data")
    group.add_argument("--dataset", choices=DATASET_KINDS, required=True, help="dataset layout (see below)")
    group.add_argument("--data", type=Path, required=True, metavar="ROOT", help="the dataset's root folder")
    group.add_argument("--sbd", type=Path, metavar="ROOT", help="SBD's benchmark_RELEASE/dataset (for voc-aug)")
    for name in splits:
        group.add_argument(
            f"--{name}-split", metavar="SPLIT",
            help=f"{name} split (default: the dataset's own, e.g. VOC train/val, ADE20K training/validation, "
            "folder train/val; '' for a folder without split sub-folders)",
        )


def open_split(args: argparse.Namespace, split: str | None, default_index: int) -> SegmentationDataset:
    """The dataset of ``--dataset``/``--data`` at ``split`` (None: the kind's default; 0 = training, 1 = validation)."""
    if split is None:
        split = DEFAULT_SPLITS[args.dataset][default_index]
    return open_dataset(args.dataset, args.data, split, sbd_root=args.sbd)
