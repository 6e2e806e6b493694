"""Hand tools on the photo: brush, eraser, lasso add/remove, keep/remove the piece under a click.

A tool turns mouse input on the image view into one ``fcn_core.edits`` operation in photo
coordinates and hands it to the document when the gesture ends, so one drag is one edit (and one
undo step). While a tool other than Select is active, it takes the left button over from the view
(no panning, no selection clicks); the wheel still zooms, Ctrl+wheel and ``[`` / ``]`` change the
brush size, shown as a circle that follows the cursor. The drag in progress is drawn as a path in
the scene, so feedback costs no mask work at all.
"""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import QEvent, QObject, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainterPath, QPen, QWheelEvent
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsPathItem, QGraphicsView

from app.document import Document
from fcn_core.edits import ComponentEdit, Lasso, Stroke

MIN_RADIUS = 1.0
MAX_RADIUS = 500.0
RADIUS_STEP = 1.25
DEFAULT_RADIUS_FRACTION = 1 / 60
"""A new photo's brush radius: this fraction of its longer side (a few percent of a person)."""


class Tool(StrEnum):
    SELECT = "select"
    BRUSH = "brush"
    ERASER = "eraser"
    LASSO_ADD = "lasso_add"
    LASSO_REMOVE = "lasso_remove"
    KEEP_PIECE = "keep_piece"
    REMOVE_PIECE = "remove_piece"

    @property
    def label(self) -> str:
        return {
            Tool.SELECT: "Select", Tool.BRUSH: "Brush", Tool.ERASER: "Eraser", Tool.LASSO_ADD: "Lasso +",
            Tool.LASSO_REMOVE: "Lasso −", Tool.KEEP_PIECE: "Keep piece", Tool.REMOVE_PIECE: "Remove piece",
        }[self]

    @property
    def shortcut(self) -> str:
        return {
            Tool.SELECT: "V", Tool.BRUSH: "B", Tool.ERASER: "E", Tool.LASSO_ADD: "L", Tool.LASSO_REMOVE: "Shift+L",
            Tool.KEEP_PIECE: "K", Tool.REMOVE_PIECE: "Shift+K",
        }[self]

    @property
    def round_tip(self) -> bool:
        return self in (Tool.BRUSH, Tool.ERASER)


class EditTools(QObject):
    """The active tool and brush size, applied to ``view`` (an ``ImageView``) for ``document``."""

    toolChanged = Signal(str)
    radiusChanged = Signal(float)

    def __init__(self, document: Document, view: QGraphicsView, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._doc, self._view = document, view
        self.tool = Tool.SELECT
        self.radius = 12.0
        self._points: list[tuple[float, float]] = []
        self._cursor = QGraphicsEllipseItem()
        self._cursor.setPen(_cosmetic_pen(QColor(255, 255, 255), 1.5))
        self._cursor.setZValue(10)
        self._cursor.hide()
        self._path = QGraphicsPathItem()
        self._path.setZValue(9)
        view.scene().addItem(self._cursor)
        view.scene().addItem(self._path)
        view.viewport().installEventFilter(self)
        document.photoChanged.connect(self._on_photo)

    # tool and size ----------------------------------------------------------------------------
    def set_tool(self, tool: Tool | str) -> None:
        tool = Tool(tool)
        if tool == self.tool:
            return
        self.tool = tool
        self._points.clear()
        self._path.setPath(QPainterPath())
        self._view.setDragMode(
            QGraphicsView.DragMode.ScrollHandDrag if tool == Tool.SELECT else QGraphicsView.DragMode.NoDrag
        )
        cursor = Qt.CursorShape.OpenHandCursor if tool == Tool.SELECT else Qt.CursorShape.CrossCursor
        self._view.viewport().setCursor(Qt.CursorShape.BlankCursor if tool.round_tip else cursor)
        self._cursor.setVisible(False)
        self.toolChanged.emit(tool.value)

    def set_radius(self, radius: float) -> None:
        self.radius = min(MAX_RADIUS, max(MIN_RADIUS, float(radius)))
        rect = self._cursor.rect()
        if not rect.isNull():
            self._place_cursor(rect.center())
        self.radiusChanged.emit(self.radius)

    def grow(self) -> None:
        self.set_radius(self.radius * RADIUS_STEP)

    def shrink(self) -> None:
        self.set_radius(self.radius / RADIUS_STEP)

    def _on_photo(self) -> None:
        photo = self._doc.photo
        if photo is not None:
            self.set_radius(max(MIN_RADIUS * 3, max(photo.size) * DEFAULT_RADIUS_FRACTION))

    # events -----------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self.tool == Tool.SELECT or self._doc.displayed is None:
            return False
        kind = event.type()
        if kind == QEvent.Type.Wheel and isinstance(event, QWheelEvent):
            if self.tool.round_tip and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
                steps = event.angleDelta().y() / 120.0
                self.set_radius(self.radius * RADIUS_STEP**steps)
                return True
            return False
        if not isinstance(event, QMouseEvent):
            if kind == QEvent.Type.Leave:
                self._cursor.hide()
            return False
        scene = self._view.mapToScene(event.position().toPoint())
        point = (scene.x(), scene.y())
        if kind == QEvent.Type.MouseMove:
            if self.tool.round_tip:
                self._place_cursor(scene)
            if self._points and event.buttons() & Qt.MouseButton.LeftButton:
                self._points.append(point)
                self._draw_path()
            return bool(self._points)
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        if kind == QEvent.Type.MouseButtonPress:
            self._points = [point]
            self._draw_path()
            return True
        if kind == QEvent.Type.MouseButtonRelease and self._points:
            self._finish()
            return True
        return False

    def _finish(self) -> None:
        points = tuple(self._points)
        self._points = []
        self._path.setPath(QPainterPath())
        tool = self.tool
        if tool.round_tip:
            self._doc.add_edit(Stroke(points, self.radius, add=tool == Tool.BRUSH))
        elif tool in (Tool.LASSO_ADD, Tool.LASSO_REMOVE):
            if len(points) >= 3:
                self._doc.add_edit(Lasso(points, add=tool == Tool.LASSO_ADD))
        else:
            self._doc.add_edit(ComponentEdit(points[-1], keep=tool == Tool.KEEP_PIECE))

    # drawing ----------------------------------------------------------------------------------
    def _place_cursor(self, centre: QPointF) -> None:
        r = self.radius
        self._cursor.setRect(centre.x() - r, centre.y() - r, 2 * r, 2 * r)
        self._cursor.setVisible(self.tool.round_tip)

    def _draw_path(self) -> None:
        path = QPainterPath(QPointF(*self._points[0]))
        for x, y in self._points[1:]:
            path.lineTo(x, y)
        adding = self.tool in (Tool.BRUSH, Tool.LASSO_ADD, Tool.KEEP_PIECE)
        colour = QColor(80, 220, 120, 160) if adding else QColor(240, 80, 80, 160)
        if self.tool.round_tip:
            pen = QPen(colour, 2 * self.radius, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
        else:
            pen = _cosmetic_pen(colour, 2)
            if len(self._points) > 2:
                path.closeSubpath()
        self._path.setPen(pen)
        self._path.setPath(path)


def _cosmetic_pen(colour: QColor, width: float) -> QPen:
    pen = QPen(colour, width)
    pen.setCosmetic(True)  # the same on-screen width at any zoom
    return pen
