"""The sticker studio through the real window, on a real VOC photo whose class appears twice:
pick one person, brush, erase, lasso, matting, undo all / redo all, dark chat preview, copy, save."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox
from scipy import ndimage

from app.edit_tools import Tool
from app.preview import CHAT_COLOURS, ChatBackground
from tests.gui_helpers import click_photo, open_and_wait, ready_window, temp_settings
from tests.voc_helpers import TruthFactory, voc_labels, voc_photo_path

NAME = "2007_003541"  # two people side by side: a man (left) and a woman (right)
PERSON = 15


@pytest.fixture
def window(qtbot, tmp_path):
    return ready_window(qtbot, temp_settings(tmp_path), TruthFactory())


def people() -> list[np.ndarray]:
    """The two people's true masks, largest first."""
    pieces, _ = ndimage.label(voc_labels(NAME) == PERSON, structure=np.ones((3, 3), dtype=bool))
    sizes = np.bincount(pieces.ravel())[1:]
    return [pieces == index + 1 for index in np.argsort(-sizes)[:2]]


def inside(mask: np.ndarray) -> tuple[int, int]:
    """A photo pixel (x, y) deep inside the mask."""
    depth = ndimage.distance_transform_edt(mask)
    row, col = np.unravel_index(np.argmax(depth), mask.shape)
    return int(col), int(row)


def drag(window, points: list[tuple[float, float]]) -> None:
    """A real left-button drag on the image view through photo pixels ``points``."""
    view = window.view_panel.view
    viewport = view.viewport()
    positions = [QPointF(view.view_pos_of(x, y)) for x, y in points]
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    no_key = Qt.KeyboardModifier.NoModifier

    def send(kind: QEvent.Type, position: QPointF, button: Qt.MouseButton, buttons: Qt.MouseButton) -> None:
        event = QMouseEvent(kind, position, viewport.mapToGlobal(position), button, buttons, no_key)
        QApplication.sendEvent(viewport, event)

    send(QEvent.Type.MouseButtonPress, positions[0], left, left)
    for position in positions[1:]:
        send(QEvent.Type.MouseMove, position, none, left)
    send(QEvent.Type.MouseButtonRelease, positions[-1], left, none)


def settled_sticker(qtbot, window) -> np.ndarray:
    """The sticker once the builder has caught up with the document."""
    qtbot.waitUntil(lambda: window.builder.sticker is not None, timeout=20_000)
    return np.array(window.builder.sticker.rgba)


def test_one_person_edited_by_hand_undone_redone_matted_copied_and_saved(qtbot, window, tmp_path, monkeypatch):
    photo = voc_photo_path(NAME)
    open_and_wait(qtbot, window, photo)
    doc = window.document
    assert doc.selection == {PERSON} and doc.objects == ()  # the pre-selection: the whole class
    first = settled_sticker(qtbot, window)

    woman, man = people()
    click_photo(qtbot, window, *inside(woman))
    assert doc.selection == {PERSON} and len(doc.objects) == 1
    one = settled_sticker(qtbot, window)
    assert not np.array_equal(one, first)
    click_photo(qtbot, window, *inside(man), Qt.KeyboardModifier.ControlModifier)  # Ctrl adds the man
    assert len(doc.objects) == 2
    click_photo(qtbot, window, *inside(man), Qt.KeyboardModifier.ControlModifier)  # ... and removes him again
    assert len(doc.objects) == 1

    window.tool_actions[Tool.BRUSH].trigger()
    x, y = inside(woman)
    drag(window, [(x, 40), (x + 30, 45), (x + 60, 50)])  # above her head: paint in
    assert len(doc.edits) == 1
    window.tool_actions[Tool.ERASER].trigger()
    drag(window, [(x - 40, y), (x + 40, y)])  # across her body: cut out
    window.tool_actions[Tool.LASSO_ADD].trigger()
    drag(window, [(20, 420), (80, 420), (80, 480), (20, 480)])  # a square bottom left
    assert len(doc.edits) == 3
    edited = settled_sticker(qtbot, window)
    assert not np.array_equal(edited, one)

    window.sticker_panel.edges.setCurrentIndex(window.sticker_panel.edges.findData("matting"))
    assert doc.edges.method == "matting"
    last = settled_sticker(qtbot, window)
    assert ((last[..., 3] > 0) & (last[..., 3] < 255)).sum() > ((edited[..., 3] > 0) & (edited[..., 3] < 255)).sum()

    steps = window.undo_stack.count()
    assert steps == 7  # one object, Ctrl add, Ctrl remove, brush, eraser, lasso, matting
    while window.undo_stack.canUndo():
        window.undo_action.trigger()
    assert doc.objects == () and len(doc.edits) == 0 and doc.edges.method == "none"
    np.testing.assert_array_equal(settled_sticker(qtbot, window), first)
    while window.undo_stack.canRedo():
        window.redo_action.trigger()
    np.testing.assert_array_equal(settled_sticker(qtbot, window), last)

    panel = window.sticker_panel
    panel.background.setCurrentIndex(panel.background.findData(ChatBackground.DARK.value))
    corner = panel.preview.rendered().pixelColor(2, 2)
    assert (corner.red(), corner.green(), corner.blue()) == CHAT_COLOURS[ChatBackground.DARK].getRgb()[:3]

    window.copy_action.trigger()
    copied = QApplication.clipboard().mimeData().data("image/png")
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(bytes(copied.data()))).convert("RGBA")), last)
    QApplication.clipboard().clear()  # offscreen Qt crashes at exit if the clipboard still holds Python's QMimeData
    dragged = panel.preview.drag_file()  # what dragging the preview out drops
    assert dragged is not None and dragged.name == "person.sticker.png"
    with Image.open(dragged) as image:
        np.testing.assert_array_equal(np.asarray(image), last)

    target = tmp_path / "woman.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(target), args[-1]))
    with qtbot.waitSignal(window.stickerSaved, timeout=10_000):
        window.save_action.trigger()
    with Image.open(target) as saved:
        np.testing.assert_array_equal(np.asarray(saved), last)


def test_changing_the_class_set_asks_before_dropping_edits(qtbot, window, monkeypatch):
    open_and_wait(qtbot, window, voc_photo_path(NAME))
    woman, _ = people()
    click_photo(qtbot, window, *inside(woman))
    window.tool_actions[Tool.BRUSH].trigger()
    drag(window, [(30, 30), (60, 30)])
    window.tool_actions[Tool.SELECT].trigger()
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    monkeypatch.setattr(QMessageBox, "question", lambda *args: answers.pop(0))
    click_photo(qtbot, window, 5, 5)  # background: another class set
    assert window.document.selection == {PERSON} and len(window.document.edits) == 1
    click_photo(qtbot, window, 5, 5)
    assert window.document.selection == {0} and len(window.document.edits) == 0
    window.undo_action.trigger()  # brings selection and edits back
    assert window.document.selection == {PERSON} and len(window.document.edits) == 1


def test_brush_size_keys_and_ctrl_wheel(qtbot, window) -> None:
    open_and_wait(qtbot, window, voc_photo_path(NAME))
    tools, view = window.edit_tools, window.view_panel.view
    window.tool_actions[Tool.BRUSH].trigger()
    start = tools.radius
    window.larger_brush_action.trigger()
    assert tools.radius > start
    window.smaller_brush_action.trigger()
    window.smaller_brush_action.trigger()
    assert tools.radius < start
    zoom, before = view.scale_factor(), tools.radius
    position = QPointF(view.view_pos_of(100, 100))
    wheel = QWheelEvent(position, view.viewport().mapToGlobal(position), QPoint(), QPoint(0, 240), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.ControlModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), wheel)
    assert tools.radius > before and view.scale_factor() == zoom  # Ctrl+wheel sizes the brush, not the zoom
