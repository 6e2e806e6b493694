"""File ▸ Open recent: the last photos opened, newest first, from the settings.

Each entry names the file and its folder (two ``IMG_0001.jpg`` from different trips must be told
apart). Files that no longer exist are dropped from the list when the menu opens, and a note in
the menu says which, so an entry never leads to an error dialog and nothing vanishes unexplained.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QMenu, QWidget

from app.settings import AppSettings


def folder_context(path: Path) -> str:
    """The folder of ``path`` as a person reads it: ``~/Pictures/trip`` under the home folder."""
    folder = path.parent
    try:
        return str(Path("~") / folder.relative_to(Path.home()))
    except ValueError:
        return str(folder)


class RecentFilesMenu(QMenu):
    """Emits ``chosen`` with the path of the entry clicked; ``refresh`` after the list changed."""

    chosen = Signal(object)  # Path

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__("Open &recent", parent)
        self._settings = settings
        self.aboutToShow.connect(self._drop_missing)
        self.refresh()

    def refresh(self, removed: list[Path] | None = None) -> None:
        self.clear()
        if removed:
            names = ", ".join(path.name for path in removed)
            note = self.addAction(f"Removed, no longer there: {names}")
            note.setEnabled(False)
            self.addSeparator()
        recent = self._settings.recent_files()
        for index, path in enumerate(recent, start=1):
            action = self.addAction(f"&{index % 10}  {path.name}  —  {folder_context(path)}")
            action.setToolTip(str(path))
            action.setStatusTip(str(path))
            action.triggered.connect(lambda _=False, chosen=path: self.chosen.emit(chosen))
        if recent:
            self.addSeparator()
            self.addAction("Clear list", self._clear)
        self.setEnabled(bool(recent or removed))

    def add(self, path: Path) -> None:
        self._settings.add_recent_file(path)
        self.refresh()

    def _drop_missing(self) -> None:
        recent = self._settings.recent_files()
        missing = [path for path in recent if not path.exists()]
        if missing:
            self._settings.set_recent_files([path for path in recent if path not in missing])
            self.refresh(removed=missing)

    def _clear(self) -> None:
        self._settings.clear_recent_files()
        self.refresh()
