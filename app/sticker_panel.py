"""The sticker side of the window: CRF switch, edges, contour/stroke/shadow, canvas, format, and the live preview.

A thin view of the document: every control writes straight into the document, and the controls
are refreshed from it (with their signals blocked) when it changes, so the panel and settings
restored at start-up can never disagree. The preview (``app.preview``) shows the builder's
current sticker — the object Save writes — large, over a checkerboard or a chat background.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.document import Document
from app.form_rows import side_by_side
from app.imaging import swatch
from app.preview import ChatBackground, StickerPreview
from app.settings import OUTPUT_FORMATS
from fcn_core import CRF_PRESETS, TARGETS, MaskCleanup, Sticker
from fcn_core.colors import color_hex
from fcn_core.edges import EDGE_METHODS
from fcn_core.save import MESSENGERS
from fcn_core.sticker import CANVASES, TELEGRAM_STYLE

EDGE_LABELS = {"none": "Hard (mask)", "crf": "CRF band", "matting": "Matting (soft)"}
CANVAS_LABELS = {"sticker": "Sticker 512", "emoji": "Emoji 100", "photo": "Photo size"}
SPECK_FRACTION = 0.05
"""'Remove specks' drops pieces smaller than this fraction of the largest piece."""
CRF_PRESET_LABELS = {"deeplab": "DeepLab (sharp)", "original": "Original (smooth)"}


class ColorButton(QPushButton):
    """A button that shows a colour and lets the user pick another."""

    colorChosen = Signal(tuple)

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = title
        self._color = (255, 255, 255)
        self.setToolTip(f"Choose the {title.lower()}")
        self.clicked.connect(self._choose)

    def set_color(self, color: tuple[int, int, int]) -> None:
        red, green, blue = color
        self._color = (red, green, blue)
        self.setIcon(QIcon(swatch(self._color, 16)))
        self.setText(color_hex(self._color))

    def _choose(self) -> None:
        chosen = QColorDialog.getColor(QColor(*self._color), self, self._title)
        if chosen.isValid():
            self.colorChosen.emit((chosen.red(), chosen.green(), chosen.blue()))


class StickerPanel(QWidget):
    """CRF and sticker options bound to a document, plus the preview and the Save button."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._doc = document
        self._build_crf_controls()
        self._build_style_group()
        self._build_preview()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.preview_group, 1)
        layout.addWidget(self.style_group)
        for signal in (document.styleChanged, document.crfChanged, document.outputChanged):
            signal.connect(self.refresh)
        self.refresh()
        self.show_sticker(None, "Open a photo, then click an object")

    # building ---------------------------------------------------------------------------------
    def _build_crf_controls(self) -> None:
        self.crf_check = QCheckBox("CRF")
        self.crf_check.setToolTip("Refine the outline of the selected classes with a dense CRF (takes a moment)")
        self.crf_preset = QComboBox()
        for name in CRF_PRESETS:
            self.crf_preset.addItem(CRF_PRESET_LABELS.get(name, name), name)
        self.crf_check.toggled.connect(lambda on: self._doc.set_crf(enabled=on))
        self.crf_preset.currentIndexChanged.connect(lambda: self._doc.set_crf(preset=self.crf_preset.currentData()))
        self.crf_preset.setToolTip("CRF settings: DeepLab's keep thin parts, the original ones smooth more")

    def _build_style_group(self) -> None:
        self.contour_width = self._spin(0, 30, "Width of the light contour inside the outline (0: none)")
        self.contour_color = ColorButton("Contour colour")
        self.stroke_width = self._spin(0, 40, "Width of the solid stroke around the sticker (0: none)")
        self.stroke_color = ColorButton("Stroke colour")
        self.shadow = QCheckBox("Drop shadow")
        self.edges = QComboBox()
        for name in EDGE_METHODS:
            self.edges.addItem(EDGE_LABELS[name], name)
        self.edges.setToolTip("How the cut-out's edge is drawn: the hard mask, a CRF in a band around it, or alpha "
                              "matting (soft hair and fur, in the object's own colours)")
        self.edge_band = QSpinBox()
        self.edge_band.setRange(1, 20)
        self.edge_band.setSuffix(" %")
        self.edge_band.setToolTip("Advanced: half-width of the refined band, in % of the object's size")
        self.margin = self._spin(0, 120, "Empty room around the object on the canvas")
        self.canvas = QComboBox()
        for name in CANVASES:
            self.canvas.addItem(CANVAS_LABELS[name], name)
        self.canvas.setToolTip("Sticker: 512 px square; Emoji: Telegram's 100×100; Photo size: the cut-out in place")
        self.object_scale = QSpinBox()
        self.object_scale.setRange(10, 100)
        self.object_scale.setSuffix(" %")
        self.object_scale.setToolTip("Size of the object on the canvas")
        self.offset_x = self._spin(-256, 256, "Move the object right (negative: left)")
        self.offset_y = self._spin(-256, 256, "Move the object down (negative: up)")
        self.rotate = QPushButton("Rotate 90°")
        self.rotate.setToolTip("Turn the sticker a quarter turn to the left")
        self.flip = QCheckBox("Flip")
        self.flip.setToolTip("Mirror the sticker left to right")
        self.telegram_style = QPushButton("Telegram look")
        self.telegram_style.setToolTip("White stroke and a soft shadow, no contour, in one click")
        self.remove_specks = QCheckBox("Remove specks")
        self.remove_specks.setToolTip("Drop small pieces of the mask away from the main object")
        self.fill_holes = QCheckBox("Fill holes")
        self.format = QComboBox()
        for fmt in OUTPUT_FORMATS:
            self.format.addItem(fmt.upper(), fmt)
        self.target = QComboBox()
        for name in MESSENGERS:
            self.target.addItem(TARGETS[name].title, name)
        self.target.setToolTip("The app whose sticker rules (size, format, file size) the file must meet")
        self.format_note = QLabel()  # why a format is greyed out: the target allows only some
        self.format_note.setWordWrap(True)
        self.format_note.setEnabled(False)  # drawn in the muted colour of a hint

        self.contour_width.valueChanged.connect(lambda v: self._set_style(contour_width=v))
        self.contour_color.colorChosen.connect(lambda c: self._set_style(contour_color=c))
        self.stroke_width.valueChanged.connect(lambda v: self._set_style(stroke_width=v))
        self.stroke_color.colorChosen.connect(lambda c: self._set_style(stroke_color=c))
        self.shadow.toggled.connect(lambda on: self._set_style(shadow=on))
        self.edges.currentIndexChanged.connect(lambda: self._set_edges(method=self.edges.currentData()))
        self.edge_band.valueChanged.connect(lambda v: self._set_edges(band=v / 100))
        self.margin.valueChanged.connect(lambda v: self._set_style(margin=v))
        self.object_scale.valueChanged.connect(lambda v: self._set_style(object_scale=v / 100))
        self.offset_x.valueChanged.connect(lambda v: self._set_style(offset=(v, self._doc.style.offset[1])))
        self.offset_y.valueChanged.connect(lambda v: self._set_style(offset=(self._doc.style.offset[0], v)))
        self.rotate.clicked.connect(lambda: self._set_style(rotation=(self._doc.style.rotation + 90) % 360))
        self.flip.toggled.connect(lambda on: self._set_style(flip=on))
        self.canvas.currentIndexChanged.connect(lambda: self._set_style(canvas=self.canvas.currentData()))
        self.telegram_style.clicked.connect(
            lambda: self._doc.set_style(replace(TELEGRAM_STYLE, canvas=self._doc.style.canvas, margin=self._doc.style.margin))
        )
        self.remove_specks.toggled.connect(self._set_cleanup)
        self.fill_holes.toggled.connect(self._set_cleanup)
        self.format.currentIndexChanged.connect(lambda: self._doc.set_output(fmt=self.format.currentData()))
        self.target.currentIndexChanged.connect(lambda: self._doc.set_output(target=self.target.currentData()))

        self.style_group = QGroupBox("Options")
        form = QFormLayout(self.style_group)
        form.addRow("Network", side_by_side(self.crf_check, self.crf_preset))
        form.addRow("Edges", self.edges)
        form.addRow("Edge band", self.edge_band)
        form.addRow("Contour", side_by_side(self.contour_width, self.contour_color))
        form.addRow("Stroke", side_by_side(self.stroke_width, self.stroke_color))
        form.addRow("Shadow", self.shadow)
        form.addRow("Style", self.telegram_style)
        form.addRow("Canvas", self.canvas)
        form.addRow("Margin", self.margin)
        form.addRow("Scale", self.object_scale)
        form.addRow("Offset", side_by_side(self.offset_x, self.offset_y))
        form.addRow("Turn", side_by_side(self.rotate, self.flip))
        form.addRow("Clean-up", self.remove_specks)
        form.addRow("", self.fill_holes)
        form.addRow("Format", side_by_side(self.format, self.target))
        form.addRow("", self.format_note)

    def _build_preview(self) -> None:
        self.preview = StickerPreview()
        self.background = QComboBox()
        for background in ChatBackground:
            self.background.addItem(background.label, background.value)
        self.background.setToolTip("See the sticker as the chat will show it")
        self.background.currentIndexChanged.connect(lambda: self.preview.set_background(self.background.currentData()))
        self.caption = QLabel()
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.save_button = QPushButton("Save sticker…")
        self.save_button.setEnabled(False)
        self.preview_group = QGroupBox("Preview")
        layout = QVBoxLayout(self.preview_group)
        layout.addWidget(self.background)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.caption)
        layout.addWidget(self.save_button)

    @staticmethod
    def _spin(low: int, high: int, tip: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(low, high)
        spin.setSuffix(" px")
        spin.setToolTip(tip)
        return spin

    # document <-> widgets ---------------------------------------------------------------------
    def _set_style(self, **changes: Any) -> None:
        self._doc.set_style(replace(self._doc.style, **changes))

    def _set_edges(self, **changes: Any) -> None:
        self._doc.set_edges(replace(self._doc.edges, **changes))

    def _set_cleanup(self) -> None:
        fraction = SPECK_FRACTION if self.remove_specks.isChecked() else 0.0
        self._doc.set_cleanup(MaskCleanup(min_component_fraction=fraction, fill_holes=self.fill_holes.isChecked()))

    def refresh(self) -> None:
        """Show the document's options (signals blocked: this is not a user edit)."""
        doc = self._doc
        widgets = (
            self.crf_check, self.crf_preset, self.contour_width, self.stroke_width, self.shadow,
            self.remove_specks, self.fill_holes, self.format, self.target, self.edges, self.edge_band,
            self.margin, self.canvas, self.object_scale, self.offset_x, self.offset_y, self.flip,
        )
        for widget in widgets:
            widget.blockSignals(True)
        try:
            self.crf_check.setChecked(doc.crf.enabled)
            self.crf_preset.setCurrentIndex(self.crf_preset.findData(doc.crf.preset))
            self.contour_width.setValue(doc.style.contour_width)
            self.contour_color.set_color(doc.style.contour_color)
            self.stroke_width.setValue(doc.style.stroke_width)
            self.stroke_color.set_color(doc.style.stroke_color)
            self.shadow.setChecked(doc.style.shadow)
            self.edges.setCurrentIndex(self.edges.findData(doc.edges.method))
            self.edge_band.setValue(round(doc.edges.band * 100))
            self.margin.setValue(doc.style.margin)
            self.canvas.setCurrentIndex(self.canvas.findData(doc.style.canvas))
            self.object_scale.setValue(round(doc.style.object_scale * 100))
            self.offset_x.setValue(doc.style.offset[0])
            self.offset_y.setValue(doc.style.offset[1])
            self.flip.setChecked(doc.style.flip)
            self.remove_specks.setChecked(doc.cleanup.min_component_fraction > 0)
            self.fill_holes.setChecked(doc.cleanup.fill_holes)
            self.format.setCurrentIndex(self.format.findData(doc.output_format))
            self.target.setCurrentIndex(self.target.findData(doc.output_target))
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        self.contour_color.setEnabled(doc.style.contour_width > 0)
        self.stroke_color.setEnabled(doc.style.stroke_width > 0)
        self.edge_band.setEnabled(doc.edges.method != "none")
        self._show_allowed_formats()

    def _show_allowed_formats(self) -> None:
        """Grey out the formats the target refuses and say why, so that choosing a target visibly
        explains the format it forces (and a greyed format cannot flip the target back)."""
        rules = TARGETS[self._doc.output_target]
        allowed = " or ".join(fmt.upper() for fmt in rules.formats)
        refused = f"{rules.title} takes {allowed} stickers only"
        model = self.format.model()
        assert isinstance(model, QStandardItemModel)  # what QComboBox uses unless given another
        for row in range(self.format.count()):
            usable = self.format.itemData(row) in rules.formats
            item = model.item(row)
            item.setEnabled(usable)
            item.setToolTip("" if usable else refused)
        self.format_note.setText(f"{refused}." if len(rules.formats) < len(OUTPUT_FORMATS) else "")
        self.format_note.setVisible(bool(self.format_note.text()))

    def show_sticker(self, sticker: Sticker | None, text: str) -> None:
        """The preview: the sticker with ``text`` (what it shows) under it, or ``text`` (why there
        is none) on the empty background."""
        self.preview.set_sticker(sticker, "" if sticker is not None else text)
        if sticker is not None:
            height, width = sticker.size
            self.caption.setText(f"{width} × {height} px · {text}")
        else:
            self.caption.setText("")
        self.save_button.setEnabled(sticker is not None)

    def shows_sticker(self) -> bool:
        return self.save_button.isEnabled()

    def show_updating(self, text: str) -> None:
        """Keep the sticker in view, marked as being replaced: a blank preview on every click
        flickers, and Save (which then writes the new sticker) stays available."""
        self.preview.set_updating()
        self.caption.setText(f"Updating: {text}")
