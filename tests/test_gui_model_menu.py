"""The Model menu and the weights dialogs: next steps as buttons (#12 item 4), the truth about the model in use (item 6)."""

from __future__ import annotations

import pytest

import app.model_control as model_control
from app.segmenter_factory import ModelRequest
from fcn_core.models.registry import get_model_spec
from fcn_core.weights.download import DownloadError
from fcn_core.weights.errors import WeightsError, WeightsNotFoundError
from tests.gui_helpers import show_window, temp_settings, write_photo
from tests.gui_stubs import StubFactory, model_requests


def ticked(window) -> list[str]:
    return [name for name, action in window.model_control._actions.items() if action.isChecked()]


def test_not_now_for_another_model_leaves_the_model_in_use_ticked(qtbot, tmp_path, monkeypatch, dialogs):
    asked: list[str] = []
    monkeypatch.setattr(model_control, "ask_weights", lambda parent, spec, reason: asked.append(spec.name) or "cancel")
    factory = StubFactory(outcomes=["stub", WeightsNotFoundError("no weights for fcn16s")])
    window = show_window(qtbot, temp_settings(tmp_path), factory)
    qtbot.waitUntil(lambda: window.service.model is not None, timeout=20_000)
    window.model_control._actions["fcn16s"].trigger()
    qtbot.waitUntil(lambda: asked == ["fcn16s"], timeout=5_000)
    assert ticked(window) == ["fcn8s"]
    assert window.model_label.text() == "Model: fcn8s"
    assert window.settings.model_name() == "fcn8s"


def test_a_remembered_file_gone_and_a_photo_at_start_give_one_dialog_that_tells_the_truth(qtbot, tmp_path, dialogs):
    gone = tmp_path / "moved-away.pth"
    settings = temp_settings(tmp_path)
    settings.set_weights_file("fcn8s", gone)
    factory = StubFactory(outcomes=[WeightsError(f"weights file {gone} does not exist")])
    window = show_window(qtbot, settings, factory)
    window.open_photo(write_photo(tmp_path / "a.png"))  # `sticker-studio a.png`
    qtbot.waitUntil(lambda: window.document.photo is not None and bool(dialogs.calls), timeout=5_000)
    qtbot.wait(300)  # room for a second dialog, which must not come
    [(_, text)] = dialogs.calls
    assert "moved-away.pth" in text
    assert "stays in use" not in text  # no model was loaded before
    assert "No model is loaded" in text
    assert ticked(window) == []


# When every download source fails (#12 item 4) -----------------------------------------------
EVERY_SOURCE_FAILED = DownloadError(
    "could not download the weights of fcn8s from any source:\n"
    "  http://dl.caffe.berkeleyvision.org/fcn8s-heavy-pascal.caffemodel: Name or service not known\n"
    "  https://drive.google.com/uc?id=1ieXWyoG68xqoHJPWdyrDyaIaaWlfmUxI: Name or service not known\n"
    "Import a file with `fcn-sticker weights import PATH --model fcn8s`"
)


def test_the_failure_dialog_offers_next_steps_as_buttons_and_keeps_the_urls_in_the_details(qtbot):
    box, choices = model_control.download_failure_box(None, get_model_spec("fcn8s"), EVERY_SOURCE_FAILED)
    qtbot.addWidget(box)
    labels = {button.text(): choice for button, choice in choices.items()}
    assert labels["Try again"] == "retry"
    assert labels["Load a weights file…"] == "load"
    [smaller] = [text for text, choice in labels.items() if choice == "smaller"]
    assert smaller == "Use lraspp_mobilenet_v3_large"
    shown = box.text() + box.informativeText()
    assert "lraspp_mobilenet_v3_large" in shown and "12 MB" in shown and "57.9 mean IU" in shown  # size, quality
    assert "http" not in shown and "fcn-sticker" not in shown  # no wall of URLs and commands…
    assert "dl.caffe.berkeleyvision.org" in box.detailedText()  # …they are behind "Show details"


@pytest.mark.parametrize(("choice", "expected"), [
    ("retry", ModelRequest("fcn8s", allow_download=True)),
    ("smaller", ModelRequest("lraspp_mobilenet_v3_large", allow_download=True)),
])
def test_each_next_step_does_what_its_button_says(qtbot, tmp_path, monkeypatch, dialogs, choice, expected):
    monkeypatch.setattr(model_control, "ask_weights", lambda parent, spec, reason: "download")
    offered: list[str] = []
    monkeypatch.setattr(
        model_control, "ask_after_download_failure", lambda parent, spec, exc: offered.append(spec.name) or choice
    )
    log = tmp_path / "compute.jsonl"
    factory = StubFactory(log=log, outcomes=[WeightsNotFoundError("none"), EVERY_SOURCE_FAILED])
    window = show_window(qtbot, temp_settings(tmp_path), factory)
    qtbot.waitUntil(lambda: window.service.model is not None, timeout=20_000)
    assert offered == ["fcn8s"]
    assert dialogs.calls == []  # the choice replaced the old wall-of-text dialog
    assert model_requests(log)[-1] == expected
    assert ticked(window) == [expected.name]


def test_after_not_now_the_preview_says_no_model_is_loaded(qtbot, tmp_path, monkeypatch, dialogs):
    """Seen under Xvfb: after "Not now" the preview kept saying "Loading the model…" for good."""
    monkeypatch.setattr(model_control, "ask_weights", lambda parent, spec, reason: "cancel")
    window = show_window(qtbot, temp_settings(tmp_path), StubFactory(outcomes=[WeightsNotFoundError("none")]))
    window.open_photo(write_photo(tmp_path / "a.png"))
    qtbot.waitUntil(lambda: window.document.photo is not None and not window.service.is_running("model"), timeout=10_000)
    qtbot.waitUntil(lambda: "No model loaded" in window.sticker_panel.preview.text, timeout=5_000)
