"""Error dialogs in plain words, with the next step: bad photos, missing or broken weights,
downloads (progress, cancel), and what the window does meanwhile."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox, QPushButton

import app.model_control as model_control
from app.segmenter_factory import ModelRequest
from fcn_core.weights.download import DownloadError
from fcn_core.weights.errors import WeightsError, WeightsNotFoundError
from tests.cli_helpers import tiny_checkpoint
from tests.gui_helpers import (
    DialogRecorder,
    StubFactory,
    model_requests,
    ready_window,
    segmented_paths,
    show_window,
    temp_settings,
    write_photo,
)


@pytest.fixture
def critical(monkeypatch) -> DialogRecorder:
    recorder = DialogRecorder()
    monkeypatch.setattr(QMessageBox, "critical", recorder)
    return recorder


@pytest.fixture
def warning(monkeypatch) -> DialogRecorder:
    recorder = DialogRecorder()
    monkeypatch.setattr(QMessageBox, "warning", recorder)
    return recorder


def test_a_file_that_is_not_a_photo_gives_a_plain_dialog(qtbot, tmp_path, critical):
    window = ready_window(qtbot, temp_settings(tmp_path), StubFactory())
    broken = tmp_path / "holiday.jpg"
    broken.write_bytes(b"this is not a JPEG")
    window.open_photo(broken)
    qtbot.waitUntil(lambda: bool(critical.calls), timeout=5_000)
    title, text = critical.calls[0]
    assert title == "Cannot open this photo"
    assert "holiday.jpg" in text and "Pick another file" in text
    assert window.document.photo is None
    assert window.settings.recent_files() == []


def test_broken_weights_give_a_dialog_that_names_the_problem_and_the_next_step(qtbot, tmp_path, critical):
    weights = tmp_path / "mine.pt"
    settings = temp_settings(tmp_path)
    settings.set_weights_file("fcn8s", weights)
    problem = f"{weights}: layer score_fr has shape (21, 4096) in the file but (60, 4096) in the model"
    log = tmp_path / "compute.jsonl"
    window = show_window(qtbot, settings, StubFactory(log=log, outcomes=[WeightsError(problem)]))
    qtbot.waitUntil(lambda: bool(critical.calls), timeout=5_000)
    title, text = critical.calls[0]
    assert title == "Cannot use these weights"
    assert "score_fr" in text and "Load weights" in text
    assert model_requests(log) == [ModelRequest("fcn8s", weights)]
    assert settings.weights_file("fcn8s") is None  # the next start does not fail the same way
    assert window.service.model is None
    assert window.model_label.text() == "No model"


def test_missing_weights_ask_what_to_do_and_never_use_random_weights(qtbot, tmp_path, monkeypatch, warning):
    asked = []
    monkeypatch.setattr(model_control, "ask_weights", lambda parent, spec, reason: asked.append(reason) or "cancel")
    factory = StubFactory(outcomes=[WeightsNotFoundError("no weights for fcn8s on this computer")])
    window = show_window(qtbot, temp_settings(tmp_path), factory)
    qtbot.waitUntil(lambda: bool(asked), timeout=5_000)
    assert asked == ["No weights for fcn8s on this computer yet."]
    assert window.service.model is None

    photo = write_photo(tmp_path / "a.png")
    window.open_photo(photo)
    qtbot.waitUntil(lambda: bool(warning.calls), timeout=5_000)
    title, text = warning.calls[0]
    assert title == "No model loaded"
    assert "Load weights" in text
    assert window.document.photo.path == photo  # the photo is shown all the same
    assert window.document.segmentation is None


def test_load_weights_file_from_the_menu_then_segments_the_open_photo(qtbot, tmp_path, monkeypatch):
    asked = []
    monkeypatch.setattr(model_control, "ask_weights", lambda parent, spec, reason: asked.append(reason) or "cancel")
    monkeypatch.setattr(QMessageBox, "warning", DialogRecorder())
    log = tmp_path / "compute.jsonl"
    factory = StubFactory(log=log, outcomes=[WeightsNotFoundError("none")])
    settings = temp_settings(tmp_path)
    window = show_window(qtbot, settings, factory)
    photo = write_photo(tmp_path / "a.png")
    window.open_photo(photo)
    qtbot.waitUntil(lambda: window.document.photo is not None, timeout=5_000)
    qtbot.waitUntil(lambda: bool(asked), timeout=10_000)  # the start's model request has failed

    weights = tiny_checkpoint(tmp_path / "fcn8s-mine.pt")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(weights), ""))
    with qtbot.waitSignal(window.segmentationShown, timeout=30_000):  # the import loads torch in the compute process
        window.model_control.load_action.trigger()
    assert model_requests(log)[-1] == ModelRequest("fcn8s")  # imported into the cache, loaded from there
    assert settings.weights_file("fcn8s") is None
    assert segmented_paths(log) == [photo]


def test_download_asks_first_shows_progress_and_cancels_cleanly(qtbot, tmp_path, monkeypatch, critical):
    monkeypatch.setattr(model_control, "ask_weights", lambda parent, spec, reason: "download")

    log = tmp_path / "compute.jsonl"
    factory = StubFactory(log=log, outcomes=[WeightsNotFoundError("none"), "slow_download"])
    window = show_window(qtbot, temp_settings(tmp_path), factory)
    qtbot.waitUntil(lambda: window.model_control._progress is not None, timeout=5_000)
    progress = window.model_control._progress
    qtbot.waitUntil(lambda: progress.value() > 0, timeout=5_000)
    assert "of 500 MB" in progress.labelText()
    assert model_requests(log)[-1] == ModelRequest("fcn8s", allow_download=True)
    progress.findChild(QPushButton).click()  # the dialog's Cancel button
    qtbot.waitUntil(lambda: "cancelled" in window.statusBar().currentMessage(), timeout=5_000)
    assert window.model_control._progress is None
    assert critical.calls == []
    assert window.service.model is None


def test_a_photo_opened_while_the_weights_question_is_open_gets_no_second_dialog(qtbot, tmp_path, monkeypatch, warning):
    """`sticker-studio photo.jpg` on a first start: only the weights question is shown."""
    window_box: list = []
    photo = write_photo(tmp_path / "a.png")

    def ask_while_the_photo_arrives(parent, spec, reason):
        window = window_box[0]
        window.open_photo(photo)
        qtbot.waitUntil(lambda: window.document.photo is not None, timeout=5_000)
        qtbot.wait(200)  # the compute process's "no model" answer arrives while the question is open
        return "cancel"

    monkeypatch.setattr(model_control, "ask_weights", ask_while_the_photo_arrives)
    factory = StubFactory(outcomes=[WeightsNotFoundError("no weights for fcn8s on this computer")])
    window = show_window(qtbot, temp_settings(tmp_path), factory)  # asks once the load fails
    window_box.append(window)
    qtbot.waitUntil(lambda: window.document.photo is not None, timeout=5_000)
    qtbot.wait(300)
    assert warning.calls == []
    assert "segmented once a model is loaded" in window.statusBar().currentMessage()


def test_an_offline_download_offers_the_next_steps(qtbot, tmp_path, monkeypatch, critical):
    monkeypatch.setattr(model_control, "ask_weights", lambda parent, spec, reason: "download")
    offered: list[tuple[str, str]] = []
    monkeypatch.setattr(
        model_control, "ask_after_download_failure", lambda parent, spec, exc: offered.append((spec.name, str(exc))) or "cancel"
    )
    offline = DownloadError(
        "could not download fcn8s-heavy-pascal.caffemodel from http://dl.caffe.berkeleyvision.org/"
        "fcn8s-heavy-pascal.caffemodel: Name or service not known (offline, or the server is unreachable)"
    )
    log = tmp_path / "compute.jsonl"
    factory = StubFactory(log=log, outcomes=[WeightsNotFoundError("none"), offline])
    window = show_window(qtbot, temp_settings(tmp_path), factory)
    qtbot.waitUntil(lambda: bool(offered), timeout=5_000)
    [(name, details)] = offered
    assert name == "fcn8s" and "fcn8s-heavy-pascal.caffemodel" in details
    assert model_requests(log)[-1] == ModelRequest("fcn8s", allow_download=True)
    assert window.model_control._progress is None
    assert window.service.model is None
