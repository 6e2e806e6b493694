"""Colours as people type them and as files store them: the one parser and formatter.

The command line takes ``#rrggbb``, ``rrggbb`` or ``R,G,B``; settings, legends and JSON store
``#rrggbb``. Both directions live here so the window, the CLI and the reports agree.
"""

from __future__ import annotations

from collections.abc import Sequence

RGB = tuple[int, int, int]


def color_hex(rgb: Sequence[int]) -> str:
    """``#rrggbb`` of an RGB triple."""
    red, green, blue = (int(channel) for channel in rgb)
    return f"#{red:02x}{green:02x}{blue:02x}"


def color_rgb_text(rgb: Sequence[int]) -> str:
    """``R,G,B`` of an RGB triple (the CLI's other spelling)."""
    return ",".join(str(int(channel)) for channel in rgb)


def parse_color(text: str) -> RGB:
    """``#rrggbb``, ``rrggbb`` or ``R,G,B`` (0–255) → an RGB tuple; ``ValueError`` names what is accepted."""
    value = text.strip()
    parts: tuple[int, ...] = ()
    try:
        if "," in value:
            parts = tuple(int(part) for part in value.split(","))
        elif len(digits := value.removeprefix("#")) == 6:
            parts = tuple(int(digits[i : i + 2], 16) for i in (0, 2, 4))
    except ValueError:
        parts = ()
    if len(parts) != 3 or not all(0 <= part <= 255 for part in parts):
        raise ValueError(f"{text!r} is not a colour; use #rrggbb or R,G,B with values 0-255")
    return parts[0], parts[1], parts[2]
