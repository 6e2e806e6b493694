"""Edge refinement (matting, the CRF band) runs in the compute process, never in the window's:
the window sends the cut mask and gets the soft alpha back while its event loop keeps ticking, the
sticker equals the one the library makes in one process, a style change reuses the refinement,
and pymatting and numba never load in the window's process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

from fcn_core import matting
from fcn_core.edges import EdgeMatte, EdgeOptions
from fcn_core.packs.model import open_pack
from fcn_core.pipeline import sticker_from_segmentation
from tests.gui_helpers import (
    PERSON,
    StubFactory,
    click_photo,
    disc_centre,
    event_loop_ticks,
    open_and_wait,
    ready_window,
    temp_settings,
    write_photo,
)

MAX_STALL_S = 0.1
SIZE = (120, 160)
MATTING = EdgeOptions("matting", band=0.06)


def person_window(qtbot, tmp_path):
    window = ready_window(qtbot, temp_settings(tmp_path), StubFactory())
    open_and_wait(qtbot, window, write_photo(tmp_path / "photo.png", SIZE))
    click_photo(qtbot, window, *disc_centre(SIZE))
    qtbot.waitUntil(lambda: window.builder.sticker is not None and window.document.selection == {PERSON}, timeout=10_000)
    return window


def refined_sticker(qtbot, window, edges: EdgeOptions):
    window.document.set_edges(edges)
    qtbot.waitUntil(lambda: window.builder.sticker is not None, timeout=60_000)
    return window.builder.sticker


def no_matting_here(*args: object) -> None:
    raise AssertionError("matting ran in the window's process")


def test_matting_comes_from_the_compute_process_and_the_window_keeps_ticking(qtbot, tmp_path, monkeypatch):
    window = person_window(qtbot, tmp_path)
    monkeypatch.setattr(matting, "matte", no_matting_here)  # in this process only
    answers: list[object] = []
    window.service.edgesRefined.connect(lambda matte, tag: answers.append(matte))
    with event_loop_ticks() as ticks:
        sticker = refined_sticker(qtbot, window, MATTING)
    [matte] = answers
    assert isinstance(matte, EdgeMatte) and matte.foreground is not None
    doc = window.document
    monkeypatch.undo()
    local, _ = sticker_from_segmentation(doc.photo, doc.displayed, window.builder.request())
    np.testing.assert_array_equal(sticker.rgba, local.rgba)  # what the library makes in one process
    alpha = sticker.rgba[..., 3]
    assert ((alpha > 0) & (alpha < 255)).sum() > 50  # a soft edge
    gaps = np.diff(ticks)
    assert len(ticks) > 2 and gaps.max() < MAX_STALL_S, f"the event loop stalled for {gaps.max() * 1000:.0f} ms"


def test_a_style_change_reuses_the_refined_edge_and_a_new_mask_asks_again(qtbot, tmp_path):
    window = person_window(qtbot, tmp_path)
    answers: list[object] = []
    window.service.edgesRefined.connect(lambda matte, tag: answers.append(matte))
    crf = refined_sticker(qtbot, window, EdgeOptions("crf", band=0.06))
    assert len(answers) == 1 and answers[0].foreground is None  # the CRF band gives alpha only
    doc = window.document
    doc.set_style(replace(doc.style, contour_width=9))
    qtbot.waitUntil(lambda: window.builder.sticker is not None, timeout=10_000)
    assert len(answers) == 1  # same mask, same options: no new refinement
    assert not np.array_equal(window.builder.sticker.rgba, crf.rgba)
    local, _ = sticker_from_segmentation(doc.photo, doc.displayed, window.builder.request())
    np.testing.assert_array_equal(window.builder.sticker.rgba, local.rgba)
    refined_sticker(qtbot, window, MATTING)
    assert len(answers) == 2  # other options: asked again


def test_a_matted_sticker_goes_into_a_pack_without_matting_in_the_window(qtbot, tmp_path, monkeypatch):
    window = person_window(qtbot, tmp_path)
    monkeypatch.setattr(matting, "matte", no_matting_here)
    sticker = refined_sticker(qtbot, window, MATTING)
    panel, folder = window.pack_panel, tmp_path / "pack"
    with qtbot.waitSignal(panel.changed, timeout=10_000):
        panel.new_pack(folder, "Edges", "Ann", "telegram")
    with qtbot.waitSignal(panel.stickerAdded, timeout=20_000):
        window.add_to_pack_action.trigger()
    [entry] = open_pack(folder).stickers
    with Image.open(folder / entry.file) as image:
        added = np.asarray(image.convert("RGBA"))
    np.testing.assert_array_equal(added, sticker.rgba)  # the preview's matted mask, same canvas


def test_matting_works_after_the_compute_process_is_killed(qtbot, tmp_path):
    window = person_window(qtbot, tmp_path)
    first = refined_sticker(qtbot, window, MATTING)
    pid = window.service.pid
    with qtbot.waitSignal(window.segmentationShown, timeout=30_000):  # restarted, model reloaded, photo segmented
        os.kill(pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: window.builder.sticker is not None, timeout=30_000)
    assert window.service.pid != pid
    np.testing.assert_array_equal(window.builder.sticker.rgba, first.rgba)  # same photo and mask: same matte
    answers: list[object] = []
    window.service.edgesRefined.connect(lambda matte, tag: answers.append(matte))
    refined_sticker(qtbot, window, replace(MATTING, band=0.05))
    assert len(answers) == 1  # asked of the new process, on the photo it segmented


def test_another_photo_with_the_same_mask_is_matted_again(qtbot, tmp_path):
    window = person_window(qtbot, tmp_path)
    window.document.set_style(replace(window.document.style, contour_width=0))  # the edge's own colours show
    first = refined_sticker(qtbot, window, MATTING)
    other = tmp_path / "other.png"  # the stub finds the same disc in any photo of this size
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (*SIZE, 3), dtype=np.uint8)).save(other)
    open_and_wait(qtbot, window, other)
    click_photo(qtbot, window, *disc_centre(SIZE))
    qtbot.waitUntil(lambda: window.builder.sticker is not None and window.document.selection == {PERSON}, timeout=20_000)
    doc = window.document
    local, _ = sticker_from_segmentation(doc.photo, doc.displayed, window.builder.request())
    np.testing.assert_array_equal(window.builder.sticker.rgba, local.rgba)  # the stub's mask is the same, the photo is not
    assert not np.array_equal(window.builder.sticker.rgba, first.rgba)


WINDOW_SCRIPT = """
import sys
from pathlib import Path
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from app.main_window import MainWindow
from fcn_core.edges import EdgeOptions
from tests.gui_helpers import PERSON, StubFactory, temp_settings

app = QApplication([])
window = MainWindow(StubFactory(), temp_settings(Path({folder!r})))
window.show()
doc = window.document

def pick():
    doc.select([PERSON])
    doc.set_edges(EdgeOptions("matting", band=0.06))

def built(sticker):
    if sticker is not None and doc.edges.method == "matting":
        alpha = sticker.rgba[..., 3]
        print("soft pixels", int(((alpha > 0) & (alpha < 255)).sum()), flush=True)
        window.close()

window.segmentationShown.connect(pick)
window.builder.built.connect(built)
window.model_control.modelReady.connect(lambda model: window.open_photo({photo!r}))
QTimer.singleShot(90_000, window.close)
app.exec()
print("loaded in the window:", sorted(m for m in ("pymatting", "numba", "torch") if m in sys.modules))
"""


def test_the_window_process_never_imports_pymatting_or_numba(tmp_path):
    """A fresh interpreter: this test process may have imported pymatting for other tests."""
    photo = write_photo(tmp_path / "photo.png", SIZE)
    script = WINDOW_SCRIPT.format(folder=str(tmp_path), photo=str(photo))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=150,
                            cwd=Path(__file__).resolve().parents[1])
    assert result.returncode == 0, result.stderr
    soft = [line for line in result.stdout.splitlines() if line.startswith("soft pixels")]
    assert soft and int(soft[0].split()[-1]) > 50, result.stdout  # matting did run, in the compute process
    assert "loaded in the window: []" in result.stdout
