"""The window's CRF runs in a child process, not on a thread.

pydensecrf holds the GIL for its whole mean-field inference: measured here, one binary CRF on a
512×384 segmentation froze every other Python thread — the GUI thread included — for 1.5 s on a
busy 2-core machine. A thread cannot fix that; a process can. One spawned child (spawn, not fork:
forking a process that runs Qt and torch threads is unsafe) is shared by every window of the
process, started early by ``warm_up`` so its imports are done before the first toggle, and the
round trip (pickling a ~16 MB segmentation each way) costs tens of milliseconds.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from app.child_guard import exit_with_parent
from fcn_core.crf import DEFAULT_CRF_PRESET, refine_crf, resolve_crf_params
from fcn_core.segmentation import Segmentation

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_executor: ProcessPoolExecutor | None = None


def _pool() -> ProcessPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=exit_with_parent
            )
        return _executor


def warm_up() -> None:
    """Start the child now (it imports numpy, pydensecrf and fcn_core while the user looks around)."""
    _pool().submit(resolve_crf_params, DEFAULT_CRF_PRESET)  # unpickling it imports fcn_core.crf


def refine_binary(segmentation: Segmentation, preset: str, targets: Sequence[int]) -> Segmentation:
    """``refine_crf(..., mode="binary")`` in the child; blocks the calling (worker) thread only.

    A child that died (killed, out of memory) raises ``BrokenProcessPool`` once and is replaced
    by a fresh one on the next call.
    """
    global _executor
    pool = _pool()
    try:
        return pool.submit(refine_crf, segmentation, preset, mode="binary", target_classes=tuple(targets)).result()
    except BrokenProcessPool:
        with _lock:
            if _executor is pool:
                _executor = None
        raise
