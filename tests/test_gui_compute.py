"""The compute process as the window sees it: stale results never reach the document, the
event loop never stalls, the real ``Segmenter`` (a tiny random-weight FCN-8s) works through the
same path, and the window process itself never imports torch."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from tests.gui_helpers import (
    StubFactory,
    event_loop_ticks,
    open_and_wait,
    read_log,
    ready_window,
    segmented_paths,
    temp_settings,
    write_photo,
)
from tests.gui_stubs import tiny_random_factory

MAX_STALL_S = 0.1


def test_only_the_latest_photo_is_shown(qtbot, tmp_path):
    log = tmp_path / "compute.jsonl"
    window = ready_window(qtbot, temp_settings(tmp_path), StubFactory(delay=0.3, log=log))
    first = write_photo(tmp_path / "first.png", color=(200, 40, 40))
    middle = write_photo(tmp_path / "middle.png", color=(40, 200, 40))
    last = write_photo(tmp_path / "last.png", color=(40, 40, 200))
    shown = []
    window.document.segmentationChanged.connect(
        lambda: window.document.segmentation is not None and shown.append(window.document.segmentation.image.copy())
    )
    window.open_photo(first)
    qtbot.waitUntil(lambda: bool(read_log(log, "start")), timeout=5_000)  # the process is busy with it
    window.open_photo(middle)
    window.open_photo(last)
    qtbot.waitUntil(lambda: last in segmented_paths(log), timeout=10_000)
    qtbot.wait(300)  # time for every result to reach the window, stale or not
    assert window.document.photo.path == last
    assert len(shown) == 1
    np.testing.assert_array_equal(shown[0], window.document.photo.pixels)
    assert segmented_paths(log) == [first, last]  # middle was superseded before it was sent


def test_event_loop_never_stalls_while_the_process_segments(qtbot, tmp_path):
    log = tmp_path / "compute.jsonl"
    window = ready_window(qtbot, temp_settings(tmp_path), StubFactory(delay=1.0, log=log))
    photo = write_photo(tmp_path / "slow.png")
    clock_offset = time.time() - time.perf_counter()
    with event_loop_ticks() as ticks:
        with qtbot.waitSignal(window.segmentationShown, timeout=10_000):
            window.open_photo(photo)
            window.resize(900, 700)
        qtbot.waitUntil(lambda: window.builder.sticker is not None, timeout=5_000)
    [call] = read_log(log, "segment")
    begin, end = call["begin"] - clock_offset, call["end"] - clock_offset
    assert ticks[0] < begin + MAX_STALL_S and ticks[-1] > end  # the timer ran during the whole slow call
    gaps = np.diff(ticks)
    assert gaps.max() < MAX_STALL_S, f"the event loop stalled for {gaps.max() * 1000:.0f} ms"


def test_real_segmenter_with_a_tiny_random_fcn8s(qtbot, tmp_path):
    window = ready_window(qtbot, temp_settings(tmp_path), tiny_random_factory)
    photo = write_photo(tmp_path / "tiny.png", (48, 64))
    open_and_wait(qtbot, window, photo)
    seg = window.document.segmentation
    assert seg.probabilities.shape == (21, 48, 64)
    rows = window.legend.topLevelItemCount()
    assert rows == len(seg.class_shares()) >= 1
    assert window.model_label.text() == "Model: fcn8s"


def test_the_window_process_never_imports_torch(tmp_path):
    """Run in a fresh interpreter: this test process may have imported torch for other tests."""
    photo = write_photo(tmp_path / "tiny.png", (48, 64))
    script = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from PySide6.QtCore import QTimer\n"
        "from app.main_window import MainWindow\n"
        "from tests.gui_helpers import temp_settings\n"
        "from tests.gui_stubs import tiny_random_factory\n"
        "from pathlib import Path\n"
        "app = QApplication([])\n"
        f"window = MainWindow(tiny_random_factory, temp_settings(Path({str(tmp_path)!r})))\n"
        "window.show()\n"
        "window.model_control.modelReady.connect(lambda model: print('model', model.name, flush=True))\n"
        "window.segmentationShown.connect(lambda: (print('segmented', flush=True), window.close()))\n"
        f"window.open_photo({str(photo)!r})\n"
        "QTimer.singleShot(60_000, window.close)\n"
        "app.exec()\n"
        "print('torch imported:', 'torch' in sys.modules, 'torchvision' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            cwd=Path(__file__).resolve().parents[1])
    assert result.returncode == 0, result.stderr
    assert "model fcn8s" in result.stdout and "segmented" in result.stdout  # torch did run, in the compute process
    assert "torch imported: False False" in result.stdout


def test_event_loop_never_stalls_while_the_crf_runs(qtbot, tmp_path):
    """pydensecrf holds the GIL for its whole inference; run on a thread of the window, this CRF
    would freeze it for hundreds of milliseconds. It runs in the compute process."""
    window = ready_window(qtbot, temp_settings(tmp_path), StubFactory())
    open_and_wait(qtbot, window, write_photo(tmp_path / "large.png", (384, 512)))
    with event_loop_ticks() as ticks, qtbot.waitSignal(window.service.refined, timeout=20_000):
        window.sticker_panel.crf_check.click()
    gaps = np.diff(ticks)
    assert len(ticks) > 2
    assert gaps.max() < MAX_STALL_S, f"the event loop stalled for {gaps.max() * 1000:.0f} ms"
