"""Render the icon's SVG to the 256-px PNG that launchers and window managers without SVG
support use: ``python -m app.icons.render_png`` after editing the SVG (the PNG is committed)."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parent
SIDE = 256


def render(svg: Path, png: Path, side: int = SIDE) -> None:
    image = QImage(side, side, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    QSvgRenderer(str(svg)).render(painter)
    painter.end()
    if not image.save(str(png)):
        raise OSError(f"cannot write {png}")


if __name__ == "__main__":
    app = QGuiApplication(sys.argv)
    render(ICONS / "fcn-sticker-studio.svg", ICONS / "fcn-sticker-studio.png")
