"""Zooming, the view modes' keys and hints, and the Help menu (#12 item 16)."""

from __future__ import annotations

import importlib.metadata

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from app.document import ViewMode
from app.help_dialogs import ShortcutsDialog
from tests.gui_helpers import click_photo, disc_centre

PHOTO_SIZE = (120, 160)


@pytest.fixture
def window(window_with_photo):
    return window_with_photo


def settle(qtbot) -> None:
    qtbot.wait(50)  # layouts and resize events run from the event loop


@pytest.mark.parametrize("mode", [ViewMode.PROBABILITY, ViewMode.CRF_DIFF])
def test_a_view_with_a_colour_key_keeps_the_zoom_and_the_view_size(qtbot, window, mode):
    click_photo(qtbot, window, *disc_centre(PHOTO_SIZE))
    if mode is ViewMode.CRF_DIFF:
        with qtbot.waitSignal(window.service.refined, timeout=10_000):
            window.sticker_panel.crf_check.click()
    view = window.view_panel.view
    settle(qtbot)
    scale, size = view.scale_factor(), view.size()
    window.document.set_view_mode(mode)
    window.view_panel.refresh_layer()
    settle(qtbot)
    assert window.view_panel.color_bar.isVisible()
    assert view.size() == size
    assert view.scale_factor() == scale


def test_ctrl_equals_zooms_in_like_ctrl_plus(qtbot, window):
    view = window.view_panel.view
    before = view.scale_factor()
    QTest.keyClick(window, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert view.scale_factor() == pytest.approx(before * 1.25)


def test_the_crf_view_hint_names_the_control_as_it_is_labelled(qtbot, window):
    click_photo(qtbot, window, *disc_centre(PHOTO_SIZE))
    window.document.set_view_mode(ViewMode.CRF_DIFF)
    window.view_panel.refresh_layer()
    hint = window.view_panel.note.text()
    assert f"“{window.sticker_panel.crf_check.text()}”" in hint
    assert "Edges" in hint  # the row the box is in


def test_help_lists_the_keyboard_shortcuts(qtbot, window):
    window.shortcuts_action.trigger()
    dialog = window.findChild(ShortcutsDialog)
    assert dialog is not None and dialog.isVisible()
    keys = dialog.rows()
    for action, shortcut in ((window.open_action, "Ctrl+O"), (window.save_action, "Ctrl+S"),
                             (window.batch_action, "Ctrl+B"), (window.zoom_in_action, "Ctrl+=")):
        assert shortcut in keys[action.text().replace("&", "").rstrip("…")]
    assert any("Ctrl" in shortcut and "click" in shortcut for shortcut in keys.values())  # add a class


def test_about_names_the_version_and_the_licence(window, monkeypatch):
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "about", lambda parent, title, text: shown.append(text))
    window.about_action.trigger()
    [text] = shown
    assert importlib.metadata.version("fcn-sticker-studio") in text
    assert "MIT" in text
