"""``fcn-sticker``: the command line. Each sub-command lives in its own module with an
``add_parser(subparsers)`` function that registers it and sets ``func``.

Only the module of the command being run is imported (all of them for the overview ``--help``), so
a command that needs no network, such as ``make --mask``, never pays torch's import."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

COMMANDS = ("make", "batch", "segment", "classes", "models", "weights", "train", "eval")
"""Command names; command ``name`` lives in ``fcn_core.cli.<name>_cmd``."""

EPILOG = """examples:
  fcn-sticker make cat.jpg                      largest object -> cat.cat.sticker.png next to the photo
  fcn-sticker make family.jpg -c person --crf   only the people, edges refined by the dense CRF
  fcn-sticker batch holiday/ -o stickers/       one sticker per photo, plus stickers/report.json
  fcn-sticker segment street.jpg -o seg/        overlay, VOC label PNG, class shares
  fcn-sticker classes                           class indices, names and colours
  fcn-sticker models                            the models and where their weights come from
  fcn-sticker weights download fcn8s            fetch and verify weights (or: weights import FILE)
  fcn-sticker train --help / eval --help        reproduce FCN-32s -> 16s -> 8s on PASCAL VOC
  fcn-sticker <command> --help                  details and examples for one command
"""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser for ``command`` alone when it is a known command, else for all commands."""
    parser = argparse.ArgumentParser(
        prog="fcn-sticker",
        description="Turn photos into stickers with FCN semantic segmentation.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens step by step")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in (command,) if command in COMMANDS else COMMANDS:
        importlib.import_module(f"fcn_core.cli.{name}_cmd").add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(next((word for word in arguments if not word.startswith("-")), None))
    args = parser.parse_args(arguments)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:
        # Output piped into `head` or a closed pager: stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
