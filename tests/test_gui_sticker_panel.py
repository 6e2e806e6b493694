"""The Sticker panel as a person uses it: the wheel scrolls the panel unless a field has the focus (#12 item 9)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget

from tests.gui_helpers import StubFactory, ready_window, temp_settings


@pytest.fixture
def window(qtbot, tmp_path):
    return ready_window(qtbot, temp_settings(tmp_path), StubFactory())


def wheel_down(widget: QWidget) -> None:
    """One notch of the wheel over the middle of ``widget``, delivered the way Qt delivers it."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(
        centre, widget.mapToGlobal(centre), QPoint(), QPoint(0, -120), Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False,
    )
    QApplication.sendEvent(widget, event)


def panel_scroll_area(window) -> QScrollArea:
    area = window.sticker_panel.parentWidget().parentWidget()
    assert isinstance(area, QScrollArea)
    return area


def test_wheel_over_an_unfocused_field_scrolls_the_panel_and_keeps_the_value(qtbot, window):
    panel = window.sticker_panel
    window.resize(900, 420)  # short enough that the panel needs its scroll bar
    qtbot.waitUntil(lambda: panel_scroll_area(window).verticalScrollBar().maximum() > 0, timeout=2_000)
    scroll_bar = panel_scroll_area(window).verticalScrollBar()
    contour, target = panel.contour_width.value(), panel.target.currentIndex()
    window.view_panel.view.setFocus()

    wheel_down(panel.contour_width)
    wheel_down(panel.target)

    assert panel.contour_width.value() == contour
    assert panel.target.currentIndex() == target
    assert scroll_bar.value() > 0  # the panel scrolled instead


def test_wheel_over_the_focused_field_changes_it(qtbot, window):
    spin = window.sticker_panel.contour_width
    spin.setValue(5)
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus, timeout=2_000)
    wheel_down(spin)
    assert spin.value() == 4
