"""Saving from the window when it cannot work: nothing to see (#12 item 12), a folder that
refuses the file (#12 item 13). Both run as root too: the failures are not permission bits."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog

from app.errors import explain
from fcn_core.save import StickerSaveError
from tests.gui_helpers import StubFactory, open_and_wait, ready_window, temp_settings, write_photo

PHOTO_SIZE = (120, 160)



@pytest.fixture
def window(qtbot, tmp_path):
    window = ready_window(qtbot, temp_settings(tmp_path), StubFactory())
    open_and_wait(qtbot, window, write_photo(tmp_path / "photos" / "beach.png", PHOTO_SIZE))
    qtbot.waitUntil(lambda: window.builder.sticker is not None, timeout=5_000)
    return window


def save_to(qtbot, window, monkeypatch, path: Path, offered: list[str]) -> None:
    def dialog(parent, caption, start, filters):
        offered.append(start)
        return str(path), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog)
    with qtbot.waitSignals([window.builder.saveFailed], timeout=5_000):
        window.save_action.trigger()


def test_a_sticker_with_almost_nothing_to_see_is_refused_in_plain_words(qtbot, window, dialogs, tmp_path, monkeypatch):
    sticker = window.builder.sticker
    rgba = sticker.rgba.copy()
    rgba[..., 3] = 0
    rgba[:4, :4, 3] = 255  # 16 visible pixels of 512×512: a chat would show an empty bubble
    window.builder.sticker = replace(sticker, rgba=rgba)
    target = tmp_path / "out.png"
    save_to(qtbot, window, monkeypatch, target, [])
    assert not target.exists()
    [(title, text)] = dialogs.calls
    assert "not saved" in title
    assert "almost nothing to see" in text
    assert "contour width" not in text  # advice for files over the size limit, wrong here


def test_a_refused_save_gives_the_library_reason_as_a_sentence_without_unrelated_advice():
    reason = "the sticker of cat has almost nothing to see: 16 of 512×512 pixels are visible; pick another class"
    explanation = explain(StickerSaveError(reason), "save cat.png")
    assert explanation.title == "The sticker was not saved"
    assert explanation.text == f"T{reason[1:]}."


def test_after_a_failed_save_the_next_save_proposes_a_folder_that_works(qtbot, window, dialogs, tmp_path, monkeypatch):
    blocker = tmp_path / "photos.zip"
    blocker.write_bytes(b"a file where the user thought a folder was")
    offered: list[str] = []
    save_to(qtbot, window, monkeypatch, blocker / "me.png", offered)
    [(_, text)] = dialogs.calls
    assert str(blocker) in text
    assert ".tmp" not in text and ".partial" not in text  # never the internal temporary file

    def cancelled_dialog(parent, caption, start, filters):
        offered.append(start)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", cancelled_dialog)
    window.save_action.trigger()
    proposed = Path(offered[-1]).parent
    assert proposed != blocker
    assert proposed == tmp_path / "photos"  # the photo's own folder, which takes files
    assert "photos" in text.rsplit("\n\n", 1)[-1]  # the dialog said where the next Save goes
