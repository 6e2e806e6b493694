"""Missing X11 libraries are found before Qt's plugin error and named with the command that installs
them (#12 item 17); the icon and the launcher entry ship with the program."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

import app.main
from app.platform_check import debian_package, missing_libraries, uses_xcb, xcb_plugin, xcb_problem

ROOT = Path(__file__).resolve().parents[1]
LDD_ON_A_FRESH_DEBIAN = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f51)
\tlibxkbcommon-x11.so.0 => not found
\tlibxcb-cursor.so.0 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxcb-cursor.so.0 => not found
\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x00007f51)
"""
X11 = {"DISPLAY": ":0"}


@pytest.mark.parametrize(
    ("soname", "package"),
    [("libxcb-cursor.so.0", "libxcb-cursor0"), ("libxcb-icccm.so.4", "libxcb-icccm4"),
     ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"), ("libX11-xcb.so.1", "libx11-xcb1"),
     ("libxcb-render-util.so.0", "libxcb-render-util0"), ("libglib-2.0.so.0", "libglib2.0-0")],
)
def test_debian_package_names_follow_the_library_naming_policy(soname, package):
    assert debian_package(soname) == package


def test_missing_libraries_are_read_from_ldd_once_each():
    assert missing_libraries(LDD_ON_A_FRESH_DEBIAN) == ["libxkbcommon-x11.so.0", "libxcb-cursor.so.0", "libxcb-icccm.so.4"]


def test_the_message_is_the_exact_apt_get_line(tmp_path):
    plugin = tmp_path / "libqxcb.so"
    plugin.write_bytes(b"")
    problem = xcb_problem(X11, ldd=lambda path: LDD_ON_A_FRESH_DEBIAN, plugin=plugin)
    assert "sudo apt-get install -y libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4\n" in problem


def test_a_complete_system_and_other_platforms_pass(tmp_path):
    assert xcb_problem({"QT_QPA_PLATFORM": "offscreen"}, ldd=lambda path: LDD_ON_A_FRESH_DEBIAN) is None
    assert not uses_xcb({"WAYLAND_DISPLAY": "wayland-0"})
    assert uses_xcb({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0"})
    assert not uses_xcb(X11, platform="darwin")
    if xcb_plugin().is_file():  # this machine, where the libraries are installed: the real ldd says so
        assert xcb_problem(X11) is None or "apt-get install" in xcb_problem(X11)


def test_start_up_stops_with_the_line_before_qt_fails(monkeypatch, capsys):
    monkeypatch.setattr(app.main, "xcb_problem", lambda: "sudo apt-get install -y libxcb-cursor0")

    def no_qapplication(*args, **kwargs):
        raise AssertionError("the QApplication was made although the platform plugin cannot load")

    monkeypatch.setattr(app.main, "QApplication", no_qapplication)
    assert app.main.main([]) == 1
    assert "sudo apt-get install -y libxcb-cursor0" in capsys.readouterr().err


def test_readme_lists_the_packages_of_the_message():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for package in ("libxcb-cursor0", "libxcb-icccm4", "libxkbcommon-x11-0"):
        assert package in readme


def test_the_launcher_entry_and_the_icon_ship_with_the_program():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # keys are case-sensitive in .desktop files
    entry.read(ROOT / "resources" / "fcn-sticker-studio.desktop", encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application"
    assert desktop["Icon"] == "fcn-sticker-studio"
    assert desktop["Exec"].split()[0] == "sticker-studio"
    assert "image/jpeg" in desktop["MimeType"]
    icons = ROOT / "app" / "icons"
    with Image.open(icons / "fcn-sticker-studio.png") as icon:
        assert icon.size == (256, 256) and icon.mode == "RGBA"
    assert (icons / "fcn-sticker-studio.svg").read_text(encoding="utf-8").lstrip().startswith("<svg")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "install-desktop:" in makefile


def test_make_install_desktop_installs_the_entry_and_the_icons_for_the_user(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("no make on this machine")
    apps, icons = tmp_path / "applications", tmp_path / "icons"
    subprocess.run(
        ["make", "-s", "-C", str(ROOT), "install-desktop", f"DESKTOP_DIR={apps}", f"ICON_DIR={icons}"],
        check=True, capture_output=True, text=True,
    )
    entry = (apps / "fcn-sticker-studio.desktop").read_text(encoding="utf-8")
    assert f"Exec={ROOT / '.venv' / 'bin' / 'sticker-studio'} %f" in entry.splitlines()
    assert (icons / "scalable" / "apps" / "fcn-sticker-studio.svg").is_file()
    assert (icons / "256x256" / "apps" / "fcn-sticker-studio.png").is_file()
