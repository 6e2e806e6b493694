"""Laying several widgets side by side in one form row (the sticker panel, the batch dialog)."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QWidget


def side_by_side(*widgets: QWidget, stretch_after: bool = False) -> QWidget:
    """A margin-less row holding ``widgets``; ``stretch_after`` keeps them at their natural width,
    left-aligned, instead of sharing the row's width."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget)
    if stretch_after:
        layout.addStretch(1)
    return row
