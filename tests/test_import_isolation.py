"""Every module imports on its own, in any order, and the light entry points stay light.

An import cycle (``models.registry`` ↔ ``weights.sources`` used to be one) shows only when a module
is the first of its package to be imported, so each module is imported as the first one of
``fcn_core``/``app``: our packages are dropped from ``sys.modules`` before each import (torch and the
other third-party packages may stay loaded; they are not ours and cannot cycle with us). That makes
the order of the list irrelevant: every module gets the clean start it would get in any order.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import app
import fcn_core

ROOT = Path(__file__).resolve().parents[1]

HEAVY = ("torch", "torchvision", "matplotlib", "pymatting", "numba")
"""Never loaded by the window's modules or the command line's help: torch lives in the compute
process; pymatting and numba (1.4 s of imports that stalled the event loop) too."""


def all_modules() -> list[str]:
    names = []
    for package in (fcn_core, app):
        names.append(package.__name__)
        names += [info.name for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}.")]
    return sorted(names)


def run_python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=240,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


IMPORT_EACH_FIRST = """
import importlib, json, sys, traceback
failures = {}
for name in json.loads(sys.argv[1] if len(sys.argv) > 1 else %r):
    for loaded in [m for m in sys.modules if m.split(".")[0] in ("fcn_core", "app")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception:
        failures[name] = traceback.format_exc(limit=3)
print(json.dumps(failures))
"""


def test_every_module_imports_first_and_alone() -> None:
    modules = all_modules()
    assert "fcn_core.weights.sources" in modules and "fcn_core.models.registry" in modules
    failures = json.loads(run_python(IMPORT_EACH_FIRST % json.dumps(modules)))
    assert failures == {}


def loaded_after(statement: str) -> list[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    return json.loads(run_python(code).strip().splitlines()[-1])


def test_the_window_modules_import_no_torch() -> None:
    assert loaded_after("import app.main, app.main_window") == []


def test_the_command_line_and_its_help_import_no_torch() -> None:
    statement = (
        "from fcn_core.cli import COMMANDS, build_parser, main\n"
        "import contextlib, io, importlib\n"
        "for command in COMMANDS:\n"
        "    importlib.import_module(command.module)\n"
        "    build_parser(command.name)\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['--help'])"
    )
    assert loaded_after(statement) == []


def test_the_public_api_is_lazy() -> None:
    assert loaded_after("import fcn_core; fcn_core.load_photo; fcn_core.StickerStyle") == []
    assert "torch" in loaded_after("import fcn_core; fcn_core.Segmenter")
