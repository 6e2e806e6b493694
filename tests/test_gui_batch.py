"""Batch export from the dialog: the CLI's ``run_batch`` on the window's worker, with progress,
a per-file result list (failures with their reasons) and a clean stop."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtWidgets import QMessageBox

from tests.gui_helpers import DialogRecorder, StubFactory, event_loop_ticks, ready_window, temp_settings, write_photo


def make_folder(folder: Path, count: int, broken: bool, size: tuple[int, int] = (120, 160)) -> list[Path]:
    photos = [write_photo(folder / f"photo{index}.png", size) for index in range(count)]
    if broken:
        bad = folder / "broken.jpg"
        bad.write_bytes(b"\xff\xd8 truncated")
        photos.append(bad)
    return photos


def start_batch(qtbot, window, input_dir: Path, output_dir: Path):
    dialog = window.open_batch_dialog()
    assert dialog is not None and dialog.isVisible()
    dialog.input.edit.setText(str(input_dir))
    dialog.output.edit.setText(str(output_dir))
    dialog.class_choice.setCurrentIndex(dialog.class_choice.findData("person"))
    dialog.start_button.click()
    return dialog


def test_batch_makes_a_sticker_per_photo_and_lists_the_failure(qtbot, tmp_path):
    """With the CRF on, at VOC photo size: on the worker thread, pydensecrf (which holds the GIL)
    froze the window ~200 ms per photo; the batch runs in a child process instead."""
    window = ready_window(qtbot, temp_settings(tmp_path), StubFactory())
    input_dir, output_dir = tmp_path / "in", tmp_path / "out"
    make_folder(input_dir, 3, broken=True, size=(375, 500))
    progress = []
    window.service.batchProgress.connect(lambda done, total, path: progress.append((done, total)))
    dialog = window.open_batch_dialog()
    dialog.input.edit.setText(str(input_dir))
    dialog.output.edit.setText(str(output_dir))
    dialog.crf_check.setChecked(True)
    with event_loop_ticks() as ticks, qtbot.waitSignal(dialog.finishedReport, timeout=30_000) as finished:
        dialog.start_button.click()
    assert np.diff(ticks).max() < 0.1
    report = finished.args[0]
    assert (report.made, report.skipped, report.failed) == (3, 0, 1)
    assert progress[-1] == (4, 4)
    items = [dialog.results.topLevelItem(i) for i in range(dialog.results.topLevelItemCount())]
    rows = {item.text(0): item for item in items}
    assert sorted(rows) == ["broken.jpg", "photo0.png", "photo1.png", "photo2.png"]
    assert rows["broken.jpg"].text(1) == "Failed"
    assert "not an image" in rows["broken.jpg"].text(2)
    assert dialog.summary.text() == "3 made, 0 skipped, 1 failed"
    assert dialog.start_button.isEnabled() and not dialog.stop_button.isEnabled()
    with Image.open(output_dir / "photo0.sofa.sticker.png") as sticker:  # auto: the sofa band is the largest
        assert sticker.size == (512, 512) and sticker.mode == "RGBA"
        alpha = np.asarray(sticker)[..., 3]
    assert alpha[0, 0] == 0 and alpha[256, 256] == 255
    assert window.settings.last_folder("batch_input") == str(input_dir)


def test_batch_stop_ends_cleanly_between_photos(qtbot, tmp_path):
    window = ready_window(qtbot, temp_settings(tmp_path), StubFactory(delay=0.25))
    input_dir, output_dir = tmp_path / "in", tmp_path / "out"
    make_folder(input_dir, 6, broken=False)
    dialog = start_batch(qtbot, window, input_dir, output_dir)
    assert dialog.stop_button.isEnabled() and not dialog.start_button.isEnabled()
    with qtbot.waitSignal(window.service.batchProgress, timeout=10_000):
        pass
    with qtbot.waitSignal(dialog.finishedReport, timeout=10_000) as finished:
        dialog.stop_button.click()
    report = finished.args[0]
    assert report.cancelled
    assert 1 <= report.made < 6
    written = sorted(path.name for path in output_dir.iterdir())
    assert written == sorted(item.output.name for item in report.items if item.status == "made")  # no partial files
    assert "stopped after" in dialog.summary.text()
    assert dialog.current.text() == "Stopped."


def test_closing_the_dialog_while_running_stops_the_batch(qtbot, tmp_path):
    window = ready_window(qtbot, temp_settings(tmp_path), StubFactory(delay=0.25))
    input_dir = tmp_path / "in"
    make_folder(input_dir, 6, broken=False)
    dialog = start_batch(qtbot, window, input_dir, tmp_path / "out")
    with qtbot.waitSignal(dialog.finishedReport, timeout=10_000) as finished:
        dialog.reject()
        assert dialog.isVisible()  # stays until the worker has stopped
    assert finished.args[0].cancelled
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2_000)


def test_batch_without_folders_says_what_to_choose(qtbot, tmp_path, monkeypatch):
    warning = DialogRecorder()
    monkeypatch.setattr(QMessageBox, "warning", warning)
    window = ready_window(qtbot, temp_settings(tmp_path), StubFactory())
    dialog = window.open_batch_dialog()
    dialog.input.edit.setText(str(tmp_path / "missing"))
    dialog.output.edit.setText(str(tmp_path / "out"))
    dialog.start_button.click()
    assert warning.calls and "missing" in warning.calls[0][1]
    assert not window.service.is_running("batch")
