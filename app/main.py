"""``sticker-studio [PHOTO]``: start the desktop window (optionally opening a photo)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from app.main_window import MainWindow
from app.platform_check import xcb_problem
from app.qt_runtime import qt_runtime_problem

ORGANIZATION = "FCN Sticker Studio"
APPLICATION = "FCN Sticker Studio"
DESKTOP_ENTRY = "fcn-sticker-studio"
ICON = Path(__file__).resolve().parent / "icons" / "fcn-sticker-studio.png"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sticker-studio", description="Turn a photo into a sticker by clicking.")
    parser.add_argument("photo", nargs="?", help="a photo to open at start")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens step by step")
    return parser.parse_args(argv)


def runtime_is_usable() -> bool:
    """Warn about a Qt binding that would crash later; the user decides whether to go on."""
    problem = qt_runtime_problem()
    if problem is None:
        return True
    logging.getLogger(__name__).error(problem)
    buttons = QMessageBox.StandardButton
    answer = QMessageBox.critical(
        None, "Qt library problem", problem, buttons.Ignore | buttons.Close, buttons.Close
    )
    return answer == buttons.Ignore


def main(argv: Sequence[str] | None = None) -> int:
    if (problem := xcb_problem()) is not None:  # before Qt ends the program with its plugin error
        print(problem, file=sys.stderr)
        return 1
    app = QApplication(sys.argv if argv is None else [sys.argv[0], *argv])
    args = parse_args(app.arguments()[1:])
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s: %(message)s")
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)
    app.setDesktopFileName(DESKTOP_ENTRY)  # Wayland shells match the window to the launcher entry by it
    app.setWindowIcon(QIcon(str(ICON)))
    if not runtime_is_usable():
        return 1

    window = MainWindow()
    window.show()
    if args.photo:
        window.open_photo(args.photo)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
