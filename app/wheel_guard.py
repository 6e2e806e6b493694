"""Scrolling a panel must not change the fields the mouse passes over.

Spin boxes, combo boxes and sliders take the wheel whenever the pointer is over them, so
scrolling down the Sticker panel turned "Contour 5 px" into 0 px on the way. Guarded fields take
the wheel only while they have the keyboard focus (a click or Tab gives it); otherwise the wheel
goes to the scroll area around them, which scrolls.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSlider, QAbstractSpinBox, QApplication, QComboBox, QWidget

WHEEL_FIELDS = (QAbstractSpinBox, QComboBox, QAbstractSlider)


class _FocusedWheelOnly(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.Wheel or not isinstance(watched, QWidget) or watched.hasFocus():
            return False
        area = _scroll_area_around(watched)
        if area is None:
            event.ignore()  # unaccepted: Qt offers a real wheel event to the parents
        else:
            # Handed over explicitly: Qt passes only real (spontaneous) wheel events up the parents.
            QApplication.sendEvent(area.viewport(), event)
        return True


def _scroll_area_around(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QAbstractScrollArea):
        parent = parent.parentWidget()
    return parent


def wheel_only_when_focused(container: QWidget) -> None:
    """Guard every spin box, combo box and slider inside ``container`` (and stop the wheel from
    giving them the focus, which would defeat the guard)."""
    guard = _FocusedWheelOnly(container)
    for field in container.findChildren(QWidget):
        if isinstance(field, WHEEL_FIELDS):
            field.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            field.installEventFilter(guard)
