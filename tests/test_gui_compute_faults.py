"""The compute process dying or hanging (DESIGN §11): the window says so in the status bar,
restarts it, reloads the model, re-segments the photo and keeps what the person did; closing the
window ends the process within 2 s whatever it is doing; batch and interactive requests share it."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtWidgets import QMessageBox

from app.compute.client import MAX_STARTS_IN_A_ROW, Deadlines
from tests.gui_helpers import (
    PERSON,
    DialogRecorder,
    StubFactory,
    click_photo,
    disc_centre,
    open_and_wait,
    read_log,
    ready_window,
    segmented_paths,
    temp_settings,
    write_photo,
)
from tests.test_gui_batch import make_folder, start_batch

CLOSE_BUDGET_S = 2.0


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def stickers(folder: Path) -> list[Path]:
    """Finished stickers (a killed process may leave a hidden temporary file, never a partial sticker)."""
    return sorted(folder.glob("*.sticker.png")) if folder.is_dir() else []


def pick_person_with_style(qtbot, window, size: tuple[int, int]) -> None:
    """The person's own state: the person disc picked and a changed contour."""
    click_photo(qtbot, window, *disc_centre(size))
    assert window.document.selection == {PERSON}
    window.document.set_style(replace(window.document.style, contour_width=9))


def assert_state_kept(window, photo: Path) -> None:
    doc = window.document
    assert doc.photo.path == photo
    assert doc.selection == {PERSON}
    assert doc.style.contour_width == 9


def kill(window) -> int:
    pid = window.service.pid
    os.kill(pid, signal.SIGKILL)
    return pid


def test_killed_mid_segmentation_the_window_recovers_and_keeps_the_state(qtbot, tmp_path):
    log = tmp_path / "compute.jsonl"
    window = ready_window(qtbot, temp_settings(tmp_path), StubFactory(delay=1.0, log=log))
    photo = write_photo(tmp_path / "beach.png")
    open_and_wait(qtbot, window, photo)
    pick_person_with_style(qtbot, window, (120, 160))
    window.service.open(window.document.photo)  # segment it again, as a new model would
    qtbot.waitUntil(lambda: len(read_log(log, "start")) == 2, timeout=10_000)
    old = kill(window)
    qtbot.waitUntil(lambda: "restarted" in window.statusBar().currentMessage(), timeout=5_000)
    assert "stopped unexpectedly" in window.statusBar().currentMessage()
    with qtbot.waitSignal(window.segmentationShown, timeout=20_000):
        pass
    assert window.service.pid != old and not pid_alive(old)
    assert_state_kept(window, photo)
    assert segmented_paths(log) == [photo, photo]  # the interrupted one never finished; the redo did
    qtbot.waitUntil(lambda: window.builder.sticker is not None, timeout=5_000)


def test_killed_mid_crf_the_crf_result_still_arrives_for_the_same_selection(qtbot, tmp_path, monkeypatch):
    critical = DialogRecorder()
    monkeypatch.setattr(QMessageBox, "critical", critical)
    monkeypatch.setattr(QMessageBox, "warning", critical)
    size = (480, 640)  # a CRF of a few hundred ms: the kill lands while it runs
    window = ready_window(qtbot, temp_settings(tmp_path), StubFactory())
    photo = write_photo(tmp_path / "big.png", size)
    open_and_wait(qtbot, window, photo)
    pick_person_with_style(qtbot, window, size)
    window.sticker_panel.crf_check.click()
    assert window.service.is_running("refine")
    kill(window)
    with qtbot.waitSignal(window.service.refined, timeout=30_000):
        pass
    assert "restarted" in window.statusBar().currentMessage()
    assert_state_kept(window, photo)
    assert window.document.crf.enabled and window.document.refined_key == window.document.crf_key()
    assert critical.calls == []  # no "CRF switched off" dialog: nothing the person chose was undone


def test_killed_mid_batch_the_dialog_says_so_and_a_rerun_continues(qtbot, tmp_path, monkeypatch):
    critical = DialogRecorder()
    monkeypatch.setattr(QMessageBox, "critical", critical)
    monkeypatch.setattr(QMessageBox, "warning", critical)
    window = ready_window(qtbot, temp_settings(tmp_path), StubFactory(delay=0.3))
    input_dir, output_dir = tmp_path / "in", tmp_path / "out"
    make_folder(input_dir, 6, broken=False)
    dialog = start_batch(qtbot, window, input_dir, output_dir)
    qtbot.waitUntil(lambda: len(stickers(output_dir)) >= 2, timeout=20_000)
    kill(window)
    qtbot.waitUntil(lambda: bool(critical.calls), timeout=5_000)
    title, text = critical.calls[0]
    assert title == "The compute process stopped" and "continue where it stopped" in text
    assert dialog.start_button.isEnabled()
    qtbot.waitUntil(lambda: window.service.model is not None and not window.service.is_running("model"), timeout=20_000)
    made_before = stickers(output_dir)
    for sticker in made_before:  # each written whole (atomic writes), even though the process was killed
        with Image.open(sticker) as image:
            image.load()
    with qtbot.waitSignal(dialog.finishedReport, timeout=30_000) as finished:
        dialog.start_button.click()
    report = finished.args[0]
    assert (report.skipped, report.made, report.failed) == (len(made_before), 6 - len(made_before), 0)


def test_a_request_that_hangs_past_its_deadline_restarts_the_process(qtbot, tmp_path, monkeypatch):
    critical = DialogRecorder()
    monkeypatch.setattr(QMessageBox, "warning", critical)
    log = tmp_path / "compute.jsonl"
    deadlines = Deadlines(open=1.0)
    window = ready_window(qtbot, temp_settings(tmp_path), StubFactory(log=log, hang_on="hang.png"), deadlines)
    first = window.service.pid
    window.open_photo(write_photo(tmp_path / "hang.png"))
    qtbot.waitUntil(lambda: "restarted" in window.statusBar().currentMessage(), timeout=10_000)
    assert "was still segmenting hang.png after 1 s" in window.statusBar().currentMessage()
    assert not pid_alive(first)
    # Re-segmenting the photo hangs again; after two restarts in a row it is not retried.
    qtbot.waitUntil(lambda: bool(critical.calls), timeout=20_000)
    title, text = critical.calls[0]
    assert title == "The compute process stopped" and "not retried" in text
    qtbot.waitUntil(lambda: window.service.model is not None and not window.service.is_running("model"), timeout=20_000)
    fine = write_photo(tmp_path / "fine.png")
    open_and_wait(qtbot, window, fine)  # the restarted process works
    assert window.document.photo.path == fine


def test_closing_the_window_during_a_batch_ends_the_process_within_2_s(qtbot, tmp_path):
    window = ready_window(qtbot, temp_settings(tmp_path), StubFactory(delay=0.5))
    input_dir, output_dir = tmp_path / "in", tmp_path / "out"
    make_folder(input_dir, 8, broken=False)
    start_batch(qtbot, window, input_dir, output_dir)
    qtbot.waitUntil(lambda: bool(stickers(output_dir)), timeout=20_000)
    pid = window.service.pid
    begin = time.monotonic()
    window.close()
    while pid_alive(pid) and time.monotonic() - begin < 10:
        time.sleep(0.02)
    assert time.monotonic() - begin < CLOSE_BUDGET_S


def test_closing_the_window_while_the_process_hangs_ends_it_within_2_s(qtbot, tmp_path):
    window = ready_window(qtbot, temp_settings(tmp_path), StubFactory(log=tmp_path / "log.jsonl", hang_on="hang.png"))
    window.open_photo(write_photo(tmp_path / "hang.png"))
    qtbot.waitUntil(lambda: bool(read_log(tmp_path / "log.jsonl", "start")), timeout=10_000)
    pid = window.service.pid
    os.kill(pid, signal.SIGSTOP)  # not even the reader thread answers now
    begin = time.monotonic()
    window.close()
    assert not pid_alive(pid)
    assert time.monotonic() - begin < CLOSE_BUDGET_S


def test_interactive_requests_run_between_the_photos_of_a_batch(qtbot, tmp_path):
    log = tmp_path / "compute.jsonl"
    window = ready_window(qtbot, temp_settings(tmp_path), StubFactory(delay=0.3, log=log))
    input_dir, output_dir = tmp_path / "in", tmp_path / "out"
    batch_photos = make_folder(input_dir, 8, broken=False)
    dialog = start_batch(qtbot, window, input_dir, output_dir)
    assert not dialog.isModal()
    qtbot.waitUntil(lambda: len(segmented_paths(log)) >= 1, timeout=10_000)
    photo = write_photo(tmp_path / "mine.png")
    with qtbot.waitSignal(window.segmentationShown, timeout=10_000):
        window.open_photo(photo)
    assert window.service.is_running("batch")  # the photo did not wait for the batch
    with qtbot.waitSignal(dialog.finishedReport, timeout=30_000) as finished:
        pass
    assert finished.args[0].made == len(batch_photos)
    order = segmented_paths(log)
    assert order.index(photo) < len(batch_photos)  # overtook the rest of the batch
    assert sorted(path for path in order if path != photo) == sorted(batch_photos)


@pytest.mark.parametrize("how", ["exit", "kill"])
def test_the_compute_process_ends_when_the_window_process_dies(tmp_path, how):
    """However the window's process ends, its compute process does not outlive it."""
    import subprocess
    import sys

    script = (
        "import os, signal, sys, time\n"
        "from app.compute.channel import ComputeChannel\n"
        "from fcn_core.compute.protocol import Start\n"
        "from tests.gui_stubs import StubFactory\n"
        "channel = ComputeChannel(lambda message: None, lambda: None)\n"
        "channel.send(Start(StubFactory()))\n"
        "print(channel.pid, flush=True)\n"
        "time.sleep(1)\n"
        f"os._exit(1) if {how!r} == 'exit' else os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                            cwd=Path(__file__).resolve().parents[1])
    pid = int(result.stdout.split()[0])
    deadline = time.monotonic() + 10
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pid_alive(pid)


def test_a_process_that_keeps_dying_is_not_restarted_forever(qtbot, tmp_path, monkeypatch):
    critical = DialogRecorder()
    monkeypatch.setattr(QMessageBox, "warning", critical)
    monkeypatch.setattr(QMessageBox, "critical", critical)
    window = ready_window(qtbot, temp_settings(tmp_path), StubFactory())
    for _ in range(MAX_STARTS_IN_A_ROW):
        pid = kill(window)
        qtbot.waitUntil(lambda pid=pid: window.service.pid != pid or bool(window.service._broken), timeout=10_000)
    assert "not started again" in window.statusBar().currentMessage()
    assert not pid_alive(window.service.pid)
    window.open_photo(write_photo(tmp_path / "a.png"))
    qtbot.waitUntil(lambda: bool(critical.calls), timeout=5_000)
    assert critical.calls[-1][0] == "The compute process stopped"
