"""The window's handle on the compute process: requests out, results in, and supervision.

Widgets call plain methods (``open``, ``refine``, ``run_batch``, …) and listen to result signals
that only ever carry the answer to the latest request of each kind: every request gets an id,
and a reply whose id is no longer the running one of its kind is dropped. Photos are decoded
here, on a thread of the window process (the window shows the photo at once and needs its
pixels anyway), then sent to the process to be segmented.

Supervision: the process sends a heartbeat; each request has a deadline (seconds without a reply
or progress once the process has started it, ``Deadlines``). When the process dies, stops beating, or a request passes its
deadline, the process is killed and started again, the model reloaded and — through
``modelLoaded``, as for any new model — the window re-segments its photo; ``restarted`` says in
plain words what happened. The person's selection, edits and style live in the document and are
untouched. A batch that was running is reported as failed; its stickers are on disk and a rerun
skips them.
"""

from __future__ import annotations

import logging
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from PySide6.QtCore import QObject, QTimer, Signal

from app.compute.channel import ComputeChannel
from app.imaging import display_image
from app.segmenter_factory import ModelRequest, SegmenterFactory
from fcn_core import Photo, Segmentation, load_photo
from fcn_core.compute.protocol import (
    BatchJob,
    Cancel,
    Heartbeat,
    ImportedWeights,
    ImportWeights,
    LoadModel,
    ModelInfo,
    Payload,
    PrepareCrf,
    Refine,
    RefineEdges,
    Reply,
    Request,
    RunBatch,
    Segment,
    Start,
)
from fcn_core.edges import EdgeOptions
from fcn_core.sticker import MaskPatch

logger = logging.getLogger(__name__)

ClientKind = Literal["model", "open", "prepare", "refine", "edges", "batch"]
Recovery = Literal["", "redo", "reload"]
SUPERVISE_MS = 200
MAX_RESTARTS_IN_A_ROW = 2
"""After this many restarts without one request answered in between, the interrupted work is
not redone (a photo that crashes the process every time must not loop forever)."""
MAX_STARTS_IN_A_ROW = 5
"""A process that dies this often in a row without finishing anything (e.g. it cannot even
start) is not started again; requests then fail with the reason."""


class ComputeProcessError(RuntimeError):
    """The compute process died or hung while doing this request."""


@dataclass(frozen=True)
class Deadlines:
    """Seconds a request may go without a reply or progress before the process counts as hung
    (a download reports progress, a batch reports each photo), and without any heartbeat."""

    model: float = 600.0
    open: float = 180.0
    prepare: float = 120.0
    refine: float = 120.0
    edges: float = 120.0
    batch: float = 600.0
    heartbeat: float = 30.0
    close_grace: float = 1.0
    """How long closing the window waits for the process to exit before killing it."""


@dataclass
class _Running:
    id: int
    text: str
    payload: object
    sent: bool = False
    started: bool = False
    """The process has begun it (its deadline runs from then)."""
    last_heard: float = field(default_factory=time.monotonic)


class ComputeClient(QObject):
    """Owns the compute process; its result signals are emitted on the GUI thread."""

    modelLoaded = Signal(object, object)  # ModelRequest, ModelInfo
    modelFailed = Signal(object, object)  # ModelRequest, exception
    weightsImported = Signal(object, object)  # ImportWeights, ImportedWeights
    importFailed = Signal(object, object)  # ImportWeights, exception
    downloadProgress = Signal(object, object)  # bytes done, bytes total or None
    photoLoaded = Signal(object, object)  # Photo, its display QImage
    segmented = Signal(object)  # Segmentation
    openFailed = Signal(object, object)  # what was opened (path or Photo), exception
    refined = Signal(object, object)  # Segmentation, CrfKey
    refineFailed = Signal(object)  # exception
    edgesRefined = Signal(object, object)  # EdgeMatte or None, the caller's tag
    edgesFailed = Signal(object, object)  # exception, the caller's tag
    batchProgress = Signal(int, int, str)  # done, total, current file
    batchFinished = Signal(object)  # BatchReport
    batchFailed = Signal(object)  # exception
    busyChanged = Signal(str)  # what is running, '' when idle
    restarted = Signal(str)  # what happened, in plain words

    _received = Signal(int, object)  # process generation, message (from the reader thread)
    _closed = Signal(int)  # process generation (from the reader thread)
    _decoded = Signal(int, object, object, object)  # request id, Photo, QImage, exception (decode thread)

    def __init__(self, factory: SegmenterFactory, deadlines: Deadlines | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._factory = factory
        self.deadlines = deadlines or Deadlines()
        self.model: ModelInfo | None = None
        self.recovery: Recovery = ""
        """From a restart until the model is back: ``redo`` (the window segments its photo again
        when ``modelLoaded`` arrives) or ``reload`` (it does not: that work failed too often)."""
        self._model_request: ModelRequest | None = None
        self._counter = 0
        self._running: dict[ClientKind, _Running] = {}
        self._made_by: weakref.WeakKeyDictionary[Segmentation, tuple[int, int]] = weakref.WeakKeyDictionary()
        self._generation = 0
        self._restarts_in_a_row = 0
        self._closing = False
        self._broken = ""
        """Why the process is no longer restarted (empty while it is)."""
        self._decoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="photo-decoder")
        self._received.connect(self._on_message)
        self._closed.connect(self._on_closed)
        self._decoded.connect(self._on_decoded)
        self._channel = self._start_process()
        self._supervisor = QTimer(self)
        self._supervisor.setInterval(SUPERVISE_MS)
        self._supervisor.timeout.connect(self._supervise)
        self._supervisor.start()

    # the process ------------------------------------------------------------------------------
    def _start_process(self) -> ComputeChannel:
        generation = self._generation
        channel = ComputeChannel(
            on_message=lambda message: self._received.emit(generation, message),
            on_closed=lambda: self._closed.emit(generation),
        )
        channel.send(Start(self._factory))
        self._last_heartbeat = time.monotonic()
        logger.info("compute process %d started", channel.pid)
        return channel

    @property
    def pid(self) -> int:
        """The compute process's id (tests kill it to check recovery)."""
        return self._channel.pid

    def shutdown(self) -> None:
        """End the process (killing it after ``close_grace``); safe to call twice."""
        if self._closing:
            return
        self._closing = True
        self._supervisor.stop()
        self._decoder.shutdown(wait=False, cancel_futures=True)
        self._channel.close(self.deadlines.close_grace)

    # requests ---------------------------------------------------------------------------------
    def load_model(self, request: ModelRequest) -> None:
        self._send("model", f"Loading model {request.name}…", request, LoadModel(request))

    def import_weights(self, request: ImportWeights) -> None:
        """Import a weights file into the cache (a model request: a newer load replaces it, and
        the model in use stays until the imported one is loaded)."""
        self._send("model", f"Importing {request.path.name}…", request, request)

    def open(self, source: Path | Photo) -> None:
        """Decode (for a path, announcing the photo with ``photoLoaded``) and segment; a newer
        ``open`` makes this one stale."""
        if isinstance(source, Photo):
            self._send("open", f"Segmenting {source.path.name if source.path else 'photo'}…", source, Segment(source))
            return
        running = self._begin("open", f"Segmenting {source.name}…", source)
        self._decoder.submit(self._decode, running.id, source)

    def _decode(self, request_id: int, path: Path) -> None:
        """On the decode thread."""
        try:
            photo = load_photo(path)
            self._decoded.emit(request_id, photo, display_image(photo.pixels), None)
        except Exception as exc:
            self._decoded.emit(request_id, None, None, exc)

    def _on_decoded(self, request_id: int, photo: Photo | None, image: object, exc: Exception | None) -> None:
        running = self._running.get("open")
        if running is None or running.id != request_id:
            return
        if photo is None:
            self._fail("open", running, exc or RuntimeError("decoding failed"))
            return
        self.photoLoaded.emit(photo, image)
        self._dispatch(running, Segment(photo))

    def prepare_crf(self, segmentation: Segmentation, preset: str) -> None:
        """Build the CRF kernels of ``segmentation`` in the process now, ahead of the first toggle."""
        made = self._made_by.get(segmentation)
        if made is not None and made[0] == self._generation:
            self._send("prepare", "", None, PrepareCrf(made[1], preset))

    def refine(self, segmentation: Segmentation, key: tuple[str, tuple[int, ...]]) -> None:
        """Binary CRF of the selected classes of a segmentation the process made (sent by id)."""
        preset, targets = key
        made = self._made_by.get(segmentation)
        if made is None or made[0] != self._generation:
            # Made by a process that has since been restarted: the re-segmentation under way
            # replaces it, and the CRF is asked for again then.
            logger.info("CRF asked for a segmentation of an earlier compute process; waiting for the new one")
            return
        self._send("refine", f"Refining with the {preset} CRF…", key, Refine(made[1], preset, tuple(targets)))

    def cancel_refine(self) -> None:
        """Forget the running CRF request (its result is dropped), e.g. when the CRF is turned off."""
        self.cancel("refine")
        self._finish("refine")

    def refine_edges(self, segmentation: Segmentation, patch: MaskPatch, options: EdgeOptions, tag: object) -> bool:
        """Edge refinement (matting, the CRF band) of ``patch``, a hard mask over the photo of
        ``segmentation``, in the process; ``edgesRefined(matte, tag)`` or ``edgesFailed(exc, tag)``
        answers the latest such request. Only the patch's mask and grid are sent: the process kept
        the photo. False (nothing sent) when ``segmentation`` was made by a process that has since
        been restarted: the re-segmentation under way replaces it."""
        made = self._made_by.get(segmentation)
        if made is None or made[0] != self._generation:
            logger.info("edges asked for a segmentation of an earlier compute process; waiting for the new one")
            return False
        hard = MaskPatch(patch.mask, patch.origin, patch.step)
        self._send("edges", f"Refining the edges ({options.method})…", tag, RefineEdges(made[1], hard, options))
        return True

    def run_batch(self, job: BatchJob) -> None:
        self._send("batch", "Exporting stickers…", job, RunBatch(job))

    def cancel(self, kind: ClientKind) -> None:
        """Ask a download or a batch to stop at its next check (a queued request is dropped)."""
        running = self._running.get(kind)
        if running is not None and running.sent:
            self._channel.send(Cancel(running.id))

    def is_running(self, kind: ClientKind) -> bool:
        return kind in self._running

    def busy_text(self) -> str:
        return " ".join(running.text for running in self._running.values() if running.text)

    # bookkeeping ------------------------------------------------------------------------------
    def _begin(self, kind: ClientKind, text: str, payload: object) -> _Running:
        previous = self._running.get(kind)
        if previous is not None and previous.sent and kind in ("model", "batch"):
            self._channel.send(Cancel(previous.id))  # a new download or batch replaces the old one
        self._counter += 1
        running = self._running[kind] = _Running(self._counter, text, payload)
        self.busyChanged.emit(self.busy_text())
        return running

    def _send(self, kind: ClientKind, text: str, payload: object, message: Payload) -> None:
        self._dispatch(self._begin(kind, text, payload), message)

    def _dispatch(self, running: _Running, message: Payload) -> None:
        running.sent, running.last_heard = True, time.monotonic()
        if self._broken:
            kind = self._kind_of(running.id)
            if kind is not None:
                self._fail(kind, running, ComputeProcessError(self._broken))
            return
        self._channel.send(Request(running.id, message))

    def _finish(self, kind: ClientKind) -> _Running | None:
        running = self._running.pop(kind, None)
        self.busyChanged.emit(self.busy_text())
        return running

    def _kind_of(self, request_id: int) -> ClientKind | None:
        return next((kind for kind, running in self._running.items() if running.id == request_id), None)

    # replies (GUI thread) ---------------------------------------------------------------------
    def _on_message(self, generation: int, message: object) -> None:
        if generation != self._generation:
            return  # from a process that has been replaced
        self._last_heartbeat = time.monotonic()
        if isinstance(message, Heartbeat) or not isinstance(message, Reply):
            return
        kind = self._kind_of(message.id)
        if kind is None:
            logger.debug("dropped the stale reply to request %d (%s)", message.id, message.status)
            return
        running = self._running[kind]
        running.last_heard = time.monotonic()
        if message.status == "started":
            running.started = True
        elif message.status == "progress":
            self._on_progress(kind, message.payload)
        elif message.status == "done":
            if kind != "model":  # reloading the model proves nothing about the work that failed
                self._restarts_in_a_row = 0
            self._finish(kind)
            self._on_done(kind, running, message.payload)
        elif message.status == "failed":
            self._fail(kind, running, message.payload)
        else:  # dropped: superseded or cancelled in the queue
            self._finish(kind)

    def _on_progress(self, kind: ClientKind, value: tuple) -> None:
        if kind == "model":
            self.downloadProgress.emit(*value)
        elif kind == "batch":
            self.batchProgress.emit(*value)

    def _on_done(self, kind: ClientKind, running: _Running, result: object) -> None:
        if kind == "model" and isinstance(result, ImportedWeights):
            self.weightsImported.emit(running.payload, result)
        elif kind == "model":
            assert isinstance(result, ModelInfo) and isinstance(running.payload, ModelRequest)
            self.model, self._model_request = result, running.payload
            self.modelLoaded.emit(running.payload, result)
            self.recovery = ""
        elif kind == "open":
            assert isinstance(result, Segmentation)
            self._made_by[result] = (self._generation, running.id)
            self.segmented.emit(result)
        elif kind == "refine":
            self.refined.emit(result, running.payload)
        elif kind == "edges":
            self.edgesRefined.emit(result, running.payload)
        elif kind == "batch":
            self.batchFinished.emit(result)

    def _fail(self, kind: ClientKind, running: _Running, exc: Exception) -> None:
        self._finish(kind)
        if kind == "model" and isinstance(running.payload, ImportWeights):
            self.importFailed.emit(running.payload, exc)
        elif kind == "model":
            self.recovery = ""
            self.modelFailed.emit(running.payload, exc)
        elif kind == "open":
            self.openFailed.emit(running.payload, exc)
        elif kind == "refine":
            self.refineFailed.emit(exc)
        elif kind == "edges":
            self.edgesFailed.emit(exc, running.payload)
        elif kind == "batch":
            self.batchFailed.emit(exc)
        else:
            logger.info("preparing the CRF failed: %s", exc)

    # supervision ------------------------------------------------------------------------------
    def _supervise(self) -> None:
        now = time.monotonic()
        if now - self._last_heartbeat > self.deadlines.heartbeat:
            self._restart(f"has not answered for {self.deadlines.heartbeat:.0f} s")
            return
        for kind, running in self._running.items():
            deadline = getattr(self.deadlines, kind)
            if running.started and now - running.last_heard > deadline:
                what = running.text.rstrip("…").lower() or kind
                self._restart(f"was still {what} after {deadline:.0f} s")
                return

    def _on_closed(self, generation: int) -> None:
        if generation == self._generation and not self._closing:
            self._channel.kill()
            self._restart(f"stopped unexpectedly (exit code {self._channel.exit_code()})")

    def _restart(self, reason: str) -> None:
        """Kill the process, start a new one, reload the model; the window re-segments its photo
        when ``modelLoaded`` arrives."""
        logger.warning("the compute process %s; restarting it", reason)
        self._channel.kill()
        self._generation += 1
        self._restarts_in_a_row += 1
        interrupted = {kind: running for kind, running in self._running.items() if running.sent}
        for kind in interrupted:
            self._running.pop(kind)
        self.busyChanged.emit(self.busy_text())
        if self._restarts_in_a_row >= MAX_STARTS_IN_A_ROW:
            self._broken = (f"The compute process {reason}, {self._restarts_in_a_row} times in a row, so it is not "
                            "started again. Start the app from a terminal to see why, and restart it.")
            self._supervisor.stop()
            self.model = None
            self.restarted.emit(self._broken)
            for kind, running in interrupted.items():
                self._fail(kind, running, ComputeProcessError(self._broken))
            return
        self._channel = self._start_process()
        text = f"The compute process {reason}, so it was restarted."
        if "batch" in interrupted:
            self.batchFailed.emit(ComputeProcessError(
                f"The compute process {reason} during the batch export. The stickers made so far are kept; "
                "Start again to continue where it stopped."
            ))
        model = interrupted["model"].payload if "model" in interrupted else self._model_request
        if isinstance(model, ImportWeights):  # not redone (the file may be what crashed it); the model in use comes back
            self.importFailed.emit(model, ComputeProcessError(f"The compute process {reason} while importing {model.path.name}."))
            model = self._model_request
        gave_up = self._restarts_in_a_row > MAX_RESTARTS_IN_A_ROW
        if gave_up:
            text += " It failed on the same work again, so that is not retried."
        if isinstance(model, ModelRequest):
            text += " The model is being loaded again; your photo and choices are kept."
            self.recovery = "reload" if gave_up else "redo"
            self.load_model(model)
        self.restarted.emit(text)
        if gave_up and "open" in interrupted:
            self.openFailed.emit(interrupted["open"].payload, ComputeProcessError(text))
