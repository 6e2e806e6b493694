"""The window's CRF runs in a child process, not on a thread.

pydensecrf holds the GIL for its whole run: measured here, one binary CRF on a 512×384
segmentation froze every other Python thread — the GUI thread included — for 1.5 s on a busy
2-core machine. A thread cannot fix that; a process can. One spawned child (spawn, not fork:
forking a process that runs Qt and torch threads is unsafe) is shared by every window of the
process, started early by ``warm_up`` so its imports are done before the first toggle, and the
round trip (pickling a ~16 MB segmentation each way) costs tens of milliseconds.

The child keeps the CRF's pairwise kernels (``fcn_core.crf.CRFKernels``, the costly part) of the
latest segmentation, so picking one class after another with the CRF on pays only mean field.
Segmentations are told apart by a key the parent gives each one.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import threading
import weakref
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from app.child_guard import exit_with_parent
from fcn_core.crf import DEFAULT_CRF_PRESET, CRFKernels, crf_kernels_for, refine_crf, resolve_crf_params
from fcn_core.segmentation import Segmentation

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_executor: ProcessPoolExecutor | None = None
_keys: weakref.WeakKeyDictionary[Segmentation, int] = weakref.WeakKeyDictionary()
_key_counter = itertools.count()

_child_kernels: dict[tuple[int, str], CRFKernels] = {}
"""In the child: kernels of the latest segmentation, per preset."""


def _pool() -> ProcessPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=exit_with_parent
            )
        return _executor


def _key_of(segmentation: Segmentation) -> int:
    with _lock:
        key = _keys.get(segmentation)
        if key is None:
            key = _keys[segmentation] = next(_key_counter)
        return key


def warm_up() -> None:
    """Start the child now (it imports numpy, pydensecrf and fcn_core while the user looks around)."""
    _pool().submit(resolve_crf_params, DEFAULT_CRF_PRESET)  # unpickling it imports fcn_core.crf


def _kernels_in_child(key: int, segmentation: Segmentation, preset: str) -> CRFKernels:
    """Runs in the child: the binary-CRF kernels of segmentation ``key`` (built on first use;
    other segmentations' kernels are dropped)."""
    kernels = _child_kernels.get((key, preset))
    if kernels is None:
        for stale in [cached for cached in _child_kernels if cached[0] != key]:
            del _child_kernels[stale]
        kernels = _child_kernels[(key, preset)] = crf_kernels_for(segmentation, preset, mode="binary")
    return kernels


def _prepare_in_child(key: int, segmentation: Segmentation, preset: str) -> None:
    _kernels_in_child(key, segmentation, preset)


def _refine_in_child(key: int, segmentation: Segmentation, preset: str, targets: tuple[int, ...]) -> Segmentation:
    """Runs in the child: binary CRF with the kernels of segmentation ``key``."""
    kernels = _kernels_in_child(key, segmentation, preset)
    return refine_crf(segmentation, preset, mode="binary", target_classes=targets, kernels=kernels)


def prepare(segmentation: Segmentation, preset: str) -> None:
    """Build the kernels for ``segmentation`` in the child now, without waiting: the user looks
    at the overlay first, so the first CRF toggle then costs only mean field."""
    _pool().submit(_prepare_in_child, _key_of(segmentation), segmentation, preset)


def refine_binary(segmentation: Segmentation, preset: str, targets: Sequence[int]) -> Segmentation:
    """``refine_crf(..., mode="binary")`` in the child; blocks the calling (worker) thread only.

    A child that died (killed, out of memory) raises ``BrokenProcessPool`` once and is replaced
    by a fresh one on the next call.
    """
    global _executor
    pool = _pool()
    key = _key_of(segmentation)
    try:
        return pool.submit(_refine_in_child, key, segmentation, preset, tuple(targets)).result()
    except BrokenProcessPool:
        with _lock:
            if _executor is pool:
                _executor = None
        raise
