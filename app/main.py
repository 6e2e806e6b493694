"""``sticker-studio``: start the desktop window."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication, QMainWindow


def main() -> int:
    app = QApplication(sys.argv)
    app.setApplicationName("FCN Sticker Studio")
    window = QMainWindow()
    window.setWindowTitle("FCN Sticker Studio")
    window.resize(1200, 800)
    window.show()
    return app.exec()
