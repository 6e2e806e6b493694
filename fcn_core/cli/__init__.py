"""``fcn-sticker``: the command line. Each sub-command lives in its own module with an
``add_parser(subparsers)`` function that registers it and sets ``func``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from fcn_core.cli import batch_cmd, classes_cmd, eval_cmd, make_cmd, models_cmd, segment_cmd, train_cmd, weights_cmd
from fcn_core.cli.parsers import SubcommandParser

COMMAND_MODULES = (make_cmd, batch_cmd, segment_cmd, classes_cmd, models_cmd, weights_cmd, train_cmd, eval_cmd)

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fcn-sticker",
        description="Turn photos into stickers with FCN semantic segmentation.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens step by step")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=SubcommandParser)
    for module in COMMAND_MODULES:
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:
        # Output piped into `head` or a closed pager: stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
