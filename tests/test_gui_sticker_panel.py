"""The Sticker panel as a person uses it (#12 items 9, 10, 15)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QScrollArea, QWidget

from tests.gui_helpers import StubFactory, click_photo, disc_centre, open_and_wait, ready_window, temp_settings, write_photo

PHOTO_SIZE = (120, 160)


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


# Format and target (#12 item 15) -------------------------------------------------------------
def format_item_enabled(panel, fmt: str) -> bool:
    return panel.format.model().item(panel.format.findData(fmt)).isEnabled()


def test_the_messenger_is_spelled_as_its_makers_spell_it(window):
    target = window.sticker_panel.target
    assert [target.itemText(i) for i in range(target.count())] == ["Telegram", "WhatsApp"]


def test_choosing_whatsapp_says_why_the_format_changed(qtbot, window):
    panel = window.sticker_panel
    panel.format.setCurrentIndex(panel.format.findData("png"))
    assert panel.format_note.isHidden()
    panel.target.setCurrentIndex(panel.target.findData("whatsapp"))
    assert panel.format.currentData() == "webp"
    assert not panel.format_note.isHidden()
    assert "WhatsApp" in panel.format_note.text() and "WEBP" in panel.format_note.text()


def test_png_cannot_be_picked_for_whatsapp_so_the_target_never_flips_silently(window):
    panel = window.sticker_panel
    panel.target.setCurrentIndex(panel.target.findData("whatsapp"))
    assert not format_item_enabled(panel, "png")
    assert "WhatsApp" in panel.format.itemData(panel.format.findData("png"), Qt.ItemDataRole.ToolTipRole)
    panel.target.setCurrentIndex(panel.target.findData("telegram"))
    assert format_item_enabled(panel, "png")
    panel.format.setCurrentIndex(panel.format.findData("png"))
    assert window.document.output_target == "telegram"


def test_clean_up_options_are_remembered_like_the_others(qtbot, tmp_path):
    window = ready_window(qtbot, temp_settings(tmp_path), StubFactory())
    window.sticker_panel.remove_specks.setChecked(True)
    window.sticker_panel.fill_holes.setChecked(True)
    window.close()
    second = ready_window(qtbot, temp_settings(tmp_path), StubFactory())
    assert second.sticker_panel.remove_specks.isChecked()
    assert second.sticker_panel.fill_holes.isChecked()
    assert second.document.cleanup.fill_holes


# The preview while the CRF re-runs (#12 item 10) ---------------------------------------------
def preview_centre(panel) -> tuple[int, int, int]:
    image = panel.preview.rendered()
    colour = image.pixelColor(image.width() // 2, image.height() // 2)
    return colour.red(), colour.green(), colour.blue()


def test_a_crf_rerun_keeps_the_last_preview_marked_as_updating_and_save_waits_for_the_new_one(
    qtbot, window, tmp_path, monkeypatch
):
    panel, doc = window.sticker_panel, window.document
    photo = write_photo(tmp_path / "photos" / "beach.png", PHOTO_SIZE)
    open_and_wait(qtbot, window, photo)
    with qtbot.waitSignal(window.service.refined, timeout=10_000):
        panel.crf_check.click()
    qtbot.waitUntil(lambda: window.builder.sticker is not None, timeout=5_000)
    shown = preview_centre(panel)

    asked: list[tuple[object, object]] = []
    monkeypatch.setattr(window.service, "refine", lambda segmentation, key: asked.append((segmentation, key)))
    with qtbot.waitSignal(window.builder.built, timeout=5_000) as built:
        click_photo(qtbot, window, *disc_centre(PHOTO_SIZE))  # the person: a new CRF run, held back here
    assert built.args[0] is None and doc.crf_pending
    assert preview_centre(panel) == shown  # the last sticker stays in view…
    assert "updating" in panel.caption.text().lower()  # …marked as being updated
    assert panel.save_button.isEnabled() and window.save_action.isEnabled()

    target = tmp_path / "me.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(target), ""))
    window.save_action.trigger()  # while the CRF still runs: the save waits for the new sticker
    assert not target.exists()
    [(segmentation, key)] = asked
    with qtbot.waitSignal(window.stickerSaved, timeout=5_000):
        window.service.refined.emit(segmentation.with_probabilities(segmentation.probabilities, "crf:test"), key)
    with Image.open(target) as image:
        np.testing.assert_array_equal(np.asarray(image), window.builder.sticker.rgba)
    assert "person" in panel.caption.text()
