"""The click-through flow, driven through the real main window: open → segment → pick → CRF → save."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QToolBar

from app.document import ViewMode
from tests.gui_helpers import (
    PERSON,
    PERSON_PROBABILITY,
    SOFA,
    StubFactory,
    click_photo,
    disc_centre,
    model_requests,
    open_and_wait,
    ready_window,
    segmented_paths,
    temp_settings,
    write_photo,
)

PHOTO_SIZE = (120, 160)


@pytest.fixture
def log(tmp_path) -> Path:
    return tmp_path / "compute.jsonl"


@pytest.fixture
def window(qtbot, tmp_path, log):
    return ready_window(qtbot, temp_settings(tmp_path), StubFactory(log=log))


@pytest.fixture
def photo(tmp_path) -> Path:
    return write_photo(tmp_path / "photos" / "beach.png", PHOTO_SIZE)


def test_open_click_crf_save_writes_the_previewed_sticker(qtbot, window, photo, tmp_path, monkeypatch):
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(photo), ""))
    with qtbot.waitSignal(window.segmentationShown, timeout=10_000):
        window.open_action.trigger()  # the menu's and toolbar's action
    assert window.document.photo.path == photo
    assert window.document.selection == {SOFA}  # the largest object is pre-selected

    with qtbot.waitSignal(window.builder.built, timeout=5_000):
        click_photo(qtbot, window, *disc_centre(PHOTO_SIZE))
    assert window.document.selection == {PERSON}
    assert [item.text(0) for item in window.legend.selectedItems()] == ["person"]

    with qtbot.waitSignal(window.service.refined, timeout=10_000):
        window.sticker_panel.crf_check.click()
    assert window.document.displayed.refined_by == "crf:deeplab:binary"
    qtbot.waitUntil(lambda: window.builder.sticker is not None, timeout=5_000)
    assert window.save_action.isEnabled()
    previewed = window.builder.sticker.rgba

    target = tmp_path / "out" / "me.png"
    target.parent.mkdir()
    offered: list[str] = []

    def fake_save_dialog(parent, caption, start, filters):
        offered.append(start)
        return str(target), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake_save_dialog)
    with qtbot.waitSignal(window.stickerSaved, timeout=5_000) as saved:
        window.save_action.trigger()
    assert Path(offered[0]).name == "beach.person.sticker.png"
    assert saved.args[0].path == target
    assert str(target) in window.statusBar().currentMessage()

    with Image.open(target) as image:
        assert image.size == (512, 512)
        assert image.mode == "RGBA"
        pixels = np.asarray(image)
    alpha = pixels[..., 3]
    assert alpha[0, 0] == alpha[0, -1] == alpha[-1, 0] == alpha[-1, -1] == 0
    assert alpha[256, 256] == 255
    np.testing.assert_array_equal(pixels, previewed)


# QDragEnterEvent takes a QPoint up to PySide6 6.11 and deprecates it (for QPointF) in 6.12.
DRAG_POINT_DEPRECATION = pytest.mark.filterwarnings("ignore:.*QDragEnterEvent.*:DeprecationWarning")


@DRAG_POINT_DEPRECATION
def test_dropping_a_photo_opens_it(qtbot, window, photo):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo))])
    actions = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(QPoint(200, 200), actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(200, 200), actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.segmentationShown, timeout=10_000):
        QApplication.sendEvent(window, drop)
    assert window.document.photo.path == photo
    assert window.settings.recent_files()[0] == photo


@DRAG_POINT_DEPRECATION
def test_dragging_text_is_refused(window):
    mime = QMimeData()
    mime.setText("not a file")
    enter = QDragEnterEvent(
        QPoint(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    enter.ignore()
    QApplication.sendEvent(window, enter)
    assert not enter.isAccepted()


def test_hover_shows_class_and_probability(qtbot, window, photo):
    open_and_wait(qtbot, window, photo)
    view = window.view_panel.view
    QTest.mouseMove(view.viewport(), view.view_pos_of(*disc_centre(PHOTO_SIZE)))
    qtbot.waitUntil(lambda: window.hover_label.text().startswith("person"), timeout=2_000)
    assert f"{PERSON_PROBABILITY:.0%}" in window.hover_label.text()


def test_ctrl_click_adds_and_removes_classes(qtbot, window, photo):
    open_and_wait(qtbot, window, photo)
    click_photo(qtbot, window, *disc_centre(PHOTO_SIZE))
    assert window.document.selection == {PERSON}
    ctrl = Qt.KeyboardModifier.ControlModifier
    click_photo(qtbot, window, 5, 5, ctrl)  # the sofa band
    assert window.document.selection == {PERSON, SOFA}
    assert sorted(item.text(0) for item in window.legend.selectedItems()) == ["person", "sofa"]
    click_photo(qtbot, window, 5, 5, ctrl)
    assert window.document.selection == {PERSON}


def test_legend_rows_select_classes(qtbot, window, photo):
    open_and_wait(qtbot, window, photo)
    legend = window.legend
    names = [legend.topLevelItem(row).text(0) for row in range(legend.topLevelItemCount())]
    assert names == ["background", "sofa", "person"]

    def click_row(class_id: int, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
        rect = legend.visualItemRect(legend.topLevelItem(legend.row_of(class_id)))
        QTest.mouseClick(legend.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())

    click_row(PERSON)
    assert window.document.selection == {PERSON}
    click_row(0, Qt.KeyboardModifier.ControlModifier)
    assert window.document.selection == {PERSON, 0}


def test_view_modes_paint_their_layers(qtbot, window, photo):
    open_and_wait(qtbot, window, photo)
    panel = window.view_panel
    click_photo(qtbot, window, *disc_centre(PHOTO_SIZE))

    window.document.set_view_mode(ViewMode.PROBABILITY)
    panel.refresh_layer()
    assert panel.mode.currentData() == "probability"
    assert not panel.color_bar.isHidden()
    assert not panel.view._layer.pixmap().isNull()

    window.document.set_view_mode(ViewMode.LABELS)
    panel.refresh_layer()
    assert not panel.view._photo.isVisible()
    assert not panel.opacity.isEnabled()

    window.document.set_view_mode(ViewMode.CRF_DIFF)
    panel.refresh_layer()
    assert panel.view._layer.pixmap().isNull()
    assert "“CRF”" in panel.note.text()
    with qtbot.waitSignal(window.service.refined, timeout=10_000):
        window.sticker_panel.crf_check.click()
    panel.refresh_layer()
    assert not panel.view._layer.pixmap().isNull()
    assert panel.view._photo.isVisible()


def test_crf_toggle_reuses_the_cached_network_result(qtbot, window, photo, log):
    open_and_wait(qtbot, window, photo)
    with qtbot.waitSignal(window.service.refined, timeout=10_000):
        window.sticker_panel.crf_check.click()
    refined = window.document.displayed
    window.sticker_panel.crf_check.click()
    assert window.document.displayed is window.document.segmentation
    with qtbot.assertNotEmitted(window.service.refined, wait=200):
        window.sticker_panel.crf_check.click()  # back on: served from the cache, no new CRF run
    assert window.document.displayed is refined
    assert segmented_paths(log) == [photo]  # the network ran once


def test_shortcuts_and_toolbar(window):
    assert window.open_action.shortcut().toString() == "Ctrl+O"
    assert window.save_action.shortcut().toString() == "Ctrl+S"
    assert window.batch_action.shortcut().toString() == "Ctrl+B"
    assert window.add_to_pack_action.shortcut().toString() == "Ctrl+Shift+S"
    assert not window.save_action.isEnabled()  # nothing to save before a class is picked
    assert not window.add_to_pack_action.isEnabled()
    toolbar_texts = [action.text() for action in window.findChild(QToolBar).actions()]
    assert toolbar_texts[:4] == ["&Open photo…", "&Save sticker…", "Add to &pack", "&Batch export…"]


def test_zoom_buttons_and_wheel(qtbot, window, photo):
    open_and_wait(qtbot, window, photo)
    view = window.view_panel.view
    fitted = view.scale_factor()
    window.actual_action.trigger()
    assert view.scale_factor() == 1.0
    assert window.zoom_label.text() == "100%"
    centre = QPointF(view.viewport().rect().center())
    wheel = QWheelEvent(
        centre, view.viewport().mapToGlobal(centre), QPoint(), QPoint(0, 120), Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False,
    )
    QApplication.sendEvent(view.viewport(), wheel)
    assert view.scale_factor() == pytest.approx(1.25)
    QTest.keyClick(window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert view.scale_factor() == pytest.approx(fitted)


def test_choosing_another_model_resegments_the_open_photo(qtbot, tmp_path, photo, log):
    factory = StubFactory(log=log)
    settings = temp_settings(tmp_path)
    window = ready_window(qtbot, settings, factory)
    open_and_wait(qtbot, window, photo)
    [action] = [a for a in window.model_control.menu.actions() if a.text().startswith("fcn16s ")]
    with qtbot.waitSignal(window.segmentationShown, timeout=10_000):
        action.trigger()
    assert [request.name for request in model_requests(log)] == ["fcn8s", "fcn16s"]
    assert action.isChecked()
    assert window.model_label.text() == "Model: fcn16s"
    assert settings.model_name() == "fcn16s"
    assert segmented_paths(log) == [photo, photo]
    assert window.document.segmentation.model_name == "fcn16s"


@pytest.mark.parametrize(
    ("typed", "expected"), [("me.png", "me.webp"), ("me", "me.webp"), ("me.webp", "me.webp"), ("my.cat", "my.cat.webp")]
)
def test_saved_name_ends_in_the_chosen_format(qtbot, window, photo, tmp_path, monkeypatch, typed, expected):
    open_and_wait(qtbot, window, photo)
    window.document.set_output(fmt="webp")
    qtbot.waitUntil(lambda: window.builder.sticker is not None, timeout=5_000)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(tmp_path / typed), ""))
    with qtbot.waitSignal(window.stickerSaved, timeout=5_000) as saved:
        window.save_action.trigger()
    assert saved.args[0].path == tmp_path / expected
