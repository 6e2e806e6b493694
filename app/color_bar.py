"""The key under the view: the probability colour scale, or the CRF view's colour meanings.

A layer without a key is a picture nobody can read; this strip says what the colours mean for
the view mode that is showing (hidden in overlay/label modes, whose key is the legend).
"""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.imaging import ADDED_COLOR, REMOVED_COLOR, probability_lut, qimage_from_array


class ColorBar(QWidget):
    """Paints either a 0–100 % probability scale with a title, or the CRF difference key."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._mode = "probability"
        self._title = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self.fontMetrics().height() + 14)

    def show_probability(self, title: str) -> None:
        self._mode, self._title = "probability", title
        self.update()

    def show_crf_key(self, title: str) -> None:
        self._mode, self._title = "crf", title
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        metrics = self.fontMetrics()
        height = self.height()
        text_y = (height + metrics.ascent() - metrics.descent()) // 2
        x = 8
        painter.drawText(x, text_y, self._title)
        x += metrics.horizontalAdvance(self._title) + 12
        if self._mode == "probability":
            self._paint_scale(painter, x, height, text_y)
        else:
            self._paint_key(painter, x, text_y)
        painter.end()

    def _paint_scale(self, painter: QPainter, x: int, height: int, text_y: int) -> None:
        label_low, label_high = "0 %", "100 %"
        painter.drawText(x, text_y, label_low)
        x += self.fontMetrics().horizontalAdvance(label_low) + 6
        right = self.width() - self.fontMetrics().horizontalAdvance(label_high) - 14
        if right - x < 20:
            return
        gradient: QImage = qimage_from_array(probability_lut()[None, :, :].copy())
        bar = QRect(x, 5, right - x, height - 10)
        painter.drawImage(bar, gradient)
        painter.setPen(QColor(90, 90, 90))
        painter.drawRect(bar.adjusted(0, 0, -1, -1))
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(right + 6, text_y, label_high)

    def _paint_key(self, painter: QPainter, x: int, text_y: int) -> None:
        size = self.fontMetrics().height() - 4
        for color, text in ((ADDED_COLOR, "added by the CRF"), (REMOVED_COLOR, "removed by the CRF")):
            painter.fillRect(x, text_y - size + 2, size, size, QColor(*color))
            x += size + 5
            painter.drawText(x, text_y, text)
            x += self.fontMetrics().horizontalAdvance(text) + 16
