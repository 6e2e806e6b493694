"""What the window remembers: typed settings round-trip, and a second window restores the first's."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QSettings, QSize

from app.settings import MAX_RECENT_FILES, AppSettings
from fcn_core.sticker import StickerStyle
from tests.gui_helpers import StubFactory, open_and_wait, ready_window, temp_settings, write_photo


def test_settings_round_trip_through_the_ini_file(tmp_path):
    settings = temp_settings(tmp_path)
    style = replace(StickerStyle(), contour_width=9, contour_color=(10, 20, 30), stroke_width=4, shadow=True)
    settings.set_sticker_style(style)
    settings.set_crf_enabled(True)
    settings.set_crf_preset("original")
    settings.set_model_name("fcn16s")
    settings.set_weights_file("fcn16s", Path("/weights/fcn16s.caffemodel"))
    settings.set_last_folder("batch_output", tmp_path / "out")
    settings.set_output_target("whatsapp")
    settings.set_output_format("webp")
    settings.set_overlay_opacity(30)
    for index in range(MAX_RECENT_FILES + 2):
        settings.add_recent_file(Path(f"/photos/{index}.jpg"))
    settings.add_recent_file(Path("/photos/3.jpg"))
    settings.sync()

    again = temp_settings(tmp_path)
    assert again.sticker_style() == style
    assert again.crf_enabled() is True
    assert again.crf_preset() == "original"
    assert again.model_name() == "fcn16s"
    assert again.weights_file("fcn16s") == Path("/weights/fcn16s.caffemodel")
    assert again.weights_file("fcn8s") is None
    assert again.last_folder("batch_output") == str(tmp_path / "out")
    assert (again.output_format(), again.output_target()) == ("webp", "whatsapp")
    assert again.overlay_opacity() == 30
    recent = again.recent_files()
    assert len(recent) == MAX_RECENT_FILES
    assert recent[:2] == [Path("/photos/3.jpg"), Path(f"/photos/{MAX_RECENT_FILES + 1}.jpg")]
    assert recent.count(Path("/photos/3.jpg")) == 1


def test_corrupt_values_fall_back_to_defaults(tmp_path):
    store = QSettings(str(tmp_path / "bad.ini"), QSettings.Format.IniFormat)
    store.setValue("sticker/contour_color", "pink")
    store.setValue("sticker/contour_width", "wide")
    store.setValue("model/name", "no-such-model")
    store.setValue("crf/preset", "mystery")
    store.setValue("view/overlay_opacity", "lots")
    settings = AppSettings(store)
    assert settings.sticker_style() == StickerStyle()
    assert settings.model_name() == "fcn8s"
    assert settings.crf_preset() == "deeplab"
    assert settings.overlay_opacity() == 55


def test_a_new_window_restores_what_the_last_one_used(qtbot, tmp_path):
    settings = temp_settings(tmp_path)
    window = ready_window(qtbot, settings, StubFactory())
    photo = write_photo(tmp_path / "photos" / "cat.png")
    open_and_wait(qtbot, window, photo)
    panel = window.sticker_panel
    panel.contour_width.setValue(11)
    panel.shadow.setChecked(True)
    panel.crf_preset.setCurrentIndex(panel.crf_preset.findData("original"))
    panel.target.setCurrentIndex(panel.target.findData("whatsapp"))
    window.view_panel.opacity.setValue(70)
    smallest = window.minimumSizeHint().expandedTo(window.minimumSize())
    screen = window.screen().availableGeometry()
    size = QSize(min(smallest.width() + 30, screen.width() - 10), smallest.height() + 40)  # not the default size
    window.resize(size)
    qtbot.waitUntil(lambda: window.size().width() == size.width())
    closed_size = window.size()
    window.close()

    second = ready_window(qtbot, temp_settings(tmp_path), StubFactory())
    assert second.size() == closed_size
    assert second.sticker_panel.contour_width.value() == 11
    assert second.sticker_panel.shadow.isChecked()
    assert second.document.crf.preset == "original"
    assert (second.document.output_format, second.document.output_target) == ("webp", "whatsapp")
    assert second.view_panel.opacity.value() == 70
    assert second.settings.last_folder("open") == str(photo.parent)
    [recent] = [action for action in second.recent_menu.actions() if "cat.png" in action.text()]
    with qtbot.waitSignal(second.segmentationShown, timeout=10_000):
        recent.trigger()
    assert second.document.photo.path == photo
