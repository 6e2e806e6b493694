"""The class list while the CRF refines the selection: rows stay put, the current row stays (#12 item 8)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.gui_helpers import PERSON, SOFA, open_and_wait, write_photo


@pytest.fixture
def window(window_with_photo):
    return window_with_photo


def row_names(legend) -> list[str]:
    return [legend.topLevelItem(row).text(0) for row in range(legend.topLevelItemCount())]


def click_row(legend, class_id: int) -> None:
    rect = legend.visualItemRect(legend.topLevelItem(legend.row_of(class_id)))
    QTest.mouseClick(legend.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, rect.center())


def test_refined_shares_update_the_numbers_but_not_the_order(qtbot, window):
    legend, doc = window.legend, window.document
    with qtbot.waitSignal(window.service.refined, timeout=10_000):
        window.sticker_panel.crf_check.click()
    assert row_names(legend) == ["background", "sofa", "person"]
    current = legend.currentItem()
    # A refinement that makes the person the largest class (as a CRF can for a selected object).
    probabilities = doc.segmentation.probabilities.copy()
    probabilities[PERSON] += 2.0
    refined = doc.segmentation.with_probabilities(probabilities, refined_by="crf:test")
    window.service.refined.emit(refined, doc.crf_key())
    assert doc.displayed is refined
    assert row_names(legend) == ["background", "sofa", "person"]  # no row moved under the pointer
    assert legend.topLevelItem(legend.row_of(PERSON)).text(1) == "100.0 %"
    assert legend.currentItem() is current


def test_arrow_keys_move_from_the_current_row_after_a_crf_run(qtbot, window):
    legend = window.legend
    window.sticker_panel.crf_check.click()
    with qtbot.waitSignal(window.service.refined, timeout=10_000):
        click_row(legend, PERSON)  # the bottom row; the CRF re-runs for it
    assert window.document.selection == {PERSON}
    QTest.keyClick(legend, Qt.Key.Key_Up)
    assert window.document.selection == {SOFA}  # the row above, not the top row
    assert legend.currentItem().text(0) == "sofa"


def test_a_new_photo_orders_its_classes_largest_first(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, write_photo(tmp_path / "q.png", (200, 100)))
    shares = [float(window.legend.topLevelItem(row).text(1).rstrip(" %")) for row in range(3)]
    assert shares == sorted(shares, reverse=True)
