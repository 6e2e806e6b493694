"""Before the window: can Qt's X11 platform plugin load on this machine?

On a fresh Debian/Ubuntu desktop the pip-installed Qt finds its xcb plugin but not the X11
helper libraries it links (libxcb-cursor0, libxcb-icccm4, libxkbcommon-x11-0, …), and
``QApplication`` ends the program with "could not load the Qt platform plugin xcb" and a list of
plugins that helps nobody. This asks the dynamic linker (``ldd``) what the plugin would miss,
before the ``QApplication`` is made, and turns the answer into the one command that fixes it.

Only QtCore is imported here (it does not need X11), and nothing here runs unless the xcb
plugin is the one Qt is going to use.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QLibraryInfo

logger = logging.getLogger(__name__)

NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found\s*$", re.MULTILINE)
SONAME = re.compile(r"^(lib.+?)\.so\.(\d+)$")
PACKAGE_EXCEPTIONS = {"libglib-2.0.so.0": "libglib2.0-0", "libgthread-2.0.so.0": "libglib2.0-0"}
"""Sonames whose Debian package does not follow the naming rule of ``debian_package``."""


def debian_package(soname: str) -> str:
    """The Debian/Ubuntu package that ships ``soname``, by Debian's library naming policy:
    ``libxcb-cursor.so.0`` → ``libxcb-cursor0``, and a hyphen before the number when the name
    ends in a digit: ``libxkbcommon-x11.so.0`` → ``libxkbcommon-x11-0``."""
    if soname in PACKAGE_EXCEPTIONS:
        return PACKAGE_EXCEPTIONS[soname]
    match = SONAME.match(soname)
    if match is None:
        return soname
    name, number = match.group(1).lower(), match.group(2)
    return f"{name}-{number}" if name[-1].isdigit() else f"{name}{number}"


def missing_libraries(ldd_output: str) -> list[str]:
    """The sonames ``ldd`` reports as ``not found``, each once, in its order."""
    return list(dict.fromkeys(NOT_FOUND.findall(ldd_output)))


def run_ldd(library: Path) -> str:
    """``ldd``'s report on ``library`` ('' when there is no ``ldd`` to ask)."""
    ldd = shutil.which("ldd")
    if ldd is None:
        logger.info("no ldd on this system: the X11 libraries of Qt are not checked before start")
        return ""
    result = subprocess.run([ldd, str(library)], capture_output=True, text=True, check=False, timeout=30)
    return result.stdout


def xcb_plugin() -> Path:
    return Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms" / "libqxcb.so"


def uses_xcb(environ: dict[str, str] | os._Environ[str], platform: str = sys.platform) -> bool:
    """Whether Qt is about to load the xcb plugin: on Linux, when ``QT_QPA_PLATFORM`` asks for it,
    or names nothing outside a Wayland session (where Qt tries its Wayland plugin first)."""
    if not platform.startswith("linux"):
        return False
    requested = environ.get("QT_QPA_PLATFORM", "")
    if requested:
        return requested.split(";")[0].split(":")[0] == "xcb"
    return not environ.get("WAYLAND_DISPLAY")


def xcb_problem(
    environ: dict[str, str] | os._Environ[str] = os.environ,
    ldd: Callable[[Path], str] = run_ldd,
    plugin: Path | None = None,
) -> str | None:
    """What to tell the user when the xcb plugin would fail to load, or None."""
    if not uses_xcb(environ):
        return None
    plugin = plugin or xcb_plugin()
    if not plugin.is_file():
        return None  # a Qt without the plugin: Qt's own message names the platforms it has
    missing = missing_libraries(ldd(plugin))
    if not missing:
        return None
    packages = " ".join(dict.fromkeys(debian_package(soname) for soname in missing))
    return (
        "FCN Sticker Studio cannot open its window: Qt's X11 plugin needs system libraries that are "
        f"not installed ({', '.join(missing)}).\n\n"
        f"On Debian or Ubuntu, install them with:\n\n    sudo apt-get install -y {packages}\n\n"
        "then start the program again. (Other systems: install the packages that provide these "
        "libraries.)"
    )
