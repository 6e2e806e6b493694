"""The legend: one row per class the network found (swatch, name, share of pixels), largest first.

The order is the network's and stays while the photo is open: a CRF result only updates the
shares in place (a row that moved under the pointer would make the next click pick the wrong
class, and a rebuilt list would lose the current row that the arrow keys move from).

Row selection *is* the class selection: a click selects one class, Ctrl-click adds or removes
one (Qt's extended selection), which is what people expect from any list. The widget reports
user edits with ``selectionEdited`` and mirrors the document's selection without echoing it back.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from app.imaging import swatch
from fcn_core import ClassSet

CLASS_ROLE = Qt.ItemDataRole.UserRole
SMALL_ICON_SIDE = 16
ROW_PADDING = 6
"""Pixels a row adds to its text or icon (the styles shipped with Qt use 2 to 6)."""


class LegendWidget(QTreeWidget):
    """Classes present in the segmentation; selecting rows selects classes."""

    selectionEdited = Signal(object)  # frozenset[int] chosen by the user

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(2)
        self.setHeaderLabels(["Class", "Share"])
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.header().setStretchLastSection(False)
        self.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.setToolTip("Click a class to make it the sticker; Ctrl-click to add or remove classes")
        self._mirroring = False
        self._classes: ClassSet | None = None
        self.itemSelectionChanged.connect(self._on_selection_changed)

    def set_classes(self, classes: ClassSet | None, shares: dict[int, float]) -> None:
        """Rebuild the rows for a new segmentation (``shares`` ordered largest first, as
        ``class_shares`` returns it)."""
        self._mirroring = True
        try:
            self.clear()
            self._classes = classes
            self.update_shares(shares)
        finally:
            self._mirroring = False

    def update_shares(self, shares: dict[int, float]) -> None:
        """New shares of the same photo: rows keep their place (a class that now has none shows
        0 %), and a class new to the list is added at the bottom."""
        if self._classes is None:
            return
        listed = set()
        for item in filter(None, map(self.topLevelItem, range(self.topLevelItemCount()))):
            class_id = item.data(0, CLASS_ROLE)
            listed.add(class_id)
            item.setText(1, format_share(shares.get(class_id, 0.0)))
        for class_id, share in shares.items():
            if class_id not in listed:
                self.addTopLevelItem(self._row(self._classes, class_id, share))

    @staticmethod
    def _row(classes: ClassSet, class_id: int, share: float) -> QTreeWidgetItem:
        item = QTreeWidgetItem([classes.names[class_id], format_share(share)])
        red, green, blue = (int(c) for c in classes.colors[class_id])
        item.setIcon(0, swatch_icon((red, green, blue)))
        item.setData(0, CLASS_ROLE, class_id)
        item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return item

    def height_for_rows(self, rows: int) -> int:
        """Pixel height that shows the header and ``rows`` rows without scrolling."""
        row = max(self.fontMetrics().height(), SMALL_ICON_SIDE) + ROW_PADDING
        return self.header().sizeHint().height() + rows * row + 2 * self.frameWidth()

    def class_ids(self) -> list[int]:
        """Class of each row, top to bottom."""
        return [item.data(0, CLASS_ROLE) for item in self._items()]

    def _items(self) -> list[QTreeWidgetItem]:
        """The rows, top to bottom (``topLevelItem`` of a row below the count is never None)."""
        items = (self.topLevelItem(row) for row in range(self.topLevelItemCount()))
        return [item for item in items if item is not None]

    def row_of(self, class_id: int) -> int:
        return self.class_ids().index(class_id)

    def set_selection(self, class_ids: frozenset[int]) -> None:
        """Mirror the document's selection without emitting ``selectionEdited``."""
        self._mirroring = True
        try:
            for item in self._items():
                item.setSelected(item.data(0, CLASS_ROLE) in class_ids)
        finally:
            self._mirroring = False

    def _on_selection_changed(self) -> None:
        if not self._mirroring:
            self.selectionEdited.emit(frozenset(item.data(0, CLASS_ROLE) for item in self.selectedItems()))


def swatch_icon(color: tuple[int, int, int]) -> QIcon:
    """The class colour as an icon that keeps its colour when the row is selected (styles tint
    the selected icon towards the highlight colour, which would misstate the class colour)."""
    pixmap = swatch(color)
    icon = QIcon(pixmap)
    icon.addPixmap(pixmap, QIcon.Mode.Selected)
    return icon


def format_share(share: float) -> str:
    """``42.3 %``; tiny but present classes show as ``<0.1 %`` rather than a misleading 0."""
    percent = share * 100.0
    return "<0.1 %" if 0 < percent < 0.1 else f"{percent:.1f} %"
