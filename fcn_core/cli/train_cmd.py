"""``fcn-sticker train``: train a VGG16 FCN stage (or resume a run)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fcn_core.cli.dataset_options import (
    DATASET_HELP,
    add_dataset_options,
    open_split,
)
from fcn_core.cli.errors import EXIT_INTERRUPTED, UsageError, handles_user_errors
from fcn_core.training.recipes import INIT_SCRATCH, INIT_VGG16, OPTIMIZERS, PAPER_PREDECESSOR, RECIPE_NAMES, make_recipe
from fcn_core.training.run_folder import latest_checkpoint

if TYPE_CHECKING:
    from fcn_core.training.loop import TrainConfig

EPILOG = f"""the paper's three stages on VOC (reference recipe, one GPU, about a day each):
  fcn-sticker train --arch fcn32s --dataset voc-aug --data ~/data/VOC --sbd ~/data/SBD --out runs/fcn32s --download
  fcn-sticker train --arch fcn16s --init runs/fcn32s --dataset voc-aug --data ~/data/VOC --sbd ~/data/SBD --out runs/fcn16s
  fcn-sticker train --arch fcn8s  --init runs/fcn16s --dataset voc-aug --data ~/data/VOC --sbd ~/data/SBD --out runs/fcn8s

faster, on your own data (modern recipe: mean loss, crops, poly decay, AMP on CUDA):
  fcn-sticker train --arch fcn8s-atonce --recipe modern --optimizer adam --dataset folder --data my_data --out runs/mine

continue a run (after Ctrl-C or a crash), optionally for longer:
  fcn-sticker train --resume runs/fcn32s --dataset voc-aug --data ~/data/VOC --sbd ~/data/SBD
several GPUs (same options; --batch-size is per GPU):
  torchrun --nproc_per_node 4 "$(which fcn-sticker)" train ...

{DATASET_HELP}"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        description=(
            "Train one stage of the FCN family. FCN-32s and FCN-8s-at-once start from ImageNet VGG16; "
            "FCN-16s starts from a trained FCN-32s and FCN-8s from a trained FCN-16s (--init). Writes "
            "checkpoints, log.csv and curves.png to --out. Ctrl-C saves a checkpoint, then stops."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    model = parser.add_argument_group("model")
    model.add_argument("--arch", choices=tuple(PAPER_PREDECESSOR), help="which net to train (required unless --resume)")
    model.add_argument(
        "--init", metavar="FROM",
        help=f"'{INIT_VGG16}' (ImageNet), '{INIT_SCRATCH}', or a checkpoint / run folder of the previous stage "
        "(default: vgg16 for fcn32s and fcn8s-atonce; fcn16s and fcn8s need one)",
    )
    model.add_argument("--width", type=float, default=1.0, help="channel width factor (1.0 = the paper's net)")
    model.add_argument("--download", action="store_true", help="allow downloading the ImageNet VGG16 weights")
    recipe = parser.add_argument_group("recipe")
    recipe.add_argument("--recipe", choices=RECIPE_NAMES, help="reference (the paper, default) or modern")
    recipe.add_argument("--optimizer", choices=OPTIMIZERS, help="modern recipe: sgd (default) or adam")
    recipe.add_argument("--lr", type=float, help="base learning rate (default: the recipe's)")
    recipe.add_argument("--iterations", type=int, help="total updates (reference: 100,000; at-once 300,000)")
    recipe.add_argument("--batch-size", type=int, help="images per update and process")
    recipe.add_argument("--crop-size", type=int, help="random crop side in pixels; 0 = whole images (batch size 1)")
    recipe.add_argument(
        "--scale-range", type=float, nargs=2, metavar=("MIN", "MAX"), help="random rescaling range (modern: 0.5 2.0; 1 1 = off)"
    )
    recipe.add_argument("--no-flip", action="store_true", help="no random horizontal flips")
    recipe.add_argument("--val-interval", type=int, help="validate every N iterations")
    recipe.add_argument("--checkpoint-interval", type=int, help="save a checkpoint every N iterations")
    recipe.add_argument("--learn-upsampling", action="store_true", help="train the bilinear deconvolutions too")
    recipe.add_argument("--no-amp", action="store_true", help="modern recipe: full precision on CUDA")
    run = parser.add_argument_group("run")
    run.add_argument("--out", type=Path, help="output folder (required unless --resume)")
    run.add_argument("--resume", type=Path, metavar="CHECKPOINT", help="continue a run from a checkpoint or run folder")
    run.add_argument("--seed", type=int, default=1337, help="seed for data order, augmentation and dropout")
    run.add_argument("--device", help="cuda, cuda:1 or cpu (default: CUDA when present)")
    run.add_argument("--workers", type=int, default=2, help="data loading processes (0 = in the main process)")
    run.add_argument("--val-limit", type=int, help="validate on the first N images only (the eval command does all)")
    run.add_argument("--keep-checkpoints", type=int, default=3, help="how many recent checkpoints to keep")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_dataset_options(parser, splits=("train", "val"))
    parser.set_defaults(func=run_train)


def _recipe_overrides(args: argparse.Namespace) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for option, field in (
        ("lr", "learning_rate"), ("iterations", "iterations"), ("batch_size", "batch_size"),
        ("val_interval", "val_interval"), ("checkpoint_interval", "checkpoint_interval"),
    ):
        if getattr(args, option) is not None:
            overrides[field] = getattr(args, option)
    if args.crop_size is not None:
        overrides["crop_size"] = args.crop_size or None
    if args.scale_range is not None:
        overrides["scale_range"] = None if tuple(args.scale_range) == (1.0, 1.0) else tuple(args.scale_range)
    if args.no_flip:
        overrides["flip"] = False
    if args.learn_upsampling:
        overrides["learn_upsampling"] = True
    if args.no_amp:
        overrides["amp"] = False
    return overrides


def _new_config(args: argparse.Namespace) -> TrainConfig:
    from fcn_core.training.loop import TrainConfig

    if args.arch is None or args.out is None:
        raise UsageError("--arch and --out are needed to start a run (or --resume one)")
    init = args.init or PAPER_PREDECESSOR[args.arch]
    if init == INIT_VGG16 and args.width != 1.0:
        raise UsageError(f"ImageNet VGG16 weights exist for width 1.0 only (got --width {args.width}); use --init scratch")
    if init not in (INIT_VGG16, INIT_SCRATCH):
        if not Path(init).exists():
            raise UsageError(
                f"{args.arch} starts from a trained {PAPER_PREDECESSOR[args.arch]}: pass --init with its checkpoint "
                f"or run folder (got {init!r})"
            )
        init = str(latest_checkpoint(Path(init)))
    try:
        recipe = make_recipe(args.recipe or "reference", args.arch, optimizer=args.optimizer, **_recipe_overrides(args))
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    return TrainConfig(
        arch=args.arch, recipe=recipe, out_dir=args.out, init=init, width=args.width, seed=args.seed,
        device=args.device, num_workers=args.workers, val_limit=args.val_limit, keep_checkpoints=args.keep_checkpoints,
        allow_download=args.download, progress=not args.no_progress,
    )


def _check_numbers(args: argparse.Namespace) -> None:
    """Counts and factors the recipe does not check itself (a resumed run skips make_recipe)."""
    if args.iterations is not None and args.iterations < 1:
        raise UsageError(f"--iterations must be at least 1 (got {args.iterations})")
    if args.keep_checkpoints < 1:
        raise UsageError(f"--keep-checkpoints must be at least 1 (got {args.keep_checkpoints})")
    if args.val_limit is not None and args.val_limit < 1:
        raise UsageError(f"--val-limit must be at least 1 (got {args.val_limit}); leave it out to validate on all images")
    if not 0.0 < args.width <= 1.0:
        raise UsageError(f"--width must be above 0 and at most 1 (got {args.width})")


@handles_user_errors
def run_train(args: argparse.Namespace) -> int:
    from fcn_core.training.distributed import launched_rank  # torch: only once training starts
    from fcn_core.training.loop import resume_config, train
    from fcn_core.weights.checkpoint import load_checkpoint

    _check_numbers(args)
    resume = latest_checkpoint(args.resume) if args.resume else None
    if resume is not None:
        changed = set(_recipe_overrides(args)) - {"iterations"}
        if args.arch or args.init or args.recipe or args.optimizer or changed:
            raise UsageError(
                "--resume continues the run as it was configured (only --iterations may grow); "
                "leave out --arch, --init and the recipe options"
            )
        config = resume_config(
            load_checkpoint(resume), iterations=args.iterations, out_dir=args.out or resume.parent,
            device=args.device, num_workers=args.workers, keep_checkpoints=args.keep_checkpoints,
            progress=not args.no_progress,
        )
    else:
        config = _new_config(args)
    train_set = open_split(args, args.train_split, 0)
    val_set = open_split(args, args.val_split, 1)
    say = print if launched_rank() == 0 else (lambda *_: None)  # under torchrun, rank 0 speaks for all
    say(f"training {config.arch} ({config.recipe.name} recipe) on {train_set.name}: {len(train_set)} images; "
        f"validating on {val_set.name}: {len(val_set)} images; writing to {config.out_dir}")
    result = train(config, train_set, val_set, resume=resume)
    where = result.checkpoint or config.out_dir
    if result.interrupted:
        say(f"stopped at iteration {result.iteration}; checkpoint {where}\ncontinue with: fcn-sticker train --resume {where} ...")
        return EXIT_INTERRUPTED
    mean_iu = f"; val mean IU {100 * result.scores.mean_iu:.1f}" if result.scores else ""
    say(f"done: {result.iteration} iterations{mean_iu}; checkpoint {where}")
    return 0
