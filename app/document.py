"""The document: everything the window shows about one photo, as plain state with change signals.

Widgets never talk to each other; they render this object and edit it (the napari/labelme
split). It holds values only — the photo, the network's segmentation, the CRF-refined one, the
selected classes (and, for one object, the points that chose it), the person's mask edits, the
sticker style, the edge method, the CRF settings and the view mode — and no Qt widgets, no
threads and no heavy work, so it is easy to test and to reason about.

Everything the person can undo is one immutable ``EditState`` (``state()`` / ``restore()``);
``app.undo_commands`` records its changes on a ``QUndoStack``. Edits are dropped only when the
photo or the selection's class set changes (the window asks first: ``confirm_drop_edits``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from PySide6.QtCore import QObject, Signal

from fcn_core import CRF_PRESETS, TARGETS, MaskCleanup, Photo, Segmentation, StickerStyle
from fcn_core.crf import DEFAULT_CRF_PRESET
from fcn_core.edges import EdgeOptions
from fcn_core.edits import Edit, MaskEdits
from fcn_core.objects import PhotoPoint


class ViewMode(StrEnum):
    """What the image view paints over (or instead of) the photo."""

    OVERLAY = "overlay"
    LABELS = "labels"
    PROBABILITY = "probability"
    CRF_DIFF = "crf"

    @property
    def label(self) -> str:
        return {
            ViewMode.OVERLAY: "Overlay",
            ViewMode.LABELS: "Label map",
            ViewMode.PROBABILITY: "Probability of selection",
            ViewMode.CRF_DIFF: "CRF before / after",
        }[self]


@dataclass(frozen=True)
class CrfSettings:
    enabled: bool = False
    preset: str = DEFAULT_CRF_PRESET

    def __post_init__(self) -> None:
        if self.preset not in CRF_PRESETS:
            raise ValueError(f"unknown CRF preset {self.preset!r}; presets: {', '.join(CRF_PRESETS)}")


@dataclass(frozen=True)
class EditState:
    """What one undo step restores: selection (classes and object points), edits and options."""

    selection: frozenset[int] = frozenset()
    objects: tuple[PhotoPoint, ...] = ()
    edits: MaskEdits = field(default_factory=MaskEdits)
    style: StickerStyle = field(default_factory=StickerStyle)
    cleanup: MaskCleanup = field(default_factory=MaskCleanup)
    edges: EdgeOptions = field(default_factory=EdgeOptions)
    crf: CrfSettings = field(default_factory=CrfSettings)


CrfKey = tuple[str, tuple[int, ...]]
"""What a refined segmentation was computed for: (preset, sorted selected classes)."""


class Document(QObject):
    """State of the open photo; every setter emits the matching ``…Changed`` signal."""

    photoChanged = Signal()
    segmentationChanged = Signal()
    refinedChanged = Signal()
    selectionChanged = Signal()
    styleChanged = Signal()  # sticker style, mask clean-up or edge method
    editsChanged = Signal()
    crfChanged = Signal()
    viewModeChanged = Signal()
    outputChanged = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.photo: Photo | None = None
        self.segmentation: Segmentation | None = None
        self.refined: Segmentation | None = None
        self.refined_key: CrfKey | None = None
        self.selection: frozenset[int] = frozenset()
        self.objects: tuple[PhotoPoint, ...] = ()
        self.edits = MaskEdits()
        self.edges = EdgeOptions()
        self.confirm_drop_edits: Callable[[], bool] = lambda: True
        """Asked before a selection change of classes would drop the person's edits."""
        self.style = StickerStyle()
        self.cleanup = MaskCleanup()
        self.crf = CrfSettings()
        self.view_mode = ViewMode.OVERLAY
        self.output_format = "png"
        self.output_target = "telegram"

    # photo and segmentation -------------------------------------------------------------------
    def set_photo(self, photo: Photo | None) -> None:
        """A new photo invalidates everything computed from the old one."""
        self.photo = photo
        self.segmentation = None
        self._drop_refined()
        self.selection = frozenset()
        self.objects = ()
        self.edits = MaskEdits()
        self.photoChanged.emit()
        self.editsChanged.emit()
        self.segmentationChanged.emit()
        self.refinedChanged.emit()
        self.selectionChanged.emit()

    def set_segmentation(self, segmentation: Segmentation) -> None:
        if self.photo is None or tuple(segmentation.photo_size) != tuple(self.photo.size):
            raise ValueError("the segmentation belongs to another photo")
        self.segmentation = segmentation
        self._drop_refined()
        present = set(segmentation.class_shares())
        self.selection = frozenset(self.selection & present)
        if not self.selection:
            self.objects = ()
        self.segmentationChanged.emit()
        self.refinedChanged.emit()
        self.selectionChanged.emit()

    def set_refined(self, refined: Segmentation, key: CrfKey) -> bool:
        """Accept a CRF result only if it was computed for the current photo, preset and selection."""
        if key != self.crf_key() or self.segmentation is None:
            return False
        if tuple(refined.photo_size) != tuple(self.segmentation.photo_size):
            return False
        self.refined = refined
        self.refined_key = key
        self.refinedChanged.emit()
        return True

    def _drop_refined(self) -> None:
        self.refined = None
        self.refined_key = None

    # selection --------------------------------------------------------------------------------
    def select(self, class_ids: Iterable[int]) -> None:
        """Whole classes (the legend, Shift+click)."""
        self.select_objects(class_ids, ())

    def select_objects(self, class_ids: Iterable[int], objects: Iterable[PhotoPoint]) -> bool:
        """The classes, narrowed to the objects under ``objects`` (none: whole classes).

        A change of the class set drops the edits, after ``confirm_drop_edits`` agrees; returns
        False (and changes nothing) when it does not.
        """
        selection = frozenset(int(class_id) for class_id in class_ids)
        points = tuple(objects)
        if (selection, points) == (self.selection, self.objects):
            return True
        drop_edits = selection != self.selection and len(self.edits) > 0
        if drop_edits and not self.confirm_drop_edits():
            return False
        # All fields first, then the signals: one action must look like one change to listeners.
        self.selection, self.objects = selection, points
        if drop_edits:
            self.edits = MaskEdits()
            self.editsChanged.emit()
        self.selectionChanged.emit()
        return True

    def toggle(self, class_id: int) -> None:
        """Ctrl-click on a whole class: add the class, or remove it when it is already selected."""
        self.select(self.selection ^ {int(class_id)})

    # edits ------------------------------------------------------------------------------------
    def add_edit(self, edit: Edit) -> None:
        self.edits = self.edits.with_edit(edit)
        self.editsChanged.emit()

    def state(self) -> EditState:
        return EditState(self.selection, self.objects, self.edits, self.style, self.cleanup, self.edges, self.crf)

    def restore(self, state: EditState) -> None:
        """Put back an earlier ``state()`` (undo/redo), emitting only what changed (after setting all)."""
        before = self.state()
        self.selection, self.objects, self.edits = state.selection, state.objects, state.edits
        self.style, self.cleanup, self.edges, self.crf = state.style, state.cleanup, state.edges, state.crf
        if (state.selection, state.objects) != (before.selection, before.objects):
            self.selectionChanged.emit()
        if state.edits != before.edits:
            self.editsChanged.emit()
        if (state.style, state.cleanup, state.edges) != (before.style, before.cleanup, before.edges):
            self.styleChanged.emit()
        if state.crf != before.crf:
            self.crfChanged.emit()

    # options ----------------------------------------------------------------------------------
    def set_style(self, style: StickerStyle) -> None:
        if style != self.style:
            self.style = style
            self.styleChanged.emit()

    def set_edges(self, edges: EdgeOptions) -> None:
        if edges != self.edges:
            self.edges = edges
            self.styleChanged.emit()

    def set_cleanup(self, cleanup: MaskCleanup) -> None:
        if cleanup != self.cleanup:
            self.cleanup = cleanup
            self.styleChanged.emit()

    def set_crf(self, *, enabled: bool | None = None, preset: str | None = None) -> None:
        crf = replace(
            self.crf,
            enabled=self.crf.enabled if enabled is None else bool(enabled),
            preset=self.crf.preset if preset is None else preset,
        )
        if crf != self.crf:
            self.crf = crf
            self.crfChanged.emit()

    def set_view_mode(self, mode: ViewMode) -> None:
        mode = ViewMode(mode)
        if mode != self.view_mode:
            self.view_mode = mode
            self.viewModeChanged.emit()

    def set_output(self, *, fmt: str | None = None, target: str | None = None) -> None:
        """File format and messenger, kept compatible (WhatsApp takes WEBP only): the one just
        chosen wins and the other adapts."""
        new_format = fmt or self.output_format
        new_target = target or self.output_target
        if new_format not in TARGETS[new_target].formats:
            if target is not None:
                new_format = TARGETS[new_target].formats[0]
            else:
                new_target = next(name for name, rules in TARGETS.items() if new_format in rules.formats)
        if (new_format, new_target) != (self.output_format, self.output_target):
            self.output_format, self.output_target = new_format, new_target
            self.outputChanged.emit()

    # derived ----------------------------------------------------------------------------------
    def crf_key(self) -> CrfKey | None:
        """The refinement the current state asks for, or None when the CRF is off or has nothing to do."""
        if not self.crf.enabled or not self.selection or self.segmentation is None:
            return None
        return self.crf.preset, tuple(sorted(self.selection))

    @property
    def crf_pending(self) -> bool:
        """The CRF is on but its result for the current selection has not arrived yet."""
        key = self.crf_key()
        return key is not None and key != self.refined_key

    @property
    def displayed(self) -> Segmentation | None:
        """The segmentation the view, the legend and the sticker use: refined when it is current."""
        key = self.crf_key()
        if key is not None and key == self.refined_key:
            return self.refined
        return self.segmentation
