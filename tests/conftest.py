"""Shared test set-up: offscreen Qt, a private weights cache, small models."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.gui_helpers import DialogRecorder, StubFactory, open_and_wait, ready_window, temp_settings, write_photo

if TYPE_CHECKING:
    from app.main_window import MainWindow

WINDOW_PHOTO_SIZE = (120, 160)


@pytest.fixture(autouse=True)
def private_weights_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never read or write the user's real weight cache from a test."""
    home = tmp_path_factory.mktemp("fcn_sticker_home")
    monkeypatch.setenv("FCN_STICKER_HOME", str(home))
    monkeypatch.setenv("TORCH_HOME", str(home / "torch"))


@pytest.fixture(autouse=True)
def fast_cpu_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast CPU forward (after its self-check) without the once-per-machine timing, which
    every test's private cache would repeat; ``test_cpu_path_choice`` tests the choice itself."""
    monkeypatch.setenv("FCN_STICKER_CPU_PATH", "fast")


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> DialogRecorder:
    """Error and warning boxes recorded instead of shown (GUI tests)."""
    from PySide6.QtWidgets import QMessageBox

    recorder = DialogRecorder()
    monkeypatch.setattr(QMessageBox, "critical", recorder)
    monkeypatch.setattr(QMessageBox, "warning", recorder)
    return recorder


@pytest.fixture
def window_with_photo(qtbot: object, tmp_path: Path) -> MainWindow:
    """The real window with the stub model loaded and a small photo (120×160) segmented."""
    window = ready_window(qtbot, temp_settings(tmp_path), StubFactory())
    open_and_wait(qtbot, window, write_photo(tmp_path / "p.png", WINDOW_PHOTO_SIZE))
    return window
