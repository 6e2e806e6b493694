"""Child processes of the window end when the window's process ends — even when it crashed.

The CRF child and the batch child are spawned processes; on a normal exit the parent stops them,
but a parent that is killed or crashes cannot, and an orphaned child would sit idle (or keep
exporting) forever. A daemon thread in the child waits on the parent's sentinel, which becomes
ready when the parent is gone however it died, and then ends the child.
"""

from __future__ import annotations

import multiprocessing
import os
import threading

ORPHAN_EXIT_CODE = 3


def exit_with_parent() -> None:
    """Call first thing in a spawned child (e.g. as a pool ``initializer``); no-op in the main process."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()
        os._exit(ORPHAN_EXIT_CODE)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
