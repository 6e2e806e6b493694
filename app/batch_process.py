"""Batch export in a child process, reporting back to the worker thread through a queue.

A batch runs the whole pipeline per photo, and two of its stages hold the GIL for long stretches
(pydensecrf for the CRF; parts of the full-resolution mask and sticker work): on the worker
thread they froze the window for ~200 ms per photo with the CRF on. In a spawned child they
cannot. The child builds its own segmenter with the window's factory and model request (the
weights are on disk by then), and runs ``fcn_core.batch.run_batch`` — the code of
``fcn-sticker batch`` — unchanged. This module is imported by the child, so it has no Qt.
"""

from __future__ import annotations

import logging
import multiprocessing
import pickle
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.child_guard import exit_with_parent
from fcn_core.batch import BatchReport, run_batch
from fcn_core.pipeline import StickerRequest

logger = logging.getLogger(__name__)

POLL_S = 0.1
STOP_GRACE_S = 30.0
"""How long a stopping child may take to finish its current photo before it is terminated."""


@dataclass(frozen=True)
class BatchJob:
    """One batch export, as the dialog set it up (the CLI's ``run_batch`` arguments)."""

    input_dir: Path
    output_dir: Path
    request: StickerRequest
    overwrite: bool = False
    recursive: bool = False


def _child(factory: Callable[..., Any], model_request: Any, job: BatchJob, messages: Any, stop: Any) -> None:
    """The child's entry point: build the segmenter, run the batch, send progress and the result."""
    exit_with_parent()
    try:
        segmenter = factory(model_request, lambda done, total: None, stop.is_set)
        report = run_batch(
            segmenter, job.input_dir, job.output_dir, job.request, overwrite=job.overwrite, recursive=job.recursive,
            progress=lambda done, total, path: messages.put(("progress", (done, total, str(path)))),
            cancel=stop.is_set,
        )
        messages.put(("done", report))
    except BaseException as exc:  # everything goes back to the parent, which shows it
        messages.put(("error", _sendable(exc)))


def _sendable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling (custom exception signatures often do not), else its text."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def run_batch_in_child(
    factory: Callable[..., Any],
    model_request: Any,
    job: BatchJob,
    *,
    progress: Callable[[int, int, str], None],
    cancel: threading.Event,
) -> BatchReport:
    """Run ``job`` in a spawned child; call ``progress`` here; setting ``cancel`` stops it between photos.

    Blocks the calling thread (the worker) until the child has finished, and raises what the
    child raised.
    """
    context = multiprocessing.get_context("spawn")
    messages = context.Queue()
    stop = context.Event()
    child = context.Process(target=_child, args=(factory, model_request, job, messages, stop), daemon=True)
    child.start()
    try:
        while True:
            if cancel.is_set():
                stop.set()
            try:
                kind, payload = messages.get(timeout=POLL_S)
            except queue.Empty:
                if not child.is_alive():
                    raise RuntimeError(f"the batch process ended unexpectedly (exit code {child.exitcode})") from None
                continue
            if kind == "progress":
                progress(*payload)
            elif kind == "done":
                return payload
            else:
                raise payload
    finally:
        stop.set()
        child.join(STOP_GRACE_S)
        if child.is_alive():
            logger.warning("the batch process did not stop; terminating it")
            child.terminate()
            child.join()
