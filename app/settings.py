"""What the window remembers between runs, kept in ``QSettings``.

One typed wrapper instead of string keys scattered over the widgets: the keys, their defaults and
their conversions live here once. ``QSettings`` hands back strings from INI files and native types
from the registry/plist, so every getter converts explicitly. Tests pass a ``QSettings`` on a
temporary INI file so they never touch the user's real settings.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Literal

from PySide6.QtCore import QByteArray, QSettings

from fcn_core import CRF_PRESETS, DEFAULT_MODEL, MaskCleanup, StickerStyle, model_names
from fcn_core.colors import color_hex, parse_color
from fcn_core.crf import DEFAULT_CRF_PRESET
from fcn_core.save import MESSENGERS

MAX_RECENT_FILES = 10
FolderKind = Literal["open", "save", "weights", "batch_input", "batch_output"]
OUTPUT_FORMATS = ("png", "webp")
STYLE_FIELDS = ("contour_width", "contour_color", "stroke_width", "stroke_color", "shadow")
"""The sticker style fields the window lets people change, and therefore remembers."""


def _to_bool(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


class AppSettings:
    """Typed access to the persisted settings; unknown or corrupt values fall back to defaults."""

    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store if store is not None else QSettings()

    # window ---------------------------------------------------------------------------------
    def geometry(self) -> QByteArray | None:
        value = self.store.value("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_geometry(self, geometry: QByteArray) -> None:
        self.store.setValue("window/geometry", geometry)

    def window_state(self) -> QByteArray | None:
        value = self.store.value("window/state")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_window_state(self, state: QByteArray) -> None:
        self.store.setValue("window/state", state)

    def overlay_opacity(self) -> int:
        """Overlay opacity in percent."""
        return self._int("view/overlay_opacity", 55, 0, 100)

    def set_overlay_opacity(self, percent: int) -> None:
        self.store.setValue("view/overlay_opacity", int(percent))

    # folders and files ----------------------------------------------------------------------
    def last_folder(self, kind: FolderKind) -> str:
        """The folder a file dialog of this kind last used ('' when none)."""
        value = self.store.value(f"folders/{kind}", "")
        return str(value) if value else ""

    def set_last_folder(self, kind: FolderKind, folder: str | Path) -> None:
        self.store.setValue(f"folders/{kind}", str(folder))

    def recent_files(self) -> list[Path]:
        value = self.store.value("files/recent", [])
        if isinstance(value, str):  # a one-element list comes back as a plain string from INI
            value = [value] if value else []
        items = value if isinstance(value, list) else []
        return [Path(str(item)) for item in items][:MAX_RECENT_FILES]

    def add_recent_file(self, path: Path) -> list[Path]:
        """Put ``path`` first in the recent list (no duplicates) and return the new list."""
        path = Path(path)
        recent = [path] + [item for item in self.recent_files() if item != path]
        return self.set_recent_files(recent)

    def set_recent_files(self, paths: list[Path]) -> list[Path]:
        recent = paths[:MAX_RECENT_FILES]
        self.store.setValue("files/recent", [str(item) for item in recent])
        return recent

    def clear_recent_files(self) -> None:
        self.set_recent_files([])

    # model ----------------------------------------------------------------------------------
    def model_name(self) -> str:
        value = str(self.store.value("model/name", DEFAULT_MODEL))
        return value if value in model_names() else DEFAULT_MODEL

    def set_model_name(self, name: str) -> None:
        self.store.setValue("model/name", name)

    def weights_file(self, model_name: str) -> Path | None:
        """The weights file remembered for ``model_name`` by versions whose Load weights… kept a path
        (None: use the cache, where Load weights… now imports files)."""
        value = self.store.value(f"model/weights/{model_name}", "")
        return Path(str(value)) if value else None

    def set_weights_file(self, model_name: str, path: Path | None) -> None:
        self.store.setValue(f"model/weights/{model_name}", str(path) if path else "")

    # CRF ------------------------------------------------------------------------------------
    def crf_enabled(self) -> bool:
        return _to_bool(self.store.value("crf/enabled", False))

    def set_crf_enabled(self, enabled: bool) -> None:
        self.store.setValue("crf/enabled", bool(enabled))

    def crf_preset(self) -> str:
        value = str(self.store.value("crf/preset", DEFAULT_CRF_PRESET))
        return value if value in CRF_PRESETS else DEFAULT_CRF_PRESET

    def set_crf_preset(self, preset: str) -> None:
        self.store.setValue("crf/preset", preset)

    # sticker --------------------------------------------------------------------------------
    def sticker_style(self) -> StickerStyle:
        """The stored contour/stroke/shadow style, field by field (a bad field keeps its default)."""
        style = StickerStyle()
        for name in STYLE_FIELDS:
            raw = self.store.value(f"sticker/{name}")
            if raw is None or raw == "":
                continue
            try:
                # The field is chosen at run time; _convert_like gives the type that field has.
                style = replace(style, **{name: self._convert_like(getattr(style, name), raw)})  # type: ignore[arg-type]
            except (TypeError, ValueError):
                continue
        return style

    def set_sticker_style(self, style: StickerStyle) -> None:
        for name in STYLE_FIELDS:
            value = getattr(style, name)
            self.store.setValue(f"sticker/{name}", color_hex(value) if isinstance(value, tuple) else value)

    def mask_cleanup(self) -> MaskCleanup:
        """The stored clean-up options (a bad value keeps its default)."""
        default = MaskCleanup()
        try:
            fraction = float(str(self.store.value("sticker/min_component_fraction", default.min_component_fraction)))
            return MaskCleanup(fraction, _to_bool(self.store.value("sticker/fill_holes", default.fill_holes)))
        except (TypeError, ValueError):
            return default

    def set_mask_cleanup(self, cleanup: MaskCleanup) -> None:
        self.store.setValue("sticker/min_component_fraction", cleanup.min_component_fraction)
        self.store.setValue("sticker/fill_holes", cleanup.fill_holes)

    def output_format(self) -> str:
        value = str(self.store.value("sticker/format", "png"))
        return value if value in OUTPUT_FORMATS else "png"

    def set_output_format(self, fmt: str) -> None:
        self.store.setValue("sticker/format", fmt)

    def output_target(self) -> str:
        value = str(self.store.value("sticker/target", "telegram"))
        return value if value in MESSENGERS else "telegram"

    def set_output_target(self, target: str) -> None:
        self.store.setValue("sticker/target", target)

    def sync(self) -> None:
        self.store.sync()

    # helpers --------------------------------------------------------------------------------
    def _int(self, key: str, default: int, low: int, high: int) -> int:
        try:
            value = int(str(self.store.value(key, default)))
        except (TypeError, ValueError):
            return default
        return min(max(value, low), high)

    @staticmethod
    def _convert_like(default: object, raw: object) -> bool | int | float | tuple[int, int, int]:
        """``raw`` (as QSettings stored it) as the type of ``default``; ``ValueError`` if it is not one."""
        if isinstance(default, bool):
            return _to_bool(raw)
        if isinstance(default, int):
            return int(str(raw))
        if isinstance(default, float):
            return float(str(raw))
        if isinstance(default, tuple):
            return parse_color(str(raw))
        raise ValueError(f"no stored form for a {type(default).__name__} setting")
