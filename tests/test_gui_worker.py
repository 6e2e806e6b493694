"""The worker thread: stale results never reach the document, the event loop never stalls,
and the real ``Segmenter`` (a tiny random-weight FCN-8s) works through the same path."""

from __future__ import annotations

import numpy as np
import torch

from app.segmenter_factory import ModelRequest
from fcn_core.segmenter import Segmenter
from fcn_core.weights.store import random_model
from tests.gui_helpers import StubFactory, event_loop_ticks, open_and_wait, ready_window, temp_settings, write_photo

MAX_STALL_S = 0.1


def test_only_the_latest_photo_is_shown(qtbot, tmp_path):
    factory = StubFactory(delay=0.3)
    window = ready_window(qtbot, temp_settings(tmp_path), factory)
    first = write_photo(tmp_path / "first.png", color=(200, 40, 40))
    middle = write_photo(tmp_path / "middle.png", color=(40, 200, 40))
    last = write_photo(tmp_path / "last.png", color=(40, 40, 200))
    shown = []
    window.document.segmentationChanged.connect(
        lambda: window.document.segmentation is not None and shown.append(window.document.segmentation.image.copy())
    )
    window.open_photo(first)
    qtbot.waitUntil(factory.segmenter.started.is_set, timeout=5_000)  # the worker is busy with it
    window.open_photo(middle)
    window.open_photo(last)
    qtbot.waitUntil(lambda: last in factory.segmenter.segmented, timeout=10_000)
    qtbot.wait(300)  # time for every result to reach the window, stale or not
    assert window.document.photo.path == last
    assert len(shown) == 1
    np.testing.assert_array_equal(shown[0], window.document.photo.pixels)
    assert factory.segmenter.segmented == [first, last]  # middle was superseded before the worker got to it


def test_event_loop_never_stalls_while_the_worker_segments(qtbot, tmp_path):
    factory = StubFactory(delay=1.0)
    window = ready_window(qtbot, temp_settings(tmp_path), factory)
    photo = write_photo(tmp_path / "slow.png")
    with event_loop_ticks() as ticks:
        with qtbot.waitSignal(window.segmentationShown, timeout=10_000):
            window.open_photo(photo)
            window.resize(900, 700)
        qtbot.waitUntil(lambda: window.builder.sticker is not None, timeout=5_000)
    [(begin, end)] = factory.segmenter.busy
    assert ticks[0] < begin + MAX_STALL_S and ticks[-1] > end  # the timer ran during the whole slow call
    gaps = np.diff(ticks)
    assert gaps.max() < MAX_STALL_S, f"the event loop stalled for {gaps.max() * 1000:.0f} ms"


def test_real_segmenter_with_a_tiny_random_fcn8s(qtbot, tmp_path):
    torch.manual_seed(0)
    requests = []

    def factory(request: ModelRequest, progress, cancel) -> Segmenter:
        requests.append(request)
        return Segmenter(random_model("fcn8s", width=1 / 16), device="cpu")

    window = ready_window(qtbot, temp_settings(tmp_path), factory)
    assert requests == [ModelRequest("fcn8s")]
    photo = write_photo(tmp_path / "tiny.png", (48, 64))
    open_and_wait(qtbot, window, photo)
    seg = window.document.segmentation
    assert seg.probabilities.shape == (21, 48, 64)
    rows = window.legend.topLevelItemCount()
    assert rows == len(seg.class_shares()) >= 1
    assert window.model_label.text() == "Model: fcn8s"


def test_event_loop_never_stalls_while_the_crf_runs(qtbot, tmp_path):
    """pydensecrf holds the GIL for its whole inference; run on a thread, this CRF would freeze
    the window for hundreds of milliseconds (see app/crf_process.py)."""
    window = ready_window(qtbot, temp_settings(tmp_path), StubFactory())
    open_and_wait(qtbot, window, write_photo(tmp_path / "large.png", (384, 512)))
    with event_loop_ticks() as ticks, qtbot.waitSignal(window.service.refined, timeout=20_000):
        window.sticker_panel.crf_check.click()
    gaps = np.diff(ticks)
    assert len(ticks) > 2
    assert gaps.max() < MAX_STALL_S, f"the event loop stalled for {gaps.max() * 1000:.0f} ms"
