"""The start-up check for a Qt binding that leaks references to None/True (PySide6 6.12.0 on 3.11)."""

from __future__ import annotations

import ctypes
import sys

import PySide6

from app.qt_runtime import PROBE_CALLS, qt_runtime_problem, reference_leaks


def test_a_leaking_call_is_reported():
    decref = ctypes.pythonapi.Py_DecRef
    incref = ctypes.pythonapi.Py_IncRef
    decref.argtypes = incref.argtypes = [ctypes.py_object]
    held = [None]  # references taken here and given back by the "leaking" call
    for _ in range(PROBE_CALLS):
        incref(held[0])
    leaks = reference_leaks(void_call=lambda: decref(held[0]), emit_call=lambda: None)
    assert leaks == {"None": PROBE_CALLS, "True": 0}
    message = qt_runtime_problem(leaks)
    assert message is not None and PySide6.__version__ in message and "PySide6-Essentials<6.12" in message


def test_healthy_calls_are_not_reported():
    assert qt_runtime_problem({"None": 0, "True": 0}) is None
    assert reference_leaks(void_call=lambda: None, emit_call=lambda: None) == {"None": 0, "True": 0}


def test_the_installed_binding_is_judged_by_what_it_does(qapp):
    """Measured on this machine: PySide6 6.12.0 leaks on Python 3.11, 6.11.3 does not; from 3.12
    on None and True are immortal and reference counts of them do not move."""
    leaks = reference_leaks()
    if sys.version_info >= (3, 12):
        assert leaks == {"None": 0, "True": 0}
    elif PySide6.__version__ == "6.12.0":
        assert leaks["None"] >= PROBE_CALLS and leaks["True"] >= PROBE_CALLS
    assert (qt_runtime_problem(leaks) is None) == (max(leaks.values()) <= 0)
