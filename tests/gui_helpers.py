"""Qt helpers of the GUI tests: settings on a temporary file, the real window, clicks, dialogs.
The stand-ins (stub segmenter, photos) are in ``gui_stubs``, re-exported here."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from app.compute.client import Deadlines
from app.main_window import MainWindow
from app.settings import AppSettings
from tests.gui_stubs import (  # noqa: F401 - re-exported for the tests
    BACKGROUND,
    PERSON,
    PERSON_PROBABILITY,
    SOFA,
    StubFactory,
    StubSegmenter,
    disc_geometry,
    disc_segmentation,
    model_requests,
    read_log,
    segmented_paths,
    write_photo,
)


def temp_settings(folder: Path) -> AppSettings:
    """Settings in an INI file of their own (never the user's)."""
    return AppSettings(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))


class DialogRecorder:
    """Stands in for ``QMessageBox.critical``/``warning``: records (title, text), shows nothing."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def __call__(self, parent: object, title: str, text: str, *args: object) -> QMessageBox.StandardButton:
        self.calls.append((title, text))
        return QMessageBox.StandardButton.Ok


def show_window(qtbot: object, settings: AppSettings, factory: object, deadlines: Deadlines | None = None) -> MainWindow:
    """The real main window with an injected segmenter factory (run in its compute process),
    shown, closed after the test (which ends the compute process)."""
    window = MainWindow(segmenter_factory=factory, settings=settings, deadlines=deadlines)
    qtbot.addWidget(window)
    window.show()
    return window


def ready_window(qtbot: object, settings: AppSettings, factory: object, deadlines: Deadlines | None = None) -> MainWindow:
    """``show_window`` and wait until the model is loaded."""
    window = show_window(qtbot, settings, factory, deadlines)
    qtbot.waitUntil(lambda: window.service.model is not None, timeout=20_000)
    return window


def open_and_wait(qtbot: object, window: MainWindow, path: Path) -> None:
    """Open ``path`` through the window's Open slot and wait for its segmentation."""
    with qtbot.waitSignal(window.segmentationShown, timeout=10_000):
        window.open_photo(path)


def click_photo(
    qtbot: object, window: MainWindow, x: float, y: float,
    modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> None:
    """A real mouse click on photo pixel ``(x, y)`` of the image view."""
    view = window.view_panel.view
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, modifier, view.view_pos_of(x, y))


def disc_centre(path_size: tuple[int, int]) -> tuple[float, float]:
    """Photo ``(x, y)`` of the person disc's centre for a photo of ``(height, width)``."""
    centre_row, centre_col, _ = disc_geometry(*path_size)
    return centre_col, centre_row


@contextmanager
def event_loop_ticks(interval_ms: int = 10) -> Iterator[list[float]]:
    """Record when a ``interval_ms`` QTimer on the GUI thread fires while the block runs: gaps
    between the ticks are how long the event loop stalled."""
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(interval_ms)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    try:
        yield ticks
    finally:
        timer.stop()
