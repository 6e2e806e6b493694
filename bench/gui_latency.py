"""Latency of the real window on a 12-MP photo, and how long its event loop ever stalls (DESIGN §10).

Drives ``MainWindow`` offscreen with a stand-in segmenter that returns the synthetic segmentation
of ``bench/pick_to_sticker.py`` (a cat over a third of a 4000×3000 photo, 512-px working size), so
the network is not timed here (``bench/forward.py`` does that). Timed through the window, as a
user meets them: open (JPEG decode + display image + overlay + legend), class pick → sticker
preview (budget 100 ms), binary CRF toggle → preview, and, during each, the longest gap between
ticks of a 10 ms timer on the GUI thread (budget: no stall over 100 ms).

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python bench/gui_latency.py``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
from pick_to_sticker import CAT, PHOTO_SIZES, synthetic_inputs
from PIL import Image
from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication


class StandInSegmenter:
    """Answers every photo with the synthetic segmentation (module level: picklable)."""

    def __init__(self) -> None:
        from fcn_core.classes import VOC_CLASSES

        self.classes = VOC_CLASSES
        self.model_name = "fcn8s"
        self.device_message = ""
        self.segmentation = synthetic_inputs(PHOTO_SIZES["12 MP"])[1]

    def segment(self, photo):
        return replace(self.segmentation, photo_size=photo.size)

    def segment_batch(self, photos):
        return [self.segment(photo) for photo in photos]


def stand_in_factory(request, progress, cancel):
    return StandInSegmenter()


def wait_until(done: Callable[[], bool]) -> None:
    """Run the event loop until ``done()``. A nested loop polled by a timer, not a
    ``processEvents()`` busy loop: PySide6 6.12.0 on Python 3.11 loses a reference to ``None`` on
    every void call and would abort after ~10⁵ of them (see ``app/qt_runtime.py``)."""
    loop = QEventLoop()
    poll = QTimer()
    poll.setInterval(1)
    poll.timeout.connect(lambda: done() and loop.quit())
    poll.start()
    if not done():
        loop.exec()
    poll.stop()


class Ticker:
    """A 10 ms timer on the GUI thread; ``max_gap`` is the longest wait between two ticks."""

    def __init__(self) -> None:
        self.ticks: list[float] = []
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(lambda: self.ticks.append(time.perf_counter()))

    def measure(self, start: Callable[[], None], done: Callable[[], bool]) -> tuple[float, float]:
        """Seconds from ``start()`` until ``done()``, and the longest tick gap meanwhile."""
        self.ticks = [time.perf_counter()]
        self.timer.start()
        began = time.perf_counter()
        start()
        wait_until(done)
        elapsed = time.perf_counter() - began
        self.ticks.append(time.perf_counter())
        self.timer.stop()
        return elapsed, float(np.diff(self.ticks).max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--picks", type=int, default=6, help="class picks to time (alternating classes)")
    args = parser.parse_args()
    QApplication([])
    # The compute process unpickles the factory by module name: this script's folder must be on
    # its path, and the factory must come from ``gui_latency``, not ``__main__``.
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).parent), os.environ.get("PYTHONPATH")]))
    import gui_latency

    from app.main_window import MainWindow
    from app.settings import AppSettings

    with tempfile.TemporaryDirectory() as folder:
        photo_path = Path(folder) / "photo.jpg"
        Image.fromarray(synthetic_inputs(PHOTO_SIZES["12 MP"])[0].pixels).save(photo_path, quality=90)
        settings = AppSettings(QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat))
        window = MainWindow(segmenter_factory=gui_latency.stand_in_factory, settings=settings)
        window.resize(1200, 800)
        window.show()
        wait_until(lambda: window.service.model is not None)
        doc, ticker = window.document, Ticker()
        rows = []

        def photo_shown() -> bool:
            return doc.segmentation is not None and window.builder.sticker is not None

        opening = ticker.measure(lambda: window.open_photo(photo_path), photo_shown)
        rows.append(("open 12-MP JPEG → overlay + preview", *opening))
        for index in range(args.picks):
            target = {CAT} if index % 2 else {0}
            picked = ticker.measure(lambda: doc.select(target), lambda: window.builder.sticker is not None)
            rows.append(("class pick → preview", *picked))
        for index in range(2):
            target = {CAT} if index % 2 == 0 else {0}
            doc.select(target)
            wait_until(lambda: window.builder.sticker is not None)
            refined_shown = lambda: not doc.crf_pending and window.builder.sticker is not None
            toggled = ticker.measure(lambda: doc.set_crf(enabled=True), refined_shown)
            rows.append(("CRF toggle → refined preview", *toggled))
            doc.set_crf(enabled=False)
        window.close()

    print(f"{'step':38s} {'time':>9s} {'longest event-loop stall':>26s}")
    for name, elapsed, stall in rows:
        print(f"{name:38s} {elapsed * 1000:7.0f} ms {stall * 1000:23.0f} ms")


if __name__ == "__main__":
    main()
