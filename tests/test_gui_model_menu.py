"""The Model menu and the weights dialogs tell the truth about the model in use (#12 item 6)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

import app.model_control as model_control
from fcn_core.weights.errors import WeightsError, WeightsNotFoundError
from tests.gui_helpers import DialogRecorder, StubSegmenter, show_window, temp_settings, write_photo
from tests.test_gui_errors import ScriptedFactory


@pytest.fixture
def dialogs(monkeypatch) -> DialogRecorder:
    recorder = DialogRecorder()
    monkeypatch.setattr(QMessageBox, "critical", recorder)
    monkeypatch.setattr(QMessageBox, "warning", recorder)
    return recorder


def ticked(window) -> list[str]:
    return [name for name, action in window.model_control._actions.items() if action.isChecked()]


def test_not_now_for_another_model_leaves_the_model_in_use_ticked(qtbot, tmp_path, monkeypatch, dialogs):
    asked: list[str] = []
    monkeypatch.setattr(model_control, "ask_weights", lambda parent, spec, reason: asked.append(spec.name) or "cancel")
    factory = ScriptedFactory(StubSegmenter("fcn8s"), WeightsNotFoundError("no weights for fcn16s"))
    window = show_window(qtbot, temp_settings(tmp_path), factory)
    qtbot.waitUntil(lambda: window.service.segmenter is not None, timeout=5_000)
    window.model_control._actions["fcn16s"].trigger()
    qtbot.waitUntil(lambda: asked == ["fcn16s"], timeout=5_000)
    assert ticked(window) == ["fcn8s"]
    assert window.model_label.text() == "Model: fcn8s"
    assert window.settings.model_name() == "fcn8s"


def test_a_remembered_file_gone_and_a_photo_at_start_give_one_dialog_that_tells_the_truth(qtbot, tmp_path, dialogs):
    gone = tmp_path / "moved-away.pth"
    settings = temp_settings(tmp_path)
    settings.set_weights_file("fcn8s", gone)
    factory = ScriptedFactory(WeightsError(f"weights file {gone} does not exist"))
    window = show_window(qtbot, settings, factory)
    window.open_photo(write_photo(tmp_path / "a.png"))  # `sticker-studio a.png`
    qtbot.waitUntil(lambda: window.document.photo is not None and bool(dialogs.calls), timeout=5_000)
    qtbot.wait(300)  # room for a second dialog, which must not come
    [(_, text)] = dialogs.calls
    assert "moved-away.pth" in text
    assert "stays in use" not in text  # no model was loaded before
    assert "No model is loaded" in text
    assert ticked(window) == []
