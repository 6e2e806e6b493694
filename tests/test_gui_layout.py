"""The window's frame as a new user meets it: View menu, dock layout, status bar, recent files (#12 item 14)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.gui_helpers import StubFactory, disc_centre, open_and_wait, ready_window, temp_settings, write_photo

ROWS_SHOWN = 5
PHOTO_SIZE = (120, 160)


@pytest.fixture
def window(qtbot, tmp_path):
    return ready_window(qtbot, temp_settings(tmp_path), StubFactory())


def view_menu_action(window, text: str):
    [action] = [a for a in window.view_menu.actions() if a.text().replace("&", "") == text]
    return action


@pytest.mark.parametrize("title", ["Classes", "Sticker"])
def test_view_menu_hides_and_shows_each_panel(qtbot, window, title):
    action = view_menu_action(window, title)
    dock = next(dock for dock in window._docks if dock.windowTitle() == title)
    assert action.isEnabled()
    action.trigger()
    qtbot.waitUntil(lambda: not dock.isVisible(), timeout=2_000)
    action.trigger()
    qtbot.waitUntil(dock.isVisible, timeout=2_000)


def test_reset_layout_brings_back_hidden_and_floating_panels(qtbot, window):
    legend_dock, sticker_dock = window._docks
    legend_dock.hide()
    sticker_dock.setFloating(True)
    view_menu_action(window, "Reset layout").trigger()
    qtbot.waitUntil(lambda: legend_dock.isVisible() and sticker_dock.isVisible(), timeout=2_000)
    assert not sticker_dock.isFloating()
    assert window.dockWidgetArea(sticker_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert window.dockWidgetArea(legend_dock) == Qt.DockWidgetArea.RightDockWidgetArea


def test_class_list_shows_several_rows_by_default(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, write_photo(tmp_path / "p.png", PHOTO_SIZE))
    legend = window.legend
    row_height = legend.sizeHintForRow(0)
    assert row_height > 0
    qtbot.waitUntil(lambda: legend.viewport().height() >= ROWS_SHOWN * row_height, timeout=2_000)


def test_status_messages_leave_the_hover_readout_in_place(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, write_photo(tmp_path / "p.png", PHOTO_SIZE))
    window.show_message("Saved somewhere.")
    view = window.view_panel.view
    x, y = disc_centre(PHOTO_SIZE)
    QTest.mouseMove(view.viewport(), view.view_pos_of(x + 3, y + 3))  # not where other tests leave the pointer
    qtbot.waitUntil(lambda: window.hover_label.text().startswith("person"), timeout=2_000)
    assert window.hover_label.isVisible()
    assert window.statusBar().currentMessage() == "Saved somewhere."


def test_recent_files_show_their_folder_and_drop_missing_ones(qtbot, tmp_path):
    settings = temp_settings(tmp_path)
    kept = write_photo(tmp_path / "trip" / "beach.png")
    gone = tmp_path / "old" / "moved.png"
    settings.add_recent_file(gone)
    settings.add_recent_file(kept)
    window = ready_window(qtbot, settings, StubFactory())
    menu = window.recent_menu
    menu.aboutToShow.emit()
    texts = [action.text() for action in menu.actions() if action.text()]
    entries = [text for text in texts if "beach.png" in text]
    assert len(entries) == 1 and "trip" in entries[0]
    assert not any(text.startswith("&") and "moved.png" in text for text in texts)
    assert any("moved.png" in text and "no longer" in text for text in texts)  # the note
    assert settings.recent_files() == [kept]
