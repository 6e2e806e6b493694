"""Undo/redo of everything the person changes: selection, each edit, style and edge options.

Every such change goes through the document, and the document's state is one immutable value
(``EditState``), so one recorder covers all of them without each widget knowing about undo: on
each of the document's change signals it compares the state with the last one it knows and pushes
a ``StateCommand`` holding both. The document sets all fields of one change before it emits, so
one action is one step. Undo and redo restore a state without being recorded.

A new photo clears the history; a new segmentation and the window's pre-selection move the
baseline without a step (``baseline()``), because they are not something the person did.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoCommand, QUndoStack

from app.document import Document, EditState
from fcn_core.edits import ComponentEdit, Lasso, Stroke


def describe(before: EditState, after: EditState) -> str:
    """The Edit menu's words for a step: "Undo Brush stroke" and the like."""
    if len(after.edits) == len(before.edits) + 1 and after.edits.edits[:-1] == before.edits.edits:
        edit = after.edits.edits[-1]
        if isinstance(edit, Stroke):
            return "Brush stroke" if edit.add else "Eraser stroke"
        if isinstance(edit, Lasso):
            return "Lasso add" if edit.add else "Lasso remove"
        if isinstance(edit, ComponentEdit):
            return "Keep piece" if edit.keep else "Remove piece"
    if (before.selection, before.objects) != (after.selection, after.objects):
        return "Selection"
    if before.edges != after.edges:
        return "Edge method"
    if before.crf != after.crf:
        return "CRF"
    if before.edits != after.edits:
        return "Edits"
    return "Style"


class StateCommand(QUndoCommand):
    """One step: the document's state before and after it."""

    def __init__(self, before: EditState, after: EditState, recorder: UndoRecorder) -> None:
        super().__init__(describe(before, after))
        self._before, self._after, self._recorder = before, after, recorder
        self._done = True  # pushed after the change happened: the first redo() has nothing to do

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        self._recorder.apply(self._after)

    def undo(self) -> None:
        self._recorder.apply(self._before)


class UndoRecorder(QObject):
    """Turns the document's changes into steps on ``stack`` (module doc)."""

    def __init__(self, document: Document, stack: QUndoStack, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._document, self.stack = document, stack
        self._known = document.state()
        self._applying = False
        for signal in (document.selectionChanged, document.editsChanged, document.styleChanged, document.crfChanged):
            signal.connect(self.record)
        document.photoChanged.connect(self._on_photo)

    def _on_photo(self) -> None:
        self.stack.clear()
        self._known = self._document.state()

    @contextmanager
    def baseline(self) -> Iterator[None]:
        """Changes inside the block are not steps: the state after it is the new starting point."""
        self._applying = True
        try:
            yield
        finally:
            self._applying = False
            self._known = self._document.state()

    def record(self) -> None:
        """Push the change since the last known state as one step."""
        if self._applying:
            return
        state = self._document.state()
        if state != self._known:
            self.stack.push(StateCommand(self._known, state, self))
        self._known = state

    def apply(self, state: EditState) -> None:
        """Restore ``state`` (undo/redo) without recording it as a new step."""
        with self.baseline():
            self._document.restore(state)
