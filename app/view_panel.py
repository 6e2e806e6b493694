"""The centre of the window: the image view with its bar (view mode, opacity, zoom) and colour key.

Renders the document's photo and current layer, and turns clicks on the photo into selection
(a click: the one object under it; Shift: its whole class; Ctrl: add or remove that object) and
hovering into a status text. Repaints are coalesced with a
zero-delay timer, because one user action can change several parts of the document at once.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSlider, QStackedWidget, QToolButton, QVBoxLayout, QWidget

from app.color_bar import ColorBar
from app.document import Document, ViewMode
from app.image_view import ImageView
from app.imaging import display_image, qimage_from_array
from app.layers import class_at, layer_inputs, render_layer
from fcn_core import Photo, Segmentation
from fcn_core.mask import BACKGROUND_INDEX
from fcn_core.objects import PhotoPoint, object_regions, working_pixel


def toggled_object(
    seg: Segmentation, selection: frozenset[int], objects: tuple[PhotoPoint, ...], class_id: int, point: PhotoPoint
) -> tuple[frozenset[int], tuple[PhotoPoint, ...]]:
    """Ctrl+click with objects chosen: remove the object under ``point`` if it is chosen, else add it."""
    if class_id in selection:
        regions = object_regions(seg, sorted(selection), objects)
        if regions[working_pixel(seg, point)]:
            remaining = tuple(p for p in objects if not _same_region(seg, selection, p, point))
            classes = frozenset(int(seg.labels[working_pixel(seg, p)]) for p in remaining)
            return classes, remaining
    return selection | {class_id}, (*objects, point)


def _same_region(seg: Segmentation, selection: frozenset[int], a: PhotoPoint, b: PhotoPoint) -> bool:
    return bool(object_regions(seg, sorted(selection), (a,))[working_pixel(seg, b)])


class ViewPanel(QWidget):
    """Image view bound to a document."""

    hoverText = Signal(str)  # '' when the mouse is off the photo

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._doc = document
        self._prepared: tuple[Photo, QImage] | None = None
        self._painted: tuple[object, ...] | None = None  # layer_inputs of the layer on screen
        self.view = ImageView()
        self.mode = QComboBox()
        for mode in ViewMode:
            self.mode.addItem(mode.label, mode.value)
        self.mode.setToolTip("What to paint over the photo")
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(55)
        self.opacity.setMinimumWidth(60)
        self.opacity.setMaximumWidth(160)
        self.opacity.setToolTip("Opacity of the colour layer")
        self.opacity_label = QLabel()
        self.fit_button = self._tool_button("Fit", "Show the whole photo (Ctrl+0)", self.view.fit)
        self.actual_button = self._tool_button(
            "100%", "One photo pixel per screen pixel (Ctrl+1)", self.view.actual_size
        )
        self.color_bar = ColorBar()
        self.note = QLabel()
        self.note.setContentsMargins(8, 0, 8, 0)

        bar = QHBoxLayout()
        bar.setContentsMargins(6, 4, 6, 4)
        bar.addWidget(QLabel("View"))
        bar.addWidget(self.mode)
        bar.addSpacing(12)
        bar.addWidget(QLabel("Opacity"))
        bar.addWidget(self.opacity)
        bar.addWidget(self.opacity_label)
        bar.addStretch(1)
        bar.addWidget(self.fit_button)
        bar.addWidget(self.actual_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        # The key and the note take turns in one strip of fixed height that is always there: a
        # strip that came and went resized the view, and a fitted photo re-zoomed with it.
        self.key_strip = QStackedWidget()
        self.key_strip.addWidget(self.note)
        self.key_strip.addWidget(self.color_bar)
        self.key_strip.setFixedHeight(self.color_bar.height())
        layout.addWidget(self.key_strip)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.refresh_layer)
        self.mode.currentIndexChanged.connect(lambda: document.set_view_mode(ViewMode(self.mode.currentData())))
        self.opacity.valueChanged.connect(self._apply_opacity)
        document.photoChanged.connect(self._on_photo)
        document.viewModeChanged.connect(self._on_view_mode)
        for signal in (document.segmentationChanged, document.refinedChanged, document.selectionChanged,
                       document.crfChanged, document.viewModeChanged):
            signal.connect(self._timer.start)
        self.view.clicked.connect(self._on_click)
        self.view.hovered.connect(self._on_hover)
        self.view.hoverLeft.connect(lambda: self.hoverText.emit(""))
        self._apply_opacity()
        self.refresh_layer()

    def _tool_button(self, text: str, tip: str, slot: object) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

    def prepare_photo(self, photo: Photo, image: QImage) -> None:
        """Hand over the display image the decode thread made for ``photo``, before the document shows it."""
        self._prepared = (photo, image)

    def _on_photo(self) -> None:
        photo, prepared = self._doc.photo, self._prepared
        self._prepared = None
        if photo is None:
            self.view.set_photo(None)
        else:
            ready = prepared[1] if prepared is not None and prepared[0] is photo else None
            self.view.set_photo(ready if ready is not None else display_image(photo.pixels))
        self._painted = None  # a new photo clears the layer
        self._timer.start()

    def _on_view_mode(self) -> None:
        self.mode.blockSignals(True)
        self.mode.setCurrentIndex(self.mode.findData(self._doc.view_mode.value))
        self.mode.blockSignals(False)

    def _apply_opacity(self) -> None:
        self.opacity_label.setText(f"{self.opacity.value()} %")
        layer_opacity = self.opacity.value() / 100.0 if self.opacity.isEnabled() else 1.0
        self.view.set_layer_opacity(layer_opacity)

    def refresh_layer(self) -> None:
        """Paint the layer of the current view mode and show its key or note."""
        self._timer.stop()
        inputs = layer_inputs(self._doc)
        if inputs == self._painted:
            return
        self._painted = inputs
        layer = render_layer(self._doc)
        self.view.set_layer(qimage_from_array(layer.image) if layer.image is not None else None)
        self.view.set_photo_visible(layer.photo_visible)
        self.opacity.setEnabled(layer.use_opacity)
        self._apply_opacity()
        if layer.key == "probability":
            self.color_bar.show_probability(layer.note)
        elif layer.key == "crf":
            self.color_bar.show_crf_key(layer.note)
        self.note.setText(layer.note if layer.key == "none" else "")
        self.key_strip.setCurrentWidget(self.note if layer.key == "none" else self.color_bar)

    def _on_click(self, x: int, y: int, modifiers: Qt.KeyboardModifier) -> None:
        seg, doc = self._doc.displayed, self._doc
        if seg is None:
            return
        class_id, _ = class_at(seg, x, y)
        point = PhotoPoint(x + 0.5, y + 0.5)
        if modifiers & Qt.KeyboardModifier.ShiftModifier or class_id == BACKGROUND_INDEX:
            doc.select({class_id})
        elif not modifiers & Qt.KeyboardModifier.ControlModifier:
            doc.select_objects({class_id}, (point,))
        elif not doc.objects:
            doc.toggle(class_id)  # whole classes selected: Ctrl toggles a whole class, as before
        else:
            doc.select_objects(*toggled_object(seg, doc.selection, doc.objects, class_id, point))

    def _on_hover(self, x: int, y: int) -> None:
        seg = self._doc.displayed
        if seg is None:
            self.hoverText.emit(f"({x}, {y})" if self._doc.photo is not None else "")
            return
        class_id, probability = class_at(seg, x, y)
        self.hoverText.emit(f"{seg.classes.names[class_id]} · {probability:.0%}  at ({x}, {y})")
