"""``fcn-sticker classes``: the class names and colours of a model, for -c and for reading overlays."""

from __future__ import annotations

import argparse
from pathlib import Path

from fcn_core.classes import ClassSet
from fcn_core.cli import errors
from fcn_core.colors import color_hex, color_rgb_text
from fcn_core.models.registry import DEFAULT_MODEL, get_model_spec, model_names

EPILOG = """examples:
  fcn-sticker classes
      the 21 PASCAL VOC classes of the default model, with their overlay colours
  fcn-sticker classes --model fcn8s --weights my_dataset.pt
      the classes a checkpoint trained on your own dataset knows
  fcn-sticker make photo.jpg -c 15        # same as -c person
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "classes",
        description="List index, name and overlay colour (hex and RGB) of every class of a model.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", choices=model_names(), metavar="NAME",
                        help=f"model whose classes to list (default: the --weights file's own, else {DEFAULT_MODEL})")
    parser.add_argument("--weights", type=Path, metavar="FILE",
                        help="read the classes from this checkpoint instead (for models trained on your own data)")
    parser.set_defaults(func=run)


@errors.handles_user_errors
def run(args: argparse.Namespace) -> int:
    from fcn_core.weights.store import load_model  # torch: only to read classes from a weights file

    if args.weights:
        classes = load_model(args.model, args.weights).classes
    else:
        classes = get_model_spec(args.model or DEFAULT_MODEL).classes
    print(format_classes(classes))
    return 0


def format_classes(classes: ClassSet) -> str:
    """A table: index, name, #rrggbb, R,G,B."""
    width = max(len(name) for name in classes.names)
    lines = [f"{classes.name}: {classes.num_classes} classes", f"{'index':>5}  {'name':<{width}}  {'hex':<7}  RGB"]
    for index, (name, rgb) in enumerate(zip(classes.names, classes.colors, strict=True)):
        lines.append(f"{index:>5}  {name:<{width}}  {color_hex(rgb)}  {color_rgb_text(rgb)}")
    return "\n".join(lines)
