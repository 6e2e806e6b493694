"""The sticker preview: large, resizable, zoomable, on the backgrounds a chat shows it on.

It paints the builder's current sticker — the very object Save writes — scaled to fit the widget
(the wheel zooms in and out from there), over a checkerboard or a light or dark chat background
like Telegram's, so a white stroke that vanishes on light chats is seen before it is sent. The
image is drawn into the widget's device pixels, so it stays sharp on HiDPI screens.

Copy (Ctrl+C) puts the sticker on the clipboard as PNG with its alpha (``image/png``) and as a
plain image for programs that only take the platform's bitmap (DIB on Windows); dragging it out
of the preview drops a PNG file.
"""

from __future__ import annotations

import tempfile
from enum import StrEnum
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMimeData, QPoint, QRectF, QSize, Qt, QUrl
from PySide6.QtGui import QColor, QDrag, QImage, QMouseEvent, QPainter, QPaintEvent, QPixmap, QWheelEvent
from PySide6.QtWidgets import QApplication, QSizePolicy, QWidget

from app.imaging import checkerboard, qimage_from_array
from fcn_core import Sticker
from fcn_core.atomic_file import write_bytes_atomically

MIN_SIDE = 240
ZOOM_STEP = 1.25
MIN_ZOOM, MAX_ZOOM = 0.25, 8.0


class ChatBackground(StrEnum):
    CHECKER = "checker"
    LIGHT = "light"
    DARK = "dark"

    @property
    def label(self) -> str:
        return {ChatBackground.CHECKER: "Transparent", ChatBackground.LIGHT: "Light chat", ChatBackground.DARK: "Dark chat"}[self]


CHAT_COLOURS = {ChatBackground.LIGHT: QColor(214, 228, 200), ChatBackground.DARK: QColor(14, 22, 33)}
"""Flat stand-ins for Telegram's default light (green-grey) and night (navy) chat backgrounds."""


def png_bytes(image: QImage) -> QByteArray:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stubs say bytes; PySide6 takes str
    buffer.close()
    return data


class StickerPreview(QWidget):
    """Shows one sticker (or a line of text saying why there is none)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sticker: Sticker | None = None
        self._image: QImage | None = None
        self.text = ""
        self.updating = False
        self.background = ChatBackground.CHECKER
        self.zoom = 1.0
        self._press: QPoint | None = None
        self._drag_folder = Path(tempfile.mkdtemp(prefix="sticker-drag-"))
        self.setMinimumSize(MIN_SIDE, MIN_SIDE)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setToolTip("Wheel: zoom · drag out: a PNG file · Ctrl+C: copy")

    def sizeHint(self) -> QSize:
        return QSize(MIN_SIDE, MIN_SIDE)

    def set_sticker(self, sticker: Sticker | None, text: str) -> None:
        self.sticker, self.text, self.updating = sticker, text, False
        self._image = None if sticker is None else qimage_from_array(sticker.rgba)
        self.update()

    def set_updating(self) -> None:
        """Keep showing the sticker, marked as being replaced (a blank preview on every click flickers)."""
        self.updating = True
        self.update()

    def set_background(self, background: ChatBackground | str) -> None:
        self.background = ChatBackground(background)
        self.update()

    def set_zoom(self, zoom: float) -> None:
        self.zoom = min(MAX_ZOOM, max(MIN_ZOOM, zoom))
        self.update()

    def rendered(self) -> QImage:
        """What the widget shows, at its size (for tests and screenshots)."""
        return self.grab().toImage()

    # painting ---------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        if self.background == ChatBackground.CHECKER:
            painter.drawPixmap(0, 0, checkerboard(self.size()))
        else:
            painter.fillRect(self.rect(), CHAT_COLOURS[self.background])
        if self._image is None:
            dark = self.background == ChatBackground.DARK
            painter.setPen(QColor(200, 205, 210) if dark else QColor(90, 90, 90))
            flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
            painter.drawText(self.rect().adjusted(16, 16, -16, -16), int(flags), self.text)
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        fit = min(self.width() / self._image.width(), self.height() / self._image.height())
        scale = fit * self.zoom
        width, height = self._image.width() * scale, self._image.height() * scale
        target = QRectF((self.width() - width) / 2, (self.height() - height) / 2, width, height)
        painter.drawImage(target, self._image)
        if self.updating:
            band = QRectF(0, self.height() - 2 * painter.fontMetrics().height(), self.width(), 2 * painter.fontMetrics().height())
            painter.fillRect(band, QColor(40, 40, 40, 170))
            painter.setPen(QColor(255, 255, 255))
            painter.drawText(band, Qt.AlignmentFlag.AlignCenter, "Updating…")

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps and self._image is not None:
            self.set_zoom(self.zoom * ZOOM_STEP**steps)
            event.accept()
        else:
            super().wheelEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.set_zoom(1.0)

    # copy and drag ----------------------------------------------------------------------------
    def mime_data(self) -> QMimeData | None:
        """The sticker as ``image/png`` (alpha kept) and as a platform image; ``None`` without one."""
        if self._image is None:
            return None
        mime = QMimeData()
        mime.setData("image/png", png_bytes(self._image))
        mime.setImageData(self._image)
        return mime

    def copy(self) -> bool:
        mime = self.mime_data()
        if mime is None:
            return False
        QApplication.clipboard().setMimeData(mime)
        return True

    def drag_file(self) -> Path | None:
        """Write the sticker as a PNG file to drop (one per drag folder, replaced each time)."""
        if self._image is None:
            return None
        names = "+".join(self.sticker.class_names) if self.sticker is not None and self.sticker.class_names else "sticker"
        path = self._drag_folder / f"{names}.sticker.png"
        return write_bytes_atomically(path, bytes(png_bytes(self._image).data()))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        press = self._press
        if press is None or not event.buttons() & Qt.MouseButton.LeftButton:
            return
        if (event.position().toPoint() - press).manhattanLength() < QApplication.startDragDistance():
            return
        self._press = None
        mime, path, image = self.mime_data(), self.drag_file(), self._image
        if mime is None or path is None or image is None:
            return
        mime.setUrls([QUrl.fromLocalFile(str(path))])
        drag = QDrag(self)
        drag.setMimeData(mime)
        thumbnail = image.scaled(96, 96, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
        drag.setPixmap(QPixmap.fromImage(thumbnail))
        drag.exec(Qt.DropAction.CopyAction)
