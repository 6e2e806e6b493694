"""Detect a Qt binding that would crash the window later, and say so at start-up instead.

PySide6 6.12.0 drops one reference to ``None`` on every call of a Qt method that returns nothing
(``setObjectName``, ``QTimer.start``, ``processEvents`` …) and one to ``True`` on every signal
``emit``. From Python 3.12 on, ``None`` and ``True`` are immortal and nothing happens; on 3.11
their counts (~10⁵ in this app) run down while the window is used and the interpreter aborts
("Fatal Python error: none_dealloc" / "bool_dealloc") — after minutes of moving the mouse over
the photo, which emits on every move. The check calls such methods and watches the counts, so
it catches this bug in whatever version has it, not a version number.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QObject, Signal

PROBE_CALLS = 64


class _Probe(QObject):
    ping = Signal()


def _leak(call: Callable[[], object], watched: object) -> int:
    """References to ``watched`` lost over ``PROBE_CALLS`` calls of ``call``."""
    before = sys.getrefcount(watched)
    for _ in range(PROBE_CALLS):
        call()
    return before - sys.getrefcount(watched)


def reference_leaks(
    void_call: Callable[[], object] | None = None, emit_call: Callable[[], object] | None = None
) -> dict[str, int]:
    """References lost to ``None`` by void calls and to ``True`` by emits (0 and 0 when healthy)."""
    probe = _Probe()
    return {
        "None": _leak(void_call or (lambda: probe.setObjectName("probe")), None),
        "True": _leak(emit_call or probe.ping.emit, True),
    }


def qt_runtime_problem(leaks: dict[str, int] | None = None) -> str | None:
    """A message for the user when the Qt binding leaks references, else ``None``."""
    leaks = reference_leaks() if leaks is None else leaks
    if not any(lost > 0 for lost in leaks.values()):
        return None
    python = ".".join(map(str, sys.version_info[:3]))
    return (
        f"This PySide6 ({pyside_version}) has a bug on Python {python}: it loses a reference "
        "to None or True on every Qt call, and Python aborts once they run out — after some minutes "
        "of use, losing unsaved work.\n\n"
        "Install another version, e.g. pip install \"PySide6-Essentials<6.12\", or use Python 3.12 or newer."
    )
