"""``sticker-studio [PHOTO]``: start the desktop window (optionally opening a photo)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from PySide6.QtWidgets import QApplication

from app.main_window import MainWindow

ORGANIZATION = "FCN Sticker Studio"
APPLICATION = "FCN Sticker Studio"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sticker-studio", description="Turn a photo into a sticker by clicking.")
    parser.add_argument("photo", nargs="?", help="a photo to open at start")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens step by step")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    app = QApplication(sys.argv if argv is None else [sys.argv[0], *argv])
    args = parse_args(app.arguments()[1:])
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s: %(message)s")
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)

    window = MainWindow()
    window.show()
    if args.photo:
        window.open_photo(args.photo)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
