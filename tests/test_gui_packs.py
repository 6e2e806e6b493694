"""The pack panel, driven through the real window: add stickers of real VOC photos with
Ctrl+Shift+S, reorder, tag, validate, export and upload without blocking the window."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QKeySequence

from fcn_core.packs.model import open_pack
from tests.bot_api_server import Call, error, fake_bot_api
from tests.gui_helpers import event_loop_ticks, open_and_wait, ready_window, temp_settings
from tests.pack_helpers import GroundTruthFactory, needs_voc, voc_photo_path

pytestmark = needs_voc
TOKEN = "123456789:AAHsecret-token_for_tests"
PHOTOS = ("2009_003466", "2007_000676", "2008_000853")  # dog, sheep, cat



@pytest.fixture
def window(qtbot, tmp_path, dialogs):
    return ready_window(qtbot, temp_settings(tmp_path), GroundTruthFactory())


def add_photo(qtbot, window, stem: str) -> None:
    open_and_wait(qtbot, window, voc_photo_path(stem))
    qtbot.waitUntil(lambda: window.builder.sticker is not None, timeout=10_000)
    with qtbot.waitSignal(window.pack_panel.stickerAdded, timeout=10_000):
        window.add_to_pack_action.trigger()


def wait_for_change(qtbot, panel, action) -> None:
    with qtbot.waitSignal(panel.changed, timeout=10_000):
        action()


def test_pack_panel_add_reorder_tag_validate_export(qtbot, window, tmp_path, dialogs) -> None:
    panel = window.pack_panel
    assert window.add_to_pack_action.shortcut() == QKeySequence("Ctrl+Shift+S")
    folder = tmp_path / "farm"
    wait_for_change(qtbot, panel, lambda: panel.new_pack(folder, "Farm", "Ann", "whatsapp"))
    assert "No pack" not in panel.name_label.text() and panel.list.count() == 0
    assert "needs at least 3 stickers" in panel.validation.text()

    for stem in PHOTOS:
        add_photo(qtbot, window, stem)
    pack = open_pack(folder)
    assert [(Path(s.source.photo).stem, s.source.classes, s.emojis) for s in pack.stickers] == [
        ("2009_003466", ("dog",), ("🐶",)), ("2007_000676", ("sheep",), ("🐑",)), ("2008_000853", ("cat",), ("🐱",))]
    assert panel.list.count() == 3 and panel.list.currentRow() == 2
    thumbnail = panel.list.item(0).data(Qt.ItemDataRole.DecorationRole)
    assert max(thumbnail.width(), thumbnail.height()) == 96
    assert "WhatsApp: ready" in panel.validation.text() and "Telegram: ready" in panel.validation.text()

    # drag the cat to the front (the list's model move is what a drop does)
    wait_for_change(qtbot, panel, lambda: panel.list.model().moveRow(QModelIndex(), 2, QModelIndex(), 0))
    assert [Path(s.source.photo).stem for s in open_pack(folder).stickers] == ["2008_000853", "2009_003466", "2007_000676"]

    panel.list.setCurrentRow(0)
    panel.emoji_edit.setText("😺😻")
    wait_for_change(qtbot, panel, panel.emoji_edit.editingFinished.emit)
    assert open_pack(folder).stickers[0].emojis == ("😺", "😻")
    panel.list.setCurrentRow(1)
    wait_for_change(qtbot, panel, panel.tray_button.click)
    assert open_pack(folder).tray == open_pack(folder).stickers[1].file
    assert panel.list.item(1).data(Qt.ItemDataRole.UserRole + 2) is True

    panel.list.setCurrentRow(1)
    panel.emoji_edit.setText("")
    wait_for_change(qtbot, panel, panel.emoji_edit.editingFinished.emit)
    assert "sticker 2: WhatsApp needs at least 1 emoji" in panel.validation.text()
    panel.emoji_edit.setText("🐶")
    wait_for_change(qtbot, panel, panel.emoji_edit.editingFinished.emit)

    out = tmp_path / "wa"
    with qtbot.waitSignal(panel.exported, timeout=20_000) as exported:
        panel.export("whatsapp", out)
    assert exported.args[0] == "whatsapp"
    contents = json.loads((out / "contents.json").read_text(encoding="utf-8"))
    assert [s["emojis"] for s in contents["sticker_packs"][0]["stickers"]] == [["😺", "😻"], ["🐶"], ["🐑"]]
    assert exported.args[1].wastickers.is_file()

    panel.list.setCurrentRow(2)
    wait_for_change(qtbot, panel, panel.remove_button.click)
    assert len(open_pack(folder).stickers) == 2 and any((folder / "removed").iterdir())
    assert "needs at least 3 stickers" in panel.validation.text()
    with qtbot.waitSignal(panel.failed, timeout=20_000):
        panel.export("whatsapp", tmp_path / "wa2")
    assert "needs at least 3 stickers" in dialogs.calls[-1][1] and not (tmp_path / "wa2").exists()


def test_upload_runs_in_the_background_with_progress(qtbot, window, tmp_path, dialogs) -> None:
    panel = window.pack_panel
    folder = tmp_path / "tg"
    wait_for_change(qtbot, panel, lambda: panel.new_pack(folder, "Farm", "Ann", "telegram"))
    add_photo(qtbot, window, PHOTOS[0])
    add_photo(qtbot, window, PHOTOS[1])

    def slow(call: Call) -> None:
        time.sleep(0.15)  # a slow network: the window must keep running meanwhile

    with fake_bot_api(slow) as server:
        with event_loop_ticks() as ticks, qtbot.waitSignal(panel.uploaded, timeout=20_000) as uploaded:
            panel.upload(TOKEN, 7, api_url=server.url)
            qtbot.waitUntil(lambda: panel.progress.isVisible() and panel.progress.value() >= 1, timeout=5_000)
        assert server.methods() == ["getMe", "uploadStickerFile", "uploadStickerFile", "createNewStickerSet"]
    assert np.diff(ticks).max() < 0.1
    assert uploaded.args[0].link.startswith("https://t.me/addstickers/")
    assert not panel.progress.isVisible()
    assert all(TOKEN not in p.read_bytes().decode("latin-1") for p in folder.rglob("*") if p.is_file())
    window.settings.sync()
    assert TOKEN not in (tmp_path / "settings.ini").read_text(encoding="utf-8")

    with fake_bot_api() as server:
        server.replies["getMe"] = [error(401, "Unauthorized")]
        with qtbot.waitSignal(panel.failed, timeout=10_000):
            panel.upload(TOKEN, 7, api_url=server.url)
    assert "refused the bot token" in dialogs.calls[-1][1]


def test_add_to_pack_without_a_pack_asks_for_one(qtbot, window, monkeypatch) -> None:
    asked: list[bool] = []
    monkeypatch.setattr(window.pack_panel, "ask_new_pack", lambda: asked.append(True))
    open_and_wait(qtbot, window, voc_photo_path(PHOTOS[0]))
    qtbot.waitUntil(lambda: window.add_to_pack_action.isEnabled(), timeout=10_000)
    window.add_to_pack_action.trigger()
    assert asked == [True]
    assert "Make or open a sticker pack first" in window.statusBar().currentMessage()
