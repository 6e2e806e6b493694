"""The photo with the segmentation as a separate layer: zoom, pan, hover and click.

Three pixmap items in one scene: the photo, above it the layer (overlay, label map,
probability map or CRF difference) at the segmentation's working size, scaled up to cover the
photo, and on top the highlight of the chosen object (outline, the rest dimmed). The layer is its
own item so the opacity slider only changes an item property. Scene
coordinates are photo pixels, which is what ``hovered`` and ``clicked`` report.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPixmap, QTransform, QWheelEvent
from PySide6.QtWidgets import QApplication, QFrame, QGraphicsPixmapItem, QGraphicsScene, QGraphicsView, QWidget

MIN_SCALE = 0.02
MAX_SCALE = 32.0
WHEEL_STEP = 1.25
EMPTY_HINT = "Open a photo (Ctrl+O)\nor drop one here"


class ImageView(QGraphicsView):
    """Zoomable, pannable photo view; reports the photo pixel under the mouse."""

    hovered = Signal(int, int)  # photo x, y
    hoverLeft = Signal()
    clicked = Signal(int, int, object)  # photo x, y, Qt.KeyboardModifier held
    zoomChanged = Signal(float)  # view scale, 1.0 = 100 %

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self._photo = QGraphicsPixmapItem()
        self._photo.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self._layer = QGraphicsPixmapItem()
        self._layer.setZValue(1)
        self._highlight = QGraphicsPixmapItem()
        self._highlight.setZValue(2)
        self.scene().addItem(self._photo)
        self.scene().addItem(self._layer)
        self.scene().addItem(self._highlight)
        self._fit = True
        self._press: QPoint | None = None
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setBackgroundBrush(QColor(46, 48, 52))
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setMouseTracking(True)
        self.setAcceptDrops(False)  # drops go to the main window, which opens the photo
        self.viewport().setAcceptDrops(False)

    # content ----------------------------------------------------------------------------------
    def has_photo(self) -> bool:
        return not self._photo.pixmap().isNull()

    def set_photo(self, image: QImage | None) -> None:
        """Show a new photo (fitted to the window); ``None`` shows the empty hint."""
        self._photo.setPixmap(QPixmap.fromImage(image) if image is not None else QPixmap())
        self.set_layer(None)
        self.set_highlight(None)
        self.scene().setSceneRect(QRectF(self._photo.pixmap().rect()))
        self.fit()

    def set_layer(self, image: QImage | None, *, smooth: bool = True) -> None:
        """The colour layer, stretched over the photo (it may be smaller: the working size)."""
        if image is None or not self.has_photo():
            self._layer.setPixmap(QPixmap())
            return
        photo = self._photo.pixmap()
        self._layer.setPixmap(QPixmap.fromImage(image))
        self._layer.setTransform(QTransform.fromScale(photo.width() / image.width(), photo.height() / image.height()))
        mode = Qt.TransformationMode.SmoothTransformation if smooth else Qt.TransformationMode.FastTransformation
        self._layer.setTransformationMode(mode)

    def set_highlight(self, image: QImage | None) -> None:
        """The chosen object's outline and dimmed surroundings, stretched over the photo."""
        if image is None or not self.has_photo():
            self._highlight.setPixmap(QPixmap())
            return
        photo = self._photo.pixmap()
        self._highlight.setPixmap(QPixmap.fromImage(image))
        self._highlight.setTransform(QTransform.fromScale(photo.width() / image.width(), photo.height() / image.height()))

    def set_layer_opacity(self, opacity: float) -> None:
        self._layer.setOpacity(opacity)

    def set_photo_visible(self, visible: bool) -> None:
        self._photo.setVisible(visible)

    def layer_opacity(self) -> float:
        return self._layer.opacity()

    # zoom -------------------------------------------------------------------------------------
    def scale_factor(self) -> float:
        return self.transform().m11()

    def fit(self) -> None:
        """Whole photo in view; stays fitted on resize until the user zooms."""
        self._fit = True
        if self.has_photo():
            self.fitInView(self._photo, Qt.AspectRatioMode.KeepAspectRatio)
        self.zoomChanged.emit(self.scale_factor())

    def actual_size(self) -> None:
        """One photo pixel per screen pixel."""
        self._set_scale(1.0)

    def zoom_by(self, factor: float) -> None:
        self._set_scale(self.scale_factor() * factor)

    def _set_scale(self, scale: float) -> None:
        self._fit = False
        scale = min(max(scale, MIN_SCALE), MAX_SCALE)
        self.setTransform(QTransform.fromScale(scale, scale))
        self.zoomChanged.emit(scale)

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps and self.has_photo():
            self.zoom_by(WHEEL_STEP**steps)
            event.accept()
        else:
            super().wheelEvent(event)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._fit:
            self.fit()

    # mouse ------------------------------------------------------------------------------------
    def photo_pixel_at(self, view_pos: QPoint) -> tuple[int, int] | None:
        """The photo pixel under a viewport position, or None outside the photo."""
        if not self.has_photo():
            return None
        point: QPointF = self.mapToScene(view_pos)
        x, y = int(point.x()), int(point.y())
        pixmap = self._photo.pixmap()
        if 0 <= point.x() < pixmap.width() and 0 <= point.y() < pixmap.height():
            return x, y
        return None

    def view_pos_of(self, x: float, y: float) -> QPoint:
        """Viewport position of photo pixel ``(x, y)``'s centre (the inverse of ``photo_pixel_at``)."""
        return self.mapFromScene(QPointF(x + 0.5, y + 0.5))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        press, self._press = self._press, None
        if event.button() != Qt.MouseButton.LeftButton or press is None:
            return
        position = event.position().toPoint()
        if (position - press).manhattanLength() >= QApplication.startDragDistance():
            return  # that was a pan, not a click
        pixel = self.photo_pixel_at(position)
        if pixel is not None:
            self.clicked.emit(pixel[0], pixel[1], event.modifiers())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        super().mouseMoveEvent(event)
        pixel = self.photo_pixel_at(event.position().toPoint())
        if pixel is None:
            self.hoverLeft.emit()
        else:
            self.hovered.emit(*pixel)

    def leaveEvent(self, event) -> None:
        super().leaveEvent(event)
        self.hoverLeft.emit()

    def drawForeground(self, painter: QPainter, rect: QRectF | QRect) -> None:
        """The hint of the empty window, drawn in viewport coordinates."""
        super().drawForeground(painter, rect)
        if self.has_photo():
            return
        painter.save()
        painter.resetTransform()
        painter.setPen(QColor(200, 202, 206))
        font = painter.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        painter.setFont(font)
        painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter, EMPTY_HINT)
        painter.restore()
