"""``fcn-sticker``: the command line. Each sub-command lives in its own module with an
``add_parser(subparsers)`` function that registers it and sets ``func``.

Commands are imported only when they run: ``COMMANDS`` names each one's module and one-line help,
so ``fcn-sticker --help`` imports no command at all, and ``fcn-sticker CMD …`` imports only
``CMD``'s module (whose top level imports no torch; the heavy stack loads inside ``run``)."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import NamedTuple

from fcn_core.cli.parsers import SubcommandParser


class Command(NamedTuple):
    name: str
    module: str
    help: str


COMMANDS: tuple[Command, ...] = (
    Command("make", "fcn_core.cli.make_cmd", "make a sticker from one photo"),
    Command("batch", "fcn_core.cli.batch_cmd", "make a sticker from every photo in a folder"),
    Command("segment", "fcn_core.cli.segment_cmd",
            "save the segmentation of a photo (overlay, label PNG, probabilities, class shares)"),
    Command("classes", "fcn_core.cli.classes_cmd", "list the classes a model can cut out, with their colours"),
    Command("models", "fcn_core.cli.models_cmd", "list the models you can use"),
    Command("weights", "fcn_core.cli.weights_cmd", "list, download or import model weights"),
    Command("pack", "fcn_core.cli.pack_cmd", "make a sticker pack and send it to Telegram or WhatsApp"),
    Command("train", "fcn_core.cli.train_cmd", "train FCN-32s → FCN-16s → FCN-8s (or at once) on VOC or your own data"),
    Command("eval", "fcn_core.cli.eval_cmd",
            "score a model on a labelled dataset (pixel acc., mean acc., mean IU, f.w. IU)"),
)

EPILOG = """examples:
  fcn-sticker make cat.jpg                      largest object -> cat.cat.sticker.png next to the photo
  fcn-sticker make family.jpg -c person --crf   only the people, edges refined by the dense CRF
  fcn-sticker batch holiday/ -o stickers/       one sticker per photo, plus stickers/report.json
  fcn-sticker segment street.jpg -o seg/        overlay, VOC label PNG, class shares
  fcn-sticker classes                           class indices, names and colours
  fcn-sticker models                            the models and where their weights come from
  fcn-sticker weights download fcn8s            fetch and verify weights (or: weights import FILE)
  fcn-sticker pack --help                       sticker packs for Telegram and WhatsApp
  fcn-sticker pack --help                       sticker packs for Telegram and WhatsApp
  fcn-sticker train --help / eval --help        reproduce FCN-32s -> 16s -> 8s on PASCAL VOC
  fcn-sticker <command> --help                  details and examples for one command
"""


def chosen_command(argv: Sequence[str]) -> str | None:
    """The command named on the command line (the first word that is one), if any."""
    names = {command.name for command in COMMANDS}
    return next((word for word in argv if word in names), None)


def build_parser(chosen: str | None = None) -> argparse.ArgumentParser:
    """The parser with ``chosen``'s full options; every other command is only a name and a line of help."""
    parser = argparse.ArgumentParser(
        prog="fcn-sticker",
        description="Turn photos into stickers with FCN semantic segmentation.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens step by step")
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=SubcommandParser
    )
    for command in COMMANDS:
        if command.name == chosen:
            importlib.import_module(command.module).add_parser(subparsers)
        else:
            subparsers.add_parser(command.name, help=command.help)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(chosen_command(words))
    args = parser.parse_args(words)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:
        # Output piped into `head` or a closed pager: stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
