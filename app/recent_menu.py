"""File ▸ Open recent: the last photos opened, newest first, from the settings."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QMenu, QWidget

from app.settings import AppSettings


class RecentFilesMenu(QMenu):
    """Emits ``chosen`` with the path of the entry clicked; ``refresh`` after the list changed."""

    chosen = Signal(object)  # Path

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__("Open &recent", parent)
        self._settings = settings
        self.refresh()

    def refresh(self) -> None:
        self.clear()
        recent = self._settings.recent_files()
        for index, path in enumerate(recent, start=1):
            action = self.addAction(f"&{index % 10}  {path.name}")
            action.setToolTip(str(path))
            action.setStatusTip(str(path))
            action.triggered.connect(lambda _=False, chosen=path: self.chosen.emit(chosen))
        if recent:
            self.addSeparator()
            self.addAction("Clear list", self._clear)
        self.setEnabled(bool(recent))

    def add(self, path: Path) -> None:
        self._settings.add_recent_file(path)
        self.refresh()

    def _clear(self) -> None:
        self._settings.clear_recent_files()
        self.refresh()
