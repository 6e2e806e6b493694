"""Model ▸ Load weights… imports the file into the cache the command line reads, and switches to
the architecture the file holds (#12 item 5). The import runs for real in the compute process
(tiny files made with the library's own writers); the stub factory then loads "from the cache".
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PySide6.QtWidgets import QFileDialog, QMessageBox

import app.model_control as model_control
from app.segmenter_factory import ModelRequest
from fcn_core.cli import main as cli_main
from fcn_core.models.vgg_fcn import FCN8s
from fcn_core.weights.store import imported_checkpoint_path, load_model
from tests.cli_helpers import tiny_checkpoint
from tests.gui_helpers import DialogRecorder, ready_window, temp_settings
from tests.gui_stubs import StubFactory, model_requests

IMPORT_TIMEOUT_MS = 30_000
"""The compute process imports torch for the first import: seconds on a loaded 2-core machine."""


@pytest.fixture
def dialogs(monkeypatch) -> DialogRecorder:
    recorder = DialogRecorder()
    for kind in ("critical", "warning", "information"):
        monkeypatch.setattr(QMessageBox, kind, recorder)
    return recorder


def ticked(window) -> list[str]:
    return [name for name, action in window.model_control._actions.items() if action.isChecked()]


def choose_file(monkeypatch, path: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(path), ""))


def fcn16s_window(qtbot, tmp_path: Path, log: Path):
    """A window whose model in use is fcn16s (the one ticked when an FCN-8s file is loaded)."""
    settings = temp_settings(tmp_path)
    settings.set_model_name("fcn16s")
    window = ready_window(qtbot, settings, StubFactory(log=log))
    assert ticked(window) == ["fcn16s"]
    return window


def pytorch_fcn_file(path: Path) -> Path:
    """A bare FCN-8s state dict in Caffe naming (as pytorch-fcn publishes): it fits FCN-8s and
    FCN-8s-at-once alike and says neither."""
    torch.manual_seed(0)
    torch.save(FCN8s(num_classes=21, width=1 / 16).state_dict(), path)
    return path


def test_a_loaded_file_is_imported_and_its_model_is_switched_to(qtbot, tmp_path, monkeypatch, dialogs, capsys):
    log = tmp_path / "compute.jsonl"
    window = fcn16s_window(qtbot, tmp_path, log)
    weights = tiny_checkpoint(tmp_path / "downloads" / "my-fcn8s.pt")
    choose_file(monkeypatch, weights)
    window.model_control.load_action.trigger()
    qtbot.waitUntil(lambda: ticked(window) == ["fcn8s"], timeout=IMPORT_TIMEOUT_MS)

    assert dialogs.calls == []  # no "load it with --model fcn8s"
    assert window.model_label.text() == "Model: fcn8s"
    assert model_requests(log)[-1] == ModelRequest("fcn8s")  # loaded from the cache, not from the path
    assert window.settings.model_name() == "fcn8s"
    assert window.settings.weights_file("fcn8s") is None  # no path that may move
    assert "fcn8s" in window.statusBar().currentMessage()

    weights.unlink()  # the file moved away: the cache still has it, for the command line and the next start
    assert imported_checkpoint_path("fcn8s").is_file()
    assert load_model("fcn8s").spec.name == "fcn8s"
    capsys.readouterr()
    assert cli_main(["weights", "list"]) == 0
    assert f"imported checkpoint: {imported_checkpoint_path('fcn8s')}" in capsys.readouterr().out


def test_a_file_that_is_not_weights_gets_a_plain_dialog_and_changes_nothing(qtbot, tmp_path, monkeypatch, dialogs):
    log = tmp_path / "compute.jsonl"
    window = fcn16s_window(qtbot, tmp_path, log)
    notes = tmp_path / "notes.pth"
    notes.write_text("these are my notes, not weights\n" * 20)
    choose_file(monkeypatch, notes)
    window.model_control.load_action.trigger()
    qtbot.waitUntil(lambda: bool(dialogs.calls), timeout=IMPORT_TIMEOUT_MS)

    [(title, text)] = dialogs.calls
    assert title == "Cannot use these weights"
    assert "notes.pth" in text and "not a weights file" in text
    assert "Load weights" in text  # the next step
    assert "--model" not in text and "fcn-sticker" not in text
    assert "fcn16s stays in use" in text
    assert ticked(window) == ["fcn16s"]
    assert window.settings.model_name() == "fcn16s"
    assert not (imported_checkpoint_path("fcn8s").parent).exists()
    assert model_requests(log) == [ModelRequest("fcn16s")]


@pytest.mark.parametrize("answer", ["fcn8s-atonce", None])
def test_a_file_that_does_not_say_which_model_it_is_asks_in_plain_words(qtbot, tmp_path, monkeypatch, dialogs, answer):
    asked: list[tuple[str, ...]] = []
    monkeypatch.setattr(
        model_control, "ask_architecture", lambda parent, path, candidates: asked.append(candidates) or answer
    )
    log = tmp_path / "compute.jsonl"
    window = fcn16s_window(qtbot, tmp_path, log)
    choose_file(monkeypatch, pytorch_fcn_file(tmp_path / "fcn8s_from_caffe.pth"))
    window.model_control.load_action.trigger()
    qtbot.waitUntil(lambda: bool(asked), timeout=IMPORT_TIMEOUT_MS)

    assert asked == [("fcn8s", "fcn8s-atonce")]
    if answer is None:  # "Cancel": nothing imported, the model in use stays
        qtbot.wait(300)
        assert ticked(window) == ["fcn16s"]
        assert not imported_checkpoint_path("fcn8s").exists() and not imported_checkpoint_path("fcn8s-atonce").exists()
        assert model_requests(log) == [ModelRequest("fcn16s")]
    else:
        qtbot.waitUntil(lambda: ticked(window) == [answer], timeout=IMPORT_TIMEOUT_MS)
        assert model_requests(log)[-1] == ModelRequest(answer)
        assert load_model(answer).model.pool4_scale == 0.01  # imported as the at-once net the person named
        assert not imported_checkpoint_path("fcn8s").exists()
    assert dialogs.calls == []


def test_the_which_model_question_names_the_models_in_words_and_no_command_line_flag(qtbot, tmp_path):
    box, choices = model_control.architecture_box(None, tmp_path / "w.pth", ("fcn8s", "fcn8s-atonce"))
    qtbot.addWidget(box)
    shown = box.text() + box.informativeText()
    assert "w.pth" in shown and "--model" not in shown
    assert sorted(choices.values()) == ["fcn8s", "fcn8s-atonce"]
    assert all("FCN-8s" in button.text() for button in choices)
