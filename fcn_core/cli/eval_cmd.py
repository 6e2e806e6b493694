"""``fcn-sticker eval``: the paper's four metrics for any registry model or checkpoint on a dataset."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from fcn_core.cli.dataset_options import (
    DATASET_HELP,
    add_dataset_options,
    open_split,
)
from fcn_core.cli.errors import UsageError, handles_user_errors
from fcn_core.device import choose_device
from fcn_core.models.registry import DEFAULT_MODEL, model_names
from fcn_core.training.run_folder import latest_checkpoint

if TYPE_CHECKING:
    from fcn_core.weights.store import LoadedModel

EPILOG = f"""examples:
  fcn-sticker eval --weights runs/fcn8s --dataset voc --data ~/data/VOC
  fcn-sticker eval --model fcn8s --dataset voc --data ~/data/VOC --json fcn8s_voc12val.json
  fcn-sticker eval --model fcn_resnet50 --download --dataset voc --data ~/data/VOC --limit 100

{DATASET_HELP}"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eval",
        description=(
            "Run a model over a dataset split, one image at a time at full size, and report the FCN paper's "
            "metrics from one confusion matrix (label 255 ignored), per-class IU included. Prints the table "
            "and writes it as JSON."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--model", choices=model_names(), help=f"registry model (default: the weights' own, else {DEFAULT_MODEL})"
    )
    parser.add_argument("--weights", type=Path, help="weights file, checkpoint or training run folder (default: the cache)")
    parser.add_argument("--download", action="store_true", help="allow downloading the model's published weights")
    parser.add_argument("--split", help="split to score (default: the dataset's validation split)")
    parser.add_argument("--limit", type=int, help="score only the first N images")
    parser.add_argument("--device", help="cuda, cuda:1 or cpu (default: CUDA when present)")
    parser.add_argument("--json", type=Path, help="where to write the report (default: eval_<model>_<dataset>.json)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_dataset_options(parser, splits=())
    parser.set_defaults(func=run_eval)


def _load(args: argparse.Namespace) -> LoadedModel:
    from fcn_core.weights.store import load_model  # torch: only once the command runs

    weights = None if args.weights is None else latest_checkpoint(args.weights)
    return load_model(args.model, weights, allow_download=args.download)


def _brief(names: tuple[str, ...] | list[str], shown: int = 6) -> str:
    """``a, b, c, … (N)``: enough of a class list to see how two differ, without 150 names."""
    head = ", ".join(names[:shown])
    return f"({head}{', …' if len(names) > shown else ''}; {len(names)} classes)"


@handles_user_errors
def run_eval(args: argparse.Namespace) -> int:
    from fcn_core.training.evaluate import evaluate, evaluation_report, format_table, write_report

    if args.limit is not None and args.limit < 1:
        raise UsageError("--limit must be at least 1")
    device = choose_device(args.device)
    dataset = open_split(args, args.split, 1)
    loaded = _load(args)
    if loaded.classes.num_classes != dataset.classes.num_classes:
        raise UsageError(
            f"{loaded.spec.name} predicts {loaded.classes.num_classes} classes ({loaded.classes.name}) but "
            f"{dataset.name} has {dataset.classes.num_classes}"
        )
    if tuple(loaded.classes.names) != tuple(dataset.classes.names):
        index, model_name, data_name = next(
            (i, a, b) for i, (a, b) in enumerate(zip(loaded.classes.names, dataset.classes.names, strict=False)) if a != b
        )
        raise UsageError(
            f"{loaded.spec.name} predicts other classes than {dataset.name} has: model {_brief(loaded.classes.names)}, "
            f"dataset {_brief(dataset.classes.names)}; class {index} is {model_name!r} vs {data_name!r}"
        )
    model = loaded.model.to(device)
    evaluation = evaluate(model, dataset, loaded.normalization, device, limit=args.limit, progress=not args.no_progress)
    print(f"{loaded.spec.name} ({loaded.source}) on {dataset.name}, {evaluation.num_images} images")
    print(format_table(loaded.spec.name, evaluation.scores, dataset.classes.names))
    meta = {"model": loaded.spec.name, "weights": loaded.source, "dataset": dataset.name, "device": str(device)}
    target = args.json or Path(f"eval_{loaded.spec.name}_{dataset.name}.json")
    write_report(target, evaluation_report(evaluation, dataset.classes, meta))
    print(f"report written to {target}")
    return 0
