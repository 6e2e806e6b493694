"""``fcn-sticker models``: the registry as a table."""

from __future__ import annotations

import argparse

from fcn_core.models.registry import DEFAULT_MODEL, all_model_specs


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "models",
        description="List every model in the registry: classes, input normalisation and weight sources.",
        epilog="example:\n  fcn-sticker models\n  fcn-sticker make photo.jpg --model fcn16s",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    for spec in all_model_specs():
        default = " (default)" if spec.name == DEFAULT_MODEL else ""
        norm = spec.normalization
        print(f"{spec.name}{default}")
        print(f"    {spec.description}")
        print(f"    classes: {spec.classes.name}, {spec.classes.num_classes}; input: {norm.channel_order}, scale {norm.scale:g}")
        for source in spec.weight_sources:
            print(f"    weights [{source.key}]: {source.description} <{source.url}>")
    return 0
