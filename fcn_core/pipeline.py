"""Photo → sticker in one call: the single code path behind ``make``, ``batch`` and the GUI.

The stages (DESIGN §2) are plain functions elsewhere in ``fcn_core``; this module only fixes
their order and the one subtle dependency between them: a binary CRF needs the chosen classes,
and ``auto`` can only be resolved once the network has run, so classes are resolved on the raw
segmentation, then refined, then masked.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from fcn_core.classes import ClassSet
from fcn_core.crf import refine_crf
from fcn_core.edges import EdgeOptions, refine_edges
from fcn_core.edits import EditReplay, MaskEdits
from fcn_core.mask import (
    AUTO,
    ClassRefs,
    EmptyMaskError,
    MaskCleanup,
    clean_mask,
    empty_mask_error,
    found_classes_text,
    normalize_class_refs,
    resolve_classes,
)
from fcn_core.objects import PhotoPoint, restrict_to_objects
from fcn_core.photo import Photo
from fcn_core.save import StickerFormat
from fcn_core.segmentation import Segmentation
from fcn_core.sticker import MaskPatch, Sticker, StickerStyle, make_sticker_from_patch
from fcn_core.sticker_mask import sticker_mask

logger = logging.getLogger(__name__)

STICKER_SUFFIX = ".sticker"
"""Marks a file as a sticker this tool made: ``<stem>.<class>.sticker.png`` (make, batch and the
window). Batch never reads such files as photos."""


class SegmenterLike(Protocol):
    """What the pipeline needs from a segmenter (``fcn_core.segmenter.Segmenter`` or a test stub)."""

    classes: ClassSet

    def segment(self, photo: Photo) -> Segmentation: ...

    def segment_batch(self, photos: Sequence[Photo]) -> list[Segmentation]: ...


@dataclass(frozen=True)
class StickerRequest:
    """Everything the user chose about the sticker, apart from the photo and the model.

    ``classes`` are names or indices (one, or a sequence), or ``"auto"`` for the largest
    non-background class; they are kept as a tuple (or ``"auto"``), so code that walks them never
    walks the letters of one name. ``objects`` narrows them to the connected objects under these
    photo points (empty: the whole classes); ``crf`` is a preset name or ``None`` for no refinement
    of the segmentation; ``edits`` are the person's corrections, replayed after selection and
    clean-up; ``edges`` how the final mask's edge is refined.
    """

    classes: ClassRefs = AUTO
    crf: str | None = None
    crf_mode: Literal["full", "binary"] = "binary"
    cleanup: MaskCleanup = field(default_factory=MaskCleanup)
    objects: tuple[PhotoPoint, ...] = ()
    edits: MaskEdits = field(default_factory=MaskEdits)
    edges: EdgeOptions = field(default_factory=EdgeOptions)
    style: StickerStyle = field(default_factory=StickerStyle)
    fmt: StickerFormat = "png"
    target: str = "telegram"

    def __post_init__(self) -> None:
        object.__setattr__(self, "classes", normalize_class_refs(self.classes))


@dataclass(frozen=True, eq=False)
class CutOut:
    """The chosen, cleaned and edited mask around the object (before edge refinement), the
    class names it stands for and the segmentation it was cut from (refined when a CRF ran)."""

    patch: MaskPatch
    class_names: tuple[str, ...]
    segmentation: Segmentation


def sticker_from_segmentation(photo: Photo, seg: Segmentation, request: StickerRequest) -> tuple[Sticker, Segmentation]:
    """The stages after the network: resolve classes, CRF (optional), objects, mask, clean-up,
    edits, edge refinement, sticker (``cut_out``, ``refine_edges``, ``sticker_from_patch``).

    Returns the sticker and the segmentation it was cut from (refined when a CRF ran).
    Raises ``mask.EmptyMaskError`` when the chosen classes cover no pixel.
    """
    cut = cut_out(photo, seg, request)
    refined = refine_edges(photo.pixels, cut.patch, request.edges)
    return sticker_from_patch(photo, refined, request, cut.class_names), cut.segmentation


def cut_out(photo: Photo, seg: Segmentation, request: StickerRequest, replay: EditReplay | None = None) -> CutOut:
    """Resolve classes, CRF (optional), objects, mask, clean-up and edits: everything before the
    edge refinement. The window runs the refinement in its compute process, so it calls the
    stages one by one; ``replay`` (the window's) reuses the edits replayed for an earlier call.

    The mask is cut only around the object and only as fine as the canvas needs
    (``fcn_core.sticker_mask``): a class pick on a 12-MP photo must stay within 100 ms.
    Raises ``mask.EmptyMaskError`` when the chosen classes cover no pixel.
    """
    class_ids = resolve_classes(seg, request.classes)
    raw = seg
    if request.crf is not None:
        seg = refine_crf(seg, request.crf, mode=request.crf_mode, target_classes=class_ids)
    if seg.photo_size != photo.size:
        raise ValueError(f"segmentation of a {seg.photo_size} photo given with a {photo.size} photo")
    class_names = tuple(seg.classes.names[class_id] for class_id in class_ids)
    try:
        chosen = restrict_to_objects(seg, class_ids, request.objects) if request.objects else seg
        patch = sticker_mask(seg=chosen, class_ids=class_ids, cleanup=request.cleanup, style=request.style,
                             edits=request.edits, edge_margin=_edge_margin(request.edges), replay=replay)
    except EmptyMaskError as error:
        if seg is raw:
            raise
        # The error's shares are the CRF's; the user needs the network's own, and what the CRF did.
        if not _network_found_any(raw, class_ids):
            raise empty_mask_error(raw, class_ids) from error
        advice = "try without --crf" + (" or with --crf-mode full" if request.crf_mode != "full" else "")
        raise EmptyMaskError(
            f"after the CRF ({request.crf}, {request.crf_mode}) nothing of {' + '.join(class_names)} is left; "
            f"the network itself found: {found_classes_text(raw)}; {advice}"
        ) from error
    return CutOut(patch, class_names, seg)


def sticker_from_mask(photo: Photo, mask: np.ndarray, request: StickerRequest, class_names: Sequence[str]) -> Sticker:
    """The stages after selection for a mask the person brought (``make --mask``): objects (the
    pieces under ``request.objects``), clean-up, edits, edge refinement, sticker.

    ``request.classes`` and ``request.crf`` do not apply: there are no network probabilities.
    Raises ``EmptyMaskError`` when nothing is left of the mask.
    """
    if mask.shape != photo.size:
        raise ValueError(f"mask {mask.shape} and photo {photo.size} differ in size")
    chosen = np.asarray(mask, dtype=bool)
    if request.objects:
        chosen = _pieces_under(chosen, request.objects)
    chosen, decided = request.edits.replay_on_grid(clean_mask(chosen, request.cleanup), (0, 0), 1)
    if not chosen.any():
        raise EmptyMaskError(f"the mask of {' + '.join(class_names) or 'the object'} is empty: nothing to cut out")
    patch = MaskPatch(chosen, decided=decided if request.edits else None)
    return sticker_from_patch(photo, refine_edges(photo.pixels, patch, request.edges), request, class_names)


def _pieces_under(mask: np.ndarray, points: Sequence[PhotoPoint]) -> np.ndarray:
    """The connected pieces (8-connected) of ``mask`` under ``points``, as one-object selection
    takes them from a segmentation."""
    from scipy import ndimage  # lazily: scipy costs `fcn-sticker CMD --help` 0.3 s

    pieces, _ = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    height, width = mask.shape
    wanted = {int(pieces[min(height - 1, max(0, int(p.y))), min(width - 1, max(0, int(p.x)))]) for p in points}
    return np.isin(pieces, sorted(wanted - {0}))


def _edge_margin(edges: EdgeOptions) -> float:
    """Room around the object, as a fraction of its size, that the edge refinement needs."""
    return 0.0 if edges.method == "none" else 2.0 * edges.band


def sticker_from_patch(photo: Photo, refined: MaskPatch, request: StickerRequest, class_names: Sequence[str]) -> Sticker:
    """The last stage: the sticker of an edge-refined (or hard) mask patch in ``request``'s style."""
    sticker = make_sticker_from_patch(photo, refined, request.style, class_names=class_names)
    logger.info("sticker of %s from %s", "+".join(sticker.class_names), photo.path or "an in-memory photo")
    return sticker


def _network_found_any(seg: Segmentation, class_ids: Sequence[int]) -> bool:
    """Whether the chosen classes win any pixel of the (unrefined) segmentation."""
    return bool(np.isin(seg.labels, class_ids).any())


def photo_to_sticker(segmenter: SegmenterLike, photo: Photo, request: StickerRequest) -> tuple[Sticker, Segmentation]:
    """Segment ``photo`` and cut the sticker ``request`` asks for."""
    return sticker_from_segmentation(photo, segmenter.segment(photo), request)


def class_slug(class_names: Sequence[str]) -> str:
    """Class names as one file-name-safe word: ``person+dog``, ``chest-of-drawers``."""
    return "+".join(re.sub(r"[^\w-]+", "-", name).strip("-") or "class" for name in class_names)


def sticker_file_name(stem: str, class_names: Sequence[str], fmt: str) -> str:
    """``<stem>.<class>[+<class>…].sticker.<fmt>``: the one naming rule of make, batch and the window."""
    return f"{stem}.{class_slug(class_names)}{STICKER_SUFFIX}.{fmt}"


def is_sticker_file(path: Path) -> bool:
    """Whether ``path`` is named like a sticker this tool writes (case-insensitive)."""
    name = path.name.lower()
    return any(name.endswith(f"{STICKER_SUFFIX}.{fmt}") for fmt in ("png", "webp"))


def real_path(path: Path) -> Path:
    """``path`` with symlinks and ``..`` resolved, existing or not. Unlike ``Path.resolve`` it
    never raises on a symlink loop (Python 3.11 raises RuntimeError): the loop is left as it is,
    for the open that follows to report in plain words."""
    return Path(os.path.realpath(path))


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name the same file (symlinks and ``..`` resolved), existing or not."""
    return real_path(a) == real_path(b)
