"""Messages between the window and the compute process (both directions), as plain dataclasses.

The window sends a :class:`Start` once, then :class:`Request` s (each with an id the window
chose), :class:`Cancel` and :class:`Shutdown`. The process answers each request it runs with a
``started`` reply when it begins (a request's deadline counts from there, not from a queue behind
a long download), any number of ``progress`` replies and exactly one final reply — ``done``, ``failed`` or ``dropped`` (a newer
request of the same kind made it pointless before it ran, or it was cancelled while queued) —
and sends a :class:`Heartbeat` every ``HEARTBEAT_S`` seconds, so the window can tell a process
that is busy from one that hangs. Everything here is picklable and free of torch and Qt: both
processes import it.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from fcn_core.classes import ClassSet
from fcn_core.edges import EdgeOptions
from fcn_core.photo import Photo
from fcn_core.pipeline import StickerRequest
from fcn_core.sticker import MaskPatch

HEARTBEAT_S = 0.5

RequestKind = Literal["model", "segment", "prepare", "refine", "edges", "batch"]
INTERACTIVE: tuple[RequestKind, ...] = ("model", "segment", "refine", "edges")
"""Served first, also between the photos of a running batch; ``prepare`` (CRF kernels ahead of
the first toggle) comes next, batch export last."""

ReplyStatus = Literal["started", "progress", "done", "failed", "dropped"]


@dataclass(frozen=True)
class ModelInfo:
    """What the window knows of the loaded model (the model itself stays in the process)."""

    name: str
    classes: ClassSet
    device_message: str = ""


@dataclass(frozen=True)
class BatchJob:
    """One batch export as the dialog set it up (``fcn_core.batch.run_batch``'s arguments)."""

    input_dir: Path
    output_dir: Path
    request: StickerRequest
    overwrite: bool = False
    recursive: bool = False


@dataclass(frozen=True)
class LoadModel:
    """Load a model with the window's segmenter factory (``model_request`` is the factory's own
    request type; the process passes it through)."""

    model_request: Any


@dataclass(frozen=True)
class ImportWeights:
    """Import a weights file into the cache (``fcn_core.weights.store.import_weights``, as
    ``fcn-sticker weights import`` does) as ``model_name``, or (None) as the architecture the
    file holds; answered with :class:`ImportedWeights`. The window then loads that model, which
    finds the file in the cache: the window and the command line share it, and the next start
    does not depend on where the original file lies."""

    path: Path
    model_name: str | None = None


@dataclass(frozen=True)
class ImportedWeights:
    """The architecture a file was imported as, and its checkpoint in the cache."""

    model_name: str
    checkpoint: Path


@dataclass(frozen=True)
class Segment:
    photo: Photo


@dataclass(frozen=True)
class PrepareCrf:
    """Build the binary-CRF kernels of segmentation ``segmentation_id`` (the id of the request
    that made it) now, so the first CRF toggle pays only mean field."""

    segmentation_id: int
    preset: str


@dataclass(frozen=True)
class Refine:
    """Binary CRF of a segmentation the process made, for the selected classes: the window sends
    class ids, never the segmentation itself."""

    segmentation_id: int
    preset: str
    targets: tuple[int, ...]


@dataclass(frozen=True)
class RefineEdges:
    """Edge refinement (``fcn_core.edges.edge_matte``: matting or the CRF band) of the window's
    edited mask over the photo of segmentation ``segmentation_id``. The window sends only the hard
    mask patch (the process kept the photo it segmented) and gets an ``EdgeMatte`` back: the soft
    alpha and colours of the crop around the object."""

    segmentation_id: int
    patch: MaskPatch
    options: EdgeOptions


@dataclass(frozen=True)
class RunBatch:
    job: BatchJob


Payload = LoadModel | ImportWeights | Segment | PrepareCrf | Refine | RefineEdges | RunBatch

KIND_OF: dict[type, RequestKind] = {
    LoadModel: "model", ImportWeights: "model", Segment: "segment", PrepareCrf: "prepare", Refine: "refine",
    RefineEdges: "edges", RunBatch: "batch",
}


@dataclass(frozen=True)
class Start:
    """The first message: how the process builds segmenters (a picklable factory)."""

    factory: Any


@dataclass(frozen=True)
class Request:
    id: int
    payload: Payload

    @property
    def kind(self) -> RequestKind:
        return KIND_OF[type(self.payload)]


@dataclass(frozen=True)
class Cancel:
    """Drop request ``id`` if it is still queued; ask it to stop if it runs (downloads and
    batches check between chunks and photos; a forward pass runs to its end)."""

    id: int


@dataclass(frozen=True)
class Shutdown:
    """End the process now."""


@dataclass(frozen=True)
class Reply:
    id: int
    status: ReplyStatus
    payload: Any = None


@dataclass(frozen=True)
class Heartbeat:
    sent: float


class NoModelError(RuntimeError):
    """A photo was to be segmented, or a batch run, before any model was loaded."""


class SegmentationGone(LookupError):
    """A CRF or an edge refinement was asked for a segmentation the process no longer holds
    (made by an earlier process, or long superseded)."""


def sendable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling (custom exception signatures often do not), else a
    ``RuntimeError`` with its type and text."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc
