"""The window as ``sticker-studio PHOTO`` starts it, plus timestamps for ``bench/startup.py``.

Run by ``bench/startup.py`` only (it sets the settings folder and the random-weights checkpoint).
Prints ``<event> <time.time()>`` lines on stdout: ``shown`` when the window's first frame is
exposed, ``overlay`` when the first segmentation is in the document; then waits for a line on
stdin (the parent measures memory meanwhile) and closes the window as a user would.
"""

from __future__ import annotations

import sys
import time

from PySide6.QtCore import QEvent, QObject, QSocketNotifier
from PySide6.QtWidgets import QApplication

from app.main import APPLICATION, ORGANIZATION
from app.main_window import MainWindow


def stamp(event: str) -> None:
    print(f"{event} {time.time():.6f}", flush=True)


class FirstExpose(QObject):
    """Stamps ``shown`` at the window's first Expose event (its first frame is being drawn)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self.seen and event.type() == QEvent.Type.Expose:
            self.seen = True
            stamp("shown")
        return False


def main() -> int:
    photo = sys.argv[1]
    app = QApplication([sys.argv[0]])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    window = MainWindow()
    expose = FirstExpose()
    window.show()
    window.windowHandle().installEventFilter(expose)
    window.segmentationShown.connect(lambda: stamp("overlay"))
    window.open_photo(photo)
    notifier = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)
    notifier.activated.connect(lambda: window.close())
    code = app.exec()
    stamp("closed")
    return code


if __name__ == "__main__":
    sys.exit(main())
