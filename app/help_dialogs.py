"""Help ▸ Keyboard shortcuts and Help ▸ About: what a new user asks first, answered from the
program itself (its actions' shortcuts, its installed package's version and licence), so the
answers cannot drift from what the program does."""

from __future__ import annotations

import importlib.metadata

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHeaderView, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

DISTRIBUTION = "fcn-sticker-studio"


class ShortcutsDialog(QDialog):
    """A two-column list: what it does, and the keys or mouse gesture that do it."""

    def __init__(self, rows: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self._table = QTreeWidget()
        self._table.setHeaderLabels(["Action", "Shortcut"])
        self._table.setRootIsDecorated(False)
        self._table.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        for action, keys in rows.items():
            self._table.addTopLevelItem(QTreeWidgetItem([action, keys]))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self._table)
        layout.addWidget(buttons)
        self.resize(600, 400)

    def rows(self) -> dict[str, str]:
        items = (self._table.topLevelItem(row) for row in range(self._table.topLevelItemCount()))
        return {item.text(0): item.text(1) for item in items if item is not None}


def version_and_licence() -> tuple[str, str]:
    """The installed package's version and licence, as pip knows them."""
    try:
        metadata = importlib.metadata.metadata(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "(not installed: running from a source folder)", "see the source folder"
    return metadata["Version"], metadata["License"] or "see the package"
